"""Fitting the joint model: checks, starting values, maximisation, problems, the result.

The model (equations in :mod:`.design`, likelihood in :mod:`.likelihood`): one or several
longitudinal markers with jointly normal random effects, and one or several cause-specific
hazards, each with its own covariates, baseline (:mod:`.baselines`) and association terms
(current value, slope or area of any marker).

Algorithm: moment starting values (per marker: OLS ``beta``, per-subject least squares for
``sigma`` and ``D``; survival coefficients 0; each baseline at the crude event rate), then
:func:`.optimise.maximise` (BHHH, then Newton with the observed information, the
Gauss-Hermite rule re-centred at the posterior modes at every step). Standard errors are the
square roots of the diagonal of the inverse observed information, carried to the natural scale
by the delta method where a parameter is estimated on the log scale.

References
----------
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*. Chapman & Hall.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from alstrials.errors import ConvergenceError, ConvergenceWarning, DataValidationError
from alstrials.models.diagnostics import (
    check_full_rank,
    check_residual_variation,
    information_problems,
    monotone_directions,
    unidentified_variance,
)
from alstrials.models.joint.data import read_survival
from alstrials.models.joint.design import JointDesign, build_design
from alstrials.models.joint.likelihood import Layout, Params, evaluate, make_state
from alstrials.models.joint.optimise import Optimum, maximise
from alstrials.models.joint.quadrature import default_gh_points, hermite_grid
from alstrials.models.joint.result import JointResult, build_result
from alstrials.models.joint.spec import normalise

__all__ = ["fit_joint", "prepare_design"]


def _lmm_start(y, X, Z, subj) -> tuple[np.ndarray, float, np.ndarray]:
    """Moment starting values of one marker (see module docstring)."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    q = Z.shape[1]
    st = np.flatnonzero(np.r_[True, np.diff(subj) != 0])
    size = np.diff(np.r_[st, len(subj)])
    # per-subject least squares of the residuals on Z, from the normal equations
    ZtZ = np.add.reduceat(Z[:, :, None] * Z[:, None, :], st, axis=0)
    Ztr = np.add.reduceat(Z * resid[:, None], st, axis=0)
    rss0 = np.add.reduceat(resid**2, st)
    w = np.linalg.eigvalsh(ZtZ)
    ok = (size > q) & (w[:, 0] > 1e-10 * np.maximum(w[:, -1], 1e-300))
    coefs = np.linalg.solve(ZtZ[ok], Ztr[ok][:, :, None])[:, :, 0]
    ss = float(np.sum(np.maximum(rss0[ok] - np.einsum("iq,iq->i", coefs, Ztr[ok]), 0.0)))
    dof = int(np.sum(size[ok] - q))
    sigma = float(np.sqrt(ss / dof)) if dof > 0 else float(np.std(resid)) / 2
    if len(coefs) > q + 1:
        D = np.atleast_2d(np.cov(coefs, rowvar=False))
    else:
        D = np.eye(q) * max(float(np.var(resid)) - sigma**2, 0.1 * sigma**2)
    w, v = np.linalg.eigh(0.5 * (D + D.T))
    D = (v * np.maximum(w, 1e-3 * max(float(w.max()), sigma**2))) @ v.T
    return beta, max(sigma, 1e-3 * float(np.std(y)) + 1e-12), D


def _start(design: JointDesign, layout: Layout) -> np.ndarray:
    betas, sigmas, blocks = [], [], []
    for m in range(len(design.markers)):
        rows = design.obs_marker == m
        pc = _block_mask(design.p_sizes, m)
        qc = _block_mask(design.q_sizes, m)
        b, s, D = _lmm_start(
            design.y[rows], design.X[rows][:, pc], design.Z[rows][:, qc], design.obs_subject[rows]
        )
        betas.append(b)
        sigmas.append(s)
        blocks.append(D)
    D = np.zeros((layout.q, layout.q))
    off = 0
    for blk in blocks:
        k = blk.shape[0]
        D[off : off + k, off : off + k] = blk
        off += k
    exposure = np.exp(design.log_node_weight)
    gammas, alphas, bases = [], [], []
    for c, bl in enumerate(design.baselines):
        dc = design.d[:, c]
        rate = max(dc.sum(), 0.5) / exposure.sum()
        if bl.spec.kind == "piecewise":
            Qn = bl.spec.n_params
            ev = np.bincount(bl.spec.interval(design.T), weights=dc, minlength=Qn)
            ex = np.bincount(bl.spec.interval(design.node_time), weights=exposure, minlength=Qn)
            base = np.log(np.maximum(ev, 0.5) / np.maximum(ex, 1e-8))
        elif bl.spec.kind == "weibull":
            base = np.array([np.log(rate), 0.0])
        else:
            base = np.full(bl.spec.n_params, np.log(rate))
        gammas.append(np.zeros(layout.r[c]))
        alphas.append(np.zeros(layout.n_terms[c]))
        bases.append(base)
    par = Params(
        np.concatenate(betas), np.array(sigmas), D, tuple(gammas), tuple(alphas), tuple(bases)
    )
    return par.pack()


def _block_mask(sizes: tuple[int, ...], m: int) -> np.ndarray:
    off = np.r_[0, np.cumsum(sizes)]
    mask = np.zeros(int(off[-1]), dtype=bool)
    mask[off[m] : off[m + 1]] = True
    return mask


def _check_designs(design: JointDesign) -> list[str]:
    """Rank checks (raise) and the within-subject residual df per marker (problems)."""
    problems: list[str] = []
    for m, (ms, mk) in enumerate(zip(design.spec.markers, design.markers, strict=True)):
        rows = design.obs_marker == m
        X = design.X[rows][:, _block_mask(design.p_sizes, m)]
        Z = design.Z[rows][:, _block_mask(design.q_sizes, m)]
        check_full_rank(
            X,
            mk.long_names,
            what=f"the longitudinal design of {ms.long_formula!r}",
            hint="Drop a constant or collinear term.",
        )
        check_full_rank(
            Z, mk.random_names, what=f"the random-effects design {ms.random!r}", hint=""
        )
        df_within = check_residual_variation(
            design.y[rows],
            X,
            Z,
            design.obs_subject[rows],
            what=f"fit_joint({ms.long_formula!r}, random {ms.random!r})",
        )
        problems += unidentified_variance(df_within, f"random {ms.random!r} by {design.group!r}")
    for c, cs in enumerate(design.spec.causes):
        W = design.W[c]
        check_full_rank(
            W - W.mean(axis=0),
            design.surv_names[c],
            what=f"the survival design of {cs.surv_formula!r} (centred; the baseline hazard "
            "absorbs constants)",
            hint="Drop a constant covariate or one of the collinear ones.",
        )
    return problems


def _check_options(**options: Any) -> None:
    for name, (val, low) in options.items():
        if val is None and name == "gh_points":
            continue
        if not isinstance(val, int | np.integer) or isinstance(val, bool) or val < low:
            raise DataValidationError(f"{name} must be an integer >= {low}, got {val!r}")


def prepare_design(
    longitudinal: Any,
    survival: pd.DataFrame,
    long_formula: Any,
    random: Any,
    group: str,
    time: str,
    surv_formula: Any,
    duration: str,
    event: str,
    association: Any = "value",
    baseline: Any = "piecewise",
    knots: Any = None,
    cause: str | None = None,
    *,
    boundary_knots: Any = None,
    n_knots: int = 6,
    gl_points: int = 7,
    area_points: int = 15,
) -> JointDesign:
    """Check the tables and the model arguments of :func:`fit_joint` and build the design."""
    surv = read_survival(survival, group, duration, event, cause)
    spec = normalise(long_formula, random, surv_formula, association, baseline, surv.causes)
    return build_design(
        longitudinal, surv, spec, time, knots, boundary_knots, n_knots, gl_points, area_points
    )


def fit_joint(
    longitudinal: pd.DataFrame | Mapping[str, pd.DataFrame],
    survival: pd.DataFrame,
    long_formula: str | Mapping[str, str],
    random: str | Mapping[str, str],
    group: str,
    time: str,
    surv_formula: str | Mapping[str, str],
    duration: str,
    event: str,
    association: str | Mapping[str, Any] = "value",
    baseline: str | Mapping[str, str] = "piecewise",
    knots: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    cause: str | None = None,
    *,
    boundary_knots: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    n_knots: int = 6,
    gh_points: int | None = None,
    gl_points: int = 7,
    area_points: int = 15,
    max_iter: int = 200,
    tol: float = 1e-7,
) -> JointResult:
    """Fit a shared-random-effects joint model of one or several markers and one or several
    (competing) event types by maximum likelihood.

    Parameters
    ----------
    longitudinal : DataFrame or dict of DataFrame
        One row per visit: ``group``, ``time``, the markers (missing where a marker was not
        measured, with several markers) and covariates; or one frame per marker.
    survival : DataFrame
        One row per subject: ``group``, ``duration``, ``event``, ``cause`` and the
        ``surv_formula`` covariates.
    long_formula : str or dict
        Fixed effects of the marker, e.g. ``"CD4 ~ obstime + obstime:drug"``, or a dict of such
        formulas keyed by marker (the key is the formula's response).
    random : str or dict
        Random-effects design, e.g. ``"~ obstime"``, or a dict keyed by marker. The random
        effects of all markers are jointly normal with an unstructured covariance.
    group : str
        Subject identifier column (in every frame).
    time : str
        Measurement-time column; the same clock as ``duration``.
    surv_formula : str or dict
        Baseline covariates of the hazard, e.g. ``"~ drug"`` (no intercept), or a dict by cause.
    duration, event : str
        Follow-up time and event indicator (0/1 or bool) columns of ``survival``.
    association : str or dict
        ``"value"``, ``"slope"``, ``"area"``, ``"none"`` or a ``+`` combination
        (``"value+slope"``) for every marker; a dict by marker; or a dict by cause of either.
    baseline : {"piecewise", "weibull", "spline"} or dict
        Baseline hazard of every cause, or a dict by cause (:mod:`.baselines`).
    knots : sequence of float or dict, optional
        Internal knots (piecewise, spline), or a dict by cause. Default: piecewise ``n_knots``
        quantiles of all observed times (JM), spline 5 quantiles (JM's ``spline-PH``).
    cause : str, optional
        Column of ``survival`` naming the event type: competing risks with cause-specific
        hazards. Rows with ``event`` false are censored whatever it says.
    boundary_knots : (float, float) or dict, optional
        Spline boundary knots (default ``0`` and the largest observed time).
    n_knots : int
        Number of default internal knots of a piecewise baseline (6, as JM).
    gh_points : int, optional
        Gauss-Hermite points per random-effect dimension. Default
        (:func:`.quadrature.default_gh_points`): 11, 7, 5, 4 for 1-4 random effects, then 3.
    gl_points : int
        Gauss-Legendre points per piece of ``[0, T]`` for the cumulative hazards.
    area_points : int
        Gauss-Legendre points of the "area" association integral.
    max_iter : int
        Maximum iterations of each optimisation phase.
    tol : float
        Tolerance on the change of log-likelihood in the final Newton step.

    Returns
    -------
    JointResult

    Raises
    ------
    DataValidationError
        Inconsistent tables, bad options, a collinear or constant design column, a marker
        fitted exactly; :class:`~alstrials.errors.FormulaError` for a formula outside the
        restricted grammar (:mod:`alstrials.models.formula`).
    ConvergenceError
        The likelihood is not finite at the starting values.

    Warns
    -----
    ConvergenceWarning
        The optimiser did not converge or the estimate is not usable (``problems``: monotone
        likelihood in a survival coefficient, e.g. a single event or all events in one arm; a
        non-positive-definite information; a baseline interval without events; variance
        components not identified); ``converged`` is then False.

    Examples
    --------
    >>> from alstrials.models.joint.simulate import simulate_joint
    >>> long, surv = simulate_joint(n=60, seed=1)
    >>> fit = fit_joint(long, surv, "y ~ time", "~ time", "id", "time", "~ x",
    ...                 "T", "event", gh_points=3)
    >>> fit.converged, list(fit.surv_coef.index)
    (True, ['x', 'value'])
    """
    _check_options(
        gh_points=(gh_points, 1),
        gl_points=(gl_points, 1),
        area_points=(area_points, 1),
        n_knots=(n_knots, 0),
        max_iter=(max_iter, 1),
    )
    design = prepare_design(
        longitudinal,
        survival,
        long_formula,
        random,
        group,
        time,
        surv_formula,
        duration,
        event,
        association,
        baseline,
        knots,
        cause,
        boundary_knots=boundary_knots,
        n_knots=n_knots,
        gl_points=gl_points,
        area_points=area_points,
    )
    problems = _check_designs(design)
    layout = Layout.of(design)
    points = default_gh_points(layout.q) if gh_points is None else int(gh_points)
    nodes, logw = hermite_grid(points, layout.q)
    theta0 = _start(design, layout)
    # the products here are skinny (rows x a few points): BLAS threads only contend, and one
    # thread also fixes the order of every sum
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        opt = maximise(theta0, design, layout, nodes, logw, max_iter=max_iter, tol=tol)
    if not np.isfinite(opt.evaluation.total):
        raise ConvergenceError(
            "the joint log-likelihood is not finite at the current values; check the scale of "
            "the time variable and of the markers (rescale very large values)"
        )
    check_points = points + (2 if layout.q <= 2 else 1)
    quad_error = _loglik_with(opt, design, layout, check_points) - opt.evaluation.total
    vcov, info_problems = _vcov(opt.information)
    problems += info_problems
    problems += _separation(opt, vcov, design, layout)
    problems += _empty_intervals(design)
    problems += _singular_random_cov(opt, layout)
    if problems or not opt.converged:
        warnings.warn(
            "joint model did not converge to a usable estimate ("
            + "; ".join([*([opt.message] if not opt.converged else []), *problems])
            + "); try other knots, a simpler baseline or a rescaled time/marker",
            ConvergenceWarning,
            stacklevel=2,
        )
    if abs(quad_error) > 0.05:
        warnings.warn(
            f"the log-likelihood changes by {quad_error:.3g} when the Gauss-Hermite points per "
            f"dimension rise from {points} to {check_points}: the integral over the random "
            "effects is not accurate enough for likelihood comparisons; refit with more "
            "gh_points",
            ConvergenceWarning,
            stacklevel=2,
        )
    return build_result(
        design, layout, opt, vcov, tuple(problems), points, (check_points, float(quad_error))
    )


def _loglik_with(opt: Optimum, design: JointDesign, layout: Layout, points: int) -> float:
    """The log-likelihood at the estimate with another fully adaptive rule."""
    nodes, logw = hermite_grid(points, layout.q)
    state = make_state(design, opt.modes, opt.chols, nodes, logw)
    return evaluate(opt.theta, design, layout, state, score=False).total


def _vcov(info: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Inverse information and its problems (not finite, not positive definite or so close to
    singular that some parameters are not identified)."""
    if not np.all(np.isfinite(info)):
        return np.full_like(info, np.nan), ["the observed information is not finite"]
    # judged on the correlation scale, so parameters measured in different units do not make
    # a well-determined information look singular
    scale = 1.0 / np.sqrt(np.clip(np.abs(np.diag(info)), 1e-300, None))
    problems = information_problems(info * np.outer(scale, scale), "observed information")
    w = np.linalg.eigvalsh(info)
    return (np.linalg.inv(info) if np.all(w > 0) else np.linalg.pinv(info)), problems


def _separation(opt: Optimum, vcov: np.ndarray, design: JointDesign, layout: Layout) -> list[str]:
    """Monotone likelihood in a survival coefficient (gamma, association), rule held fixed."""
    index, names = [], []
    for c, cs in enumerate(design.spec.causes):
        sg, sa, _ = layout.cause_slices(c)
        labels = [*design.surv_names[c], *(design.spec.term_label(t) for t in cs.terms)]
        prefix = f"{cs.name}: " if design.spec.competing else ""
        index += list(range(sg.start, sa.stop))
        names += [prefix + lab for lab in labels]
    se = np.sqrt(np.abs(np.diag(vcov)))[index]

    def loglik(th: np.ndarray) -> float:
        return evaluate(th, design, layout, opt.state, score=False).total

    out = monotone_directions(loglik, opt.theta, se, index, names, at_theta=opt.evaluation.total)
    return out or _monotone_combination(opt, vcov, design, layout, loglik)


def _monotone_combination(
    opt: Optimum,
    vcov: np.ndarray,
    design: JointDesign,
    layout: Layout,
    loglik: Callable[[np.ndarray], float],
) -> list[str]:
    """Monotone likelihood along the least determined combination of a cause's survival
    parameters, baseline included (e.g. a single event in one group: its baseline hazard
    falls to 0 while the group's log hazard ratio rises, and neither alone is monotone)."""
    out = []
    for c, cs in enumerate(design.spec.causes):
        sg, _, sb = layout.cause_slices(c)
        idx = np.arange(sg.start, sb.stop)
        sub = vcov[np.ix_(idx, idx)]
        sd = np.sqrt(np.abs(np.diag(sub)))
        if not np.all(np.isfinite(sub)) or np.any(sd == 0):
            continue
        mu, V = np.linalg.eigh(sub / np.outer(sd, sd))
        direction = sd * V[:, -1]  # the direction of largest variance, correlation scale

        who = f" of cause {cs.name!r}" if design.spec.competing else ""
        for sign in (1.0, -1.0):

            def along(
                t: np.ndarray, d: np.ndarray = sign * direction, idx: np.ndarray = idx
            ) -> float:
                th = opt.theta.copy()
                th[idx] += t[0] * d
                return loglik(th)

            if monotone_directions(
                along,
                np.zeros(1),
                np.sqrt(mu[-1:]),
                [0],
                ["x"],
                at_theta=opt.evaluation.total,
            ):
                out.append(
                    f"monotone likelihood along a combination of the survival parameters{who} "
                    "(baseline hazard included): their estimates are not finite (too few "
                    "events, or all events of a group in one baseline interval)"
                )
                break
    return out


def _singular_random_cov(opt: Optimum, layout: Layout) -> list[str]:
    """The random-effects covariance at the boundary of the positive definite matrices (a
    variance near zero or a correlation near +-1: a combination of random effects that the
    data do not show varying between subjects)."""
    D = Params.unpack(opt.theta, layout).D
    sd = np.sqrt(np.diag(D))
    w = np.linalg.eigvalsh(D / np.outer(sd, sd))  # on the correlation scale
    if w[0] > 1e-6:
        return []
    return [
        f"the random-effects covariance is singular at the estimate (smallest eigenvalue of "
        f"its correlation matrix {w[0]:.2g}): a variance or correlation is at its boundary; "
        "drop a random slope or a marker's random effects"
    ]


def _empty_intervals(design: JointDesign) -> list[str]:
    out = []
    for c, bl in enumerate(design.baselines):
        if bl.spec.kind != "piecewise":
            continue
        br = bl.spec.breaks
        ev = np.bincount(
            bl.spec.interval(design.T), weights=design.d[:, c], minlength=bl.spec.n_params
        )
        who = f" of cause {design.spec.causes[c].name!r}" if design.spec.competing else ""
        out += [
            f"baseline hazard interval {q + 1} ({br[q]:g}, {br[q + 1]:g}]{who} has no events: "
            "its hazard is estimated at the boundary 0; use fewer knots"
            for q in np.flatnonzero(ev == 0)
        ]
    return out
