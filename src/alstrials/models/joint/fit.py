"""Fitting the joint model: starting values, pseudo-adaptive quasi-Newton, standard errors.

The model (see :mod:`.design` and :mod:`.likelihood` for the full equations):

    y_ij = x_i(t_ij)' beta + z_i(t_ij)' b_i + e_ij,   b_i ~ N(0, D), e_ij ~ N(0, sigma^2)
    h_i(t) = xi_{q(t)} exp(w_i' gamma + alpha m_i(t) + alpha_s m_i'(t)),
    m_i(t) = x_i(t)' beta + z_i(t)' b_i

Algorithm (direct maximisation of the marginal likelihood, no EM phase):

1. Starting values: ``beta`` by ordinary least squares, ``sigma`` and ``D`` from per-subject
   least-squares fits of the residuals on ``z`` (moments); ``gamma = 0``, association ``0``,
   ``xi`` = events / exposure in each interval.
2. Adaptive step: each subject's posterior mode of ``b_i`` and the curvature there (vectorised
   Newton) define the Gauss-Hermite grid.
3. Quasi-Newton step: BFGS on the marginal log-likelihood with the analytic score, grid fixed.
4. Repeat 2-3 until the log-likelihood changes by less than ``tol`` between rounds.

Standard errors come from the inverse of the observed information, a central-difference
Jacobian of the analytic score at the estimate (grid fixed at the final modes), carried to
the natural scale by the delta method where a parameter is estimated on the log scale.

References
----------
Rizopoulos, D. (2010). JM: An R package for the joint modelling of longitudinal and
time-to-event data. *Journal of Statistical Software*, 35(9), 1-33.
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*. Chapman & Hall.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from alstrials.errors import ConvergenceError, ConvergenceWarning, DataValidationError
from alstrials.models.diagnostics import (
    check_full_rank,
    check_residual_variation,
    information_problems,
    monotone_directions,
    unidentified_variance,
)
from alstrials.models.joint.design import JointDesign, build_design
from alstrials.models.joint.likelihood import (
    Layout,
    Params,
    QuadState,
    loglik_and_score,
    make_state,
    posterior_modes,
)
from alstrials.models.joint.quadrature import hermite_grid
from alstrials.models.joint.result import JointModelSpec, JointResult, coef_table

__all__ = ["fit_joint"]

_ASSOCIATIONS = {"value": (True, False), "slope": (False, True), "value+slope": (True, True)}


def _lmm_start(design: JointDesign) -> tuple[np.ndarray, float, np.ndarray]:
    """Moment starting values: OLS ``beta``; per-subject least squares of the residuals on
    ``Z`` give ``sigma`` (pooled within-subject) and ``D`` (covariance of the coefficients)."""
    beta, *_ = np.linalg.lstsq(design.X, design.y, rcond=None)
    resid = design.y - design.X @ beta
    q = design.Z.shape[1]
    coefs, ss, dof = [], 0.0, 0
    bounds = np.flatnonzero(np.r_[True, np.diff(design.obs_subject) != 0, True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        Zi, ri = design.Z[a:b], resid[a:b]
        if b - a > q and np.linalg.matrix_rank(Zi) == q:
            ci, *_ = np.linalg.lstsq(Zi, ri, rcond=None)
            coefs.append(ci)
            ss += float(np.sum((ri - Zi @ ci) ** 2))
            dof += b - a - q
    sigma = float(np.sqrt(ss / dof)) if dof > 0 else float(np.std(resid)) / 2
    if len(coefs) > q + 1:
        D = np.atleast_2d(np.cov(np.asarray(coefs), rowvar=False))
    else:
        D = np.eye(q) * max(float(np.var(resid)) - sigma**2, 0.1 * sigma**2)
    w, v = np.linalg.eigh(0.5 * (D + D.T))
    D = (v * np.maximum(w, 1e-3 * max(float(w.max()), sigma**2))) @ v.T
    return beta, max(sigma, 1e-3 * float(np.std(design.y)) + 1e-12), D


def _surv_start(design: JointDesign) -> np.ndarray:
    Q = design.n_intervals
    events = np.bincount(design.event_interval, weights=design.d, minlength=Q)
    exposure = np.bincount(design.node_interval, weights=design.node_weight, minlength=Q)
    return np.maximum(events, 0.5) / np.maximum(exposure, 1e-8)


def _numeric_hessian(theta, design, layout, state) -> np.ndarray:
    k = len(theta)
    H = np.empty((k, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        gp = loglik_and_score(tp, design, layout, state)[1]
        gm = loglik_and_score(tm, design, layout, state)[1]
        H[:, j] = (gp - gm) / (2 * h)
    return 0.5 * (H + H.T)


def fit_joint(
    longitudinal: pd.DataFrame,
    survival: pd.DataFrame,
    long_formula: str,
    random: str,
    group: str,
    time: str,
    surv_formula: str,
    duration: str,
    event: str,
    association: str = "value",
    baseline: str = "piecewise",
    knots: Sequence[float] | None = None,
    *,
    n_knots: int = 6,
    gh_points: int = 7,
    gl_points: int = 7,
    max_rounds: int = 8,
    tol: float = 1e-6,
    max_iter: int = 1000,
) -> JointResult:
    """Fit a shared-random-effects joint model of a biomarker and time to event.

    Parameters
    ----------
    longitudinal : DataFrame
        One row per measurement: ``group``, ``time``, the response and covariates.
    survival : DataFrame
        One row per subject: ``group``, ``duration``, ``event`` and the ``surv_formula``
        covariates.
    long_formula : str
        Fixed effects of the longitudinal submodel, e.g. ``"CD4 ~ obstime + obstime:drug"``.
    random : str
        Random-effects design, e.g. ``"~ obstime"`` (unstructured covariance ``D``).
    group : str
        Subject identifier column (in both frames).
    time : str
        Measurement-time column of ``longitudinal``; the same clock as ``duration``.
    surv_formula : str
        Baseline covariates of the hazard, e.g. ``"~ drug"`` (no intercept is used).
    duration, event : str
        Follow-up time and event indicator (0/1 or bool) columns of ``survival``.
    association : {"value", "slope", "value+slope"}
        How the biomarker enters the hazard: current value ``m_i(t)``, slope ``m_i'(t)``, or both.
    baseline : {"piecewise"}
        Baseline hazard: piecewise constant between ``knots``.
    knots : sequence of float, optional
        Internal knots. Default: ``n_knots`` quantiles of all observed times (JM's rule).
    n_knots : int
        Number of default internal knots (6, as JM).
    gh_points : int
        Gauss-Hermite points per random-effect dimension (adaptive rule).
    gl_points : int
        Gauss-Legendre points per baseline interval for the cumulative hazard.
    max_rounds : int
        Maximum number of (re-centre grid, quasi-Newton) rounds.
    tol : float
        Convergence tolerance on the change of log-likelihood between rounds.
    max_iter : int
        Maximum BFGS iterations per round.

    Returns
    -------
    JointResult
        Estimates, standard errors, log-likelihood and dynamic prediction.

    Raises
    ------
    DataValidationError
        Inconsistent tables, bad options, a collinear or constant design column, a biomarker
        fitted exactly (residual variance 0); :class:`~alstrials.errors.FormulaError` for a
        formula outside the restricted grammar (:mod:`alstrials.models.formula`).
    ConvergenceError
        The likelihood is not finite at the starting values.

    Warns
    -----
    ConvergenceWarning
        The optimiser did not converge, or the estimate is not usable (``problems``: monotone
        likelihood in a survival coefficient, e.g. a single event or all events in one arm; a
        non-positive-definite information; a baseline interval without events); ``converged``
        is then False.

    References
    ----------
    Rizopoulos, D. (2010). JM: An R package for the joint modelling of longitudinal and
    time-to-event data. *Journal of Statistical Software*, 35(9), 1-33.
    Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alstrials.models.joint.simulate import simulate_joint
    >>> long, surv = simulate_joint(n=60, seed=1)
    >>> fit = fit_joint(long, surv, "y ~ time", "~ time", "id", "time", "~ x",
    ...                 "T", "event", gh_points=3)
    >>> fit.converged, list(fit.surv_coef.index)
    (True, ['x', 'value'])
    """
    if association not in _ASSOCIATIONS:
        raise DataValidationError(
            f"association must be one of {sorted(_ASSOCIATIONS)}, got {association!r}"
        )
    if baseline != "piecewise":
        raise DataValidationError(f"baseline must be 'piecewise', got {baseline!r}")
    for name, val, low in (
        ("gh_points", gh_points, 1),
        ("gl_points", gl_points, 1),
        ("n_knots", n_knots, 0),
        ("max_rounds", max_rounds, 1),
    ):
        if not isinstance(val, int | np.integer) or val < low:
            raise DataValidationError(f"{name} must be an integer >= {low}, got {val!r}")
    design = build_design(
        longitudinal,
        survival,
        long_formula,
        random,
        group,
        time,
        surv_formula,
        duration,
        event,
        None if knots is None else np.asarray(knots, dtype=float),
        n_knots,
        gl_points,
    )
    check_full_rank(
        design.X,
        design.long_names,
        what=f"the longitudinal design of {long_formula!r}",
        hint="Drop a constant or collinear term.",
    )
    check_full_rank(
        design.Z, design.random_names, what=f"the random-effects design {random!r}", hint=""
    )
    check_full_rank(
        design.W - design.W.mean(axis=0),
        design.surv_names,
        what=f"the survival design of {surv_formula!r} (centred; the baseline hazard absorbs "
        "constants)",
        hint="Drop a constant covariate or one of the collinear ones.",
    )
    df_within = check_residual_variation(
        design.y,
        design.X,
        design.Z,
        design.obs_subject,
        what=f"fit_joint({long_formula!r}, random {random!r})",
    )
    value, slope = _ASSOCIATIONS[association]
    layout = Layout(
        design.X.shape[1], design.Z.shape[1], design.W.shape[1], design.n_intervals, value, slope
    )
    beta, sigma, D = _lmm_start(design)
    theta = Params(beta, sigma, D, np.zeros(layout.r), 0.0, 0.0, _surv_start(design)).pack(layout)
    nodes, logw = hermite_grid(gh_points, layout.q)
    modes = np.zeros((design.n_subjects, layout.q))

    ll_old = -np.inf
    converged = False
    message = ""
    n_iter = 0
    for _ in range(max_rounds):
        modes, chols = posterior_modes(theta, design, layout, modes)
        state = make_state(design, modes, chols, nodes, logw)
        ll_start = loglik_and_score(theta, design, layout, state)[0]
        if not np.isfinite(ll_start):
            raise ConvergenceError(
                "the joint log-likelihood is not finite at the current values; check the "
                "scale of the time variable and of the biomarker (rescale very large values)"
            )

        def objective(th, state=state):
            ll, g = loglik_and_score(th, design, layout, state)
            if not np.isfinite(ll):
                return np.inf, np.zeros_like(th)
            return -ll, -g

        with np.errstate(all="ignore"):
            res = minimize(
                objective,
                theta,
                jac=True,
                method="BFGS",
                options={"gtol": 1e-4, "maxiter": max_iter},
            )
        n_iter += int(res.nit)
        theta = res.x
        ll_new = -float(res.fun)
        grad_ok = bool(np.max(np.abs(res.jac)) < 1e-2)
        message = str(res.message)
        if abs(ll_new - ll_old) < tol * (1 + abs(ll_new)) and grad_ok:
            converged = True
            break
        ll_old = ll_new

    modes, chols = posterior_modes(theta, design, layout, modes)
    state = make_state(design, modes, chols, nodes, logw)
    loglik, score = loglik_and_score(theta, design, layout, state)
    hess = _numeric_hessian(theta, design, layout, state)
    try:
        vcov = np.linalg.inv(-hess)
        pd_ok = bool(np.all(np.linalg.eigvalsh(-hess) > 0))
    except np.linalg.LinAlgError:
        vcov = np.full_like(hess, np.nan)
        pd_ok = False
    problems = unidentified_variance(df_within, f"random {random!r} by {group!r}")
    if not pd_ok:
        problems += information_problems(-hess, "observed information") or [
            "the observed information matrix is not positive definite at the estimate"
        ]
    problems += _separation(theta, vcov, design, layout, state)
    problems += [
        f"baseline hazard interval {q + 1} ({design.breaks[q]:g}, {design.breaks[q + 1]:g}] "
        "has no events: its hazard is estimated at the boundary 0; use fewer knots"
        for q in np.flatnonzero(
            np.bincount(design.event_interval, weights=design.d, minlength=layout.n_intervals) == 0
        )
    ]
    if problems or not converged:
        warnings.warn(
            "joint model did not converge to a usable estimate ("
            + "; ".join([*([message] if message and not converged else []), *problems])
            + "); try other knots, more rounds (max_rounds) or a rescaled time/biomarker",
            ConvergenceWarning,
            stacklevel=2,
        )
    converged = converged and not problems
    return _build_result(
        design,
        layout,
        theta,
        vcov,
        float(loglik),
        converged,
        message,
        n_iter,
        association,
        gh_points,
        gl_points,
        modes,
        tuple(problems),
    )


def _separation(
    theta: np.ndarray, vcov: np.ndarray, design: JointDesign, layout: Layout, state: QuadState
) -> list[str]:
    """Monotone likelihood in a survival coefficient (gamma, association): the shared rule of
    :func:`alstrials.models.diagnostics.monotone_directions`, grid held fixed."""
    i_gamma = layout.p + 1 + layout.q * (layout.q + 1) // 2
    n_coef = layout.r + int(layout.value) + int(layout.slope)
    index = list(range(i_gamma, i_gamma + n_coef))
    names = [*design.surv_names, *(["value"] * layout.value), *(["slope"] * layout.slope)]
    se = np.sqrt(np.abs(np.diag(vcov)))[index]
    return monotone_directions(
        lambda th: float(loglik_and_score(th, design, layout, state)[0]), theta, se, index, names
    )


def _build_result(
    design,
    layout,
    theta,
    vcov,
    loglik,
    converged,
    message,
    n_iter,
    association,
    gh_points,
    gl_points,
    modes,
    problems=(),
) -> JointResult:
    par = Params.unpack(theta, layout)
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    p, q, r = layout.p, layout.q, layout.r
    m = q * (q + 1) // 2
    i_gamma = p + 1 + m
    i_assoc = i_gamma + r
    n_assoc = int(layout.value) + int(layout.slope)
    long_fixed = coef_table(list(design.long_names), par.beta, se[:p])
    assoc_names = ["value"] * layout.value + ["slope"] * layout.slope
    surv_coef = coef_table(
        list(design.surv_names) + assoc_names,
        theta[i_gamma : i_assoc + n_assoc],
        se[i_gamma : i_assoc + n_assoc],
    )
    names = list(design.random_names)
    random_cov = pd.DataFrame(par.D, index=names, columns=names)
    Q = layout.n_intervals
    se_log_xi = se[-Q:]
    baseline = pd.DataFrame(
        {
            "lower": design.breaks[:-1],
            "upper": design.breaks[1:],
            "xi": par.xi,
            "se": par.xi * se_log_xi,
            "events": np.bincount(design.event_interval, weights=design.d, minlength=Q),
        },
        index=pd.RangeIndex(1, Q + 1, name="interval"),
    )
    k = layout.size
    spec = JointModelSpec(
        layout=layout,
        long_spec=design.long_spec,
        random_spec=design.random_spec,
        surv_spec=design.surv_spec,
        surv_names=design.surv_names,
        breaks=design.breaks,
        time=design.time,
        group=design.group,
        response=design.response,
        gl_points=gl_points,
    )
    return JointResult(
        long_fixed=long_fixed,
        surv_coef=surv_coef,
        random_cov=random_cov,
        residual_var=par.sigma**2,
        baseline_hazard=baseline,
        loglik=loglik,
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + np.log(design.n_subjects) * k,
        converged=converged,
        message=message,
        problems=problems,
        n_subjects=design.n_subjects,
        n_obs=len(design.y),
        n_events=int(design.d.sum()),
        association=association,
        knots=design.breaks[1:-1].copy(),
        theta=theta.copy(),
        vcov=vcov,
        iterations=n_iter,
        gh_points=gh_points,
        random_effects=pd.DataFrame(
            modes, index=pd.Index(design.subject_ids, name=design.group), columns=names
        ),
        spec=spec,
    )
