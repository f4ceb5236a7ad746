"""Joint models of a longitudinal biomarker and time to event (shared random effects).

``fit_joint`` fits the model of Rizopoulos (2010, 2012) by maximum likelihood with adaptive
Gauss-Hermite quadrature; ``JointResult.predict_survival`` gives dynamic predictions
(Rizopoulos 2011). See ``docs/joint.md``.
"""

from alstrials.models.joint.fit import fit_joint
from alstrials.models.joint.result import JointResult

__all__ = ["fit_joint", "JointResult"]
