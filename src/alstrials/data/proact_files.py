"""The five files of a PRO-ACT export, read strictly, and the reader's exclusion log.

A file is read with Python's :mod:`csv` module, never guessing: UTF-8 text (a byte-order mark is
accepted), comma-separated with RFC 4180 quoting, a header line first. Every row must have as
many fields as the header (a short or long row is an error naming the line: a truncated export
must not shift values into the wrong columns); blank lines are skipped; column names must be
unique. Every field is kept as text; a field that is empty, blank or one of
:data:`MISSING_TOKENS` is missing. Numbers are parsed later, column by column, by
:func:`number`, which reports the rows whose text is not a finite number instead of making them
missing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError

__all__ = [
    "PROACT_FILES",
    "MISSING_TOKENS",
    "KEPT",
    "Log",
    "number",
    "read_proact_file",
    "lower",
    "first_rows",
    "value_checks",
]

KEPT = "value left missing (row kept)"
"""End of the reason of a value-level exclusion-log entry."""

PROACT_FILES: dict[str, tuple[str, ...]] = {
    "PROACT_ALSFRS": (
        "subject_id",
        "ALSFRS_Delta",
        "Q1_Speech",
        "Q2_Salivation",
        "Q3_Swallowing",
        "Q4_Handwriting",
        "Q5a_Cutting_without_Gastrostomy",
        "Q5b_Cutting_with_Gastrostomy",
        "Q6_Dressing_and_Hygiene",
        "Q7_Turning_in_Bed",
        "Q8_Walking",
        "Q9_Climbing_Stairs",
        "Q10_Respiratory",
        "R_1_Dyspnea",
        "R_2_Orthopnea",
        "R_3_Respiratory_Insufficiency",
    ),
    "PROACT_DEATHDATA": ("subject_id", "Subject_Died", "Death_Days"),
    "PROACT_ALSHISTORY": ("subject_id", "Site_of_Onset", "Onset_Delta"),
    "PROACT_DEMOGRAPHICS": ("subject_id", "Age", "Sex"),
    "PROACT_TREATMENT": ("subject_id", "Study_Arm"),
}
"""Required columns of each PRO-ACT file (``ALSFRS_R_Total``/``Diagnosis_Delta`` optional)."""

MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "NULL", "null", "None"}
)
"""Field texts (after trimming spaces) that mean a missing value."""


def _fail(path: Path, name: str, what: str, column: str | None = None) -> DataValidationError:
    return DataValidationError(
        f"PRO-ACT file {path.name} ({path}) {what}", table=name, column=column
    )


def read_proact_file(directory: Path, name: str) -> pd.DataFrame:
    """``<directory>/<name>.csv`` as a DataFrame of text (None for missing), checked.

    Raises
    ------
    DataValidationError
        The file is missing, unreadable, not UTF-8, malformed CSV, has a repeated column
        name or lacks a required column; the message names the file (and column or line).
    """
    path = directory / f"{name}.csv"
    if path.exists() and not path.is_file():
        raise _fail(path, name, "is not a regular file (a folder?); put the CSV file there.")
    if not path.is_file():
        raise DataValidationError(
            f"PRO-ACT file {path} not found; read_proact needs {', '.join(PROACT_FILES)} "
            f"(.csv) in {directory}.",
            table=name,
        )
    line = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header is None:
                raise _fail(path, name, "is empty: it needs a header line naming its columns.")
            if any("\x00" in f for f in header):
                raise _fail(path, name, "line 1: a NUL byte in the header; not a CSV file.")
            rows = []
            for fields in reader:
                line = reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # a blank line
                if any("\x00" in f for f in fields):
                    raise _fail(
                        path,
                        name,
                        f"line {line}: a NUL byte in the text; the file is binary or "
                        "corrupt, not CSV. Re-export it.",
                    )
                if len(fields) != len(header):
                    raise _fail(
                        path,
                        name,
                        f"line {line}: {len(fields)} field(s) where the header has "
                        f"{len(header)}; the file is truncated or malformed (an unquoted comma?)."
                        " Re-export it.",
                    )
                rows.append(fields)
    except UnicodeDecodeError as exc:
        raise _fail(
            path,
            name,
            f"is not UTF-8 text ({exc.reason} at byte {exc.start}); re-save it as UTF-8.",
        ) from None
    except csv.Error as exc:
        raise _fail(path, name, f"line {line + 1}: malformed CSV ({exc}).") from None
    except OSError as exc:
        raise _fail(path, name, f"cannot be read ({exc.strerror or exc}).") from None
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for column in header:
        if column in seen or not column:
            what = "an empty column name" if not column else f"the column '{column}' twice"
            raise _fail(
                path,
                name,
                f"has {what} in its header; every column needs one unique name.",
                column or None,
            )
        seen.add(column)
    missing = [c for c in PROACT_FILES[name] if c not in seen]
    if missing:
        raise _fail(
            path,
            name,
            f"is missing column(s) {missing} (column '{missing[0]}'); expected "
            f"{list(PROACT_FILES[name])}.",
            missing[0],
        )
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame = frame.map(lambda v: None if v.strip() in MISSING_TOKENS else v)
    frame["subject_id"] = frame["subject_id"].map(lambda v: v if v is None else v.strip())
    return frame.reset_index(drop=True)


def number(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a text column: (float values, rows whose text is not a finite number).

    Missing fields give NaN and are not flagged; unreadable or non-finite text ("abc", "inf",
    "1e400") gives NaN and is flagged, so the caller logs or rejects it.

    Examples
    --------
    >>> values, bad = number(pd.Series(["1.5", None, "abc", "inf"]))
    >>> values.tolist()[:1], bad.tolist()
    ([1.5], [False, False, True, True])
    """
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = text.notna().to_numpy() & ~np.isfinite(values)
    return np.where(bad, np.nan, values), bad


Reason = str | Callable[[int], str]


class Log:
    """Exclusion records of the reader: rows set aside, and values left missing in kept rows."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []
        self._set_aside: dict[str, set[int]] = {}
        self._values: dict[str, int] = {}

    def add(
        self,
        table: str,
        rows: pd.Series | np.ndarray,
        frame: pd.DataFrame,
        reason: Reason,
        *,
        value_only: bool = False,
    ) -> None:
        """Log ``rows`` (a mask over ``frame``) with ``reason`` (text, or a function of the
        row position); ``value_only``: the row is kept, one of its values was not used."""
        for pos in map(int, np.flatnonzero(np.asarray(rows, dtype=bool))):
            sid = frame["subject_id"].iloc[pos]
            self.records.append(
                {
                    "table": table,
                    "row": pos,
                    "subject_id": None if pd.isna(sid) else sid,
                    "reason": reason if isinstance(reason, str) else reason(pos),
                }
            )
            if value_only:
                self._values[table] = self._values.get(table, 0) + 1
            else:
                self._set_aside.setdefault(table, set()).add(pos)

    def set_aside_rows(self, table: str) -> list[int]:
        """Positions of the rows of ``table`` set aside."""
        return sorted(self._set_aside.get(table, set()))

    def n_values(self, table: str) -> int:
        """Number of value-level entries of ``table``."""
        return self._values.get(table, 0)


def lower(text: pd.Series) -> pd.Series:
    """Trimmed lower-case text (missing stays missing)."""
    return text.map(lambda v: v.strip().lower() if isinstance(v, str) else None)


def first_rows(
    frame: pd.DataFrame,
    name: str,
    log: Log,
    keep: set[str],
    *,
    prefer: np.ndarray | None = None,
    skip: np.ndarray | None = None,
    unknown_reason: str = "subject set aside (no usable treatment row or ALSFRS-R visit)",
) -> pd.DataFrame:
    """One row per kept subject (the first, or the first where ``prefer``); log the others.

    Rows in ``skip`` were already logged by the caller and are ignored. The result is indexed
    by ``subject_id`` and carries ``_row``, the row's position in ``frame``.
    """
    skip = np.zeros(len(frame), dtype=bool) if skip is None else skip
    sid = frame["subject_id"]
    known = sid.isin(keep).to_numpy() & ~skip
    key = np.zeros(len(frame)) if prefer is None else (~prefer).astype(float)
    order = pd.DataFrame({"sid": sid, "key": key, "pos": np.arange(len(frame))})
    chosen_pos = order[known].sort_values(["key", "pos"]).drop_duplicates("sid")["pos"]
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[chosen_pos.to_numpy(dtype=int)] = True
    no_id = sid.isna().to_numpy() & ~skip
    log.add(name, no_id, frame, "missing subject_id")
    log.add(name, ~known & ~skip & ~no_id, frame, unknown_reason)
    log.add(name, known & ~chosen, frame, f"duplicate row: one row per subject is used from {name}")
    return frame.assign(_row=np.arange(len(frame)))[chosen].set_index("subject_id")


def value_checks(
    chosen: pd.DataFrame,
    name: str,
    column: str,
    raw: pd.DataFrame,
    log: Log,
    bad: np.ndarray,
    what: str,
) -> None:
    """Log, value-level, the ``chosen`` rows (one per subject) whose ``column`` is ``bad``."""
    rows = np.zeros(len(raw), dtype=bool)
    rows[chosen["_row"].to_numpy(dtype=int)[bad]] = True
    log.add(
        name,
        rows,
        raw,
        lambda pos: f"{column}: value {raw[column].iloc[pos]!r} {what}; {KEPT}",
        value_only=True,
    )
