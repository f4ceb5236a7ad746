"""Vectorised Newton-Raphson for the Cox partial likelihood (Efron or Breslow ties).

Model. Row ``i`` (a subject, or one (start, stop] interval of a subject) has covariates
:math:`x_i`, linear predictor :math:`\\eta_i = x_i^\\top\\beta` and hazard
:math:`\\lambda_{s}(t)\\exp(\\eta_i)` while at risk, where :math:`s` is its stratum. Row ``i`` is at
risk at time ``t`` when ``start_i < t <= stop_i`` (``start = -inf`` for right-censored data).

For one stratum and one distinct event time :math:`t_k` with :math:`d_k` deaths :math:`D_k`, let
:math:`R_k = \\sum_{\\text{risk}} e^{\\eta_i}` and :math:`E_k = \\sum_{D_k} e^{\\eta_i}`, and
:math:`R^{(1)}, E^{(1)}, R^{(2)}, E^{(2)}` the same sums weighted by :math:`x_i` and
:math:`x_i x_i^\\top`. Efron's approximation uses the ``d_k`` "slots" ``l = 0..d_k-1`` with
fraction :math:`f_l = l/d_k` (Breslow: :math:`f_l = 0`)

.. math::

    \\ell(\\beta) = \\sum_k \\Big[\\sum_{D_k}\\eta_i - \\sum_l \\log(R_k - f_l E_k)\\Big],\\quad
    U = \\sum_k \\Big[\\sum_{D_k} x_i - \\sum_l m_{kl}\\Big],\\quad
    \\mathcal I = \\sum_k\\sum_l \\Big[\\frac{R^{(2)}_k - f_l E^{(2)}_k}{R_k - f_l E_k}
      - m_{kl}m_{kl}^\\top\\Big]

with :math:`m_{kl} = (R^{(1)}_k - f_l E^{(1)}_k)/(R_k - f_l E_k)`.

Computation. Rows are sorted once by (stratum, stop descending) and, for counting-process data,
by (stratum, start descending); the risk-set sums of every event time are differences of
cumulative sums located with ``searchsorted`` on integer keys, so one likelihood evaluation is
O(n p^2) numpy work with no Python loop over times. Covariates are centred at their means
(which leaves the partial likelihood unchanged) for numerical stability.

References
----------
Efron B (1977). The efficiency of Cox's likelihood function for censored data. JASA 72:557-565.
Therneau TM, Grambsch PM (2000). Modeling Survival Data: Extending the Cox Model. Springer.
Lin DY, Wei LJ (1989). The robust inference for the Cox proportional hazards model. JASA 84.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RiskSetIndex", "CoxFit", "build_index", "evaluate", "newton_raphson", "score_residuals"]


@dataclass(frozen=True)
class RiskSetIndex:
    """Sort orders and event-time groups, computed once per data set.

    ``n_groups`` event-time groups ``g`` (distinct (stratum, time) with at least one event);
    ``risk_hi``/``risk_lo`` are positions in the stop-sorted cumulative sums whose difference is
    the sum over rows with stop >= t_g in the stratum; ``ent_hi``/``ent_lo`` the same in the
    start-sorted sums for rows with start >= t_g (None for right-censored data).
    """

    n: int
    m: int  # number of distinct times + 1: the stride of the integer (stratum, time) keys
    stop_order: np.ndarray
    risk_lo: np.ndarray
    risk_hi: np.ndarray
    start_order: np.ndarray | None
    ent_lo: np.ndarray | None
    ent_hi: np.ndarray | None
    death_rows: np.ndarray  # row indices of events, grouped by event-time group
    death_group: np.ndarray  # group index of each entry of death_rows
    group_time: np.ndarray
    group_stratum: np.ndarray
    group_size: np.ndarray
    slot_group: np.ndarray  # one slot per death: its group
    slot_frac: np.ndarray  # l / d (Efron) or 0 (Breslow)
    time_rank_stop: np.ndarray
    time_rank_start: np.ndarray | None
    stratum: np.ndarray


def build_index(
    stop: np.ndarray,
    event: np.ndarray,
    strata: np.ndarray,
    start: np.ndarray | None = None,
    ties: str = "efron",
) -> RiskSetIndex:
    """Sort the data once and locate the risk set of every event-time group."""
    n = stop.shape[0]
    event = event.astype(bool)
    times = stop if start is None else np.concatenate([stop, start])
    uniq = np.unique(times)
    m = uniq.shape[0] + 1
    r_stop = np.searchsorted(uniq, stop)
    s = strata.astype(np.int64)
    key_stop = s * m + (m - 1 - r_stop)  # ascending = stratum asc, stop desc
    stop_order = np.argsort(key_stop, kind="stable")
    ks = key_stop[stop_order]

    ev_rows = np.flatnonzero(event)
    ev_key = s[ev_rows] * m + r_stop[ev_rows]
    gkeys, death_group = np.unique(ev_key, return_inverse=True)
    order = np.argsort(death_group, kind="stable")
    death_rows = ev_rows[order]
    death_group = death_group[order]
    g_stratum = gkeys // m
    g_rank = gkeys % m
    g_size = np.bincount(death_group, minlength=gkeys.shape[0])

    lo_key = g_stratum * m
    hi_key = g_stratum * m + (m - 1 - g_rank)
    risk_lo = np.searchsorted(ks, lo_key, side="left")
    risk_hi = np.searchsorted(ks, hi_key, side="right")

    start_order = ent_lo = ent_hi = r_start = None
    if start is not None:
        r_start = np.searchsorted(uniq, start)
        key_start = s * m + (m - 1 - r_start)
        start_order = np.argsort(key_start, kind="stable")
        kst = key_start[start_order]
        ent_lo = np.searchsorted(kst, lo_key, side="left")
        ent_hi = np.searchsorted(kst, hi_key, side="right")  # rows with start >= t_g

    slot_group = np.repeat(np.arange(gkeys.shape[0]), g_size)
    if ties == "efron":
        first = np.repeat(np.cumsum(g_size) - g_size, g_size)
        slot_frac = (np.arange(slot_group.shape[0]) - first) / np.repeat(g_size, g_size)
    else:
        slot_frac = np.zeros(slot_group.shape[0])
    return RiskSetIndex(
        n=n,
        m=m,
        stop_order=stop_order,
        risk_lo=risk_lo,
        risk_hi=risk_hi,
        start_order=start_order,
        ent_lo=ent_lo,
        ent_hi=ent_hi,
        death_rows=death_rows,
        death_group=death_group,
        group_time=uniq[g_rank],
        group_stratum=g_stratum,
        group_size=g_size,
        slot_group=slot_group,
        slot_frac=slot_frac,
        time_rank_stop=r_stop,
        time_rank_start=r_start,
        stratum=s,
    )


def _risk_sums(idx: RiskSetIndex, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (rows first) over each group's risk set."""
    flat = values.reshape(values.shape[0], -1)
    c = np.zeros((flat.shape[0] + 1, flat.shape[1]))
    np.cumsum(flat[idx.stop_order], axis=0, out=c[1:])
    out = c[idx.risk_hi] - c[idx.risk_lo]
    if idx.start_order is not None:
        np.cumsum(flat[idx.start_order], axis=0, out=c[1:])
        out -= c[idx.ent_hi] - c[idx.ent_lo]
    return out.reshape((out.shape[0], *values.shape[1:]))


def _death_sums(idx: RiskSetIndex, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each group's deaths (deaths are stored sorted by group)."""
    flat = values[idx.death_rows].reshape(idx.death_rows.shape[0], -1)
    if flat.shape[0] == 0:
        out = np.zeros((0, flat.shape[1]))
    else:
        starts = np.cumsum(idx.group_size) - idx.group_size
        out = np.add.reduceat(flat, starts, axis=0)
    return out.reshape((out.shape[0], *values.shape[1:]))


@dataclass(frozen=True)
class Evaluation:
    loglik: float
    score: np.ndarray
    information: np.ndarray
    slot_denom: np.ndarray  # R - f E per slot (scaled by exp(-shift))
    slot_mean: np.ndarray  # m_kl per slot
    shift: float


def evaluate(idx: RiskSetIndex, x: np.ndarray, beta: np.ndarray, second: bool = True) -> Evaluation:
    """Log partial likelihood, score and observed information at ``beta``."""
    eta = x @ beta
    shift = float(eta.max()) if eta.size else 0.0
    w = np.exp(eta - shift)
    p = x.shape[1]
    wx = w[:, None] * x
    if second:
        wxx = wx[:, :, None] * x[:, None, :]
        stacked = np.concatenate([w[:, None], wx, wxx.reshape(-1, p * p)], axis=1)
    else:
        stacked = np.concatenate([w[:, None], wx], axis=1)
    rsum = _risk_sums(idx, stacked)
    dsum = _death_sums(idx, stacked)
    xd = _death_sums(idx, np.concatenate([x, eta[:, None]], axis=1))
    g, f = idx.slot_group, idx.slot_frac[:, None]
    denom = rsum[g, 0] - f[:, 0] * dsum[g, 0]
    num1 = rsum[g, 1 : 1 + p] - f * dsum[g, 1 : 1 + p]
    mean = num1 / denom[:, None]
    loglik = float(xd[:, p].sum() - np.log(denom).sum() - shift * denom.shape[0])
    score = xd[:, :p].sum(axis=0) - mean.sum(axis=0)
    if second:
        num2 = rsum[g, 1 + p :] - f * dsum[g, 1 + p :]
        info = (num2 / denom[:, None]).sum(axis=0).reshape(p, p) - mean.T @ mean
    else:
        info = np.full((p, p), np.nan)
    return Evaluation(loglik, score, info, denom, mean, shift)


@dataclass(frozen=True)
class CoxFit:
    beta: np.ndarray
    evaluation: Evaluation
    loglik_null: float
    score_test: float
    iterations: int
    converged: bool
    message: str


def newton_raphson(
    idx: RiskSetIndex,
    x: np.ndarray,
    *,
    init: np.ndarray | None = None,
    max_iter: int = 30,
    tol: float = 1e-10,
) -> CoxFit:
    """Maximise the partial likelihood by Newton-Raphson with step halving.

    Converged when the relative change in the log likelihood is below ``tol`` and the Newton
    step is below ``sqrt(tol)`` in every coordinate.
    """
    p = x.shape[1]
    beta = np.zeros(p) if init is None else np.asarray(init, float).copy()
    ev0 = evaluate(idx, x, np.zeros(p))
    try:
        score_test = float(ev0.score @ np.linalg.solve(ev0.information, ev0.score))
    except np.linalg.LinAlgError:
        score_test = float("nan")
    ev = ev0 if init is None else evaluate(idx, x, beta)
    converged, message, it = False, "", 0
    for it in range(1, max_iter + 1):  # noqa: B007
        try:
            step = np.linalg.solve(ev.information, ev.score)
        except np.linalg.LinAlgError:
            message = "singular information matrix (collinear covariates?)"
            break
        new_beta = beta + step
        new = evaluate(idx, x, new_beta)
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < ev.loglik - 1e-12) and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new = evaluate(idx, x, new_beta)
            halvings += 1
        change = abs(new.loglik - ev.loglik) / max(abs(new.loglik), 1e-300)
        beta, ev = new_beta, new
        if change < tol and np.max(np.abs(step), initial=0.0) < np.sqrt(tol):
            converged = True
            break
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta), initial=0.0) > 1e3:
            message = "coefficients diverge (monotone likelihood: a covariate separates events?)"
            break
    else:
        message = f"no convergence in {max_iter} iterations"
    return CoxFit(beta, ev, ev0.loglik, score_test, it, converged, message)


def group_hazard(idx: RiskSetIndex, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """Per-group baseline hazard increment and the hazard-weighted mean, at eta's scale.

    Returns ``(h, hm)``: ``h_g = sum_l 1/denom_l`` (Efron-adjusted, Breslow when f = 0) in the
    units of ``exp(eta)`` (the shift removed) and ``hm_g = sum_l m_l / denom_l``.
    """
    scale = np.exp(-ev.shift)
    inv = 1.0 / ev.slot_denom
    ng = idx.group_size.shape[0]
    h = np.bincount(idx.slot_group, weights=inv, minlength=ng) * scale
    hm = np.zeros((ng, ev.slot_mean.shape[1]))
    np.add.at(hm, idx.slot_group, ev.slot_mean * inv[:, None] * scale)
    return h, hm


def score_residuals(
    idx: RiskSetIndex, x: np.ndarray, beta: np.ndarray, ev: Evaluation
) -> np.ndarray:
    """Score residuals (one row per data row), R's ``residuals(fit, "score")``.

    ``L_i = delta_i (x_i - mbar_g)
    - exp(eta_i) sum_{k: i at risk} sum_l w_il (x_i - m_kl) / denom_kl``
    with ``w_il = 1`` for rows at risk and ``1 - l/d_k`` for the deaths at ``t_k`` (Efron), and
    ``mbar_g`` the average of the slot means of the death's group.
    """
    n, p = x.shape
    risk = np.exp(x @ beta)
    ng = idx.group_size.shape[0]
    scale = np.exp(-ev.shift)
    inv = scale / ev.slot_denom
    frac = idx.slot_frac
    h = np.bincount(idx.slot_group, weights=inv, minlength=ng)
    hm = np.zeros((ng, p))
    np.add.at(hm, idx.slot_group, ev.slot_mean * inv[:, None])
    # cumulative over groups sorted by (stratum, time): rows at risk when start < t_g <= stop
    gorder = np.lexsort((idx.group_time, idx.group_stratum))
    ch = np.concatenate([[0.0], np.cumsum(h[gorder])])
    chm = np.vstack([np.zeros((1, p)), np.cumsum(hm[gorder], axis=0)])
    m = idx.m
    gt_rank = _group_rank(idx)
    gkey = (idx.group_stratum * m + gt_rank)[gorder]
    lo = np.searchsorted(gkey, idx.stratum * m, side="left")
    hi = np.searchsorted(gkey, idx.stratum * m + idx.time_rank_stop, side="right")
    a = ch[hi] - ch[lo]
    b = chm[hi] - chm[lo]
    if idx.time_rank_start is not None:
        hi0 = np.searchsorted(gkey, idx.stratum * m + idx.time_rank_start, side="right")
        a -= ch[hi0] - ch[lo]
        b -= chm[hi0] - chm[lo]
    resid = -risk[:, None] * (x * a[:, None] - b)
    # deaths: event term and the Efron down-weighting of their own group
    dr, dg = idx.death_rows, idx.death_group
    mbar = np.zeros((ng, p))
    np.add.at(mbar, idx.slot_group, ev.slot_mean)
    mbar /= idx.group_size[:, None]
    fa = np.bincount(idx.slot_group, weights=frac * inv, minlength=ng)
    fb = np.zeros((ng, p))
    np.add.at(fb, idx.slot_group, ev.slot_mean * (frac * inv)[:, None])
    resid[dr] += x[dr] - mbar[dg] + risk[dr, None] * (x[dr] * fa[dg, None] - fb[dg])
    return resid


def _group_rank(idx: RiskSetIndex) -> np.ndarray:
    """Time rank (in the joint stop/start ranking) of each group's time."""
    ranks = idx.time_rank_stop[idx.death_rows]
    out = np.zeros(idx.group_size.shape[0], dtype=np.int64)
    out[idx.death_group] = ranks
    return out
