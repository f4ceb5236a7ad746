"""The pairwise comparison engine behind CAFS, the Finkelstein-Schoenfeld test and the win ratio.

The tests themselves live in :mod:`alstrials.models.cafs` and
:mod:`alstrials.models.finkelstein_schoenfeld`; this module holds the shared rule.

Pairwise rule
-------------
Every subject is compared with every other. Subject i has follow-up time ``f_i`` (the
``events`` table: months to the event or censoring), an event flag ``d_i`` (any event type of the
``events`` table: death, tracheostomy or permanent ventilation, unless ``event_types`` narrows
it) and an ALSFRS-R trajectory. With a horizon ``tau`` (CAFS: the analysis month; FS: optional),
follow-up is truncated: ``t_i = min(f_i, tau)``, and only events at ``f_i <= tau`` count. A pair
is compared over its *shared follow-up* ``s_ij = min(t_i, t_j)``:

1. **Survival.** If exactly one of the two had an event at or before ``s_ij``, that one is worse
   (a subject censored at the very time of the other's event counts as alive then). If both had
   one (only possible when both event times equal ``s_ij`` or are below it), the earlier event is
   worse; equal times tie.
2. **Function.** If neither had an event by ``s_ij``, the one with the larger ALSFRS-R change
   from baseline at time ``s_ij`` is better; changes within ``margin`` points of each other tie.

``u_ij`` is +1 if i is better, -1 if worse, 0 for a tie; subject i's score is
``U_i = sum_{j != i} u_ij`` (pooled over both arms, so ``sum_i U_i = 0``). When every subject is
followed to ``tau`` or has an event before it, ``s_ij = tau`` for pairs of survivors and the rule is
exactly the CAFS of Berry et al. (2013); with censoring it is the Finkelstein-Schoenfeld (1999)
rule restricted to ``[0, tau]``.

ALSFRS-R change at a time s: baseline is the subject's first visit with a total. ``"locf"``
(default) takes the last visit at or before s; ``"interpolate"`` interpolates linearly between
the visits bracketing s (last value carried forward after the last visit). Before the first
visit the change is 0.

Ties are decided without depending on rounding (:mod:`alstrials.models.ties`): follow-up times,
visit times and the horizon that differ only by rounding are one time, and ALSFRS-R changes that
differ by at most ``margin + sqrt(eps) * max|ALSFRS-R|`` tie.

References
----------
Berry JD, Miller R, Moore DH, et al. The Combined Assessment of Function and Survival (CAFS):
a new endpoint for ALS clinical trials. ALS Frontotemporal Degener 2013;14:162-8.
Finkelstein DM, Schoenfeld DA. Combining mortality and longitudinal measures in clinical
trials. Stat Med 1999;18:1341-54.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from alstrials.data.arms import DEFAULT_ARMS, infer_arms
from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.ties import TIE_TOLERANCE, merge_close_times

__all__ = [
    "ChangeMethod",
    "PairwiseData",
    "change_at",
    "pairwise_matrix",
    "prepare_pairwise",
    "scores_frame",
    "summary_frame",
]

ChangeMethod = Literal["locf", "interpolate"]


def change_at(times: np.ndarray, values: np.ndarray, s: np.ndarray, method: str) -> np.ndarray:
    """Change from baseline of each subject i at the times ``s[i, :]``.

    ``times``/``values`` are (N, K) padded with +inf / nan, sorted by time, column 0 = baseline.
    """
    n = len(times)
    out = np.empty_like(s, dtype=float)
    step = max(1, 2_000_000 // max(1, n * times.shape[1]))
    rows_all = np.arange(n)
    for start in range(0, n, step):
        rows = rows_all[start : start + step]
        tt = times[rows][:, None, :]
        idx = (tt <= s[rows][:, :, None]).sum(axis=2) - 1  # last visit at or before s
        r = rows[:, None]
        safe = np.maximum(idx, 0)
        val = values[r, safe]
        if method == "interpolate":
            nxt = np.minimum(safe + 1, times.shape[1] - 1)
            t0, t1 = times[r, safe], times[r, nxt]
            has_next = (idx >= 0) & (nxt > safe) & np.isfinite(t1)
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(has_next, (s[rows] - t0) / (t1 - t0), 0.0)
            val = np.where(has_next, val + frac * (values[r, nxt] - val), val)
        change = val - values[rows, 0][:, None]
        out[rows] = np.where(idx < 0, 0.0, change)
    return out


def pairwise_matrix(
    follow_up: np.ndarray,
    event: np.ndarray,
    visit_times: np.ndarray,
    visit_values: np.ndarray,
    *,
    horizon: float | None = None,
    change: ChangeMethod = "locf",
    margin: float = 0.0,
) -> np.ndarray:
    """The matrix ``u[i, j]`` (+1 i better, -1 i worse, 0 tie) of the module's pairwise rule.

    Parameters
    ----------
    follow_up, event : array, shape (N,)
        Months to event or censoring; event flag.
    visit_times, visit_values : array, shape (N, K)
        Each subject's visit months (sorted, padded with ``inf``) and ALSFRS-R totals (padded
        with ``nan``); column 0 is the baseline visit.
    horizon : float, optional
        Truncation time ``tau`` (None: no truncation).
    change : {"locf", "interpolate"}
        How the change from baseline at the shared follow-up time is read off the visits.
    margin : float, default 0
        Function differences of at most ``margin`` points are ties.

    Returns
    -------
    numpy.ndarray, shape (N, N)
        Antisymmetric, zero diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[0.0, 12.0], [0.0, 12.0]]); y = np.array([[40.0, 30.0], [40.0, 35.0]])
    >>> pairwise_matrix(np.array([12.0, 12.0]), np.array([False, False]), t, y).tolist()
    [[0.0, -1.0], [1.0, 0.0]]
    """
    if change not in ("locf", "interpolate"):
        raise ValueError(f"change must be 'locf' or 'interpolate', got {change!r}")
    d = np.asarray(event, dtype=bool)
    vt = np.asarray(visit_times, float)
    vv = np.asarray(visit_values, float)
    # times equal up to rounding are one time, changes equal up to rounding tie
    # (alstrials.models.ties): the comparisons then do not depend on the CPU
    h = np.array([] if horizon is None else [float(horizon)])
    f, vt, h = merge_close_times(np.asarray(follow_up, dtype=float), vt, h)
    t = f.copy()
    if horizon is not None:
        d = d & (f <= h[0])
        t = np.minimum(f, h[0])
    s = np.minimum.outer(t, t)
    died = d[:, None] & (f[:, None] <= s)  # died[i, j]: i had its event within the pair's window
    died_j = died.T
    surv = np.where(
        died & died_j,
        np.sign(f[:, None] - f[None, :]),
        np.where(died, -1.0, np.where(died_j, 1.0, 0.0)),
    )
    v = change_at(vt, vv, s, change)
    diff = v - v.T
    finite = vv[np.isfinite(vv)]
    atol = TIE_TOLERANCE * max(1.0, float(np.max(np.abs(finite), initial=0.0)))
    func = np.where(np.abs(diff) <= margin + atol, 0.0, np.sign(diff))
    u = np.where(died | died_j, surv, func)
    np.fill_diagonal(u, 0.0)
    return u


@dataclass(frozen=True)
class PairwiseData:
    subjects: pd.DataFrame  # subject_id, arm, follow_up, event
    times: np.ndarray
    values: np.ndarray
    arms: tuple[str, str]
    n_dropped: int


def _frames(
    data: TrialData | Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], tuple[str, ...] | None]:
    if isinstance(data, TrialData):
        return {n: data.table(n) for n in ("subjects", "alsfrs", "events")}, data.arms
    if isinstance(data, Mapping):
        missing = [n for n in ("subjects", "alsfrs", "events") if n not in data]
        if missing:
            raise DataValidationError(
                f"data needs the tables 'subjects', 'alsfrs' and 'events'; missing {missing}.",
                table=missing[0],
            )
        return {n: data[n] for n in ("subjects", "alsfrs", "events")}, None
    raise TypeError(f"data must be a TrialData or a mapping of DataFrames, got {type(data)}")


def _event_flags(events: pd.DataFrame) -> pd.Series:
    """The ``event`` column as bool; True/False, 1/0, yes/no (any case) are accepted."""
    text = events["event"].astype(str).str.strip().str.lower()
    true = text.isin(["true", "t", "yes", "y", "1", "1.0"])
    bad = ~(true | text.isin(["false", "f", "no", "n", "0", "0.0"]))
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            f"table 'events', column 'event', subject {events['subject_id'].iloc[pos]!r}, row "
            f"{pos}: value {events['event'].iloc[pos]!r} is not true/false "
            f"({int(bad.sum())} such row(s)); every subject needs an event flag.",
            table="events",
            column="event",
            subject=events["subject_id"].iloc[pos],
            row=pos,
        )
    return true


def prepare_pairwise(
    data: TrialData | Mapping[str, pd.DataFrame],
    arms: Sequence[str] | None,
    event_types: Sequence[str] | None,
) -> PairwiseData:
    """Check and arrange the data for :func:`pairwise_matrix` (see the module docstring)."""
    frames, declared = _frames(data)
    need = {
        "subjects": ("subject_id", "arm"),
        "alsfrs": ("subject_id", "months", "alsfrs_total"),
        "events": ("subject_id", "months", "event"),
    }
    for table, cols in need.items():
        for col in cols:
            if col not in frames[table].columns:
                raise DataValidationError(
                    f"table '{table}' is missing column '{col}' needed for pairwise endpoints.",
                    table=table,
                    column=col,
                )
    subj = frames["subjects"][["subject_id", "arm"]].astype({"subject_id": str})
    ev = frames["events"].astype({"subject_id": str}).drop_duplicates("subject_id")
    flag = _event_flags(ev)
    if event_types is not None:
        if "event_type" not in ev.columns:
            raise DataValidationError(
                "event_types= needs an 'event_type' column in 'events'.",
                table="events",
                column="event_type",
            )
        flag = flag & ev["event_type"].isin(list(event_types))
    ev = pd.DataFrame(
        {
            "subject_id": ev["subject_id"],
            "follow_up": ev["months"].astype(float),
            "event": flag.to_numpy(dtype=bool),
        }
    )
    visits = frames["alsfrs"][["subject_id", "months", "alsfrs_total"]].astype({"subject_id": str})
    visits = visits[visits["alsfrs_total"].notna() & visits["months"].notna()]
    visits = visits.assign(
        months=visits["months"].astype(float), alsfrs_total=visits["alsfrs_total"].astype(float)
    )
    visits = visits.sort_values(["subject_id", "months"], kind="stable")
    if arms is None:
        # the trial's declared arms; for plain frames only an unambiguous reference (never the
        # alphabetically first label): see alstrials.data.arms.infer_arms
        found = list(pd.unique(subj["arm"].dropna()))
        if declared is not None:
            arms = declared
        elif len(found) == 2 or set(found) <= set(DEFAULT_ARMS):
            arms = infer_arms(subj["arm"], subj["subject_id"].tolist())
        else:
            arms = tuple(found)
    arms = tuple(arms)
    if len(arms) != 2:
        raise DataValidationError(
            f"pairwise endpoints compare two arms; found {list(arms)}. Pass arms=(reference, "
            f"active).",
            table="subjects",
            column="arm",
        )
    merged = subj[subj["arm"].isin(arms)].merge(ev, on="subject_id", how="left")
    has_visit = merged["subject_id"].isin(visits["subject_id"])
    keep = merged["follow_up"].notna() & has_visit
    n_dropped = int((~keep).sum()) + int((~subj["arm"].isin(arms)).sum())
    if n_dropped:
        kept_ids = merged.loc[keep, "subject_id"]
        first = subj.loc[~subj["subject_id"].isin(kept_ids), "subject_id"].tolist()[:3]
        warnings.warn(
            f"{n_dropped} subject(s) left out of the pairwise comparisons: arm not in "
            f"{list(arms)}, no 'events' row, or no ALSFRS-R visit with a total "
            f"(first: {first}).",
            DataWarning,
            stacklevel=3,
        )
    merged = merged[keep].reset_index(drop=True)
    counts = merged["arm"].value_counts()
    for arm in arms:
        if counts.get(arm, 0) == 0:
            raise DataValidationError(
                f"arm {arm!r} has no analysable subject.", table="subjects", column="arm"
            )
    visits = visits[visits["subject_id"].isin(merged["subject_id"])]
    pos = visits.groupby("subject_id", sort=False).cumcount().to_numpy()
    row = merged.reset_index().set_index("subject_id")["index"].reindex(visits["subject_id"])
    k = int(pos.max()) + 1
    times = np.full((len(merged), k), np.inf)
    values = np.full((len(merged), k), np.nan)
    times[row.to_numpy(), pos] = visits["months"].to_numpy()
    values[row.to_numpy(), pos] = visits["alsfrs_total"].to_numpy()
    return PairwiseData(merged, times, values, (arms[0], arms[1]), n_dropped)


def summary_frame(rows: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"value": pd.Series(rows, dtype=float)}).rename_axis("quantity")


def scores_frame(prep: PairwiseData, u: np.ndarray, horizon: float | None) -> pd.DataFrame:
    s = prep.subjects
    event = s["event"].to_numpy(dtype=bool)
    if horizon is not None:
        event = event & (s["follow_up"].to_numpy() <= horizon)
    return pd.DataFrame(
        {
            "subject_id": s["subject_id"].to_numpy(),
            "arm": s["arm"].to_numpy(),
            "follow_up": s["follow_up"].to_numpy(dtype=float),
            "event": event,
            "score": u.sum(axis=1),
        }
    )
