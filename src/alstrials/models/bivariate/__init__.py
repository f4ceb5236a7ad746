r"""Bivariate linear mixed model: does an MRI biomarker track function over time?

Model
-----
Two outcomes (index :math:`k = 1, 2`, e.g. cord cross-sectional area and ALSFRS-R total) are
measured on subject :math:`i` at their own times :math:`t_{ikj}` (scans and clinic visits need not
coincide). With outcome-specific fixed intercepts and slopes,

.. math::

    y_{ikj} = (\beta_{0k} + b_{0ik}) + (\beta_{1k} + b_{1ik})\, t_{ikj} + x_{ikj}^\top\gamma_k
        + \varepsilon_{ikj}, \qquad \varepsilon_{ikj} \sim N(0, \sigma_k^2),

    b_i = (b_{0i1}, b_{0i2}, b_{1i1}, b_{1i2})^\top \sim N(0, D),

with :math:`D` an unstructured :math:`4\times 4` covariance (order: intercept 1, intercept 2,
slope 1, slope 2) and independent residuals. Optional terms :math:`x^\top\gamma_k`: numeric
covariates, and with ``arm=`` an arm effect on each outcome's intercept and slope. In ``nlme``
this is ``lme(y ~ 0 + outcome + outcome:time, random = ~ 0 + outcome + outcome:time | id,
weights = varIdent(form = ~ 1 | outcome))`` on the stacked data.

The question "does the biomarker track function?" is answered by the correlation of the
subject-level slopes, :math:`\rho_{slope} = D_{34} / \sqrt{D_{33} D_{44}}`: the correlation of
the true (error-free) rates of change of the two outcomes across subjects.

Estimation
----------
:math:`\theta` = (log-Cholesky factor of :math:`D`, :math:`\log\sigma_1`, :math:`\log\sigma_2`);
:math:`\beta` is profiled out by GLS and :math:`\theta` maximises the REML (or ML) log-likelihood
in the ``nlme``/``lme4`` convention (no :math:`\log|X^\top X|` term). With
:math:`D = LL^\top` and :math:`M_i = I + L^\top Z_i^\top R_i^{-1} Z_i L`, the Woodbury identity
gives :math:`\log|V_i| = \log|R_i| + \log|M_i|` and
:math:`V_i^{-1} = R_i^{-1} - R_i^{-1}Z_iLM_i^{-1}L^\top Z_i^\top R_i^{-1}`; because :math:`R_i` is
diagonal with one variance per outcome, all per-subject cross-products are precomputed per
outcome and the likelihood is evaluated for all subjects at once (batched 4x4 algebra). BFGS with
central-difference gradients from moment starting values (per-subject least-squares lines).

Slope-correlation interval
--------------------------
Wald interval on Fisher's :math:`z = \operatorname{atanh}\rho_{slope}`: its standard error comes
from the delta method with the inverse observed information (numerical Hessian of the REML/ML
log-likelihood in :math:`\theta`), and the interval is back-transformed with :math:`\tanh`. This is
the construction of ``nlme::intervals`` for random-effect correlations.

References
----------
Fieuws, S. and Verbeke, G. (2004). Joint modelling of multivariate longitudinal profiles:
pitfalls of the random-effects approach. *Statistics in Medicine* 23, 3093-3104.

Pinheiro, J. C. and Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*. Springer.

Modules
-------
``stack`` (data checks, the two outcomes stacked into one long table), ``likelihood``
(per-outcome cross-products, the profiled REML/ML likelihood and its gradient), ``optimise``
(moment starting values, Newton polish, numerical Hessian), ``interval`` (the Fisher-z interval of
the slope correlation), ``result`` (:class:`BivariateResult`), ``fit``
(:func:`fit_bivariate_lmm`) and ``tracking`` (:func:`biomarker_tracking` on a ``TrialData``).
"""

# the public API is __all__; the private helpers (``as`` re-exports) serve the likelihood test
# in tests/models/test_bivariate.py
from alstrials.models.bivariate.fit import fit_bivariate_lmm
from alstrials.models.bivariate.likelihood import _cross_products as _cross_products
from alstrials.models.bivariate.likelihood import _profile as _profile
from alstrials.models.bivariate.result import BivariateResult
from alstrials.models.bivariate.stack import _stack as _stack
from alstrials.models.bivariate.tracking import biomarker_tracking

__all__ = ["BivariateResult", "fit_bivariate_lmm", "biomarker_tracking"]
