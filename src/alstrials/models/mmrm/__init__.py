r"""Mixed model for repeated measures (MMRM): visit-by-arm means, a within-subject covariance.

Model
-----
For subject :math:`i` observed at the visits :math:`S_i \subseteq \{1, \dots, T\}`,

.. math::

    y_i = X_i \beta + \varepsilon_i, \qquad \varepsilon_i \sim N(0, \Sigma_{S_i}),

where row :math:`t` of :math:`X_i` codes ``outcome ~ covariates + visit * arm`` (treatment
contrasts: reference visit = first visit in sorted order, reference arm = ``"placebo"`` if
present else the first sorted level) and :math:`\Sigma_{S_i}` is the sub-matrix of the
:math:`T \times T` within-subject covariance :math:`\Sigma(\theta)` for the visits the subject has
(see :mod:`alstrials.models.covstruct`). Subjects contribute the visits they have: the likelihood
is valid when missingness is at random (MAR) given the observed outcomes and covariates.

Estimation
----------
:math:`\beta` is profiled out by generalised least squares,
:math:`\hat\beta(\theta) = (\sum_i X_i^\top \Sigma_{S_i}^{-1} X_i)^{-1}
\sum_i X_i^\top \Sigma_{S_i}^{-1} y_i`, and :math:`\theta` maximises (with
:math:`N` observations, :math:`p` fixed effects, :math:`A = \sum_i X_i^\top\Sigma_{S_i}^{-1}X_i`,
:math:`r_i = y_i - X_i\hat\beta`)

.. math::

    \ell_{ML}(\theta) = -\tfrac12\{N\log 2\pi + \textstyle\sum_i \log|\Sigma_{S_i}|
        + \sum_i r_i^\top\Sigma_{S_i}^{-1} r_i\},

    \ell_{REML}(\theta) = -\tfrac12\{(N-p)\log 2\pi + \textstyle\sum_i \log|\Sigma_{S_i}|
        + \sum_i r_i^\top\Sigma_{S_i}^{-1} r_i + \log|A|\},

the conventions of ``nlme::gls`` (the REML value has no :math:`\log|X^\top X|` term). All
subjects sharing a missingness pattern are processed together: one Cholesky factor per pattern
and precomputed cross-products, so an evaluation costs O(patterns x T^2 p^2) whatever the number
of subjects. The analytic gradient
:math:`\partial\ell/\partial\Sigma_{S} = -\tfrac12\sum_i(\Sigma_S^{-1} - \Sigma_S^{-1} r_i r_i^\top
\Sigma_S^{-1} - [\text{REML}]\,\Sigma_S^{-1}X_i A^{-1}X_i^\top\Sigma_S^{-1})` is chained to
:math:`\theta` with analytic (unstructured) or complex-step Jacobians. BFGS starts from the
moment covariance of OLS residuals.

Inference
---------
:math:`\widehat{\mathrm{Var}}(\hat\beta) = A^{-1}` (model based, as ``nlme``). By default Wald
t statistics with the residual degrees of freedom :math:`N - p` (as ``nlme::gls``);
``df_method="satterthwaite"`` uses, for each contrast :math:`l`, the df
:math:`2 (l^\top A^{-1} l)^2 / (g^\top H^{-1} g)` with :math:`g = \partial (l^\top A^{-1}
l)/\partial\theta` and :math:`H` the observed information of :math:`\theta` (Satterthwaite
1946; as ``lmerTest``); ``df_method="kenward-roger"`` uses the Kenward-Roger (1997) adjusted
covariance and df (:mod:`alstrials.models.kenward_roger`); ``df_method="wald"`` gives
normal-theory Wald tests (``inference=`` is the older name of ``df_method``). The arm effect at
visit :math:`v` is :math:`\beta_{arm} + \beta_{v:arm}` (non-reference minus reference arm).

References
----------
Mallinckrodt, C. H., Lane, P. W., Schnell, D. and others (2008). Recommendations for the primary
analysis of continuous endpoints in longitudinal clinical trials. *Drug Information Journal* 42,
303-319.

Pinheiro, J. C. and Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*. Springer.
(``gls``, REML criterion.)

Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance components.
*Biometrics Bulletin* 2, 110-114.

Modules
-------
``design`` (data checks and the design matrix), ``likelihood`` (missingness patterns, the
profiled REML/ML likelihood and its gradient, starting values), ``inference`` (Wald tables and
Satterthwaite df), ``kenward_roger`` (KR pieces from the pattern cross-products), ``result``
(:class:`MMRMResult`) and ``fit`` (:func:`fit_mmrm`).
"""

# the public API is __all__; the private helpers (``as`` re-exports) serve the likelihood tests
# in tests/models/test_mmrm.py
from alstrials.models.mmrm.design import _build_design as _build_design
from alstrials.models.mmrm.design import _prepare_frame as _prepare_frame
from alstrials.models.mmrm.fit import fit_mmrm
from alstrials.models.mmrm.likelihood import _Objective as _Objective
from alstrials.models.mmrm.likelihood import _patterns as _patterns
from alstrials.models.mmrm.likelihood import _start_covariance as _start_covariance
from alstrials.models.mmrm.result import MMRMResult

__all__ = ["MMRMResult", "fit_mmrm"]
