"""``fit_mmrm``: fit a mixed model for repeated measures by REML or ML.

Validates the options, builds the design, maximises the profiled likelihood with BFGS and
assembles the :class:`MMRMResult` (fixed effects, per-visit arm effects with residual-df t,
Satterthwaite, Kenward-Roger or z inference, covariance, information criteria). The model is
stated in :mod:`alstrials.models.mmrm`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.covstruct import CovStruct, parse_covariance
from alstrials.models.diagnostics import (
    check_residual_variation,
    information_problems,
    warn_problems,
)
from alstrials.models.mmrm.design import _arm_reference, _build_design, _prepare_frame
from alstrials.models.mmrm.inference import (
    _LEGACY,
    DF_METHODS,
    _information,
    _MMRMInference,
    _satterthwaite_parts,
)
from alstrials.models.mmrm.kenward_roger import _kr_mmrm
from alstrials.models.mmrm.likelihood import _Objective, _patterns, _start_covariance
from alstrials.models.mmrm.result import MMRMResult

__all__ = ["fit_mmrm"]


def fit_mmrm(
    data: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...] | list[str] = (),
    covariance: str = "unstructured",
    reml: bool = True,
    *,
    arm_reference: object = None,
    df_method: str | None = None,
    inference: str | None = None,
    kr_information: str = "observed",
    level: float = 0.95,
    maxiter: int = 500,
) -> MMRMResult:
    """Fit a mixed model for repeated measures, ``outcome ~ covariates + visit * arm``.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and visit.
    outcome, visit, group, arm : str
        Column names: the response, the scheduled visit (treated as categories, sorted; a
        pandas Categorical keeps its category order), the subject identifier and the arm.
    covariates : sequence of str, default ()
        Extra columns in the mean model (numeric, or categorical: treatment-coded).
    covariance : {"unstructured", "ar1", "ar1h", "cs", "csh"}, default "unstructured"
        Within-subject covariance across visits (see :mod:`alstrials.models.covstruct`).
    reml : bool, default True
        REML (True) or maximum likelihood.
    arm_reference : optional
        Reference arm; default ``"placebo"`` if present, else the first sorted level.
    df_method : {"residual", "satterthwaite", "kenward-roger", "wald"}, default "residual"
        Inference for coefficients, per-visit effects and later contrasts (LS means):
        Wald t tests with the residual df :math:`N - p` (as ``nlme::gls``); t tests with
        Satterthwaite df per coefficient and contrast (as ``lmerTest``, SAS
        ``DDFM=SATTERTH``); Kenward-Roger (SAS ``DDFM=KR``): standard errors from the adjusted
        covariance :math:`\\Phi_A` and KR df (REML only); or normal-theory z tests. For a
        primary analysis of a small trial prefer ``"kenward-roger"``.
    inference : {"t", "satterthwaite", "z"}, optional
        Older name of ``df_method`` (``"t"`` = ``"residual"``, ``"z"`` = ``"wald"``), kept
        working; give one of the two.
    kr_information : {"observed", "expected"}, default "observed"
        Kenward-Roger only: covariance of the covariance parameters from the observed
        information (SAS ``PROC MIXED``'s default, R ``mmrm``) or the expected information
        (``pbkrtest``).
    level : float, default 0.95
        Confidence level of the intervals.
    maxiter : int, default 500
        BFGS iteration limit.

    Returns
    -------
    MMRMResult
        With ``effects`` (arm difference per visit), ``fixed``, ``covariance``, ``loglik``.

    Raises
    ------
    DataValidationError
        Missing columns, a subject with two rows at one visit or in two arms, a single arm, or a
        design that cannot be estimated (e.g. a visit with no subject in an arm).

    Warns
    -----
    DataWarning
        Rows with a missing outcome, visit, arm or covariate were dropped (counted in
        ``n_dropped``).
    ConvergenceWarning
        The optimiser stopped before the gradient vanished (``converged`` is False).

    References
    ----------
    Mallinckrodt et al. (2008), *Drug Information Journal* 42, 303-319. Pinheiro and Bates
    (2000), *Mixed-Effects Models in S and S-PLUS*, Springer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> frame = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "visit": np.tile([3, 6, 12], n),
    ...                       "arm": np.repeat(rng.permutation(["placebo", "active"] * 30), 3)})
    >>> frame["y"] = -frame["visit"] * (1 - 0.3 * (frame["arm"] == "active")) + np.repeat(
    ...     rng.normal(0, 2, n), 3) + rng.normal(0, 1, 3 * n)
    >>> fit = fit_mmrm(frame, "y", "visit", "id", "arm")
    >>> fit.effects.index.tolist()
    [3, 6, 12]
    >>> bool(fit.converged)
    True
    """
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    kind = parse_covariance(covariance)
    df_method = _resolve_df_method(df_method, inference)
    if kr_information not in ("observed", "expected"):
        raise DataValidationError(
            f"kr_information={kr_information!r}: use 'observed' (as SAS) or 'expected' "
            "(as pbkrtest)"
        )
    if df_method == "kenward-roger" and not reml:
        raise DataValidationError(
            "df_method='kenward-roger' is defined for REML fits (as SAS and pbkrtest); "
            "use reml=True or another df_method"
        )
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level!r} must be strictly between 0 and 1, e.g. 0.95")
    frame, n_dropped = _prepare_frame(data, outcome, visit, group, arm, tuple(covariates))
    reference = _arm_reference(frame[arm], arm_reference, arm)
    design = _build_design(frame, outcome, visit, group, arm, tuple(covariates), reference)
    cov = CovStruct(kind, design.n_visits)
    n_obs = design.y.size
    p = design.x.shape[1]
    check_residual_variation(
        design.y + design.centre,
        design.x,
        np.zeros((n_obs, 0)),
        design.subject_codes,
        what=f"fit_mmrm({outcome!r})",
    )
    patterns = _patterns(design)
    problems = []
    if kind.value == "unstructured":
        problems += _unidentified_pairs(patterns, design.visit_levels)
    if n_obs <= p + cov.n_params:
        problems.append(
            f"{n_obs} observations cannot estimate {p} fixed effects and {cov.n_params} "
            "covariance parameters; use a simpler covariance structure"
        )
    objective = _Objective(patterns, cov, reml, n_obs)

    theta0 = cov.start(_start_covariance(design))
    res = optimize.minimize(
        objective.value_grad,
        theta0,
        jac=True,
        method="BFGS",
        options={"maxiter": maxiter, "gtol": 1e-7},
    )
    theta = res.x
    _, grad = objective.value_grad(theta)
    grad_norm = float(np.max(np.abs(grad))) if grad.size else 0.0
    converged = bool(np.isfinite(res.fun) and grad_norm < 1e-3 and res.nit < maxiter)
    message = (
        ""
        if converged
        else (
            f"BFGS stopped after {res.nit} iterations with max |gradient| {grad_norm:.3g} "
            f"({res.message}); try a simpler covariance structure or check the data"
        )
    )
    hess = _information(objective, theta) if converged else None
    if hess is not None:
        problems += information_problems(hess, "covariance-parameter information")
    if not converged:
        warnings.warn(f"fit_mmrm did not converge: {message}", ConvergenceWarning, stacklevel=2)
    elif problems:
        warn_problems("fit_mmrm", problems, stacklevel=3)
    converged = converged and not problems

    parts = objective.pieces(theta)
    beta = parts.beta.copy()
    beta[0] += design.centre  # column 0 is the intercept
    vcov = linalg.cho_solve(parts.a_factor, np.eye(p))
    df_res = n_obs - p
    names = pd.Index(design.names, name="term")
    contrasts, labels, comps = design.arm_contrasts()
    satt = kr = None
    if df_method == "satterthwaite":
        satt = _satterthwaite_parts(objective, theta, hess)
        if satt is None:
            warnings.warn(
                "Satterthwaite df unavailable: the information matrix of the covariance "
                "parameters is not positive definite (a boundary or non-converged fit); df are "
                "NaN. Use inference='t' or 'z', or a simpler covariance structure.",
                ConvergenceWarning,
                stacklevel=2,
            )
    elif df_method == "kenward-roger":
        h = hess if hess is not None else _information(objective, theta)
        kr, why = _kr_mmrm(objective, theta, vcov, kr_information, h)
        if kr is None:
            msg = (
                f"Kenward-Roger inference unavailable: {why}; df are NaN and standard errors "
                "unadjusted. Use df_method='residual' or a simpler covariance structure."
            )
            problems.append(msg)
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
            converged = False
    engine = _MMRMInference(df_method, vcov, df_res, satt, kr)
    fixed = engine.table(np.eye(p), beta, names, level)
    effects = engine.table(contrasts, beta, pd.Index(labels, name=visit), level)
    effects.insert(0, "comparison", comps)

    n_cov = cov.n_params
    df_loglik = p + n_cov
    n_bic = n_obs - p if reml else n_obs
    loglik = parts.loglik
    visit_index = pd.Index(list(design.visit_levels), name=visit)
    return MMRMResult(
        outcome=outcome,
        structure=kind.value,
        reml=reml,
        inference={v: k for k, v in _LEGACY.items()}.get(df_method, df_method),
        df_method=df_method,
        fixed=fixed,
        effects=effects,
        covariance=pd.DataFrame(parts.sigma, index=visit_index, columns=visit_index),
        cov_params=cov.natural(theta),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        vcov_adjusted=None if kr is None else pd.DataFrame(kr.vcov_adj, index=names, columns=names),
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * df_loglik,
        bic=-2.0 * loglik + np.log(n_bic) * df_loglik,
        df_loglik=df_loglik,
        df_residual=df_res,
        n_subjects=design.n_subjects,
        n_obs=n_obs,
        n_dropped=n_dropped,
        n_patterns=len(patterns),
        visits=tuple(design.visit_levels),
        arms=tuple(design.arm_levels),
        arm_reference=reference,
        converged=converged,
        n_iter=int(res.nit),
        message=message,
        problems=tuple(problems),
        level=level,
        visit_column=visit,
        arm_column=arm,
        covariate_grid=design.covariate_grid(),
        engine=engine,
    )


def _resolve_df_method(df_method: str | None, inference: str | None) -> str:
    if inference is not None:
        if inference not in _LEGACY:
            raise ValueError(
                f"inference={inference!r}: use 't' (residual df, as nlme), 'satterthwaite' or "
                "'z'; or df_method= with one of " + str(DF_METHODS)
            )
        legacy = _LEGACY[inference]
        if df_method is not None and df_method != legacy:
            raise DataValidationError(
                f"inference={inference!r} and df_method={df_method!r} disagree; give only df_method"
            )
        return legacy
    if df_method is None:
        return "residual"
    if df_method not in DF_METHODS:
        raise DataValidationError(f"df_method={df_method!r}: use one of {DF_METHODS}")
    return df_method


def _unidentified_pairs(patterns: list, visits: list) -> list[str]:
    """Pairs of visits never observed in one subject: their unstructured covariance is not
    identified by the data."""
    t = len(visits)
    together = np.zeros((t, t), dtype=np.int64)
    for pat in patterns:
        together[np.ix_(pat.visits, pat.visits)] += pat.n
    pairs = [(visits[a], visits[b]) for a in range(t) for b in range(a, t) if together[a, b] == 0]
    if not pairs:
        return []
    return [
        f"visit pair(s) {pairs[:5]} never observed in the same subject: their unstructured "
        "covariance is not identified; use a structured covariance (ar1, cs) or merge visits"
    ]
