"""Bivariate LMM data checks: two outcome columns stacked into one long table.

Checks the columns (present, numeric outcomes and time), drops and reports rows with no usable
outcome, and returns one row per observation with the outcome index ``_k`` (0 or 1) and value
``_y``, each outcome at its own times.
"""

from __future__ import annotations

import warnings

import pandas as pd

from alstrials.errors import DataValidationError, DataWarning


def _stack(
    data: pd.DataFrame, outcomes: tuple[str, str], time: str, group: str, columns: list[str]
) -> tuple[pd.DataFrame, int]:
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    needed = list(dict.fromkeys([*outcomes, time, group, *columns]))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} not found in data (columns: {list(data.columns)})",
            column=missing[0],
        )
    frame = data[needed].copy()
    for c in [*outcomes, time]:
        values = pd.to_numeric(frame[c], errors="coerce")
        bad = values.isna() & frame[c].notna()
        if bad.any():
            row = frame.index[bad.to_numpy()][0]
            raise DataValidationError(
                f"column '{c}', subject {frame.loc[row, group]!r}, row {row!r}: value "
                f"{frame.loc[row, c]!r} is not a number",
                column=c,
                row=row,
                subject=frame.loc[row, group],
            )
        frame[c] = values.astype(float)
    keys = [time, group, *[c for c in columns if c != group]]
    unusable = frame[keys].isna().any(axis=1) | frame[list(outcomes)].isna().all(axis=1)
    n_dropped = int(unusable.sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} row(s) were dropped: missing {keys} or both outcomes missing (first at "
            f"row {frame.index[unusable.to_numpy()][0]!r}); inspect them with "
            f"data[data[{keys}].isna().any(axis=1) | data[{list(outcomes)}].isna().all(axis=1)]",
            DataWarning,
            stacklevel=3,
        )
    frame = frame.loc[~unusable]
    parts = []
    for k, out in enumerate(outcomes):
        part = frame.loc[frame[out].notna(), [group, time, *columns]].copy()
        part = part.loc[:, ~part.columns.duplicated()]
        part["_k"] = k
        part["_y"] = frame.loc[frame[out].notna(), out].to_numpy()
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    for k, out in enumerate(outcomes):
        if (long["_k"] == k).sum() < 3:
            raise DataValidationError(
                f"outcome '{out}' has fewer than 3 observations; the model needs both outcomes"
            )
    return long, n_dropped
