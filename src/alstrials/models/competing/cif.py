"""Cumulative incidence per cause (Aalen-Johansen), with variances, CIs and Gray's tests.

Model: causes :math:`k = 1..K` compete; the cumulative incidence of cause :math:`k` is
:math:`F_k(t) = P(T \\le t, \\text{cause} = k)`. At the distinct event times :math:`t_j` of a
group, with :math:`Y_j` at risk, :math:`d_{kj}` events of cause :math:`k`, :math:`d_j` events
of any cause and :math:`\\hat S` the all-cause Kaplan-Meier estimate,

.. math::

    \\hat F_k(t) = \\sum_{t_j \\le t} \\hat S(t_j-) \\frac{d_{kj}}{Y_j},

the Aalen-Johansen estimator of the competing-risks multi-state model (R ``cmprsk::cuminc``,
``survival::survfit`` with a multi-state status). It differs from ``1 - KM`` with other causes
censored, which overestimates :math:`F_k` when competing events occur.

Variance (``var``): the delta-method estimator of Gray, exactly as ``cmprsk::cuminc`` computes
it (Aalen 1978 type, with the hypergeometric correction :math:`1 - (d-1)/(Y-1)` for tied
events):

.. math::

    \\widehat{\\mathrm{var}}\\,\\hat F_k(t) = \\sum_{t_j \\le t}
    \\Big[ \\big(1 + \\tfrac{\\hat F_k(t_j) - \\hat F_k(t)}{\\hat S(t_j)}\\big)^2
    \\frac{\\hat S(t_j-)^2 c_{kj} d_{kj}}{Y_j^2}
    + \\big(\\tfrac{\\hat F_k(t_j) - \\hat F_k(t)}{\\hat S(t_j)}\\big)^2
    \\frac{\\hat S(t_j-)^2 c_{oj} d_{oj}}{Y_j^2} \\Big],

:math:`d_{oj}` the events of other causes and :math:`c = 1 - (d - 1)/(Y - 1)` (1 for a single
event); a term whose :math:`\\hat S(t_j) = 0` contributes its :math:`d_k` part only. As in cuminc
the variance is reported at the event times of the cause. It is not the infinitesimal-jackknife
standard error that ``survfit`` prints for multi-state curves (the estimates agree; the
standard errors agree only to first order).

Confidence intervals (``alpha``): pointwise, on the ``log(-log F)`` scale by default
(``F^{exp(+-z se / (F log F))}``, always inside [0, 1]), or ``"plain"`` (``F +- z se`` clipped).

References
----------
Kalbfleisch JD, Prentice RL (1980). The Statistical Analysis of Failure Time Data. Wiley.
Aalen OO, Johansen S (1978). An empirical transition matrix for non-homogeneous Markov chains
based on censored observations. Scand. J. Statist. 5:141-150.
Gray RJ (1988). Ann. Statist. 16:1141-1154; R package ``cmprsk`` (``cuminc``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.models.competing._data import competing_data
from alstrials.models.competing.gray import gray_statistic
from alstrials.models.survival._data import as_names, group_codes, require_columns

__all__ = ["cumulative_incidence", "CIFResult"]

_CONF_TYPES = ("log-log", "plain")
_COLUMNS = ["group", "cause", "time", "n_risk", "n_event", "cif", "var", "se", "ci_low", "ci_high"]


@dataclass(frozen=True, eq=False, repr=False)
class CIFResult(ResultMixin):
    """Cumulative incidence curves per group and cause. Build with
    :func:`cumulative_incidence`.

    Attributes
    ----------
    table : DataFrame
        One row per group, cause and event time of that cause (the times where the curve
        jumps): ``group cause time n_risk n_event cif var se ci_low ci_high``; ``n_risk`` is
        the number at risk in the group just before ``time``, ``n_event`` the events of the
        cause at ``time``, ``var`` the cuminc (Gray delta-method) variance.
    tests : DataFrame or None
        Gray's test per cause (``statistic df p``, indexed by cause) when there are two or more
        groups, else None; also available as :attr:`gray_test`.
    groups, causes : list
    last_time : dict
        The largest follow-up time of each group (the curves are defined up to it).
    alpha : float
    conf_type : str
    """

    table: pd.DataFrame
    tests: pd.DataFrame | None
    groups: list[str]
    causes: list[object]
    last_time: dict[str, float]
    alpha: float
    conf_type: str
    rho: float

    converged = True  # nothing is iterated; kept for the shared HTML view

    def __repr__(self) -> str:
        return (
            f"CIFResult({len(self.groups)} group(s) x {len(self.causes)} cause(s) "
            f"{self.causes}, {int(self.table['n_event'].sum())} events)"
        )

    @property
    def gray_test(self) -> pd.DataFrame | None:
        """Gray's test per cause: indexed by ``cause``, columns ``statistic df p`` (None with
        one group). The same table as :attr:`tests`."""
        return self.tests

    def at(self, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """The curves at ``times`` (step functions, right-continuous): columns
        ``group cause time cif var se ci_low ci_high``. 0 before the first event; NaN after the
        group's last follow-up time (as ``cmprsk::timepoints``)."""
        t = np.asarray(times, dtype=float)
        frames = []
        for g in self.groups:
            for c in self.causes:
                part = self.table[(self.table["group"] == g) & (self.table["cause"] == c)]
                pos = np.searchsorted(part["time"].to_numpy(), t, side="right") - 1
                out = {"group": g, "cause": c, "time": t}
                for col in ("cif", "var", "se", "ci_low", "ci_high"):
                    v = np.concatenate([[0.0], part[col].to_numpy(dtype=float)])[pos + 1]
                    out[col] = np.where(t > self.last_time[g], np.nan, v)
                frames.append(pd.DataFrame(out))
        return pd.concat(frames, ignore_index=True)

    def summary(self, times: Sequence[float] | None = None) -> pd.DataFrame:
        """Estimates at ``times`` (default: about four round times inside the follow-up, as
        ``print.cuminc``), one row per group, cause and time."""
        if times is None:
            t_max = max(self.last_time.values())
            ticks = np.array(_pretty(t_max))
            times = ticks[(ticks > 0) & (ticks < t_max)].tolist() or [t_max]
        return self.at(times)


def _pretty(t_max: float, n: int = 5) -> list[float]:
    """Round tick values from 0 to about ``t_max`` (like R ``pretty``)."""
    if t_max <= 0:
        return [0.0]
    raw = t_max / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((s * mag for s in (1, 2, 5, 10) if s * mag >= raw), default=raw)
    return list(np.arange(0, t_max + step, step))


def _one_curve(time: np.ndarray, code: np.ndarray, cause: int) -> dict[str, np.ndarray]:
    """Aalen-Johansen estimate and cuminc variance of one cause in one group."""
    ev = code > 0
    u = np.unique(time[ev])
    pos = np.searchsorted(u, time[ev])
    nd = np.bincount(pos, minlength=u.size).astype(float)
    nd1 = np.bincount(pos[code[ev] == cause], minlength=u.size).astype(float)
    nd2 = nd - nd1
    srt = np.sort(time)
    rs = (srt.size - np.searchsorted(srt, u, side="left")).astype(float)
    fkn = np.cumprod((rs - nd) / rs)
    fk = np.concatenate([[1.0], fkn[:-1]])
    f = np.cumsum(fk * nd1 / rs)
    inv = np.where(fkn > 0, 1.0 / np.where(fkn > 0, fkn, 1.0), 0.0)
    safe = np.where(rs > 1, rs - 1.0, 1.0)
    # other causes (only while the all-cause survival stays positive)
    w2 = np.where(
        (nd2 > 0) & (fkn > 0),
        fk**2 * np.where(nd2 > 1, 1 - (nd2 - 1) / safe, 1.0) * nd2 / rs**2,
        0.0,
    )
    t3o, t4o = inv, f * inv
    # the cause itself
    w1 = np.where(nd1 > 0, fk**2 * np.where(nd1 > 1, 1 - (nd1 - 1) / safe, 1.0) * nd1 / rs**2, 0.0)
    t4c = 1.0 + inv * f
    v1 = np.cumsum(t4o**2 * w2 + t4c**2 * w1)
    v2 = np.cumsum(t3o * t4o * w2 + inv * t4c * w1)
    v3 = np.cumsum(t3o**2 * w2 + inv**2 * w1)
    var = v1 + f**2 * v3 - 2 * f * v2
    jump = nd1 > 0
    return {
        "time": u[jump],
        "n_risk": rs[jump],
        "n_event": nd1[jump],
        "cif": f[jump],
        "var": var[jump],
    }


def _intervals(
    f: np.ndarray, se: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    if conf_type == "plain":
        return np.clip(f - z * se, 0.0, 1.0), np.clip(f + z * se, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = z * se / (f * np.abs(np.log(f)))
        low, high = f ** np.exp(k), f ** np.exp(-k)
    edge = (f <= 0) | (f >= 1)
    return np.where(edge, f, low), np.where(edge, f, high)


def cumulative_incidence(
    data: pd.DataFrame,
    duration: str,
    cause: str,
    by: str | Sequence[str] | None = None,
    censored: object = "censored",
    *,
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
    alpha: float = 0.05,
    conf_type: str = "log-log",
) -> CIFResult:
    """Cumulative incidence of every cause, by group, with Gray's tests (R
    ``cmprsk::cuminc``).

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration : str
        Column of follow-up times.
    cause : str
        Column naming the cause of the event, or ``censored`` for censored rows (missing values
        are censored too).
    by : str or list of str, optional
        Group column(s): one curve per group and cause, and Gray's tests when there are two or
        more groups.
    censored : object
        The censoring code of ``cause`` (default ``"censored"``; ``0`` for cmprsk-style codes).
    strata : str or list of str, optional
        Strata for Gray's tests (the curves are not stratified), as cuminc's ``strata``.
    rho : float
        Power of the weight of Gray's test (cmprsk default 0).
    alpha : float
        Two-sided level of the pointwise intervals.
    conf_type : {"log-log", "plain"}
        Scale of the intervals (see the module docstring).

    Returns
    -------
    CIFResult

    References
    ----------
    Kalbfleisch & Prentice (1980); Gray (1988); R ``cmprsk::cuminc``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "arm": ["a", "b"] * 4,
    ...                   "s": ["x", "y", "x", "censored", "y", "x", "censored", "x"]})
    >>> res = cumulative_incidence(d, "t", "s", by="arm")
    >>> a = res.table[(res.table["group"] == "a") & (res.table["cause"] == "x")]
    >>> a["cif"].tolist(), a["var"].round(4).tolist()
    ([0.25, 0.5], [0.0625, 0.0903])
    """
    if conf_type not in _CONF_TYPES:
        raise ValueError(f"conf_type must be one of {_CONF_TYPES}, got {conf_type!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    by_cols, strata_cols = as_names(by), as_names(strata)
    require_columns(data, [duration, cause, *by_cols, *strata_cols])
    cd = competing_data(data, duration, cause, censored)
    gcodes, glabels = group_codes(data, by_cols)
    z = float(stats.norm.ppf(1 - alpha / 2))
    frames, last = [], {}
    for gi, g in enumerate(glabels):
        rows = gcodes == gi
        last[g] = float(cd.time[rows].max())
        for k, c in enumerate(cd.causes, start=1):
            cur = _one_curve(cd.time[rows], cd.code[rows], k)
            se = np.sqrt(np.maximum(cur["var"], 0.0))
            low, high = _intervals(cur["cif"], se, z, conf_type)
            frames.append(
                pd.DataFrame(
                    {"group": g, "cause": c, **cur, "se": se, "ci_low": low, "ci_high": high}
                )
            )
    table = pd.concat(frames, ignore_index=True)[_COLUMNS]
    table["n_risk"] = table["n_risk"].astype(np.int64)
    table["n_event"] = table["n_event"].astype(np.int64)
    tests = None
    if len(glabels) > 1:
        scodes, _ = group_codes(data, strata_cols)
        rows_t = []
        for k, c in enumerate(cd.causes, start=1):
            stat, df = gray_statistic(cd.time, cd.code, gcodes, k, strata=scodes, rho=rho)
            rows_t.append((c, stat, df))
        tests = pd.DataFrame(rows_t, columns=["cause", "statistic", "df"]).set_index("cause")
        tests["p"] = stats.chi2.sf(tests["statistic"], tests["df"])
    return CIFResult(
        table=table,
        tests=tests,
        groups=glabels,
        causes=list(cd.causes),
        last_time=last,
        alpha=alpha,
        conf_type=conf_type,
        rho=float(rho),
    )
