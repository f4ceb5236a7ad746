"""Checks and encodings shared by the scoring functions (one declared place for validation)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError

__all__ = ["Outcomes", "encode_outcomes", "check_horizons", "check_level", "check_risk"]


@dataclass(frozen=True)
class Outcomes:
    """Observed outcomes encoded for scoring.

    ``status``: 0 censored, 1 the cause of interest, 2 any other cause; ``labels`` the original
    cause labels of the events (None when censored).
    """

    ids: pd.Index
    time: np.ndarray
    status: np.ndarray
    cause: Hashable
    causes: tuple[Hashable, ...]
    table: str

    @property
    def n(self) -> int:
        return len(self.time)


def _column(frame: pd.DataFrame, name: str, table: str, argument: str) -> pd.Series:
    if name not in frame.columns:
        raise DataValidationError(
            f"{table} has no column {name!r} (argument {argument}); columns are "
            f"{list(frame.columns)}",
            table=table,
            column=name,
        )
    return frame[name]


def encode_outcomes(
    frame: pd.DataFrame,
    *,
    time: str,
    cause: str | None,
    event: str | None,
    id: str | None,
    cause_of_interest: Any,
    censor_code: Any = None,
    table: str = "outcomes",
) -> Outcomes:
    """Encode ``frame``'s observed time and status or cause (see :class:`Outcomes`).

    A row is censored where ``event`` is 0 (when given) or ``cause`` is missing or equal to
    ``censor_code``; with ``event`` alone there is one cause, labelled 1.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"{table} must be a DataFrame, got {type(frame).__name__}", table=table
        )
    if len(frame) == 0:
        raise DataValidationError(f"{table} has no rows", table=table)
    if cause is None and event is None:
        raise DataValidationError(
            "give the cause column (cause=) or the event indicator column (event=)", table=table
        )
    t = pd.to_numeric(_column(frame, time, table, "time"), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
    if bad.size:
        raise DataValidationError(
            f"{table} column {time!r} must be finite and >= 0; row {int(bad[0])} is "
            f"{frame[time].iloc[int(bad[0])]!r}",
            table=table,
            column=time,
            row=int(bad[0]),
        )
    if event is not None:
        ev = pd.to_numeric(_column(frame, event, table, "event"), errors="coerce")
        bad = np.flatnonzero(~ev.isin([0, 1]).to_numpy())
        if bad.size:
            raise DataValidationError(
                f"{table} column {event!r} must be 0 (censored) or 1 (event); row "
                f"{int(bad[0])} is {frame[event].iloc[int(bad[0])]!r}",
                table=table,
                column=event,
                row=int(bad[0]),
            )
        happened = ev.to_numpy() == 1
    if cause is not None:
        lab = _column(frame, cause, table, "cause")
        if censor_code is not None:
            lab = lab.mask(lab == censor_code)
        if event is None:
            happened = lab.notna().to_numpy()
        else:
            miss = np.flatnonzero(happened & lab.isna().to_numpy())
            if miss.size:
                raise DataValidationError(
                    f"{table} row {int(miss[0])} has {event}=1 but no {cause!r}",
                    table=table,
                    column=cause,
                    row=int(miss[0]),
                )
        labels = np.asarray(lab.to_numpy(), dtype=object)
    else:
        labels = np.full(len(t), None, dtype=object)
        labels[happened] = 1
    causes = tuple(pd.unique(pd.Series(labels[happened])).tolist())
    if not causes:
        raise DataValidationError(f"{table} has no events", table=table)
    if cause_of_interest is None:
        if len(causes) > 1:
            raise DataValidationError(
                f"{table} has several causes {sorted(map(str, causes))}; say which one is "
                "scored with cause_of_interest=",
                table=table,
                column=cause,
            )
        cause_of_interest = causes[0]
    elif cause_of_interest not in causes:
        raise DataValidationError(
            f"cause_of_interest={cause_of_interest!r} is not among the causes of {table} "
            f"{sorted(map(str, causes))}",
            table=table,
            column=cause,
        )
    status = np.zeros(len(t), dtype=int)
    status[happened] = 2
    status[happened & (labels == cause_of_interest)] = 1
    if id is None:
        ids = pd.RangeIndex(len(frame))
    else:
        ids = pd.Index(_column(frame, id, table, "id"))
        dup = ids.duplicated()
        if dup.any():
            raise DataValidationError(
                f"{table} column {id!r} must hold one row per subject; {ids[dup][0]} repeats",
                table=table,
                column=id,
                subject=ids[dup][0],
            )
    return Outcomes(
        ids=pd.Index(ids),
        time=t,
        status=status,
        cause=cause_of_interest,
        causes=causes,
        table=table,
    )


def check_horizons(horizons: Any, max_time: float, argument: str = "horizons") -> np.ndarray:
    """Finite, positive horizons within follow-up (``<=`` the largest observed time)."""
    h = np.atleast_1d(np.asarray(horizons, dtype=float))
    if h.ndim != 1 or h.size == 0 or np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise DataValidationError(
            f"{argument} must be finite positive numbers, got {horizons!r}", column=argument
        )
    late = h[h > max_time]
    if late.size:
        raise DataValidationError(
            f"{argument} {late.tolist()} lie beyond the follow-up (last observed time "
            f"{max_time:g}); the censoring weights are not defined there",
            column=argument,
        )
    return h


def check_level(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise DataValidationError(f"level must be in (0, 1), got {level!r}", column="level")
    return float(level)


def check_risk(risk: np.ndarray, argument: str, labels: pd.Index | None = None) -> np.ndarray:
    """Finite risks within [0, 1]; the message names the first offending subject."""
    r = np.asarray(risk, dtype=float)
    bad = np.flatnonzero(~np.isfinite(r) | (r < 0) | (r > 1))
    if bad.size:
        who = labels[int(bad[0])] if labels is not None else int(bad[0])
        who = who.item() if isinstance(who, np.generic) else who
        raise DataValidationError(
            f"{argument} must be finite probabilities in [0, 1]; subject {who!r} has "
            f"{float(r[int(bad[0])])}",
            column=argument,
            subject=who,
        )
    return r
