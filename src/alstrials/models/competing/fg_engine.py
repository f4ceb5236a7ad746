"""The Fine-Gray engine: weighted risk sets, partial likelihood, Newton-Raphson, sandwich.

Data sorted by time. Subject ``i`` has time :math:`T_i`, cause indicator (1 = the cause of
interest, 2 = another cause, 0 = censored), censoring group :math:`g_i` and centred covariates
:math:`x_i`. At the distinct event times :math:`u_k` of the cause (:math:`d_k` events), the
Fine-Gray risk weight of subject :math:`i` is

.. math::

    w_i(u_k) = 1 \\ (T_i \\ge u_k), \\quad
    \\frac{\\hat G_{g_i}(u_k-)}{\\hat G_{g_i}(T_i-)} \\ (T_i < u_k,\\ \\text{other cause}),
    \\quad 0 \\ \\text{otherwise},

with :math:`\\hat G_g` the Kaplan-Meier estimate of the censoring distribution in group
:math:`g`. With :math:`S_r(u_k) = \\sum_i w_i(u_k) e^{x_i^\\top\\beta} x_i^{\\otimes r}`
(:math:`r = 0, 1, 2`) the log partial likelihood is Breslow's,
:math:`\\ell(\\beta) = \\sum_{i: \\text{cause}} x_i^\\top\\beta - \\sum_k d_k \\log S_0(u_k)`.

Every sum is a cumulative sum in time order: subjects with :math:`T_i \\ge u_k` by a reverse
cumulative sum over the event-time bins, other-cause subjects with :math:`T_i < u_k` by a
forward cumulative sum of :math:`e^{x_i^\\top\\beta} / \\hat G(T_i-)` multiplied by
:math:`\\hat G(u_k-)`; a fit costs O(n p^2) per Newton step.

The variance is the sandwich :math:`I^{-1} (\\sum_i (\\eta_i + \\psi_i)^{\\otimes 2}) I^{-1}` of
Fine & Gray (1999, section 4), as R ``cmprsk::crr`` reports it: :math:`\\eta_i` the score
residual of subject :math:`i` (events of the cause minus its weighted share of the Breslow
increments) and :math:`\\psi_i` the term for the estimation of :math:`\\hat G`,

.. math::

    \\psi_i = \\frac{q(T_i)}{Y_{g_i}(T_i)} I(\\text{censored}_i)
      - \\sum_{s \\le T_i} \\frac{q(s)\\, dN^c_{g_i}(s)}{Y_{g_i}(s)^2}, \\quad
    q(s) = \\sum_{k: u_k \\ge s} \\frac{d_k}{S_0(u_k)}
      \\sum_{j: T_j < s, \\text{other cause}} w_j(u_k) e^{x_j^\\top\\beta} (x_j - \\bar x(u_k)),

:math:`Y_g(s)` the number at risk and :math:`N^c_g` the censoring counting process in group
:math:`g`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alstrials.models.competing._data import censoring_km_left

__all__ = ["FGIndex", "build_index", "evaluate", "newton", "sandwich"]


@dataclass(frozen=True, eq=False)
class FGIndex:
    """Risk-set bookkeeping that does not depend on beta (subjects sorted by time)."""

    time: np.ndarray  # (n,) sorted
    kind: np.ndarray  # 1 cause, 2 other cause, 0 censored
    group: np.ndarray  # censoring group 0..G-1
    n_groups: int
    u: np.ndarray  # (K,) distinct event times of the cause
    d: np.ndarray  # (K,) events of the cause at u
    m: np.ndarray  # (n,) number of u_k <= T_i (first u_k > T_i)
    g_left: np.ndarray  # (n,) G_{g_i}(T_i-)
    g_u: np.ndarray  # (G, K) G_g(u_k-)


def build_index(time: np.ndarray, kind: np.ndarray, group: np.ndarray) -> FGIndex:
    """Index of data already sorted by ``time``."""
    ng = int(group.max()) + 1 if group.size else 1
    u, d = np.unique(time[kind == 1], return_counts=True)
    m = np.searchsorted(u, time, side="right")
    g_left = np.empty(time.size)
    g_u = np.empty((ng, u.size))
    for g in range(ng):
        rows = group == g
        g_left[rows] = censoring_km_left(time[rows], kind[rows] == 0, time[rows])
        g_u[g] = censoring_km_left(time[rows], kind[rows] == 0, u)
    return FGIndex(time, kind, group, ng, u, d.astype(float), m, g_left, g_u)


@dataclass(frozen=True, eq=False)
class Evaluation:
    loglik: float
    score: np.ndarray
    information: np.ndarray
    s0: np.ndarray  # (K,) at the shifted scale exp(eta - shift)
    xbar: np.ndarray  # (K, p)
    e: np.ndarray  # (n,) exp(eta - shift)
    shift: float


def _bins(values: np.ndarray, bins: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (n, q) within ``bins`` (n,) in 0..size-1."""
    out = np.empty((size, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(bins, weights=values[:, j], minlength=size)[:size]
    return out


def _sums(idx: FGIndex, e: np.ndarray, x: np.ndarray, second: bool) -> list[np.ndarray]:
    """S_0 (K,), S_1 (K, p) and, with ``second``, S_2 (K, p*p) at the event times."""
    n, p = x.shape
    k = idx.u.size
    cols = [e[:, None], e[:, None] * x]
    if second:
        cols.append((e[:, None, None] * x[:, :, None] * x[:, None, :]).reshape(n, p * p))
    vals = np.hstack(cols)
    # at risk: T_i >= u_k  <=>  k <= m_i - 1; bin m_i - 1 (subjects before u_0 drop out)
    risk_bin = idx.m - 1
    keep = risk_bin >= 0
    risk = _bins(vals[keep], risk_bin[keep], k)
    total = np.cumsum(risk[::-1], axis=0)[::-1]
    # other causes with T_i < u_k  <=>  k >= m_i: forward cumulative sums, times G(u_k-)
    comp = (idx.kind == 2) & (idx.m < k)
    for g in range(idx.n_groups):
        rows = comp & (idx.group == g)
        if rows.any():
            part = _bins(vals[rows] / idx.g_left[rows, None], idx.m[rows], k)
            total += np.cumsum(part, axis=0) * idx.g_u[g][:, None]
    q = 1 + p
    out = [total[:, 0], total[:, 1:q]]
    if second:
        out.append(total[:, q:])
    return out


def evaluate(idx: FGIndex, x: np.ndarray, beta: np.ndarray, *, second: bool = True) -> Evaluation:
    """Log partial likelihood, score and information at ``beta``."""
    n, p = x.shape
    eta = x @ beta
    shift = float(np.max(eta, initial=0.0))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(eta - shift)
    sums = _sums(idx, e, x, second)
    s0, s1 = sums[0], sums[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = s1 / s0[:, None]
        loglik = float(np.sum(eta[idx.kind == 1]) - np.sum(idx.d * (np.log(s0) + shift)))
    score = x[idx.kind == 1].sum(axis=0) - idx.d @ xbar
    info = np.full((p, p), np.nan)
    if second:
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = sums[2].reshape(-1, p, p) / s0[:, None, None]
            info = np.einsum("k,kij->ij", idx.d, s2 - xbar[:, :, None] * xbar[:, None, :])
        info = 0.5 * (info + info.T)
    return Evaluation(loglik, score, info, s0, xbar, e, shift)


@dataclass(frozen=True, eq=False)
class NewtonFit:
    beta: np.ndarray
    evaluation: Evaluation
    loglik_null: float
    iterations: int
    converged: bool
    message: str


def newton(idx: FGIndex, x: np.ndarray, *, max_iter: int, tol: float) -> NewtonFit:
    """Newton-Raphson from beta = 0 with step halving when the likelihood falls.

    Converged when the Newton step is at most ``tol * max(1, |beta_j|)`` in every coordinate
    (the final step is taken, so the estimate is accurate to about ``tol**2``).
    """
    p = x.shape[1]
    beta = np.zeros(p)
    ev = evaluate(idx, x, beta)
    null = ev.loglik
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(ev.information, ev.score)
        except np.linalg.LinAlgError:
            return NewtonFit(beta, ev, null, it, False, "singular information matrix")
        if not np.all(np.isfinite(step)):
            return NewtonFit(beta, ev, null, it, False, "the information matrix is not finite")
        new = evaluate(idx, x, beta + step)
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < ev.loglik - 1e-12) and halvings < 30:
            step = step / 2
            new = evaluate(idx, x, beta + step)
            halvings += 1
        beta, ev = beta + step, new
        if np.all(np.abs(step) <= tol * np.maximum(1.0, np.abs(beta))):
            return NewtonFit(beta, ev, null, it, True, "")
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta), initial=0.0) > 1e3:
            return NewtonFit(
                beta, ev, null, it, False, "coefficients diverge (monotone likelihood?)"
            )
    return NewtonFit(beta, ev, null, max_iter, False, f"no convergence in {max_iter} iterations")


def _suffix(a: np.ndarray) -> np.ndarray:
    """Suffix sums with a trailing zero row: out[k] = sum_{l >= k} a[l]."""
    rev = np.cumsum(a[::-1], axis=0)[::-1]
    return np.concatenate([rev, np.zeros((1, *a.shape[1:]))])


def _prefix(a: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading zero row: out[k] = sum_{l < k} a[l]."""
    return np.concatenate([np.zeros((1, *a.shape[1:])), np.cumsum(a, axis=0)])


def sandwich(idx: FGIndex, x: np.ndarray, ev: Evaluation) -> np.ndarray:
    """The per-subject influence terms eta_i + psi_i (n, p) at the fit (see the module
    docstring); the meat of the sandwich is their cross-product."""
    n, p = x.shape
    k = idx.u.size
    e, s0, xbar, m = ev.e, ev.s0, ev.xbar, idx.m
    cause, comp, cens = idx.kind == 1, idx.kind == 2, idx.kind == 0
    h = idx.d / s0  # Breslow increments at the shifted scale
    # eta: dN part and the part of the increments with u_k <= T_i (weight 1)
    cum_a = _prefix(h)  # cum_a[m_i] = sum_{u_k <= T_i}
    cum_b = _prefix(h[:, None] * xbar)
    res = np.zeros((n, p))
    res[cause] = x[cause] - xbar[m[cause] - 1]
    res -= e[:, None] * (x * cum_a[m][:, None] - cum_b[m])
    # other-cause subjects: increments with u_k > T_i, weight G(u_k-)/G(T_i-)
    for g in range(idx.n_groups):
        rows = comp & (idx.group == g)
        if not rows.any():
            continue
        hg = h * idx.g_u[g]
        sa, sb = _suffix(hg), _suffix(hg[:, None] * xbar)
        mi = m[rows]
        res[rows] -= (e[rows] / idx.g_left[rows])[:, None] * (x[rows] * sa[mi][:, None] - sb[mi])
    # psi: q(s) at the censoring times s, failures with u_k >= s
    if not cens.any() or not comp.any() or k == 0:
        return res
    s_times = np.unique(idx.time[cens])
    first = np.searchsorted(idx.u, s_times, side="left")  # u_k >= s  <=>  k >= first
    q = np.zeros((s_times.size, p))
    for g in range(idx.n_groups):
        rows = comp & (idx.group == g)
        if not rows.any():
            continue
        hg = h * idx.g_u[g]
        r_g, q_g = _suffix(hg)[first], _suffix(hg[:, None] * xbar)[first]
        # other-cause subjects of group g with T_j < s, weighted e_j / G(T_j-)
        tj = idx.time[rows]
        wj = e[rows] / idx.g_left[rows]
        c0 = _prefix(wj)[np.searchsorted(tj, s_times, side="left")]
        c1 = _prefix(wj[:, None] * x[rows])[np.searchsorted(tj, s_times, side="left")]
        q += c1 * r_g[:, None] - c0[:, None] * q_g
    for g in range(idx.n_groups):
        in_g = idx.group == g
        tg = idx.time[in_g]
        cg = cens[in_g]
        sc, nc = np.unique(tg[cg], return_counts=True)
        if sc.size == 0:
            continue
        y = (tg.size - np.searchsorted(tg, sc, side="left")).astype(float)
        qg = q[np.searchsorted(s_times, sc)]
        cum = _prefix(qg * (nc / y**2)[:, None])
        pos = np.searchsorted(sc, tg, side="right")  # censoring times s <= T_i
        psi = -cum[pos]
        at = np.searchsorted(sc, tg[cg])
        psi[cg] += qg[at] / y[at][:, None]
        res[in_g] += psi
    return res
