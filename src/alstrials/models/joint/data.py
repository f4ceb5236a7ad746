"""Checking the joint model's input tables: one survival row per subject, the event (and cause)
columns, and each marker's measurements within follow-up.

Every rejection is a :class:`~alstrials.errors.DataValidationError` naming the table, column,
subject and row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError
from alstrials.models.joint.spec import ModelSpec
from alstrials.models.ties import merge_close_times

__all__ = ["SurvivalTable", "read_survival", "marker_frames"]


@dataclass(frozen=True)
class SurvivalTable:
    """The checked survival table: ids, times, the event matrix by cause and the frame."""

    frame: pd.DataFrame
    group: str
    ids: np.ndarray
    T: np.ndarray
    d: np.ndarray  # (n, C)
    causes: tuple[str, ...] | None


def _reject_rows(
    frame: pd.DataFrame,
    group: str,
    mask: np.ndarray,
    column: str,
    message: Callable[[object, int, object], str],
    table: str = "survival",
) -> None:
    """Raise at the first row flagged by ``mask``; ``message(subject, row, value)``."""
    if not mask.any():
        return
    row = int(np.flatnonzero(mask)[0])
    subject = frame[group].iloc[row]
    raise DataValidationError(
        message(subject, row, frame[column].iloc[row]),
        table=table,
        column=column,
        subject=subject,
        row=row,
    )


def _need(frame: Any, table: str, cols: tuple[str, ...]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"{table} must be a pandas DataFrame", table=table)
    for c in cols:
        if c not in frame.columns:
            raise DataValidationError(
                f"{table} table has no column {c!r}; columns are {list(frame.columns)}",
                table=table,
                column=c,
            )


def read_survival(
    survival: Any, group: str, duration: str, event: str, cause: str | None
) -> SurvivalTable:
    """Check the survival table and return its arrays (see :class:`SurvivalTable`)."""
    _need(survival, "survival", (group, duration, event) + ((cause,) if cause else ()))
    surv = survival.reset_index(drop=True)
    _reject_rows(
        surv,
        group,
        surv[group].duplicated().to_numpy(),
        group,
        lambda s, r, v: (
            f"survival table must have one row per subject; subject {s!r} repeats "
            f"(row {r}, column {group!r})"
        ),
    )
    T = pd.to_numeric(surv[duration], errors="coerce").to_numpy(dtype=float)
    _reject_rows(
        surv,
        group,
        ~np.isfinite(T) | (T <= 0),
        duration,
        lambda s, r, v: (
            f"survival column {duration!r} must be positive and finite; subject {s!r} "
            f"(row {r}) has {v!r}"
        ),
    )
    raw = surv[event]
    d = pd.to_numeric(raw.astype("float") if raw.dtype == bool else raw, errors="coerce")
    d = d.to_numpy(dtype=float)
    _reject_rows(
        surv,
        group,
        ~np.isin(d, (0.0, 1.0)),
        event,
        lambda s, r, v: (
            f"survival column {event!r} must be 0/1 or boolean; subject {s!r} (row {r}) has {v!r}"
        ),
    )
    if d.sum() == 0:
        raise DataValidationError(
            f"survival column {event!r} has no events; the survival submodel and the "
            "association cannot be estimated",
            table="survival",
            column=event,
        )
    causes: tuple[str, ...] | None = None
    D = d[:, None]
    if cause is not None:
        labels = surv[cause]
        _reject_rows(
            surv,
            group,
            (d == 1) & labels.isna().to_numpy(),
            cause,
            lambda s, r, v: (
                f"survival column {cause!r} must name the cause of every event; subject "
                f"{s!r} (row {r}) has an event with no cause"
            ),
        )
        text = labels.astype("string")
        causes = tuple(sorted(pd.unique(text[d == 1]).tolist()))
        D = np.column_stack([((d == 1) & (text == c).fillna(False).to_numpy()) for c in causes])
        D = D.astype(float)
    return SurvivalTable(surv, group, surv[group].to_numpy(), T, D, causes)


def marker_frames(
    longitudinal: Any, spec: ModelSpec, surv: SurvivalTable, time: str
) -> list[pd.DataFrame]:
    """One frame per marker: its measurements (response present), sorted by subject and time,
    with ``_subj`` (subject index) and ``_row`` (row in the user's table)."""
    names = [m.name for m in spec.markers]
    group = surv.group
    if isinstance(longitudinal, Mapping):
        if set(map(str, longitudinal)) != set(names):
            raise DataValidationError(
                f"longitudinal given as a dict must have one frame per marker {names}; got "
                f"{sorted(map(str, longitudinal))}",
                table="longitudinal",
            )
        tables = {m: longitudinal[m] for m in names}
        labels = {m: f"longitudinal[{m!r}]" for m in names}
    else:
        tables = {m: longitudinal for m in names}
        labels = {m: "longitudinal" for m in names}
    pos = {s: i for i, s in enumerate(surv.ids)}
    seen: set = set()
    out = []
    for m in names:
        frame, label = tables[m], labels[m]
        _need(frame, label, (group, time, m))
        extra = [s for s in pd.unique(frame[group]) if s not in pos]
        if extra:
            raise DataValidationError(
                f"subjects must match between the tables: subject(s) {extra[:3]} of {label} "
                f"are not in the survival table (column {group!r}); drop them or add their "
                "survival rows",
                table=label,
                column=group,
                subject=extra[0],
            )
        long = frame.copy()
        long["_row"] = np.arange(len(long))
        if spec.several_markers:  # a missing value means the marker was not measured
            long = long[long[m].notna()]
        long["_subj"] = long[group].map(pos).astype(int)
        long = long.sort_values(["_subj", time], kind="stable").reset_index(drop=True)
        _check_times(long, surv, group, time, label)
        seen.update(long["_subj"].tolist())
        out.append(long)
    missing = [s for i, s in enumerate(surv.ids) if i not in seen]
    if missing and not spec.several_markers:
        raise DataValidationError(
            f"subjects must match between the tables: subject(s) {missing[:3]} have no "
            f"longitudinal rows (column {group!r}); drop them or add the missing rows",
            table="survival",
            column=group,
            subject=missing[0],
        )
    return out


def _check_times(
    long: pd.DataFrame, surv: SurvivalTable, group: str, time: str, label: str
) -> None:
    tvals = pd.to_numeric(long[time], errors="coerce").to_numpy(dtype=float)
    # a measurement at the event time up to rounding is at the event time (models.ties)
    tcheck, tend = merge_close_times(tvals, surv.T)
    late = ~np.isfinite(tvals) | (tcheck > tend[long["_subj"].to_numpy()]) | (tvals < 0)
    if late.any():
        j = int(np.flatnonzero(late)[0])
        raise DataValidationError(
            f"{label} row {int(long['_row'].iloc[j])} (subject {long[group].iloc[j]!r}, "
            f"column {time!r} = {long[time].iloc[j]!r}) is missing, negative or after the "
            "subject's event/censoring time; remove measurements taken after follow-up ends",
            table=label,
            column=time,
            subject=long[group].iloc[j],
            row=int(long["_row"].iloc[j]),
        )
