"""Restricted mean survival time (RMST) per group and between-group contrasts: :func:`rmst`.

For a Kaplan-Meier curve :math:`\\hat S` and horizon :math:`\\tau`,
:math:`\\widehat{\\mathrm{RMST}}(\\tau) = \\int_0^\\tau \\hat S(u)\\,du` (area of the step
function). Its variance (R ``print(survfit(...), rmean = tau)``, Klein & Moeschberger 4.5):

.. math::

    \\widehat{\\mathrm{Var}} = \\sum_{t_j \\le \\tau} A_j^2 \\frac{d_j}{n_j (n_j - d_j)},
    \\qquad A_j = \\int_{t_j}^{\\tau} \\hat S(u)\\,du .

Between two arms (each non-reference group against the reference, the first group):
difference :math:`\\mu_1 - \\mu_0` with SE :math:`\\sqrt{se_1^2 + se_0^2}` (independent arms),
and ratio :math:`\\mu_1 / \\mu_0` with a CI from the delta method on the log scale,
:math:`se(\\log r) = \\sqrt{se_1^2/\\mu_1^2 + se_0^2/\\mu_0^2}`.

References
----------
Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to the hazard ratio
for the design and analysis of randomized trials with a time-to-event outcome. BMC Med Res
Methodol 13:152.
Klein JP, Moeschberger ML (2003). Survival Analysis, 2nd ed., section 4.5. Springer.
Uno H et al. (2014). Moving beyond the hazard ratio in quantifying the between-group difference
in survival analysis. J Clin Oncol 32:2380-2385.
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
from alstrials.models.survival.km import km_curve
from alstrials.models.ties import merge_close_times

__all__ = ["rmst", "RMSTResult", "rmst_from_curve"]


def rmst_from_curve(time: np.ndarray, event: np.ndarray, tau: float) -> tuple[float, float]:
    """RMST and its SE for one group, restricted to ``tau``."""
    cur = km_curve(time, event)
    t = cur["time"].to_numpy()
    s = cur["survival"].to_numpy()
    inside = t <= tau
    knots = np.concatenate([[0.0], t[inside], [tau]])
    heights = np.concatenate([[1.0], s[inside]])  # value on [knot_i, knot_{i+1})
    areas = heights * np.diff(knots)
    mu = float(areas.sum())
    # A_j for the j-th time in ``inside``: area from t_j to tau
    tail = np.cumsum(areas[::-1])[::-1][1:]
    d = cur["n_event"].to_numpy()[inside]
    n = cur["n_risk"].to_numpy()[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where((d > 0) & (n > d), d / (n * (n - d)), 0.0)
    var = float(np.sum(tail**2 * h))
    return mu, float(np.sqrt(var))


@dataclass(frozen=True, eq=False, repr=False)
class RMSTResult(ResultMixin):
    """RMST per group and contrasts against the reference group. Build with :func:`rmst`.

    Attributes
    ----------
    table : DataFrame
        Indexed by group: ``n n_events tau rmst se ci_low ci_high``.
    contrasts : DataFrame
        One row per (non-reference group, measure) with measure ``difference`` or ``ratio``:
        ``group reference measure estimate se ci_low ci_high p`` (``se`` of the log ratio for
        the ratio; ``p`` tests no difference).
    """

    table: pd.DataFrame
    contrasts: pd.DataFrame
    tau: float
    conf_level: float
    n_subjects: int
    n_events: int
    converged: bool = True

    def __repr__(self) -> str:
        return (
            f"RMSTResult(tau = {self.tau:g}: {len(self.table)} group(s), "
            f"{self.n_subjects} subjects, {self.n_events} events)"
        )

    def summary(self) -> pd.DataFrame:
        """The per-group table."""
        return self.table.copy()


def rmst(
    data: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    tau: float | None = None,
    *,
    reference: str | None = None,
    conf_level: float = 0.95,
) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` per group, with differences and ratios.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration, event : str
        Columns of follow-up time and event indicator.
    by : str or list of str, optional
        Grouping column(s) (e.g. ``"arm"``).
    tau : float, optional
        Restriction horizon. Default: the smallest of the groups' largest observed times (so
        every curve is defined up to tau), the usual choice of Tian et al. and survRM2.
    reference : str, optional
        Reference group for contrasts (default: the first group in sorted order, or
        "placebo" when it is one of the groups).
    conf_level : float
        Confidence level of the intervals.

    Returns
    -------
    RMSTResult

    References
    ----------
    Royston & Parmar (2013); Klein & Moeschberger (2003); Uno et al. (2014).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2, 4, 5, 7, 3, 6, 8, 9], "e": [1, 1, 0, 1, 1, 1, 0, 1],
    ...                   "arm": ["placebo"] * 4 + ["active"] * 4})
    >>> res = rmst(d, "t", "e", by="arm", tau=6)
    >>> res.table["rmst"].round(3).tolist()
    [5.25, 4.5]
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    by_cols = as_names(by)
    require_columns(data, [duration, event, *by_cols])
    (time,) = merge_close_times(as_times(data, duration))  # rounding-level ties (models.ties)
    ev = as_events(data, event)
    codes, labels = group_codes(data, by_cols)
    max_t = [float(time[codes == c].max()) for c in range(len(labels))]
    if tau is None:
        tau = min(max_t)
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be a positive number, got {tau!r}")
    too_far = [lab for lab, m in zip(labels, max_t, strict=True) if tau > m]
    if too_far:
        raise DataValidationError(
            f"tau = {tau:g} is beyond the last observed time of group(s) {too_far}; the "
            "Kaplan-Meier curve is undefined there. Choose tau <= "
            f"{min(max_t):g} (the default)."
        )
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    rows = []
    for c, lab in enumerate(labels):
        m = codes == c
        mu, se = rmst_from_curve(time[m], ev[m], tau)
        rows.append(
            {
                "group": lab,
                "n": int(m.sum()),
                "n_events": int(ev[m].sum()),
                "tau": tau,
                "rmst": mu,
                "se": se,
                "ci_low": mu - z * se,
                "ci_high": mu + z * se,
            }
        )
    table = pd.DataFrame(rows).set_index("group")
    if reference is None:
        reference = "placebo" if "placebo" in labels else labels[0]
    if reference not in labels:
        raise ValueError(f"reference {reference!r} is not a group; groups are {labels}")
    m0, s0 = table.loc[reference, "rmst"], table.loc[reference, "se"]
    contrasts = []
    for lab in labels:
        if lab == reference:
            continue
        m1, s1 = table.loc[lab, "rmst"], table.loc[lab, "se"]
        dse = float(np.hypot(s1, s0))
        dz = (m1 - m0) / dse
        contrasts.append(
            {
                "group": lab,
                "reference": reference,
                "measure": "difference",
                "estimate": m1 - m0,
                "se": dse,
                "ci_low": m1 - m0 - z * dse,
                "ci_high": m1 - m0 + z * dse,
                "p": float(2 * stats.norm.sf(abs(dz))),
            }
        )
        lse = float(np.hypot(s1 / m1, s0 / m0))
        lr = float(np.log(m1 / m0))
        contrasts.append(
            {
                "group": lab,
                "reference": reference,
                "measure": "ratio",
                "estimate": m1 / m0,
                "se": lse,
                "ci_low": np.exp(lr - z * lse),
                "ci_high": np.exp(lr + z * lse),
                "p": float(2 * stats.norm.sf(abs(lr / lse))),
            }
        )
    return RMSTResult(
        table=table,
        contrasts=pd.DataFrame(contrasts),
        tau=tau,
        conf_level=conf_level,
        n_subjects=int(time.shape[0]),
        n_events=int(ev.sum()),
    )
