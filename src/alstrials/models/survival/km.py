"""Kaplan-Meier estimator with Greenwood variance: :func:`kaplan_meier` and :class:`KMResult`.

For a group with distinct observed times :math:`t_1 < t_2 < \\dots` (events or censorings),
:math:`n_j` at risk (time >= :math:`t_j`) and :math:`d_j` events at :math:`t_j`,

.. math::

    \\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j), \\qquad
    \\sigma^2(t) = \\sum_{t_j \\le t} \\frac{d_j}{n_j (n_j - d_j)}

(Greenwood; :math:`\\sigma` is the standard error of :math:`\\log \\hat S`, the SE of
:math:`\\hat S` is :math:`\\hat S\\sigma`). Confidence intervals, as R ``survfit``'s ``conf.type``:

* ``"log"`` (R's default): :math:`\\hat S \\exp(\\pm z\\sigma)`, upper limit capped at 1;
* ``"log-log"``: :math:`\\exp\\{-\\exp[\\log(-\\log \\hat S) \\pm z\\sigma / \\log \\hat S]\\}`,
  undefined where :math:`\\hat S \\in \\{0, 1\\}`;
* ``"plain"``: :math:`\\hat S (1 \\pm z\\sigma)` clipped to [0, 1].

The table has one row per distinct observed time of each group, censoring-only times included
(``n_event`` 0), like ``summary(survfit(...), censored = TRUE)``. The median (and its CI) is the
first time the curve (its lower, upper pointwise limit) is at or below 0.5; when the curve sits
exactly at 0.5 over an interval the midpoint of that interval is used, as R does. Times that
differ only by rounding are one time (R's ``timefix``; :mod:`alstrials.models.ties`).

References
----------
Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations. JASA 53.
Greenwood M (1926). The natural duration of cancer. Reports on Public Health 33.
Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
Biometrics 38:29-41.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.models.survival._data import (
    as_events,
    as_names,
    as_times,
    group_codes,
    require_columns,
)
from alstrials.models.ties import merge_close_times

__all__ = ["kaplan_meier", "KMResult", "km_curve"]

CONF_TYPES = ("log", "log-log", "plain")


def km_curve(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier curve of one group: ``time n_risk n_event n_censor survival var_log``."""
    times, inverse = np.unique(time, return_inverse=True)
    n_event = np.bincount(inverse, weights=event.astype(float)).astype(np.int64)
    n_total = np.bincount(inverse).astype(np.int64)
    n_risk = time.shape[0] - np.concatenate([[0], np.cumsum(n_total)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        inc = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    var_log = np.cumsum(inc)
    return pd.DataFrame(
        {
            "time": times,
            "n_risk": n_risk,
            "n_event": n_event,
            "n_censor": n_total - n_event,
            "survival": surv,
            "var_log": var_log,
        }
    )


def _limits(
    surv: np.ndarray, sigma: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            ok = surv > 0
            lo = np.where(ok, surv * np.exp(-z * sigma), np.nan)
            hi = np.where(ok, np.minimum(surv * np.exp(z * sigma), 1.0), np.nan)
        elif conf_type == "log-log":
            ok = (surv > 0) & (surv < 1)
            ll = np.log(-np.log(surv))
            a = np.exp(-np.exp(ll + z * sigma / np.log(surv)))
            b = np.exp(-np.exp(ll - z * sigma / np.log(surv)))
            lo, hi = np.where(ok, np.minimum(a, b), np.nan), np.where(ok, np.maximum(a, b), np.nan)
        else:
            se = surv * sigma
            lo, hi = np.clip(surv - z * se, 0, 1), np.clip(surv + z * se, 0, 1)
    bad = ~np.isfinite(sigma)
    lo[bad], hi[bad] = np.nan, np.nan
    return lo, hi


def _first_below_half(y: np.ndarray, x: np.ndarray) -> float:
    """R's rule: first x with y <= 0.5; midpoint to the next drop when y == 0.5 exactly."""
    tol = np.sqrt(np.finfo(float).eps)
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return float("nan")
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < tol and np.any(ys < ys[0]):
        return float((xs[0] + xs[np.flatnonzero(ys < ys[0])[0]]) / 2)
    return float(xs[0])


@dataclass(frozen=True, eq=False, repr=False)
class KMResult(ResultMixin):
    """Kaplan-Meier curves of one or more groups. Build with :func:`kaplan_meier`.

    Attributes
    ----------
    table : DataFrame
        ``group time n_risk n_event n_censor survival se ci_low ci_high`` (``se``: Greenwood
        SE of the survival), one row per distinct observed time per group.
    median : DataFrame
        Indexed by group: ``n n_events median ci_low ci_high``.
    """

    table: pd.DataFrame
    median: pd.DataFrame
    groups: tuple[str, ...]
    by: tuple[str, ...]
    conf_type: str
    conf_level: float
    n_subjects: int
    n_events: int
    converged: bool = True

    def __repr__(self) -> str:
        by = f" by {', '.join(self.by)}" if self.by else ""
        return (
            f"KMResult(Kaplan-Meier{by}: {len(self.groups)} group(s), {self.n_subjects} "
            f"subjects, {self.n_events} events, {self.conf_type} CI)"
        )

    def summary(self) -> pd.DataFrame:
        """The per-group counts, median and its confidence interval."""
        return self.median.copy()

    def survival_at(self, times: Sequence[float]) -> pd.DataFrame:
        """Survival and CI at ``times`` (right-continuous step function), tidy by group.

        Times before the first observation give survival 1; times beyond the last observed time
        give NaN (the curve is not defined there).
        """
        t = np.asarray(times, dtype=float)
        rows = []
        for g in self.groups:
            tab = self.table[self.table["group"] == g]
            pos = np.searchsorted(tab["time"].to_numpy(), t, side="right") - 1
            last = tab["time"].to_numpy()[-1]
            for col in ("survival", "ci_low", "ci_high"):
                vals = tab[col].to_numpy()
                v = np.where(pos >= 0, vals[np.maximum(pos, 0)], 1.0)
                v = np.where(t > last, np.nan, v)
                if col == "survival":
                    surv = v
                elif col == "ci_low":
                    low = v
                else:
                    high = v
            rows.append(
                pd.DataFrame(
                    {"group": g, "time": t, "survival": surv, "ci_low": low, "ci_high": high}
                )
            )
        return pd.concat(rows, ignore_index=True)

    def risk_table(self, times: Sequence[float]) -> pd.DataFrame:
        """Number at risk (observed time >= t) in each group at ``times``: ``group time n_risk``."""
        t = np.asarray(times, dtype=float)
        rows = []
        for g in self.groups:
            tab = self.table[self.table["group"] == g]
            tt = tab["time"].to_numpy()
            pos = np.searchsorted(tt, t, side="left")
            counts = np.append(tab["n_risk"].to_numpy(), 0)
            n_risk = counts[pos]
            rows.append(pd.DataFrame({"group": g, "time": t, "n_risk": n_risk.astype(int)}))
        return pd.concat(rows, ignore_index=True)

    def plot(self, ax: Any = None, *, ci: bool = True, **kwargs: Any) -> Any:
        """Step curves with shaded CI bands (one colour per group); returns the Axes.

        For a figure with a number-at-risk table use
        :func:`alstrials.reporting.survival_plots.plot_km`.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for g in self.groups:
            tab = self.table[self.table["group"] == g]
            t = np.concatenate([[0.0], tab["time"].to_numpy()])
            s = np.concatenate([[1.0], tab["survival"].to_numpy()])
            (line,) = ax.step(t, s, where="post", label=str(g), **kwargs)
            if ci:
                lo = np.concatenate([[1.0], tab["ci_low"].to_numpy()])
                hi = np.concatenate([[1.0], tab["ci_high"].to_numpy()])
                ax.fill_between(
                    t, lo, hi, step="post", alpha=0.2, color=line.get_color(), linewidth=0
                )
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("Survival probability")
        ax.set_xlabel("Time")
        if len(self.groups) > 1:
            ax.legend(title=", ".join(self.by))
        return ax


def kaplan_meier(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    conf_type: str = "log",
    *,
    conf_level: float = 0.95,
) -> KMResult:
    """Kaplan-Meier survival curves with Greenwood confidence intervals.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration, event : str
        Columns of follow-up time and event indicator (True/1 = event).
    by : str or list of str, optional
        Grouping column(s); one curve per combination (labels sorted).
    conf_type : {"log", "log-log", "plain"}
        Confidence interval type, as R ``survfit``'s ``conf.type``.
    conf_level : float
        Confidence level of the pointwise intervals.

    Returns
    -------
    KMResult

    References
    ----------
    Kaplan & Meier (1958); Greenwood (1926); Brookmeyer & Crowley (1982).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "e": [1, 1, 0, 1, 0, 1]})
    >>> km = kaplan_meier(d, "t", "e")
    >>> km.table[["time", "n_risk", "n_event", "survival"]].round(4).values.tolist()[:2]
    [[1.0, 6.0, 1.0, 0.8333], [2.0, 5.0, 1.0, 0.6667]]
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    by_cols = as_names(by)
    require_columns(data, [duration, event, *by_cols])
    (time,) = merge_close_times(as_times(data, duration))
    ev = as_events(data, event)
    codes, labels = group_codes(data, by_cols)
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    tables, medians = [], []
    for code, label in enumerate(labels):
        m = codes == code
        cur = km_curve(time[m], ev[m])
        sigma = np.sqrt(cur["var_log"].to_numpy())
        surv = cur["survival"].to_numpy()
        lo, hi = _limits(surv, sigma, z, conf_type)
        with np.errstate(invalid="ignore"):
            se = np.where(np.isfinite(sigma), surv * sigma, np.nan)
        tab = pd.DataFrame(
            {
                "group": label,
                "time": cur["time"],
                "n_risk": cur["n_risk"],
                "n_event": cur["n_event"],
                "n_censor": cur["n_censor"],
                "survival": surv,
                "se": se,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
        tables.append(tab)
        x = tab["time"].to_numpy()
        medians.append(
            {
                "group": label,
                "n": int(m.sum()),
                "n_events": int(ev[m].sum()),
                "median": _first_below_half(surv, x),
                "ci_low": _first_below_half(lo, x),
                "ci_high": _first_below_half(hi, x),
            }
        )
    return KMResult(
        table=pd.concat(tables, ignore_index=True),
        median=pd.DataFrame(medians).set_index("group"),
        groups=tuple(labels),
        by=tuple(by_cols),
        conf_type=conf_type,
        conf_level=conf_level,
        n_subjects=int(time.shape[0]),
        n_events=int(ev.sum()),
    )
