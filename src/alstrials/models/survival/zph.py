"""Test of proportional hazards from scaled Schoenfeld residuals: :func:`cox_zph`.

As R ``survival::cox.zph`` (version 3): for a fitted Cox model with coefficients
:math:`\\hat\\beta`, consider the extended model with covariates :math:`x_i` and
:math:`x_i\\,g(t)`, where :math:`g` is a transform of time centred at its mean over the events.
The test of covariate :math:`j` is the score test, at :math:`(\\hat\\beta, 0)`, that the
coefficient of :math:`x_{ij} g(t)` is zero; GLOBAL tests all :math:`p` of them (``p`` df):

.. math::

    U_2 = \\sum_{\\text{deaths } i} g(t_i)\\, r_i, \\qquad
    \\mathcal I = \\sum_k \\begin{pmatrix} V_k & g_k V_k \\\\ g_k V_k & g_k^2 V_k \\end{pmatrix},
    \\qquad T = U^\\top \\mathcal I_{SS}^{-1} U

with :math:`r_i = x_i - \\bar x(t_i)` the Schoenfeld residual (Efron: the mean of the tied
deaths' weighted means), :math:`V_k` the information contribution of event time :math:`k`, and
:math:`U = (0, U_2)` restricted to the tested rows/columns :math:`S`.

Transforms of time: ``"km"`` (default): :math:`1 - \\hat S(t-)` with :math:`\\hat S` the
Kaplan-Meier curve of all rows (ignoring strata and covariates); ``"identity"``; ``"log"``;
``"rank"`` (rank of the stop time among all rows, ties averaged, as R).

Scaled residuals for plotting: :math:`r^*_i = d\\,\\mathcal I(\\hat\\beta)^{-1} r_i + \\hat\\beta`
(``d`` the number of events), whose smoothed trend against :math:`g(t)` estimates
:math:`\\beta_j(t)` (Grambsch & Therneau 1994).

References
----------
Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics based on weighted
residuals. Biometrika 81:515-526.
Therneau TM, Grambsch PM (2000). Modeling Survival Data, chapter 6. Springer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.models.survival import cox_engine as engine
from alstrials.models.survival.cox import CoxResult

__all__ = ["cox_zph", "ZPHResult", "TRANSFORMS"]

TRANSFORMS = ("km", "identity", "log", "rank")


@dataclass(frozen=True, eq=False, repr=False)
class ZPHResult(ResultMixin):
    """Proportional hazards tests. Build with :func:`cox_zph`.

    Attributes
    ----------
    table : DataFrame
        Indexed by covariate and ``GLOBAL``: ``chisq df p``.
    residuals : DataFrame
        One row per event: ``time`` (event time), ``transformed_time`` (g(t), uncentred) and
        one column of scaled Schoenfeld residuals per covariate.
    """

    table: pd.DataFrame
    residuals: pd.DataFrame
    transform: str
    n_events: int
    covariates: tuple[str, ...]
    converged: bool = True

    def __repr__(self) -> str:
        return (
            f"ZPHResult(scaled Schoenfeld test, transform={self.transform!r}: "
            f"{len(self.covariates)} covariate(s), {self.n_events} events; GLOBAL p = "
            f"{self.table.loc['GLOBAL', 'p']:.4g})"
        )

    def summary(self) -> pd.DataFrame:
        """The test table."""
        return self.table.copy()

    def plot(self, covariate: str, ax: Any = None) -> Any:
        """Scaled residuals against transformed time; see
        :func:`alstrials.reporting.survival_plots.plot_schoenfeld`."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.scatter(self.residuals["transformed_time"], self.residuals[covariate], s=10)
        ax.set_xlabel(f"Time ({self.transform} scale)")
        ax.set_ylabel(f"Beta(t) for {covariate}")
        return ax


def _transform(fit: CoxResult, transform: str) -> np.ndarray:
    """g(t) at each event-time group of the fit's risk-set index."""
    d = fit._design
    idx = d.index
    gt = idx.group_time
    if transform == "identity":
        return gt.astype(float)
    if transform == "log":
        return np.log(gt)
    if transform == "rank":
        ranks = stats.rankdata(d.stop)  # over all rows, ties averaged (as R)
        out = np.zeros(gt.shape[0])
        out[idx.death_group] = ranks[idx.death_rows]
        return out
    # "km": 1 - S(t-) from the Kaplan-Meier of all rows, counting-process risk sets
    ev_times, n_ev = np.unique(d.stop[d.event], return_counts=True)
    stops = np.sort(d.stop)
    at_risk = stops.shape[0] - np.searchsorted(stops, ev_times, side="left")
    if d.start is not None:
        starts = np.sort(d.start)
        at_risk = at_risk - (starts.shape[0] - np.searchsorted(starts, ev_times, side="left"))
    surv = np.cumprod(1.0 - n_ev / at_risk)
    s_left = np.concatenate([[1.0], surv[:-1]])
    return 1.0 - s_left[np.searchsorted(ev_times, gt)]


def cox_zph(fit: CoxResult, transform: str = "km") -> ZPHResult:
    """Score tests of proportional hazards for each covariate and globally (R ``cox.zph``).

    Parameters
    ----------
    fit : CoxResult
        A model from :func:`~alstrials.models.survival.cox.fit_cox`.
    transform : {"km", "identity", "log", "rank"}
        Transform of time g(t).

    Returns
    -------
    ZPHResult

    References
    ----------
    Grambsch & Therneau (1994); Therneau & Grambsch (2000), chapter 6.

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.models.survival import fit_cox
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10], "e": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "x": [0.2, -1.0, 0.5, -0.3, -1.2, 1.0, 0.1, -0.8]})
    >>> z = cox_zph(fit_cox(d, "t", "e", "x"))
    >>> z.table.index.tolist()
    ['x', 'GLOBAL']
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    d = fit._design
    idx = d.index
    beta = fit.coef["estimate"].to_numpy()
    x = d.x
    p = x.shape[1]
    ev = engine.evaluate(idx, x, beta)
    ng = idx.group_size.shape[0]
    # per-group information V_k and the Efron-averaged mean of each group's deaths
    eta = x @ beta
    w = np.exp(eta - ev.shift)
    wx = w[:, None] * x
    wxx = (wx[:, :, None] * x[:, None, :]).reshape(-1, p * p)
    rsum = engine._risk_sums(idx, wxx)
    dsum = engine._death_sums(idx, wxx)
    g, f = idx.slot_group, idx.slot_frac[:, None]
    second = (rsum[g] - f * dsum[g]) / ev.slot_denom[:, None]
    outer = (ev.slot_mean[:, :, None] * ev.slot_mean[:, None, :]).reshape(-1, p * p)
    v_groups = np.zeros((ng, p * p))
    np.add.at(v_groups, g, second - outer)
    v_groups = v_groups.reshape(ng, p, p)
    mbar = np.zeros((ng, p))
    np.add.at(mbar, g, ev.slot_mean)
    mbar /= idx.group_size[:, None]
    resid = x[idx.death_rows] - mbar[idx.death_group]

    gt = _transform(fit, transform)
    g_death = gt[idx.death_group]
    gc = gt - g_death.mean()
    u2 = (gc[idx.death_group][:, None] * resid).sum(axis=0)
    i11 = v_groups.sum(axis=0)
    i12 = np.einsum("k,kab->ab", gc, v_groups)
    i22 = np.einsum("k,kab->ab", gc**2, v_groups)
    info = np.block([[i11, i12], [i12, i22]])
    u = np.concatenate([np.zeros(p), u2])
    names = list(fit.coef.index)
    chisq, dfs = [], []
    for j in range(p):
        sel = np.r_[np.arange(p), p + j]
        us = u[sel]
        chisq.append(float(us @ np.linalg.solve(info[np.ix_(sel, sel)], us)))
        dfs.append(1)
    chisq.append(float(u @ np.linalg.solve(info, u)))
    dfs.append(p)
    table = pd.DataFrame(
        {"chisq": chisq, "df": dfs}, index=pd.Index([*names, "GLOBAL"], name="covariate")
    )
    table["p"] = stats.chi2.sf(table["chisq"], table["df"])

    n_events = int(idx.death_rows.shape[0])
    naive = fit.naive_vcov.to_numpy()
    scaled = resid @ naive * n_events + beta
    order = np.lexsort((idx.death_rows, d.stop[idx.death_rows]))
    resid_frame = pd.DataFrame(scaled[order], columns=names)
    resid_frame.insert(0, "transformed_time", g_death[order])
    resid_frame.insert(0, "time", d.stop[idx.death_rows][order])
    return ZPHResult(
        table=table,
        residuals=resid_frame,
        transform=transform,
        n_events=n_events,
        covariates=tuple(names),
    )
