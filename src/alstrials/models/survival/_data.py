"""Checks shared by the survival estimators: columns present, times and event indicators valid.

Each check raises :class:`~alstrials.errors.DataValidationError` naming the column and the first
offending row, and saying what would fix it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError, DataWarning

__all__ = [
    "drop_incomplete_rows",
    "require_columns",
    "as_times",
    "as_events",
    "group_codes",
    "as_names",
]


def as_names(value: str | Sequence[str] | None) -> list[str]:
    """A column argument given as one name, several names or None, as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def require_columns(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"{what} must be a pandas DataFrame (one row per subject or interval), "
            f"got {type(data).__name__}"
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"{what} has no column(s) {missing}; available columns are {list(data.columns)}. "
            "Pass the column names of your data.",
            column=missing[0],
        )


def _first_bad(data: pd.DataFrame, mask: np.ndarray, column: str, problem: str) -> None:
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        row = data.index[pos]
        subject = data["subject_id"].iloc[pos] if "subject_id" in data.columns else None
        raise DataValidationError(
            f"column '{column}', row {row!r}"
            + (f", subject {subject!r}" if subject else "")
            + f": {problem} ({int(mask.sum())} such row(s)); fix or drop these rows.",
            column=column,
            row=row,
            subject=subject,
        )


def as_times(data: pd.DataFrame, column: str, *, allow_negative: bool = False) -> np.ndarray:
    """Column as float times: numeric, finite, and non-negative unless ``allow_negative``."""
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    _first_bad(data, ~np.isfinite(values), column, "time is missing, infinite or not a number")
    if not allow_negative:
        _first_bad(data, values < 0, column, "time is negative")
    return values


def as_events(data: pd.DataFrame, column: str) -> np.ndarray:
    """Column as a boolean event indicator (bool, or 0/1 numbers)."""
    raw = data[column]
    if raw.dtype == bool or str(raw.dtype) == "boolean":
        values = raw.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    _first_bad(
        data,
        ~np.isin(values, (0.0, 1.0)),
        column,
        "event indicator must be True/False or 1/0 (1 = event, 0 = censored)",
    )
    return values == 1.0


def group_codes(data: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes of the combinations of ``columns`` (sorted), and their labels."""
    if not columns:
        return np.zeros(len(data), dtype=np.int64), ["all"]
    for c in columns:
        _first_bad(data, data[c].isna().to_numpy(), c, "group/stratum value is missing")
    if len(columns) == 1:
        keys = data[columns[0]]
    else:
        keys = data[list(columns)].astype(str).agg(", ".join, axis=1)
    codes, uniques = pd.factorize(keys, sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def drop_incomplete_rows(
    data: pd.DataFrame, x_frame: pd.DataFrame, needed: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``data`` that the model matrix ``x_frame`` kept and that have every column
    of ``needed``, with the matching rows of ``x_frame``; the rows set aside are counted in a
    :class:`~alstrials.errors.DataWarning` (pointing at the caller's caller, the user's fit).
    When no row is dropped the returned frame is ``data`` itself (not a copy): read only."""
    same_rows = len(x_frame) == len(data) and x_frame.index.equals(data.index)
    kept = data if same_rows else data.loc[x_frame.index]
    key_na = kept[list(needed)].isna().any(axis=1).to_numpy()
    n_dropped = len(data) - len(kept) + int(key_na.sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} row(s) with missing values in the model's columns were dropped; "
            "use data[data[cols].isna().any(axis=1)] to look at them.",
            DataWarning,
            stacklevel=3,
        )
        kept, x_frame = kept.loc[~key_na], x_frame.loc[~key_na]
    if len(kept) == 0:
        raise DataValidationError("no rows left after dropping missing values")
    return kept, x_frame
