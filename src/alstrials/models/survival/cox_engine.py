"""Vectorised Newton-Raphson for the Cox partial likelihood (Efron or Breslow ties).

Model. Row ``i`` (a subject, or one (start, stop] interval of a subject) has covariates
:math:`x_i`, linear predictor :math:`\\eta_i = x_i^\\top\\beta` and hazard
:math:`\\lambda_{s}(t)\\exp(\\eta_i)` while at risk, where :math:`s` is its stratum. Row ``i`` is at
risk at time ``t`` when ``start_i < t <= stop_i`` (``start = -inf`` for right-censored data).

For one stratum and one distinct event time :math:`t_k` with :math:`d_k` deaths :math:`D_k`, let
:math:`R_k = \\sum_{\\text{risk}} e^{\\eta_i}` and :math:`E_k = \\sum_{D_k} e^{\\eta_i}`, and
:math:`R^{(1)}, E^{(1)}, R^{(2)}, E^{(2)}` the same sums weighted by :math:`x_i` and
:math:`x_i x_i^\\top`. Efron's approximation uses the ``d_k`` "slots" ``l = 0..d_k-1`` with
fraction :math:`f_l = l/d_k` (Breslow: :math:`f_l = 0`) and denominators
:math:`Q_{kl} = R_k - f_l E_k`

.. math::

    \\ell(\\beta) = \\sum_k \\Big[\\sum_{D_k}\\eta_i - \\sum_l \\log Q_{kl}\\Big],\\quad
    U = \\sum_k \\Big[\\sum_{D_k} x_i - \\sum_l m_{kl}\\Big],\\quad
    \\mathcal I = \\sum_k\\sum_l \\Big[\\frac{R^{(2)}_k - f_l E^{(2)}_k}{Q_{kl}}
      - m_{kl}m_{kl}^\\top\\Big]

with :math:`m_{kl} = (R^{(1)}_k - f_l E^{(1)}_k)/Q_{kl}`.

Computation. The slot sums factor into per-group scalars: with :math:`a_k = \\sum_l 1/Q_{kl}`,
:math:`b_k = \\sum_l f_l/Q_{kl}` and :math:`c^{(r)}_k = \\sum_l f_l^r/Q_{kl}^2` (r = 0, 1, 2),

.. math::

    \\sum_l m_{kl} = a_k R^{(1)}_k - b_k E^{(1)}_k,\\qquad
    \\sum_l m_{kl}m_{kl}^\\top = c^{(0)}_k R^{(1)}R^{(1)\\top}
      - c^{(1)}_k (R^{(1)}E^{(1)\\top} + E^{(1)}R^{(1)\\top}) + c^{(2)}_k E^{(1)}E^{(1)\\top},

so only the ``O(deaths)`` scalars :math:`Q_{kl}` are computed per slot. The group sums
:math:`R^{(r)}, E^{(r)}` are bin totals of :math:`e^{\\eta_i}[1, x_i, x_i \\otimes x_i]` (the
upper triangle) over the sparse time bins of :mod:`alstrials.models.survival.risk_sets`,
accumulated in reverse time order: one sparse-times-dense product per evaluation, O(n p^2) with
no sort and no Python loop. The design-dependent columns ``[1, x, x (x) x]`` are gathered into
the bins' row order once per fit (:class:`CoxLayout`). Covariates are centred at their means by
the caller (which leaves the partial likelihood unchanged) and :math:`e^{\\eta}` is scaled by
:math:`e^{-\\max\\eta}`, for numerical stability.

References
----------
Efron B (1977). The efficiency of Cox's likelihood function for censored data. JASA 72:557-565.
Therneau TM, Grambsch PM (2000). Modeling Survival Data: Extending the Cox Model. Springer.
Lin DY, Wei LJ (1989). The robust inference for the Cox proportional hazards model. JASA 84.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from alstrials.models.survival.risk_sets import (
    RiskSetIndex,
    build_index,
    death_sums,
    risk_sums,
)

__all__ = [
    "RiskSetIndex",
    "CoxLayout",
    "CoxFit",
    "Evaluation",
    "build_index",
    "evaluate",
    "newton_raphson",
    "group_hazard",
    "score_residuals",
]

# the names zph.py uses
_risk_sums = risk_sums
_death_sums = death_sums


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Log partial likelihood, score and information at one beta, with the group sums.

    Denominators are in units of ``exp(eta - shift)``; ``risk1``/``death1`` are the group sums
    :math:`R^{(1)}, E^{(1)}` in the same units.
    """

    loglik: float
    score: np.ndarray
    information: np.ndarray
    slot_denom: np.ndarray  # Q_kl = R - f E per slot (scaled by exp(-shift))
    shift: float
    risk1: np.ndarray  # (G, p)
    death1: np.ndarray  # (G, p)
    coef_a: np.ndarray  # (G,) a_k = sum_l 1/Q_kl
    coef_b: np.ndarray  # (G,) b_k = sum_l f_l/Q_kl
    squared_coefs: tuple[np.ndarray, np.ndarray, np.ndarray]  # (G,) c_k^(r), r = 0, 1, 2
    slot_group: np.ndarray
    slot_frac: np.ndarray

    @cached_property
    def slot_mean(self) -> np.ndarray:
        """m_kl per slot, (deaths, p)."""
        g, f = self.slot_group, self.slot_frac[:, None]
        return (self.risk1[g] - f * self.death1[g]) / self.slot_denom[:, None]


@dataclass(frozen=True, eq=False)
class CoxLayout:
    """A design laid out in the risk-set bins' row order, built once per fit."""

    index: RiskSetIndex
    xt: np.ndarray  # (p, n_layout): covariates of the layout rows, transposed
    columns: np.ndarray  # (n_layout, 1 + p + p (p + 1) / 2): [1, x, x_j x_k (j <= k)]
    entry_columns: np.ndarray | None  # the same at the entry rows (layout[entry_cols])
    death_x: np.ndarray  # (p,) sum of x over the deaths
    ones: np.ndarray  # (n_layout,)
    entry_ones: np.ndarray | None
    upper: tuple[np.ndarray, np.ndarray]  # indices of the upper triangle

    @classmethod
    def build(cls, idx: RiskSetIndex, x: np.ndarray) -> CoxLayout:
        x = np.asarray(x, dtype=float)
        p = x.shape[1]
        xl = np.take(x, idx.layout, axis=0)
        upper = np.triu_indices(p)
        columns = np.empty((xl.shape[0], 1 + p + upper[0].shape[0]))
        columns[:, 0] = 1.0
        columns[:, 1 : 1 + p] = xl
        np.multiply(xl[:, upper[0]], xl[:, upper[1]], out=columns[:, 1 + p :])
        entry_columns = None
        if idx.entry_cols is not None:
            entry_columns = np.take(columns, idx.entry_cols, axis=0)
        return cls(
            index=idx,
            xt=np.ascontiguousarray(xl.T),
            columns=columns,
            entry_columns=entry_columns,
            death_x=np.take(x, idx.death_rows, axis=0).sum(axis=0),
            ones=np.ones(xl.shape[0]),
            entry_ones=None if idx.entry_cols is None else np.ones(idx.entry_cols.shape[0]),
            upper=upper,
        )

    @property
    def p(self) -> int:
        return int(self.xt.shape[0])

    def _weights(self, beta: np.ndarray) -> tuple[np.ndarray, float]:
        eta = beta @ self.xt
        shift = float(eta.max()) if eta.size else 0.0
        return np.exp(eta - shift), shift

    def _group_sums(
        self, w: np.ndarray, columns: np.ndarray, entry_columns: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Risk-set and death sums per group of ``w * columns`` (``w`` in layout order)."""
        idx = self.index
        stop_bins = idx.stop_matrix(w) @ columns
        entry_bins = None
        if idx.entry_cols is not None and entry_columns is not None:
            entry = idx.entry_matrix(np.take(w, idx.entry_cols))
            entry_bins = entry @ entry_columns
        return idx.groups_from_bins(stop_bins, entry_bins)

    def _slots(
        self, risk0: np.ndarray, death0: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Slot denominators and the per-group a_k, b_k."""
        idx = self.index
        g, f = idx.slot_group, idx.slot_frac
        if not idx.tied_slots:
            denom = risk0[g]
            ng = idx.n_groups
            a = np.bincount(g, weights=1.0 / denom, minlength=ng)
            return denom, a, np.zeros(ng)
        denom = risk0[g] - f * death0[g]
        inv = 1.0 / denom
        ng = idx.n_groups
        return (
            denom,
            np.bincount(g, weights=inv, minlength=ng),
            np.bincount(g, weights=f * inv, minlength=ng),
        )

    def loglik(self, beta: np.ndarray) -> float:
        """The log partial likelihood alone (cheapest: no covariate sums)."""
        beta = np.asarray(beta, dtype=float)
        w, shift = self._weights(beta)
        risk, deaths = self._group_sums(w, self.ones, self.entry_ones)
        denom, _, _ = self._slots(risk, deaths)
        return float(self.death_x @ beta - np.log(denom).sum() - shift * denom.shape[0])

    def evaluate(self, beta: np.ndarray, second: bool = True) -> Evaluation:
        """Log partial likelihood, score and (``second``) observed information at ``beta``."""
        beta = np.asarray(beta, dtype=float)
        p = self.p
        idx = self.index
        w, shift = self._weights(beta)
        if second:  # one product for every column
            risk, deaths = self._group_sums(w, self.columns, self.entry_columns)
        else:
            k = 1 + p
            entry = None if self.entry_columns is None else self.entry_columns[:, :k]
            risk, deaths = self._group_sums(w, self.columns[:, :k], entry)
        denom, a, b = self._slots(risk[:, 0], deaths[:, 0])
        r1, e1 = risk[:, 1 : 1 + p], deaths[:, 1 : 1 + p]
        loglik = float(self.death_x @ beta - np.log(denom).sum() - shift * denom.shape[0])
        score = self.death_x - a @ r1 + b @ e1
        squared = _squared_coefs(idx, denom)
        info = np.full((p, p), np.nan)
        if second:
            tri = a @ risk[:, 1 + p :] - b @ deaths[:, 1 + p :]
            info = np.empty((p, p))
            info[self.upper] = tri
            info.T[self.upper] = tri
            c0, c1, c2 = squared
            cross = r1.T @ (c1[:, None] * e1)
            info -= r1.T @ (c0[:, None] * r1) - cross - cross.T + e1.T @ (c2[:, None] * e1)
        return Evaluation(
            loglik=loglik,
            score=score,
            information=info,
            slot_denom=denom,
            shift=shift,
            risk1=r1,
            death1=e1,
            coef_a=a,
            coef_b=b,
            squared_coefs=squared,
            slot_group=idx.slot_group,
            slot_frac=idx.slot_frac,
        )


def _squared_coefs(
    idx: RiskSetIndex, denom: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group c0, c1, c2 = sum_l f_l^r / Q_kl^2."""
    inv2 = 1.0 / denom**2
    g, f, ng = idx.slot_group, idx.slot_frac, idx.n_groups
    if not idx.tied_slots:  # Breslow, or no tied deaths: f = 0
        zero = np.zeros(ng)
        return np.bincount(g, weights=inv2, minlength=ng), zero, zero
    return (
        np.bincount(g, weights=inv2, minlength=ng),
        np.bincount(g, weights=f * inv2, minlength=ng),
        np.bincount(g, weights=f * f * inv2, minlength=ng),
    )


def evaluate(idx: RiskSetIndex, x: np.ndarray, beta: np.ndarray, second: bool = True) -> Evaluation:
    """Log partial likelihood, score and observed information at ``beta`` (rows of ``x`` in
    data order; lays the design out first: use :class:`CoxLayout` for repeated calls)."""
    return CoxLayout.build(idx, x).evaluate(beta, second)


@dataclass(frozen=True, eq=False)
class CoxFit:
    beta: np.ndarray
    evaluation: Evaluation
    loglik_null: float
    score_test: float
    iterations: int
    converged: bool
    message: str
    layout: CoxLayout


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
    layout = CoxLayout.build(idx, x)
    p = layout.p
    beta = np.zeros(p) if init is None else np.asarray(init, float).copy()
    ev0 = layout.evaluate(np.zeros(p))
    try:
        score_test = float(ev0.score @ np.linalg.solve(ev0.information, ev0.score))
    except np.linalg.LinAlgError:
        score_test = float("nan")
    ev = ev0 if init is None else layout.evaluate(beta)
    converged, message, it = False, "", 0
    for it in range(1, max_iter + 1):  # noqa: B007
        try:
            step = np.linalg.solve(ev.information, ev.score)
        except np.linalg.LinAlgError:
            message = "singular information matrix (collinear covariates?)"
            break
        new_beta = beta + step
        new = layout.evaluate(new_beta)
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < ev.loglik - 1e-12) and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new = layout.evaluate(new_beta)
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
    return CoxFit(beta, ev, ev0.loglik, score_test, it, converged, message, layout)


def group_hazard(idx: RiskSetIndex, ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """Per-group baseline hazard increment and the hazard-weighted mean, at eta's scale.

    Returns ``(h, hm)``: ``h_g = sum_l 1/Q_l`` (Efron-adjusted, Breslow when f = 0) in the
    units of ``exp(eta)`` (the shift removed) and ``hm_g = sum_l m_l / Q_l``.
    """
    scale = np.exp(-ev.shift)
    c0, c1, _ = ev.squared_coefs
    hm = (c0[:, None] * ev.risk1 - c1[:, None] * ev.death1) * scale
    return ev.coef_a * scale, hm


def score_residuals(
    idx: RiskSetIndex, x: np.ndarray, beta: np.ndarray, ev: Evaluation
) -> np.ndarray:
    """Score residuals (one row per data row), R's ``residuals(fit, "score")``.

    ``L_i = delta_i (x_i - mbar_g)
    - exp(eta_i) sum_{k: i at risk} sum_l w_il (x_i - m_kl) / Q_kl``
    with ``w_il = 1`` for rows at risk and ``1 - l/d_k`` for the deaths at ``t_k`` (Efron), and
    ``mbar_g`` the average of the slot means of the death's group.
    """
    n, p = x.shape
    ng = idx.n_groups
    # exp(eta_i) / Q in the scaled units: exp(eta_i - shift) / Q_scaled
    w = np.exp(x @ beta - ev.shift)
    c0, c1, c2 = ev.squared_coefs
    h, fa = ev.coef_a, ev.coef_b
    hm = c0[:, None] * ev.risk1 - c1[:, None] * ev.death1  # sum_l m_l / Q_l
    fb = c1[:, None] * ev.risk1 - c2[:, None] * ev.death1  # sum_l f_l m_l / Q_l
    # cumulative over groups (ordered by stratum, time): row i is at risk in (e_i, k_i]
    ch = np.concatenate([[0.0], np.cumsum(h)])
    chm = np.vstack([np.zeros((1, p)), np.cumsum(hm, axis=0)])
    hi = idx.stop_group
    if idx.entry_group is not None:
        lo = idx.entry_group
    else:
        lo = np.full(n, -1, dtype=np.int64)
    # rows with no group of their stratum at or before their start: from the stratum's start
    first_of_stratum = np.zeros(ng, dtype=np.int64)
    if ng:
        new = np.r_[True, np.diff(idx.group_stratum) != 0]
        first_of_stratum = np.maximum.accumulate(np.where(new, np.arange(ng), 0))
    at_risk = hi >= 0
    hi_c = np.maximum(hi, 0)
    lo = np.where(lo >= 0, lo, first_of_stratum[hi_c] - 1 if ng else -1)
    upper, lower = hi_c + 1, lo + 1
    a = np.where(at_risk, ch[upper] - ch[lower], 0.0)
    b = np.where(at_risk[:, None], chm[upper] - chm[lower], 0.0)
    resid = -w[:, None] * (x * a[:, None] - b)
    # deaths: event term and the Efron down-weighting of their own group
    dr, dg = idx.death_rows, idx.death_group
    mbar = (h[:, None] * ev.risk1 - fa[:, None] * ev.death1) / np.maximum(idx.group_size, 1)[
        :, None
    ]
    resid[dr] += x[dr] - mbar[dg] + w[dr, None] * (x[dr] * fa[dg, None] - fb[dg])
    return resid
