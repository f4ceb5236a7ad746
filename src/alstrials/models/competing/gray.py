"""Gray's K-sample test of equal cumulative incidence of one cause across groups.

For cause :math:`k` and groups :math:`r = 1..G`, the score compares each group's subdistribution
hazard with the pooled one (Gray 1988):

.. math::

    s_r = \\sum_t (1 - \\hat F^{(p)}(t-))^{\\rho}
          \\Big( d_{kr}(t) - d_k(t) \\frac{R_r(t)}{\\sum_q R_q(t)} \\Big),
    \\qquad R_r(t) = \\frac{Y_r(t) (1 - \\hat F_{kr}(t-))}{\\hat S_r(t-)},

with :math:`Y_r` the number at risk, :math:`\\hat S_r` the all-cause Kaplan-Meier estimate,
:math:`\\hat F_{kr}` the cumulative incidence of cause :math:`k` in group :math:`r` and
:math:`\\hat F^{(p)}` the pooled estimate :math:`\\sum_t d_k(t) / \\sum_r Y_r(t)/\\hat S_r(t-)`.
The statistic :math:`s^\\top V^{-1} s` over the first :math:`G - 1` groups is referred to a
:math:`\\chi^2_{G-1}`; :math:`V` is Gray's asymptotic covariance of the scores (his equations for
:math:`\\sigma_{rr'}`, with the tie corrections of R ``cmprsk``), summed over strata when the
test is stratified. ``rho`` is the power of the weight (``rho = 0``: the log-rank-like weight,
cmprsk's default; larger values weight early differences).

The computation is vectorised over event times (cumulative sums of the per-time terms).

References
----------
Gray RJ (1988). A class of K-sample tests for comparing the cumulative incidence of a competing
risk. Annals of Statistics 16:1141-1154.
Gray RJ (2022). cmprsk: Subdistribution Analysis of Competing Risks. R package (``cuminc``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.models.competing._data import competing_data
from alstrials.models.survival._data import as_names, group_codes, require_columns

__all__ = ["gray_test", "GrayTestResult", "gray_statistic"]


@dataclass(frozen=True, eq=False, repr=False)
class GrayTestResult(ResultMixin):
    """Gray's test per cause. Build with :func:`gray_test`.

    Attributes
    ----------
    tests : DataFrame
        Indexed by ``cause``; columns ``statistic df p`` (statistic NaN when the score
        covariance is singular, e.g. a group without subjects at risk at any event time).
    groups : list of str
    rho : float
    """

    tests: pd.DataFrame
    groups: list[str]
    rho: float

    def __repr__(self) -> str:
        causes = list(self.tests.index)
        return f"GrayTestResult({len(self.groups)} groups, rho={self.rho:g}, causes {causes})"

    def summary(self) -> pd.DataFrame:
        """The test table (a copy of :attr:`tests`)."""
        return self.tests.copy()


def _stratum_terms(
    time: np.ndarray, m: np.ndarray, g: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (ng - 1) and their covariance for one stratum; ``m`` is 0 censored, 1 the cause,
    2 another cause; ``g`` the group codes 0..ng-1."""
    ev = m > 0
    u = np.unique(time[ev])
    nt = u.size
    if nt == 0:
        return np.zeros(ng - 1), np.zeros((ng - 1, ng - 1))
    pos = np.searchsorted(u, time[ev])
    d1 = np.zeros((nt, ng))
    d2 = np.zeros((nt, ng))
    np.add.at(d1, (pos[m[ev] == 1], g[ev][m[ev] == 1]), 1.0)
    np.add.at(d2, (pos[m[ev] == 2], g[ev][m[ev] == 2]), 1.0)
    rs = np.empty((nt, ng))
    for r in range(ng):
        tr_sorted = np.sort(time[g == r])
        rs[:, r] = tr_sorted.size - np.searchsorted(tr_sorted, u, side="left")
    alive = rs > 0
    safe_rs = np.where(alive, rs, 1.0)
    skm = np.cumprod(np.where(alive, (rs - d1 - d2) / safe_rs, 1.0), axis=0)
    skmm = np.vstack([np.ones((1, ng)), skm[:-1]])
    safe_skmm = np.where(alive, skmm, 1.0)
    f1 = np.cumsum(np.where(alive, skmm * d1 / safe_rs, 0.0), axis=0)
    f1m = np.vstack([np.zeros((1, ng)), f1[:-1]])
    t1 = np.where(alive, rs / safe_skmm, 0.0)
    tr = t1.sum(axis=1)
    tq = np.where(alive, rs * (1.0 - f1m) / safe_skmm, 0.0).sum(axis=1)
    nd1 = d1.sum(axis=1)
    f = np.cumsum(nd1 / tr)
    fm = np.concatenate([[0.0], f[:-1]])
    fb = (1.0 - fm) ** rho
    # a_t = fb (diag(t1) - t1 t1' / tr); c = cumulative sum of a_t d_t / (tr (1 - F(t-)))
    a = -fb[:, None, None] * t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
    diag = np.arange(ng)
    a[:, diag, diag] += fb[:, None] * t1
    with np.errstate(divide="ignore", invalid="ignore"):
        c_inc = np.where(
            (nd1 > 0)[:, None, None], a * (nd1 / (tr * (1.0 - fm)))[:, None, None], 0.0
        )
    c = np.cumsum(c_inc, axis=0)
    k1 = ng - 1
    score = (
        fb[:, None]
        * np.where(alive, d1 - nd1[:, None] * rs * (1.0 - f1m) / (safe_skmm * tq[:, None]), 0.0)
    ).sum(axis=0)[:k1]
    # events of the cause
    use1 = (nd1 > 0)[:, None] & alive
    safe_skm = np.where(skm > 0, skm, 1.0)
    t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / safe_skm, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
    t3 = np.where(use1, t5 * skmm * nd1[:, None] / (tr[:, None] * safe_rs), 0.0)
    b = a[:, :k1, :] - t4[:, None, :] * c[:, :k1, :]  # (t, i, k)
    v3 = (t4 * t4 * t3).sum(axis=0)
    v2 = np.einsum("tik,tk->ik", b, t4 * t3)
    v = np.einsum("tik,tjk,tk->ij", b, b, t3)
    # events of other causes
    use2 = (skm > 0) & (d2 > 0)
    t4o = np.where(use2, (1.0 - f[:, None]) / safe_skm, 0.0)
    safe_rs1 = np.where(rs > 1, rs - 1.0, 1.0)
    t5o = np.where(d2 > 1, 1.0 - (d2 - 1.0) / safe_rs1, 1.0)
    t3o = np.where(use2, t5o * skmm**2 * d2 / safe_rs**2, 0.0)
    v3 += (t4o * t4o * t3o).sum(axis=0)
    ck = c[:, :k1, :]
    v2 -= np.einsum("tik,tk->ik", ck, t4o * t4o * t3o)
    v += np.einsum("tik,tjk,tk->ij", ck, ck, t4o * t4o * t3o)
    cf = c[-1, :k1, :]
    v += (cf * v3) @ cf.T + cf @ v2.T + v2 @ cf.T
    return score, v


def gray_statistic(
    time: np.ndarray,
    code: np.ndarray,
    groups: np.ndarray,
    cause_code: int,
    *,
    strata: np.ndarray | None = None,
    rho: float = 0.0,
) -> tuple[float, int]:
    """Gray's statistic and degrees of freedom for one cause on coded arrays (``code`` 0 =
    censored, ``groups`` 0..G-1). NaN when the score covariance is singular."""
    ng = int(groups.max()) + 1
    m = np.where(code == 0, 0, np.where(code == cause_code, 1, 2))
    st = np.zeros(time.size, dtype=np.int64) if strata is None else strata
    s = np.zeros(ng - 1)
    v = np.zeros((ng - 1, ng - 1))
    for k in np.unique(st):
        keep = st == k
        sk, vk = _stratum_terms(time[keep], m[keep], groups[keep], ng, rho)
        s += sk
        v += vk
    if np.linalg.matrix_rank(v) < ng - 1:
        return float("nan"), ng - 1
    return float(s @ np.linalg.solve(v, s)), ng - 1


def gray_test(
    data: pd.DataFrame,
    duration: str,
    cause: str,
    by: str | Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    censored: object = "censored",
) -> GrayTestResult:
    """Gray's test of equal cumulative incidence across groups, for every cause (R
    ``cmprsk::cuminc(...)$Tests``).

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration : str
        Column of follow-up times.
    cause : str
        Column of the cause of the event, or ``censored`` for censored rows (missing values are
        censored too; see :mod:`alstrials.models.competing._data`).
    by : str or list of str
        Group column(s); at least two groups.
    strata : str or list of str, optional
        Columns of strata: the scores and their covariances are summed over strata.
    rho : float
        Power of the weight :math:`(1 - F(t-))^\\rho` (cmprsk's ``rho``, default 0).
    censored : object
        The censoring code of column ``cause``.

    Returns
    -------
    GrayTestResult

    References
    ----------
    Gray (1988), Ann. Statist. 16:1141-1154.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "arm": ["a", "b"] * 4,
    ...                   "s": ["x", "y", "x", "censored", "y", "x", "censored", "x"]})
    >>> gray_test(d, "t", "s", "arm").tests["statistic"].round(4).to_dict()
    {'x': 0.5121, 'y': 0.053}
    """
    by_cols, strata_cols = as_names(by), as_names(strata)
    require_columns(data, [duration, cause, *by_cols, *strata_cols])
    if not np.isfinite(rho):
        raise ValueError(f"rho must be a finite number, got {rho!r}")
    cd = competing_data(data, duration, cause, censored)
    gcodes, glabels = group_codes(data, by_cols)
    if len(glabels) < 2:
        raise ValueError(f"Gray's test needs at least two groups in {by_cols}, found {glabels}")
    scodes, _ = group_codes(data, strata_cols)
    rows = []
    for k, label in enumerate(cd.causes, start=1):
        stat, df = gray_statistic(cd.time, cd.code, gcodes, k, strata=scodes, rho=rho)
        rows.append((label, stat, df))
    tests = pd.DataFrame(rows, columns=["cause", "statistic", "df"]).set_index("cause")
    tests["p"] = stats.chi2.sf(tests["statistic"], tests["df"])
    return GrayTestResult(tests=tests, groups=glabels, rho=float(rho))
