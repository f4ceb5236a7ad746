"""Maximising the joint log-likelihood with a fully adaptive quadrature.

Two phases, each step re-centring the Gauss-Hermite rule at the subjects' posterior modes
under the current parameters (so the rule is fully adaptive at every step, not only at the
start as JM's pseudo-adaptive rule):

1. **BHHH** (Berndt-Hall-Hall-Hausman): the outer product of the per-subject scores stands in
   for the information; a step halving line search on the log-likelihood (rule fixed within
   the step). It approaches the maximum quickly from poor starting values, then slowly
   (linearly): the phase ends when a step gains less than 0.5 in log-likelihood or its
   predicted gain is below 0.2.
2. **Newton** with the observed information (a forward-difference Jacobian of the analytic
   score, rule fixed), kept while the parameters stay within half a standard error of where
   it was computed (a chord method, linear convergence at a rate that vanishes at the
   maximum) and recomputed otherwise. This steering information is computed with a coarse
   rule (3 points per dimension at the same modes and scales) when the fitting rule has more:
   it sets only the steps, not the estimate. Where it is not positive definite, the
   information with the fitting rule decides.

Convergence: the next Newton step would change every parameter by less than ``1e-4`` of its
standard error. The observed information reported with the estimate (hence the standard
errors) is always computed with the fitting rule at the estimate (or within ``1e-3``
standard errors of it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alstrials.models.joint.design import JointDesign
from alstrials.models.joint.likelihood import Evaluation, Layout, QuadState, evaluate, make_state
from alstrials.models.joint.modes import posterior_modes
from alstrials.models.joint.quadrature import hermite_grid

__all__ = ["Optimum", "maximise", "observed_information"]


@dataclass(frozen=True)
class Optimum:
    theta: np.ndarray
    information: np.ndarray
    modes: np.ndarray
    chols: np.ndarray
    state: QuadState
    evaluation: Evaluation
    iterations: int
    converged: bool
    message: str


def observed_information(
    theta: np.ndarray,
    design: JointDesign,
    layout: Layout,
    state: QuadState,
    score: np.ndarray | None = None,
) -> np.ndarray:
    """Negative Hessian of the log-likelihood: forward differences of the analytic score
    (step ``1e-6 max(1, |theta_j|)``, relative error about 1e-6), symmetrised; central
    differences when ``score`` at ``theta`` is not given."""
    k = len(theta)
    H = np.empty((k, k))
    for j in range(k):
        h = (1e-6 if score is not None else 1e-5) * max(1.0, abs(theta[j]))
        tp = theta.copy()
        tp[j] += h
        up = evaluate(tp, design, layout, state, score="total").score
        if score is not None:
            H[:, j] = (score - up) / h
        else:
            tm = theta.copy()
            tm[j] -= h
            H[:, j] = (evaluate(tm, design, layout, state, score="total").score - up) / (2 * h)
    return 0.5 * (H + H.T)


def _recentre(theta, design, layout, modes, nodes, logw, score=True):
    modes, chols = posterior_modes(theta, design, layout, modes)
    state = make_state(design, modes, chols, nodes, logw)
    return modes, chols, state, evaluate(theta, design, layout, state, score=score)


def _line_search(theta, step, design, layout, state, ll0) -> tuple[np.ndarray, float]:
    """Step halving until the log-likelihood does not fall; the first trial is capped so no
    parameter moves by more than ``1 + |theta_j|`` (a guard against wild BHHH steps)."""
    ratio = float(np.max(np.abs(step) / (1.0 + np.abs(theta))))
    t = min(1.0, 1.0 / ratio) if ratio > 0 else 1.0
    for _ in range(30):
        cand = theta + t * step
        ll = evaluate(cand, design, layout, state, score=False).total
        if np.isfinite(ll) and ll >= ll0 - 1e-10 * abs(ll0):
            return cand, ll
        t /= 2
    return theta, ll0


def maximise(
    theta: np.ndarray,
    design: JointDesign,
    layout: Layout,
    nodes: np.ndarray,
    logw: np.ndarray,
    *,
    max_iter: int = 200,
    tol: float = 1e-7,
) -> Optimum:
    """Maximise the marginal log-likelihood from ``theta`` (see module docstring)."""
    modes = np.zeros((design.n_subjects, layout.q))
    n_iter = 0
    # phase 1: BHHH until its predicted gain is small
    for _ in range(max_iter):
        modes, chols, state, ev = _recentre(theta, design, layout, modes, nodes, logw)
        if not np.isfinite(ev.total):
            return _fail(theta, layout, modes, chols, state, ev, n_iter, "not finite")
        S = ev.scores
        g = S.sum(axis=0)
        B = S.T @ S
        B[np.diag_indices_from(B)] += 1e-8 * (1.0 + np.diag(B))
        step = np.linalg.solve(B, g)
        n_iter += 1
        gain = float(g @ step)
        theta, ll = _line_search(theta, step, design, layout, state, ev.total)
        if gain < 0.2 or ll - ev.total < 0.5:
            break
    # phase 2: Newton with the observed information, recomputed when the step was large
    steer = _Steering(design, layout, nodes, logw)
    converged, message = False, "Newton iterations exhausted"
    not_concave = 0
    modes, chols, state, ev = _recentre(theta, design, layout, modes, nodes, logw, "total")
    info, exact = steer.information(theta, modes, chols, state, ev)
    info_at = theta.copy()
    for _ in range(max_iter):
        g = ev.score
        n_iter += 1
        if not np.all(np.isfinite(info)):
            message = "the observed information is not finite"
            break
        scale = 1.0 / np.sqrt(np.clip(np.abs(np.diag(info)), 1e-300, None))
        w, v = np.linalg.eigh(info * np.outer(scale, scale))  # correlation scale
        concave = bool(np.all(w > 1e-12))
        if not concave and not exact:  # judge concavity on the exact information
            info, exact = steer.information(theta, modes, chols, state, ev, exact=True)
            continue
        if concave:
            step = scale * (v @ ((v.T @ (scale * g)) / w))
        else:  # not concave here: a BHHH step instead
            not_concave += 1
            if not_concave > 20:
                message = (
                    "the log-likelihood is not concave where the optimiser stopped (a variance "
                    "or correlation at its boundary, or too little data for the model)"
                )
                break
            S = evaluate(theta, design, layout, state).scores  # per subject
            step = np.linalg.solve(S.T @ S + 1e-8 * np.eye(len(theta)), g)
        se = np.sqrt(np.abs(np.diag(np.linalg.pinv(info))))
        if concave and np.all(np.abs(step) <= 1e-4 * np.maximum(se, 1e-8)):
            converged, message = True, "converged"
            break
        theta, ll = _line_search(theta, step, design, layout, state, ev.total)
        if ll <= ev.total and concave:  # no step improves: at the maximum up to rounding
            converged, message = True, "converged (no further increase)"
            break
        modes, chols, state, ev = _recentre(theta, design, layout, modes, nodes, logw, "total")
        if not concave or np.any(np.abs(theta - info_at) > 0.5 * np.maximum(se, 1e-8)):
            info, exact = steer.information(theta, modes, chols, state, ev)
            info_at = theta.copy()
    se = np.sqrt(np.abs(np.diag(np.linalg.pinv(info))))
    if not exact or np.any(np.abs(theta - info_at) > 1e-3 * np.maximum(se, 1e-8)):
        info = observed_information(theta, design, layout, state, ev.score)  # at the estimate
    return Optimum(theta, info, modes, chols, state, ev, n_iter, converged, message)


class _Steering:
    """The information that steers the Newton steps: computed with a coarser rule (3 points
    per dimension, same modes and scales) when the fitting rule has more, since it only sets
    the direction and length of the steps (a chord method); the information reported with the
    estimate is always recomputed with the fitting rule."""

    def __init__(self, design: JointDesign, layout: Layout, nodes: np.ndarray, logw: np.ndarray):
        self.design, self.layout = design, layout
        q = layout.q
        points = round(len(nodes) ** (1.0 / q)) if q else 1
        self.coarse = hermite_grid(3, q) if points > 3 else None

    def information(
        self,
        theta: np.ndarray,
        modes: np.ndarray,
        chols: np.ndarray,
        state: QuadState,
        ev: Evaluation,
        *,
        exact: bool = False,
    ) -> tuple[np.ndarray, bool]:
        if exact or self.coarse is None:
            return observed_information(theta, self.design, self.layout, state, ev.score), True
        coarse = make_state(self.design, modes, chols, *self.coarse)
        g = evaluate(theta, self.design, self.layout, coarse, score="total").score
        return observed_information(theta, self.design, self.layout, coarse, g), False


def _fail(theta, layout, modes, chols, state, ev, n_iter, message) -> Optimum:
    k = layout.size
    return Optimum(theta, np.full((k, k), np.nan), modes, chols, state, ev, n_iter, False, message)
