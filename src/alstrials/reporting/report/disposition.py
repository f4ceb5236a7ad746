"""Enrolment, disposition and data completeness of a trial at a data cut-off.

Disposition (one subject in exactly one state at the cut-off, in this order):

``event``        the first of death, tracheostomy or permanent ventilation happened (the events
                 table records only the first, so later events are not counted);
``completed``    event-free through the planned follow-up (the last scheduled visit);
``in follow-up`` event-free and censored at the cut-off, before the end of follow-up;
``withdrawn``    censored before both the cut-off and the end of follow-up (withdrawal or loss
                 to follow-up).

Completeness: a scheduled visit at month ``v`` is *expected* for a subject enrolled at ``e``
when ``e + v`` is on or before the cut-off and the subject had no event before ``v``
(withdrawn subjects stay expected, so dropout shows as missing visits). A visit is *observed*
when the subject has an ALSFRS-R total whose nearest scheduled month is ``v``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData

__all__ = [
    "STATES",
    "EVENT_LABELS",
    "disposition",
    "disposition_table",
    "events_by_type",
    "completeness",
    "exclusion_counts",
    "flow_html",
]

STATES = ("event", "completed", "in follow-up", "withdrawn")
EVENT_LABELS = {
    "death": "death",
    "tracheostomy": "tracheostomy",
    "permanent_ventilation": "permanent ventilation",
}
_TOL = 1e-6


def disposition(trial: TrialData, cutoff: float, follow_up: float) -> pd.DataFrame:
    """Per subject: ``subject_id arm state event_type months`` at the cut-off (module docstring).

    ``trial`` is the trial cut at ``cutoff`` (:func:`alstrials.cut_at`); ``follow_up`` the
    planned follow-up in months since baseline.
    """
    subjects = trial.subjects[["subject_id", "arm", "enrollment_month"]]
    data = subjects.merge(trial.events, on="subject_id", how="left", validate="one_to_one")
    available = cutoff - data["enrollment_month"].to_numpy(dtype=float)
    months = data["months"].to_numpy(dtype=float)
    event = data["event"].fillna(False).to_numpy(dtype=bool)
    state = np.select(
        [
            event,
            months >= follow_up - _TOL,
            months >= available - _TOL,
        ],
        ["event", "completed", "in follow-up"],
        default="withdrawn",
    )
    return pd.DataFrame(
        {
            "subject_id": data["subject_id"].to_numpy(),
            "arm": data["arm"].astype(str).to_numpy(),
            "state": state,
            "event_type": np.where(event, data["event_type"].astype(str), ""),
            "months": months,
        }
    )


def _columns(frame: pd.DataFrame, arms: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    groups = [(arm, frame[frame["arm"] == arm]) for arm in arms]
    if len(arms) > 1:
        groups.append(("total", frame))
    return groups


def _n_pct(n: int, of: int) -> str:
    return f"{n} ({100 * n / of:.1f}%)" if of else f"{n}"


def disposition_table(
    trial: TrialData, cutoff: float, follow_up: float, *, counts_only: bool = False
) -> pd.DataFrame:
    """Subjects randomised and their state at the cut-off, by arm and in total.

    Rows: randomised, each state of :data:`STATES` (events split by type). Cells read
    "n (%)" of the randomised subjects of the column, or plain integers with ``counts_only``.
    """
    per = disposition(trial, cutoff, follow_up)
    out: dict[str, dict[str, object]] = {}
    for label, rows in _columns(per, trial.arms):
        n = len(rows)
        cell = (lambda k: int(k)) if counts_only else (lambda k, n=n: _n_pct(int(k), n))
        col: dict[str, object] = {"randomised": n if counts_only else str(n)}
        col["first event by the cut-off"] = cell((rows["state"] == "event").sum())
        for kind, word in EVENT_LABELS.items():
            col[f"first event: {word}"] = cell((rows["event_type"] == kind).sum())
        col[f"completed {follow_up:g} months of follow-up"] = cell(
            (rows["state"] == "completed").sum()
        )
        col["in follow-up at the cut-off"] = cell((rows["state"] == "in follow-up").sum())
        col["withdrawn or lost to follow-up"] = cell((rows["state"] == "withdrawn").sum())
        out[label] = col
    return pd.DataFrame(out).rename_axis("subjects")


def events_by_type(trial: TrialData) -> pd.DataFrame:
    """First clinical events by type and arm: ``n (%)`` of the randomised subjects.

    Rows: death, tracheostomy, permanent ventilation, any of them (the composite endpoint),
    event-free (censored).
    """
    data = trial.subjects[["subject_id", "arm"]].merge(trial.events, on="subject_id", how="left")
    data["arm"] = data["arm"].astype(str)
    out: dict[str, dict[str, str]] = {}
    for label, rows in _columns(data, trial.arms):
        n = len(rows)
        col = {
            word: _n_pct(int((rows["event_type"] == k).sum()), n)
            for k, word in EVENT_LABELS.items()
        }
        col["any of these (composite endpoint)"] = _n_pct(int(rows["event"].fillna(False).sum()), n)
        col["event-free (censored)"] = _n_pct(int((~rows["event"].fillna(False)).sum()), n)
        out[label] = col
    return pd.DataFrame(out).rename_axis("first event")


def completeness(
    trial: TrialData, cutoff: float, schedule: Sequence[float], *, by_arm: bool = True
) -> pd.DataFrame:
    """ALSFRS-R visits expected and observed by scheduled visit (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per scheduled month (and arm when ``by_arm``): ``visit`` (month), ``arm``,
        ``expected``, ``observed``, ``missing``, ``percent observed`` and ``withdrawn``
        (expected visits of subjects who had withdrawn before it).
    """
    times = np.asarray(sorted(schedule), dtype=float)
    subjects = trial.subjects[["subject_id", "arm", "enrollment_month"]].merge(
        trial.events, on="subject_id", how="left"
    )
    visits = trial.alsfrs.dropna(subset=["alsfrs_total"])
    months = visits["months"].to_numpy(dtype=float)
    nearest = times[np.abs(months[:, None] - times[None, :]).argmin(axis=1)] if len(visits) else []
    seen = set(zip(visits["subject_id"], np.asarray(nearest, dtype=float), strict=True))
    enrolled = subjects["enrollment_month"].to_numpy(dtype=float)
    ev_months = subjects["months"].to_numpy(dtype=float)
    event = subjects["event"].fillna(False).to_numpy(dtype=bool)
    available = cutoff - enrolled
    withdrawn_at = np.where(~event & (ev_months < available - _TOL), ev_months, np.inf)
    arms = subjects["arm"].astype(str).to_numpy()
    ids = subjects["subject_id"].to_numpy()
    groups = list(trial.arms) if by_arm else [None]
    rows = []
    for v in times:
        due = (enrolled + v <= cutoff + _TOL) & ~(event & (ev_months < v - _TOL))
        observed = np.array([(sid, v) in seen for sid in ids], dtype=bool)
        gone = withdrawn_at < v - _TOL
        for arm in groups:
            mask = due if arm is None else due & (arms == arm)
            expected = int(mask.sum())
            got = int((mask & observed).sum())
            rows.append(
                {
                    "visit": float(v),
                    "arm": "all subjects" if arm is None else arm,
                    "expected": expected,
                    "observed": got,
                    "missing": expected - got,
                    "percent observed": 100.0 * got / expected if expected else np.nan,
                    "withdrawn": int((mask & gone).sum()),
                }
            )
    return pd.DataFrame(rows)


def exclusion_counts(exclusions: pd.DataFrame) -> pd.DataFrame:
    """Rows set aside by the reader or by lenient validation, counted by table and reason."""
    if exclusions.empty:
        return pd.DataFrame(columns=["table", "reason", "rows", "subjects"])
    grouped = exclusions.groupby(["table", "reason"], sort=True, dropna=False)
    return (
        grouped.agg(rows=("row", "size"), subjects=("subject_id", "nunique"))
        .reset_index()
        .astype({"rows": int, "subjects": int})
    )


def flow_html(
    counts: pd.DataFrame,
    *,
    screened: int | None,
    exclusions: pd.DataFrame,
    follow_up: float,
) -> str:
    """A CONSORT-style flow diagram as HTML boxes (one column per arm) from
    :func:`disposition_table` ``(counts_only=True)`` and the exclusion log."""
    arms = [c for c in counts.columns if c != "total"]
    total = int(counts.loc["randomised"].get("total", counts.loc["randomised"].iloc[0]))
    set_aside = exclusion_counts(exclusions)
    n_rows = int(set_aside["rows"].sum()) if len(set_aside) else 0
    subjects_out = (
        int(exclusions.loc[exclusions["table"] == "subjects", "subject_id"].nunique())
        if len(exclusions)
        else 0
    )
    screened_text = (
        f"Screened: {screened}"
        if screened is not None
        else "Screened: not recorded in the trial data (the subjects table holds randomised "
        "subjects only)"
    )
    log_text = (
        f"Set aside at data validation: {n_rows} row(s), {subjects_out} subject(s) "
        "(exclusion log, appendix)"
        if n_rows
        else "Set aside at data validation: none (the exclusion log is empty)"
    )
    top = [
        f'<div class="flow-box">{html.escape(screened_text)}</div>',
        '<div class="flow-arrow">&#8595;</div>',
        f'<div class="flow-box flow-side">{html.escape(log_text)}</div>',
        '<div class="flow-arrow">&#8595;</div>',
        f'<div class="flow-box flow-main">Randomised by the cut-off: <b>{total}</b></div>',
        '<div class="flow-arrow">&#8595;</div>',
    ]
    columns = []
    for arm in arms:
        col = counts[arm]
        events = ", ".join(f"{w} {int(col[f'first event: {w}'])}" for w in EVENT_LABELS.values())
        boxes = [
            '<div class="flow-box flow-main">'
            f"{html.escape(str(arm))}: <b>{int(col['randomised'])}</b></div>",
            '<div class="flow-box">First event: '
            f'<b>{int(col["first event by the cut-off"])}</b><br><span class="small">'
            f"{html.escape(events)}</span></div>",
            f'<div class="flow-box">Completed {follow_up:g} months: '
            f"<b>{int(col[f'completed {follow_up:g} months of follow-up'])}</b></div>",
            f'<div class="flow-box">In follow-up at the cut-off: '
            f"<b>{int(col['in follow-up at the cut-off'])}</b></div>",
            f'<div class="flow-box">Withdrawn or lost to follow-up: '
            f"<b>{int(col['withdrawn or lost to follow-up'])}</b></div>",
        ]
        columns.append(f'<div class="flow-col">{"".join(boxes)}</div>')
    grid = (
        f'<div class="flow-arms" style="grid-template-columns: repeat({len(arms)}, 1fr)">'
        f"{''.join(columns)}</div>"
    )
    return f'<div class="flow">{"".join(top)}{grid}</div>'
