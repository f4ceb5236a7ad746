"""Platform trials: the disease-rate-ratio (DRR) shared-parameter model with a shared placebo.

Model
-----
Participant ``i`` of regimen ``r(i)``, on placebo (``A_i = 0``) or on the regimen's active drug
(``A_i = 1``), with standardised baseline covariates ``x_i`` and ALSFRS-R totals ``y_ij`` at
``t_ij`` months from baseline. Disease time runs at the DRR on the active drug::

    D_i    = DRR_r(i) ** A_i                      (one DRR per regimen, or a common one)
    tau_ij = D_i t_ij

ALSFRS-R submodel (random intercept and progression rate, optional common curvature ``c``)::

    y_ij = a_i - b_i tau_ij + c tau_ij^2 + e_ij,          e_ij ~ N(0, sigma_e^2)
    (a_i, b_i) ~ N((mu_a,i, mu_b,i), G),  G = [[s_a^2, rho s_a s_b], [rho s_a s_b, s_b^2]]
    mu_a,i = alpha_r(i) + x_i' gamma_a
    mu_b,i = beta_0 + delta_r(i) + x_i' gamma_b            (points/month of decline)

so the placebo mean trajectory of regimen ``r`` is ``alpha_r - (beta_0 + delta_r) t``; the
offsets ``delta_r`` describe how the cohort of regimen ``r`` (both arms: randomisation is within
regimen) differs from the pooled placebo rate ``beta_0``.

Survival submodel (death, or the composite event), Weibull on disease time, linked to the
participant's progression rate ``b_i`` (shared random effect)::

    H_i(t) = (D_i t / lambda)^k exp(eta_i),   eta_i = x_i' gamma_h + phi (b_i - beta_0)

so treated participants' survival is the placebo survival at disease time ``D_i t`` (the same DRR
slows function and survival), and death informs on ``b_i`` rather than being missing data.

Borrowing of the placebo groups: "hierarchical" ``delta_r = s z_r``, ``z_r ~ N(0, 1)``,
``s ~ HalfNormal(offset_scale)``; "concurrent" ``delta_r ~ N(0, concurrent_offset_sd^2)``
(nearly flat: each regimen's own placebo); "pooled" ``delta_r = 0``.

Priors (:class:`DRRPriors`, all changeable): ``log DRR ~ N(0, 0.5^2)``, ``alpha_r ~ N(ybar_0,
10^2)``, ``beta_0 ~ N(1, 1)``, half-normal SDs (10, 2, 5 points), ``rho ~ U(-1, 1)``, ``log lambda
~ N(log 36, 2^2)``, ``log k ~ N(0, 1)``, ``phi ~ N(0, 1)``, covariate effects ``N(0, 10^2)``,
``N(0, 1)``, ``N(0, 1)``.

Estimation: the random effects are integrated out (closed form for the Gaussian part, Gauss-
Hermite for the survival part given ``b_i | y_i``; :mod:`.likelihood`); NUTS on the remaining
20-30 parameters (:mod:`.nuts`) or the posterior mode with a Laplace approximation and a grid
over ``log s`` (:mod:`.laplace`).

References
----------
Quintana M et al. (2023) Design and statistical innovations in a platform trial for ALS. Ann
Neurol 94:547-560. Rue H, Martino S, Chopin N (2009) JRSS B 71:319-392. Hoffman MD, Gelman A
(2014) JMLR 15:1593-1623. Rizopoulos D (2012) Joint Models for Longitudinal and Time-to-Event
Data. Chapman & Hall.
"""

from alstrials.models.platform.fit import fit_drr
from alstrials.models.platform.result import DRR_COLUMNS, DRRDiagnostics, DRRResult
from alstrials.models.platform.spec import Borrowing, DRRPriors, Method

__all__ = [
    "fit_drr",
    "DRRResult",
    "DRRDiagnostics",
    "DRRPriors",
    "Borrowing",
    "Method",
    "DRR_COLUMNS",
]
