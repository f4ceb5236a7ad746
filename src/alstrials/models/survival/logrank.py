"""Log-rank and Fleming-Harrington G(rho, gamma) tests: :func:`logrank`.

Within each stratum and at each distinct event time :math:`t` with :math:`n` at risk and
:math:`d` events (:math:`n_g`, :math:`d_g` in group :math:`g`), with weight
:math:`w(t) = \\hat S(t-)^{\\rho}\\,(1 - \\hat S(t-))^{\\gamma}` (:math:`\\hat S` the pooled
Kaplan-Meier curve of the stratum, left-continuous; :math:`\\rho = \\gamma = 0` is the log-rank
test),

.. math::

    O_g - E_g = \\sum_t w(t)\\,(d_g - d\\,n_g/n), \\qquad
    V_{gh} = \\sum_t w(t)^2\\, \\frac{d (n - d)}{n - 1}
             \\frac{n_g}{n}\\Big(\\delta_{gh} - \\frac{n_h}{n}\\Big),

summed over strata; the statistic :math:`(O - E)^\\top V^{-}(O - E)` uses a generalised inverse
(the first :math:`G - 1` groups) and has :math:`G - 1` degrees of freedom (the rank of that
block; singular values below ``sqrt(eps)`` times the largest count as zero, so rounding cannot
change the rank). Times that differ only by rounding are one time
(:mod:`alstrials.models.ties`). With ``rho`` this is R ``survdiff(..., rho=)``, whose reported
observed and expected counts are weighted too.

References
----------
Mantel N (1966). Evaluation of survival data and two new rank order statistics. Cancer
Chemother Rep 50:163-170.
Harrington DP, Fleming TR (1982). A class of rank test procedures for censored survival data.
Biometrika 69:553-566.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.errors import DataValidationError
from alstrials.models.survival._data import (
    as_events,
    as_names,
    as_times,
    group_codes,
    require_columns,
)
from alstrials.models.ties import TIE_TOLERANCE, merge_close_times

__all__ = ["logrank", "LogrankResult"]


@dataclass(frozen=True, eq=False, repr=False)
class LogrankResult(ResultMixin):
    """A (weighted) log-rank test. Build with :func:`logrank`.

    Attributes
    ----------
    statistic, df, p : float, int, float
        Chi-square statistic, degrees of freedom and p-value.
    table : DataFrame
        Indexed by group: ``n observed expected o_minus_e`` (weighted when ``rho``/``gamma``).
    variance : DataFrame
        Covariance matrix of O - E.
    """

    statistic: float
    df: int
    p: float
    table: pd.DataFrame
    variance: pd.DataFrame
    rho: float
    gamma: float
    strata: tuple[str, ...]
    n_subjects: int
    n_events: int
    converged: bool = True

    @property
    def observed(self) -> pd.Series:
        return self.table["observed"]

    @property
    def expected(self) -> pd.Series:
        return self.table["expected"]

    def __repr__(self) -> str:
        name = (
            "log-rank"
            if self.rho == 0 and self.gamma == 0
            else f"Fleming-Harrington G({self.rho:g}, {self.gamma:g})"
        )
        strat = f", stratified by {', '.join(self.strata)}" if self.strata else ""
        return (
            f"LogrankResult({name}{strat}: {self.n_subjects} subjects, {self.n_events} "
            f"events; chi2 = {self.statistic:.4g} on {self.df} df, p = {self.p:.4g})"
        )

    def summary(self) -> pd.DataFrame:
        """Per-group observed and expected counts with the test in the last columns."""
        out = self.table.copy()
        out["chisq"], out["df"], out["p"] = self.statistic, self.df, self.p
        return out


def logrank(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str],
    strata: str | Sequence[str] | None = None,
    *,
    rho: float = 0.0,
    gamma: float = 0.0,
) -> LogrankResult:
    """Compare survival curves between groups with the (weighted) log-rank test.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration, event : str
        Columns of follow-up time and event indicator.
    by : str or list of str
        Column(s) defining the groups compared.
    strata : str or list of str, optional
        Stratification columns: O - E and V are computed within strata and summed.
    rho, gamma : float
        Fleming-Harrington weight exponents, :math:`S(t-)^\\rho (1-S(t-))^\\gamma`;
        ``rho=1`` is the Peto-Peto/Prentice modification of the Wilcoxon test (R ``rho=1``).

    Returns
    -------
    LogrankResult

    References
    ----------
    Mantel (1966); Harrington & Fleming (1982).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 3, 4, 6, 2, 5, 8, 9], "e": [1, 1, 1, 0, 1, 0, 1, 1],
    ...                   "arm": ["a"] * 4 + ["b"] * 4})
    >>> round(logrank(d, "t", "e", by="arm").statistic, 4)
    1.3933
    """
    by_cols, st_cols = as_names(by), as_names(strata)
    if not by_cols:
        raise ValueError("by must name at least one grouping column")
    require_columns(data, [duration, event, *by_cols, *st_cols])
    (time,) = merge_close_times(as_times(data, duration))
    ev = as_events(data, event)
    g_codes, g_labels = group_codes(data, by_cols)
    s_codes, _ = group_codes(data, st_cols)
    k = len(g_labels)
    if k < 2:
        raise DataValidationError(
            f"column(s) {by_cols} hold a single group ({g_labels[0]!r}); the log-rank test "
            "compares two or more groups."
        )
    obs, exp = np.zeros(k), np.zeros(k)
    var = np.zeros((k, k))
    for s in np.unique(s_codes):
        m = s_codes == s
        t, e, g = time[m], ev[m], g_codes[m]
        times, inv = np.unique(t, return_inverse=True)
        n_at = np.zeros((times.shape[0], k))
        d_at = np.zeros((times.shape[0], k))
        np.add.at(n_at, (inv, g), 1.0)
        np.add.at(d_at, (inv, g), e.astype(float))
        # at risk: observed time >= t  (reverse cumulative sums)
        n_risk_g = np.cumsum(n_at[::-1], axis=0)[::-1]
        n_risk = n_risk_g.sum(axis=1)
        d = d_at.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_km = np.cumprod(1.0 - d / n_risk)
        s_left = np.concatenate([[1.0], s_km[:-1]])
        w = s_left**rho * (1.0 - s_left) ** gamma
        keep = d > 0
        w, d, n_risk, n_risk_g, d_at = w[keep], d[keep], n_risk[keep], n_risk_g[keep], d_at[keep]
        frac = n_risk_g / n_risk[:, None]
        obs += (w[:, None] * d_at).sum(axis=0)
        exp += (w[:, None] * d[:, None] * frac).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(n_risk > 1, w**2 * d * (n_risk - d) / (n_risk - 1), 0.0)
        var += np.einsum("t,tg,gh->gh", c, frac, np.eye(k)) - np.einsum(
            "t,tg,th->gh", c, frac, frac
        )
    diff = obs - exp
    sub = var[: k - 1, : k - 1]
    sv = np.linalg.svd(sub, compute_uv=False)
    cutoff = TIE_TOLERANCE * float(sv.max(initial=0.0))
    stat = float(diff[: k - 1] @ np.linalg.pinv(sub, rcond=TIE_TOLERANCE) @ diff[: k - 1])
    df = int(np.sum(sv > cutoff))
    n_by = np.bincount(g_codes, minlength=k)
    table = pd.DataFrame(
        {"n": n_by, "observed": obs, "expected": exp, "o_minus_e": diff},
        index=pd.Index(g_labels, name="group"),
    )
    return LogrankResult(
        statistic=stat,
        df=df,
        p=float(stats.chi2.sf(stat, df)),
        table=table,
        variance=pd.DataFrame(var, index=g_labels, columns=g_labels),
        rho=float(rho),
        gamma=float(gamma),
        strata=tuple(st_cols),
        n_subjects=int(time.shape[0]),
        n_events=int(ev.sum()),
    )
