"""``fit_lmm``: fit a Gaussian linear mixed model by REML or ML.

Model (Laird and Ware 1982), for subject ``i`` with ``n_i`` observations:

    y_i = X_i beta + Z_i b_i + e_i,   b_i ~ N(0, G),   e_i ~ N(0, sigma^2 I),

``X_i`` from the two-sided fixed-effects formula, ``Z_i`` from the one-sided random formula, ``G``
unstructured (``q x q``), parameterised as ``G = sigma^2 Lambda(theta) Lambda(theta)'``.
``beta`` and ``sigma^2`` are profiled out and ``theta`` is found by L-BFGS-B on the profiled
deviance with analytic gradients (:mod:`alstrials.models.lmm.engine`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from alstrials.errors import ConvergenceError, ConvergenceWarning, DataValidationError
from alstrials.models.diagnostics import (
    check_residual_variation,
    unidentified_variance,
    warn_problems,
)
from alstrials.models.lmm.design import build_design
from alstrials.models.lmm.engine import evaluate, optimise, prepare
from alstrials.models.lmm.inference import satterthwaite_parts, wald_table
from alstrials.models.lmm.kenward_roger import kr_lmm
from alstrials.models.lmm.result import LMMResult

__all__ = ["fit_lmm"]

_DF_METHODS = ("wald", "satterthwaite", "kenward-roger")


def fit_lmm(
    data: pd.DataFrame,
    formula: str,
    group: str,
    random: str = "~1",
    reml: bool = True,
    *,
    df_method: str = "wald",
    level: float = 0.95,
    maxiter: int = 1000,
    gtol: float = 1e-3,
) -> LMMResult:
    """Fit a linear mixed model with unstructured random effects per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per observation. Rows with a missing value in any model variable are
        dropped, counted in ``n_dropped`` and reported with a :class:`~alstrials.DataWarning`.
    formula : str
        Fixed effects, two-sided formulaic formula: factors, interactions, ``I(months**2)``,
        ``bs(months, df=3)`` ... e.g. ``"alsfrs_total ~ months * arm"``.
    group : str
        Column identifying the subject.
    random : str
        One-sided formula of the random effects per group: ``"~1"`` (random intercept),
        ``"~months"`` (intercept and slope), ``"~months + I(months**2)"``. Use ``"~0 + months"``
        for a slope without intercept.
    reml : bool
        REML (default) or maximum likelihood.
    df_method : {"wald", "satterthwaite", "kenward-roger"}, default "wald"
        Inference for fixed effects and contrasts: normal reference (z), t with
        Satterthwaite's degrees of freedom (as lmerTest), or Kenward-Roger: the adjusted
        covariance and KR df (as ``pbkrtest``/``emmeans`` with ``lmer.df="kenward-roger"``;
        REML only; see :mod:`alstrials.models.kenward_roger`).
    level : float
        Confidence level of the intervals in ``fixed``.
    maxiter : int
        Iteration limit of the optimiser.
    gtol : float
        The fit counts as converged when the largest absolute projected gradient component of the
        deviance is at most ``gtol``.

    Returns
    -------
    LMMResult

    Raises
    ------
    DataValidationError
        Missing columns, fewer than 2 groups, a rank-deficient or nearly collinear design, an
        outcome fitted exactly (residual variance 0), bad options.
    ConvergenceError
        The mixed-model equations became singular during the fit.

    Warns
    -----
    ConvergenceWarning
        The optimiser stopped before the gradient criterion was met, or the variance components
        are not identified (no within-subject residual degrees of freedom, e.g. one observation
        per subject with a random intercept); ``converged`` is then False and ``problems`` says
        why.
    DataWarning
        Rows with missing values were left out.

    References
    ----------
    Laird NM, Ware JH (1982). Random-effects models for longitudinal data. Biometrics 38, 963-974.
    Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models using lme4.
    Journal of Statistical Software 67(1).

    Examples
    --------
    >>> import alstrials.models.lmm as lmm
    >>> data = lmm.example_data(40, seed=1)
    >>> res = lmm.fit_lmm(data, "y ~ months * arm", group="subject_id", random="~months")
    >>> res.converged, res.n_subjects
    (True, 40)
    >>> list(res.fixed.index)
    ['Intercept', 'months', 'arm[T.placebo]', 'months:arm[T.placebo]']
    """
    if df_method not in _DF_METHODS:
        raise DataValidationError(f"df_method must be one of {_DF_METHODS}, got {df_method!r}.")
    if not isinstance(reml, bool | np.bool_):
        raise DataValidationError(f"reml must be True or False, got {reml!r}.")
    if df_method == "kenward-roger" and not reml:
        raise DataValidationError(
            "df_method='kenward-roger' is defined for REML fits (as pbkrtest); use reml=True."
        )
    if not 0 < level < 1:
        raise DataValidationError(f"level must be in (0, 1), got {level}.")
    if not (isinstance(maxiter, int | np.integer) and maxiter >= 1):
        raise DataValidationError(f"maxiter must be a positive integer, got {maxiter!r}.")
    if not isinstance(group, str):
        raise DataValidationError(f"group must be a column name (str), got {group!r}.")
    reml = bool(reml)
    d = build_design(data, formula, group, random)
    df_within = check_residual_variation(
        d.y, d.X, d.Z, d.group_index, what=f"fit_lmm({formula!r}, random {random!r})"
    )
    problems = unidentified_variance(df_within, f"random {random!r} by {group!r}")
    try:
        opt = optimise(d, reml, maxiter=int(maxiter), gtol=gtol)
        stats = prepare(d)
        ev = evaluate(opt.theta, stats, reml)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError(
            f"fit_lmm({formula!r}): a matrix of the mixed-model equations became singular "
            f"({exc}); rescale or centre covariates, drop nearly collinear terms, or simplify "
            "the random effects."
        ) from exc
    n, p = d.X.shape
    q = d.ZtZ.shape[1]
    sigma2 = ev.sigma2
    if not (np.isfinite(ev.deviance) and sigma2 > 0):
        raise ConvergenceError(
            f"fit_lmm({formula!r}): the residual variance went to 0 (deviance "
            f"{ev.deviance:.4g}); the outcome is fitted (almost) exactly. Check the outcome "
            "column, or fit fewer random effects."
        )

    if not opt.success:
        warnings.warn(
            f"fit_lmm did not converge after {opt.n_iter} iterations: largest projected gradient "
            f"component {opt.grad_norm:.3g} > gtol={gtol:g} ({opt.message}). Increase maxiter, "
            "rescale time/covariates, or simplify the random effects.",
            ConvergenceWarning,
            stacklevel=2,
        )
    elif problems:
        warn_problems("fit_lmm", problems, stacklevel=3)

    fixed_names, random_names = d.fixed_names, d.random_names
    vcov = sigma2 * np.linalg.inv(ev.A)
    vcov = 0.5 * (vcov + vcov.T)
    satt = (
        satterthwaite_parts(opt.theta, float(np.sqrt(sigma2)), stats, reml)
        if df_method == "satterthwaite"
        else None
    )
    G = sigma2 * ev.lam @ ev.lam.T
    diag_theta = np.diag(ev.lam)
    boundary = bool(np.any(diag_theta <= 1e-8))
    kr = None
    if df_method == "kenward-roger":
        kr, why = kr_lmm(d, G, float(sigma2), vcov)
        if kr is None or boundary:
            msg = (
                f"Kenward-Roger inference unavailable: {why}; df are NaN and standard errors "
                "unadjusted"
                if kr is None
                else "Kenward-Roger with a random-effect variance on the boundary (0): the "
                "adjustment assumes an interior estimate, so its SE and df are unreliable"
            ) + "; simplify the random effects or use df_method='satterthwaite'."
            problems = [*problems, msg]
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    fixed = wald_table(
        np.eye(p),
        fixed_names,
        ev.beta,
        vcov,
        level=level,
        satterthwaite=satt,
        kenward_roger=kr,
        kr_failed=df_method == "kenward-roger" and kr is None,
    )

    sd = np.sqrt(np.diag(G))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = G / np.outer(sd, sd)
    corr[np.arange(q), np.arange(q)] = 1.0

    D = ev.lam @ ev.lam.T
    b = ev.u @ D.T  # b_i = D Z_i'V_i^{-1}(y_i - X_i beta)
    blup_cov = sigma2 * ev.P
    groups = pd.Index(d.groups, name=group)
    blups = pd.DataFrame(b, index=groups, columns=random_names)

    fitted_sorted = d.X @ ev.beta + np.einsum("nq,nq->n", d.Z, b[d.group_index])
    fitted_arr = np.empty(n)
    fitted_arr[d.order] = fitted_sorted
    fitted = pd.Series(fitted_arr, index=d.frame.index, name="fitted")

    n_par = p + opt.theta.size + 1
    loglik = -0.5 * ev.deviance
    return LMMResult(
        formula=formula,
        random=random,
        group=group,
        outcome=d.outcome,
        reml=reml,
        df_method=df_method,
        fixed=fixed,
        vcov=pd.DataFrame(vcov, index=fixed_names, columns=fixed_names),
        random_cov=pd.DataFrame(G, index=random_names, columns=random_names),
        random_corr=pd.DataFrame(corr, index=random_names, columns=random_names),
        residual_var=float(sigma2),
        loglik=float(loglik),
        aic=float(-2 * loglik + 2 * n_par),
        bic=float(-2 * loglik + np.log(n) * n_par),
        theta=opt.theta,
        grad_norm=opt.grad_norm,
        n_iter=opt.n_iter,
        converged=opt.success and not problems,
        boundary=boundary,
        message=opt.message,
        problems=tuple(problems),
        n_subjects=d.n_groups,
        n_obs=n,
        n_dropped=d.n_dropped,
        blups=blups,
        blup_cov=blup_cov,
        fitted=fitted,
        data=d.frame,
        fixed_spec=d.fixed_spec,
        random_spec=d.random_spec,
        satterthwaite=satt,
        kenward_roger=kr,
        level=level,
    )
