"""A trial on disk: a folder with one file per table and a small ``trial.json``.

Layout::

    trial/
      trial.json        format, declared arms, alstrials version, JSON-able metadata
      subjects.csv      (or .parquet) canonical columns first, extra columns after
      alsfrs.csv
      mri.csv
      events.csv
      exclusions.csv    only when rows were set aside

CSV floats are written as ``repr`` and parsed with Python's correctly rounded ``float``, so
``read_trial(trial.write(path))`` reproduces every value bit for bit; identifiers stay text ("007"
stays "007"). How each file is opened and parsed, and what is rejected, is in
:mod:`alstrials.data.tablefile`.

Reading is strict about the folder: one format per folder (``subjects.csv`` next to
``subjects.parquet`` is two trials or a stale copy, an error), ``trial.json`` if present must be a
JSON object with a known ``format``, ``arms`` a list of distinct labels and ``metadata`` an
object. Writing replaces a previous trial wholly and refuses a folder holding anything else, so a
folder never mixes two trials.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from alstrials.data.schema import EXCLUSION_COLUMNS, TABLES, TrialData, canonicalize, exclusion_log
from alstrials.data.tablefile import (
    ParsedTable,
    describe,
    parse_csv,
    parse_parquet,
    read_bytes,
    write_table,
)
from alstrials.errors import DataValidationError

__all__ = ["write_trial", "read_trial", "FORMATS", "TRIAL_FILES"]

FORMATS: tuple[str, ...] = ("csv", "parquet")
_MANIFEST = "trial.json"
_EXCLUSIONS = "exclusions"
TRIAL_FILES: frozenset[str] = frozenset(
    {_MANIFEST, *(f"{name}.{fmt}" for name in (*TABLES, _EXCLUSIONS) for fmt in FORMATS)}
)
"""Names of the files that make up a trial folder (both formats)."""
_STAGING_PREFIX = ".alstrials-write-"


def _jsonable(value: object) -> object:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


# --------------------------------------------------------------------------------------------
# Writing


def write_trial(
    trial: TrialData, path: str | Path, *, format: Literal["csv", "parquet"] = "csv"
) -> Path:
    """Write ``trial`` to the folder ``path`` and return the folder.

    The folder is created if needed. A folder that already holds a trial (only the files of
    :data:`TRIAL_FILES`, in either format) is replaced wholly: every table, exclusion log and
    ``trial.json`` of the previous trial is removed, so the folder then holds exactly ``trial``
    (like writing a file replaces it). A folder holding anything else is refused, so user files
    are never deleted; hidden entries (names starting with ".") are ignored and left alone. The
    new files are first written to a hidden staging folder inside ``path`` and moved into
    place only when all were written, so a failure while writing leaves the previous trial
    untouched.

    Parameters
    ----------
    trial : TrialData
    path : str or Path
        A new folder, an empty folder or a trial folder to replace.
    format : {"csv", "parquet"}

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    DataValidationError
        ``path`` is an existing file, holds files that are not part of a trial, or a file
        cannot be written.

    Examples
    --------
    >>> import tempfile, alstrials as at
    >>> trial = at.simulate_trial(n_per_arm=5, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = trial.write(tmp)
    ...     at.read_trial(folder).n_subjects
    10
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    from alstrials import __version__

    folder = Path(path)
    _prepare_folder(folder)
    manifest = {
        "format": format,
        "arms": list(trial.arms),
        "alstrials_version": __version__,
        "metadata": {
            k: _jsonable(v) for k, v in trial.metadata.items() if not isinstance(v, pd.DataFrame)
        },
    }
    files = {f"{table}.{format}": trial.table(table) for table in TABLES}
    if len(trial.exclusions):
        files[f"{_EXCLUSIONS}.{format}"] = trial.exclusions
    try:
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=folder))
    except OSError as exc:
        raise DataValidationError(f"cannot write into folder {str(folder)!r}: {exc}") from None
    try:
        for name, frame in files.items():
            _write_one(frame, staging / name, format, name)
        (staging / _MANIFEST).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        # Everything is written: swap. The old manifest goes first and the new one comes last.
        for name in (_MANIFEST, *sorted(TRIAL_FILES - {_MANIFEST})):
            if os.path.lexists(folder / name):
                os.unlink(folder / name)  # a link is removed, never its target
        for name in (*files, _MANIFEST):
            os.replace(staging / name, folder / name)
    except OSError as exc:
        raise DataValidationError(
            f"cannot write the trial to folder {str(folder)!r}: {exc}; check free space and "
            "permissions"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _prepare_folder(folder: Path) -> None:
    """Create ``folder``, or check that it is empty or holds only a trial (see write_trial)."""
    if os.path.lexists(folder) and not folder.is_dir():
        raise DataValidationError(
            f"cannot write the trial to {str(folder)!r}: it is an existing file, not a folder; "
            "pass a new folder, an empty folder or a trial folder to replace"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise DataValidationError(f"cannot create folder {str(folder)!r}: {exc}") from None
    foreign = [e.name for e in entries if e.name not in TRIAL_FILES and not e.name.startswith(".")]
    if foreign:
        shown = ", ".join(repr(n) for n in foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise DataValidationError(
            f"refusing to write the trial into folder {str(folder)!r}: it holds "
            f"{len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} that are not part of an "
            f"alstrials trial ({shown}); write to a new or empty folder, or move them away "
            "(a folder holding only a previous trial is replaced)"
        )
    for entry in entries:
        if entry.name in TRIAL_FILES and entry.is_dir(follow_symlinks=False):
            raise DataValidationError(
                f"refusing to write the trial into folder {str(folder)!r}: "
                f"{entry.name!r} is a folder, not a trial file; move it away"
            )


def _write_one(frame: pd.DataFrame, file: Path, format: str, name: str) -> None:
    try:
        write_table(frame, file, format)
    except OSError:
        raise
    except Exception as exc:  # pyarrow refuses e.g. an extra column mixing numbers and text
        raise DataValidationError(
            f"cannot write {name} as {format} ({type(exc).__name__}: {exc}); make every extra "
            "column hold values of one type, or write format='csv'",
            table=name.split(".")[0],
        ) from None


# --------------------------------------------------------------------------------------------
# Reading


def read_trial(
    path: str | Path,
    *,
    validate: bool = True,
    lenient: bool = False,
    arms: Sequence[str] | None = None,
) -> TrialData:
    """Read a trial folder written by :meth:`TrialData.write` (or by hand, same layout).

    Parameters
    ----------
    path : str or Path
        The folder. Without ``trial.json`` the format is inferred from the files present and
        the arms from the data.
    validate : bool, default True
        Run :meth:`TrialData.validate` after reading.
    lenient : bool, default False
        With ``validate``: set offending rows aside (logged in ``trial.exclusions``) instead of
        raising.
    arms : sequence of str, optional
        The declared arms, reference first; overrides ``trial.json``'s ``"arms"``. Without
        either, the arms are inferred only when unambiguous (see
        :meth:`TrialData.from_frames`), else a ``DataValidationError`` asks for them.

    Returns
    -------
    TrialData

    Raises
    ------
    DataValidationError
        The folder or a file cannot be read: a table file missing, or present in both formats,
        not a regular file, empty, not UTF-8, malformed CSV (a row with too few or too many
        fields, an unbalanced quote, a duplicated column name), unreadable Parquet or a Parquet
        column of the wrong type, a malformed ``trial.json`` or exclusion log; or a value
        cannot be coerced to its column's dtype; or (strict mode) the data break the schema.
        The message names the file, and where they apply the table, column, line and row.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataValidationError(
            f"trial folder {str(folder)!r} does not exist or is not a "
            "folder; pass the folder holding subjects.csv etc."
        )
    manifest = _read_manifest(folder)
    format = _resolve_format(folder, manifest)
    sources = {table: _read_source(folder, table, format) for table in TABLES}
    frames = {table: _canonical(table, *source) for table, source in sources.items()}
    exclusions = _read_exclusions(folder, format)
    if arms is None:  # the one place where trial.json's arms are taken
        arms = manifest.get("arms") or None
    try:
        trial = TrialData.from_frames(
            **frames,
            arms=arms,
            metadata=manifest.get("metadata") or {},
            exclusions=exclusions,
        )
        if validate:
            report = trial.validate(lenient=lenient)
            trial = report.data
    except DataValidationError as exc:
        if exc.table not in sources:
            raise
        raise _in_file(exc, *sources[exc.table]) from exc
    return trial


def _read_manifest(folder: Path) -> dict[str, Any]:
    """``trial.json`` checked key by key ({} when the folder has none)."""
    file = folder / _MANIFEST
    if not os.path.lexists(file):
        return {}
    where = describe(file)
    data = read_bytes(file)
    fix = "fix it, or delete trial.json to infer the format and arms from the files"
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            f"{where}, line {line}: is not UTF-8 text (byte 0x{data[exc.start]:02x}); re-save "
            "it as UTF-8, or delete trial.json to infer the format and arms from the files"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataValidationError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {fix}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise DataValidationError(f"{where} cannot be read as JSON ({exc}); {fix}") from None
    if not isinstance(manifest, dict):
        raise DataValidationError(
            f"{where} must hold a JSON object such as "
            '{"format": "csv", "arms": ["placebo", "active"]}, not a JSON '
            f"{type(manifest).__name__}; {fix}"
        )
    fmt = manifest.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise DataValidationError(
            f"{where}: 'format' is {fmt!r}, expected one of {list(FORMATS)}; {fix}"
        )
    arms = manifest.get("arms")
    if arms is not None:
        if (
            not isinstance(arms, list)
            or not arms
            or not all(isinstance(a, str) and a.strip() for a in arms)
        ):
            raise DataValidationError(
                f"{where}: 'arms' is {arms!r}, expected a non-empty list of arm labels "
                f'(text), reference arm first, e.g. ["placebo", "active"]; {fix}'
            )
        duplicated = sorted({a for a in arms if arms.count(a) > 1})
        if duplicated:
            raise DataValidationError(
                f"{where}: 'arms' lists {duplicated} more than once; list each arm once; {fix}"
            )
    metadata = manifest.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise DataValidationError(
            f"{where}: 'metadata' is a JSON {type(metadata).__name__}, expected an object "
            "(name: value pairs); fix it or remove the key"
        )
    return manifest


def _resolve_format(folder: Path, manifest: Mapping[str, object]) -> str:
    """The one format of the folder's table files (see the module docstring)."""
    present = {
        name: [fmt for fmt in FORMATS if os.path.lexists(folder / f"{name}.{fmt}")]
        for name in (*TABLES, _EXCLUSIONS)
    }
    for name, fmts in present.items():
        if len(fmts) > 1:
            files = " and ".join(repr(str(folder / f"{name}.{fmt}")) for fmt in fmts)
            raise DataValidationError(
                f"the trial folder holds both {files}: two trials or a stale copy, and it is "
                f"not clear which is meant; delete the one that does not belong (write_trial "
                "replaces a trial folder wholly)",
                table=name,
            )
    found = {name: fmts[0] for name, fmts in present.items() if fmts}
    declared = manifest.get("format")
    if isinstance(declared, str):
        other = [f"{name}.{fmt}" for name, fmt in found.items() if fmt != declared]
        if other:
            raise DataValidationError(
                f"{describe(folder / _MANIFEST)} declares format {declared!r} but the folder "
                f"holds {other}; keep the tables in one format and make 'format' say which",
                table=other[0].split(".")[0],
            )
        return declared
    formats = sorted(set(found.values()))
    if len(formats) > 1:
        raise DataValidationError(
            f"the trial folder {str(folder)!r} mixes formats "
            f"({', '.join(f'{n}.{f}' for n, f in found.items())}); write every table in one "
            "format"
        )
    return formats[0] if formats else "csv"


def _read_file(file: Path, format: str, table: str) -> ParsedTable:
    if not os.path.lexists(file):
        raise DataValidationError(
            f"table '{table}' is missing: expected the file {str(file)!r}", table=table
        )
    data = read_bytes(file, table)
    return parse_csv(data, file, table) if format == "csv" else parse_parquet(data, file, table)


def _read_source(folder: Path, table: str, format: str) -> tuple[Path, ParsedTable]:
    file = folder / f"{table}.{format}"
    return file, _read_file(file, format, table)


def _canonical(table: str, file: Path, parsed: ParsedTable) -> pd.DataFrame:
    try:
        return canonicalize(parsed.frame, table)
    except DataValidationError as exc:
        raise _in_file(exc, file, parsed) from exc


def _in_file(exc: DataValidationError, file: Path, parsed: ParsedTable) -> DataValidationError:
    """``exc`` about a table read from ``file``, its message prefixed with the file (and line)."""
    return DataValidationError(
        f"{describe(file)}{parsed.where(exc.row)}: {exc}",
        table=exc.table,
        column=exc.column,
        subject=exc.subject,
        row=exc.row,
    )


_ROW_NUMBER = re.compile(r"\s*[0-9]+\s*")


def _read_exclusions(folder: Path, format: str) -> pd.DataFrame:
    """The exclusion log, if the folder has one; ``row`` must hold row numbers (ints >= 0)."""
    file = folder / f"{_EXCLUSIONS}.{format}"
    if not os.path.lexists(file):
        return exclusion_log()
    parsed = _read_file(file, format, _EXCLUSIONS)
    frame = parsed.frame
    missing = [c for c in EXCLUSION_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{describe(file)}: the exclusion log lacks column(s) {missing}; its columns are "
            f"{list(EXCLUSION_COLUMNS)} (delete the file if the trial has no exclusions)",
            table=_EXCLUSIONS,
            column=missing[0],
        )
    rows = []
    for pos, value in enumerate(frame["row"].tolist()):
        number = _row_number(value)
        if number is None:
            subject = frame["subject_id"].iloc[pos]
            raise DataValidationError(
                f"{describe(file)}{parsed.where(pos)}: exclusion log, column 'row', subject "
                f"{subject!r}, row {pos}: value {value!r} is not a row number (a whole number "
                ">= 0, the position of the set-aside row in its table); fix or remove the row",
                table=_EXCLUSIONS,
                column="row",
                subject=subject,
                row=pos,
            )
        rows.append(number)
    return frame.assign(row=pd.Series(rows, index=frame.index, dtype="int64"))


def _row_number(value: object) -> int | None:
    if isinstance(value, str):
        return int(value) if _ROW_NUMBER.fullmatch(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # frame.tolist() gives Python scalars
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None
