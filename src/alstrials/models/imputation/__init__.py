r"""Reference-based multiple imputation for the MMRM (Carpenter, Roger and Kenward 2013).

Steps of :func:`impute_reference_based`
---------------------------------------
1. **Who has an intercurrent event (ICE).** A subject whose outcome stops before the last
   scheduled visit discontinued at the visit after the last observed one (deaths included), or
   as an explicit ``intercurrent`` table says (:mod:`~alstrials.models.imputation.data`).
2. **Imputation model.** The MMRM :math:`y_i = X_i\beta + \varepsilon_i`,
   :math:`\varepsilon_i \sim N(0, \Sigma)`, mean ``covariates + visit * arm``, unstructured
   :math:`\Sigma`, fitted by REML (:func:`alstrials.fit_mmrm`) to the outcomes observed before
   each ICE. Per-arm means at each visit are :math:`\mu_{a,i} = X_i(a)\beta`.
3. **Draws** :math:`(\beta^{(m)}, \Sigma^{(m)})`, :math:`m = 1..M`, from the approximate
   posterior (``method="approx-bayes"``: :math:`\theta^* \sim N(\hat\theta, H^{-1})` on the
   log-Cholesky scale, then :math:`\beta^* \mid \theta^*` from its exact normal posterior) or
   by refitting to bootstrap samples (``"bootstrap"``) (:mod:`~alstrials.models.imputation.draws`).
4. **Strategy means.** Each subject's mean profile :math:`\tilde\mu_i` under MAR, J2R, CR or
   CIR (:mod:`~alstrials.models.imputation.strategies`).
5. **Imputation** of the missing outcomes from
   :math:`N(\tilde\mu_{M} + \Sigma_{MO}\Sigma_{OO}^{-1}(y_O - \tilde\mu_O),\,
   \Sigma_{MM} - \Sigma_{MO}\Sigma_{OO}^{-1}\Sigma_{OM})`
   (:mod:`~alstrials.models.imputation.conditional`).
6. **Analysis** of each completed data set: ANCOVA at each visit, or the MMRM arm effect
   (:mod:`~alstrials.models.imputation.analysis`).
7. **Pooling** by Rubin's rules with the Barnard-Rubin df (:func:`rubin_rules`).

References
----------
Carpenter JR, Roger JH, Kenward MG. Analysis of longitudinal trials with protocol deviation: a
framework for relevant, accessible assumptions, and inference via multiple imputation.
J Biopharm Stat 2013;23:1352-71.
Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987.
Barnard J, Rubin DB. Small-sample degrees of freedom with multiple imputation. Biometrika
1999;86:948-55.
"""

from alstrials.models.imputation.data import intercurrent_from_events, trial_long_frame
from alstrials.models.imputation.impute import impute_reference_based
from alstrials.models.imputation.result import ReferenceImputationResult
from alstrials.models.imputation.rubin import rubin_rules
from alstrials.models.imputation.strategies import Strategy

__all__ = [
    "ReferenceImputationResult",
    "Strategy",
    "impute_reference_based",
    "intercurrent_from_events",
    "rubin_rules",
    "trial_long_frame",
]
