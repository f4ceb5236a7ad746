"""Fast Gaussian linear mixed models: :func:`fit_lmm` and :class:`LMMResult`.

Modules: ``design`` (formula -> matrices, per-subject cross-products), ``engine`` (profiled
REML/ML deviance, analytic gradient, optimiser), ``inference`` (Wald, Satterthwaite, contrasts),
``result`` (the fitted model), ``fit`` (the entry point), ``example`` (a small simulated data set).
"""

from alstrials.models.lmm.example import example_data
from alstrials.models.lmm.fit import fit_lmm
from alstrials.models.lmm.result import LMMResult

__all__ = ["fit_lmm", "LMMResult", "example_data"]
