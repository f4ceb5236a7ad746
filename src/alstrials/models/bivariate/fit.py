"""``fit_bivariate_lmm``: fit the bivariate biomarker-function mixed model by REML or ML.

Validates the options, stacks the two outcomes, builds the outcome-specific fixed-effects and
random-effects matrices, maximises the profiled likelihood (BFGS, then Newton polish) and
assembles the :class:`BivariateResult`. The model is stated in :mod:`alstrials.models.bivariate`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from alstrials.data.arms import PLACEBO_LABELS, placebo_reference
from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.bivariate.interval import _fisher_ci
from alstrials.models.bivariate.likelihood import _cross_products, _negloglik, _profile, _random_cov
from alstrials.models.bivariate.optimise import _newton_polish, _start
from alstrials.models.bivariate.result import BivariateResult
from alstrials.models.bivariate.stack import _stack
from alstrials.models.diagnostics import (
    check_full_rank,
    check_residual_variation,
    information_problems,
    unidentified_variance,
    warn_problems,
)

__all__ = ["fit_bivariate_lmm"]


def fit_bivariate_lmm(
    data: pd.DataFrame,
    outcomes: tuple[str, str] = ("cord_csa_mm2", "alsfrs_total"),
    time: str = "months",
    group: str = "subject_id",
    covariates: tuple[str, ...] | list[str] = (),
    reml: bool = True,
    *,
    arm: str | None = None,
    arm_reference: object = None,
    level: float = 0.95,
    maxiter: int = 1000,
) -> BivariateResult:
    """Fit a bivariate LMM with correlated random intercepts and slopes for two outcomes.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and time; a row may hold one or both outcomes (NaN in
        one outcome means only the other was measured at that time).
    outcomes : pair of str, default ("cord_csa_mm2", "alsfrs_total")
        The two outcome columns (biomarker first, function second, by convention).
    time, group : str
        Time (numeric, e.g. months since baseline) and subject columns.
    covariates : sequence of str, default ()
        Numeric columns given an outcome-specific effect each (``"<outcome>:<covariate>"``).
    reml : bool, default True
        REML (True) or maximum likelihood.
    arm : str, optional
        Arm column: adds outcome-specific arm effects on intercept and slope
        (``"<outcome>:arm[T.a]"``, ``"<outcome>:<time>:arm[T.a]"``).
    arm_reference : optional
        Reference arm (default: the one placebo-like level, see
        :data:`alstrials.data.arms.PLACEBO_LABELS`; without one, an error asks for it).
    level : float, default 0.95
        Confidence level for the fixed effects and the slope correlation.
    maxiter : int, default 1000
        BFGS iteration limit.

    Returns
    -------
    BivariateResult
        ``slope_correlation`` and ``slope_correlation_ci`` answer "does the biomarker track
        function?"; also ``fixed``, ``random_cov``, ``residual_var``, ``loglik``.

    References
    ----------
    Fieuws and Verbeke (2004), *Statistics in Medicine* 23, 3093-3104. Pinheiro and Bates
    (2000), *Mixed-Effects Models in S and S-PLUS*, Springer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> n, t = 40, np.array([0.0, 4.0, 8.0, 12.0])
    >>> slopes = rng.multivariate_normal([-0.4, -1.0], [[0.04, 0.08], [0.08, 0.25]], size=n)
    >>> rows = [(i, m, 70 + slopes[i, 0] * m + rng.normal(0, 1), 38 + slopes[i, 1] * m
    ...          + rng.normal(0, 1)) for i in range(n) for m in t]
    >>> frame = pd.DataFrame(rows, columns=["subject_id", "months", "cord_csa_mm2",
    ...                                     "alsfrs_total"])
    >>> fit = fit_bivariate_lmm(frame)
    >>> bool(fit.converged), fit.slope_correlation > 0
    (True, True)
    """
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level!r} must be strictly between 0 and 1, e.g. 0.95")
    if len(outcomes) != 2 or outcomes[0] == outcomes[1]:
        raise ValueError(f"outcomes={outcomes!r}: give exactly two different outcome columns")
    outcomes = (outcomes[0], outcomes[1])
    extra = [*covariates, *([arm] if arm is not None else [])]
    long, n_dropped = _stack(data, outcomes, time, group, extra)
    k = long["_k"].to_numpy()
    t = long[time].to_numpy(float)
    y = long["_y"].to_numpy(float)
    subj, _ = pd.factorize(long[group])
    n_sub = int(subj.max()) + 1
    ind = np.column_stack([k == 0, k == 1]).astype(float)
    z = np.column_stack([ind, ind * t[:, None]])
    cols, names = [z], [outcomes[0], outcomes[1], f"{outcomes[0]}:{time}", f"{outcomes[1]}:{time}"]
    for c in covariates:
        values = pd.to_numeric(long[c], errors="coerce")
        if values.isna().any():
            raise DataValidationError(f"covariate '{c}' must be numeric", column=c)
        cols.append(ind * values.to_numpy(float)[:, None])
        names += [f"{o}:{c}" for o in outcomes]
    if arm is not None:
        levels = sorted(pd.unique(long[arm]), key=str)
        if len(levels) < 2:
            raise DataValidationError(f"column '{arm}' has a single level {levels}", column=arm)
        ref = arm_reference if arm_reference is not None else placebo_reference(levels)
        if ref is None:  # never the alphabetically first level
            raise DataValidationError(
                f"column '{arm}' has the levels {levels} and none (or more than one) is "
                f"placebo-like ({', '.join(PLACEBO_LABELS)}); pass arm_reference= to name the "
                "reference arm",
                column=arm,
            )
        if ref not in levels:
            raise DataValidationError(f"arm_reference={ref!r} is not a level of '{arm}'")
        for a in [lv for lv in levels if lv != ref]:
            d = (long[arm] == a).to_numpy(float)[:, None]
            cols += [ind * d, ind * t[:, None] * d]
            names += [f"{o}:arm[T.{a}]" for o in outcomes]
            names += [f"{o}:{time}:arm[T.{a}]" for o in outcomes]
    x = np.column_stack(cols)
    check_full_rank(
        x,
        names,
        what="the fixed-effects design",
        hint="A covariate is constant or collinear with time; drop it.",
    )
    problems: list[str] = []
    for kk, out in enumerate(outcomes):
        rows = k == kk
        df_within = check_residual_variation(
            y[rows], x[rows], z[rows][:, [kk, 2 + kk]], subj[rows], what=f"outcome {out!r}"
        )
        problems += unidentified_variance(df_within, f"outcome {out!r}")
    # centring each outcome only shifts its intercept (columns 0 and 1 are the outcome
    # indicators) and avoids cancellation in y'V^{-1}y - b'beta at large outcome levels
    centre = np.array([y[k == 0].mean(), y[k == 1].mean()])
    st = _cross_products(k, subj, z, x, y - centre[k], n_sub)
    theta0 = _start(long, k, t, y, subj, n_sub)

    def fun(th: np.ndarray) -> tuple[float, np.ndarray]:
        return _negloglik(th, st, reml)

    res = optimize.minimize(
        fun, theta0, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-6}
    )
    theta, hess = _newton_polish(fun, res.x)
    grad_norm = float(np.max(np.abs(fun(theta)[1])))
    converged = bool(np.isfinite(res.fun) and grad_norm < 1e-3 and res.nit < maxiter)
    if converged:
        problems += information_problems(hess, "observed information")
    message = (
        ""
        if converged
        else (
            f"BFGS stopped after {res.nit} iterations with max |gradient| {grad_norm:.3g} "
            f"({res.message}); a variance may be at its boundary (zero), e.g. too few scans per "
            "subject to separate random slopes from residual error"
        )
    )
    if not converged:
        warnings.warn(
            f"fit_bivariate_lmm did not converge: {message}", ConvergenceWarning, stacklevel=2
        )
    elif problems:
        warn_problems("fit_bivariate_lmm", problems, stacklevel=3)
    converged = converged and not problems
    parts = _profile(theta, st, reml)
    beta = parts.beta.copy()
    beta[:2] += centre
    se = np.sqrt(np.diag(np.linalg.inv(parts.a)))
    q = stats.norm.ppf(0.5 + level / 2.0)
    fixed = pd.DataFrame(
        {
            "estimate": beta,
            "se": se,
            "z": beta / se,
            "p": 2.0 * stats.norm.sf(np.abs(beta / se)),
            "ci_low": beta - q * se,
            "ci_high": beta + q * se,
        },
        index=pd.Index(names, name="term"),
    )
    d = _random_cov(theta)
    sd = np.sqrt(np.diag(d))
    re_names = names[:4]
    rho = float(d[2, 3] / (sd[2] * sd[3]))
    ci = _fisher_ci(hess, theta, q)
    n_obs = int(y.size)
    df_loglik = x.shape[1] + theta.size
    loglik = parts.loglik
    n_bic = n_obs - x.shape[1] if reml else n_obs
    return BivariateResult(
        outcomes=outcomes,
        time=time,
        reml=reml,
        fixed=fixed,
        random_cov=pd.DataFrame(d, index=re_names, columns=re_names),
        random_corr=pd.DataFrame(d / np.outer(sd, sd), index=re_names, columns=re_names),
        residual_var=pd.Series(np.exp(2.0 * theta[-2:]), index=list(outcomes), name="variance"),
        slope_correlation=rho,
        slope_correlation_ci=ci,
        level=level,
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * df_loglik,
        bic=-2.0 * loglik + np.log(n_bic) * df_loglik,
        df_loglik=df_loglik,
        n_subjects=n_sub,
        n_obs=n_obs,
        n_obs_by_outcome={o: int(np.sum(k == i)) for i, o in enumerate(outcomes)},
        n_dropped=n_dropped,
        converged=converged,
        n_iter=int(res.nit),
        message=message,
        problems=tuple(problems),
    )
