"""A trial on disk: a folder with one file per table and a small ``trial.json``.

Layout::

    trial/
      trial.json        format, declared arms, alstrials version, JSON-able metadata
      subjects.csv      (or .parquet) canonical columns first, extra columns after
      alsfrs.csv
      mri.csv
      events.csv
      exclusions.csv    only when rows were set aside

CSV files are written with pandas' shortest round-trip float representation and read back as
text, then coerced to the canonical dtypes, so ``read_trial(trial.write(path))`` reproduces every
value exactly (identifiers stay text: "007" stays "007").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd

from alstrials.data.schema import TABLES, TrialData, canonicalize, exclusion_log
from alstrials.errors import DataValidationError

__all__ = ["write_trial", "read_trial", "FORMATS"]

FORMATS: tuple[str, ...] = ("csv", "parquet")
_MANIFEST = "trial.json"


def _jsonable(value: object) -> object:
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


def write_trial(
    trial: TrialData, path: str | Path, *, format: Literal["csv", "parquet"] = "csv"
) -> Path:
    """Write ``trial`` to the folder ``path`` (created if needed) and return the folder.

    Parameters
    ----------
    trial : TrialData
    path : str or Path
    format : {"csv", "parquet"}
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    from alstrials import __version__

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        _write_table(trial.table(table), folder / f"{table}.{format}", format)
    if len(trial.exclusions):
        _write_table(trial.exclusions, folder / f"exclusions.{format}", format)
    manifest = {
        "format": format,
        "arms": list(trial.arms),
        "alstrials_version": __version__,
        "metadata": {
            k: _jsonable(v) for k, v in trial.metadata.items() if not isinstance(v, pd.DataFrame)
        },
    }
    (folder / _MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


def _write_table(frame: pd.DataFrame, file: Path, format: str) -> None:
    if format == "csv":
        frame.to_csv(file, index=False, lineterminator="\n")
    else:
        frame.to_parquet(file, index=False)


def _read_table(file: Path, format: str) -> pd.DataFrame:
    if format == "csv":
        # Everything as text first: coercion to canonical dtypes is the schema's job, and
        # identifiers such as "007" must not become numbers.
        return pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    return pd.read_parquet(file)


def read_trial(path: str | Path, *, validate: bool = True, lenient: bool = False) -> TrialData:
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

    Returns
    -------
    TrialData

    Raises
    ------
    DataValidationError
        A table file is missing, or the data break the schema (strict mode).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataValidationError(
            f"trial folder {str(folder)!r} does not exist or is not a "
            "folder; pass the folder holding subjects.csv etc."
        )
    manifest_file = folder / _MANIFEST
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    format = manifest.get("format") or next(
        (f for f in FORMATS if (folder / f"subjects.{f}").exists()), "csv"
    )
    frames = {}
    for table in TABLES:
        file = folder / f"{table}.{format}"
        if not file.exists():
            raise DataValidationError(
                f"table '{table}' is missing: expected the file {str(file)!r}",
                table=table,
            )
        frames[table] = canonicalize(_read_table(file, format), table)
    excl_file = folder / f"exclusions.{format}"
    exclusions = exclusion_log()
    if excl_file.exists():
        exclusions = _read_table(excl_file, format)
        exclusions["row"] = pd.to_numeric(exclusions["row"]).astype("int64")
    arms = manifest.get("arms")
    trial = TrialData.from_frames(
        **frames,
        arms=tuple(arms) if arms else None,
        metadata=manifest.get("metadata", {}),
        exclusions=exclusions,
    )
    if validate:
        report = trial.validate(lenient=lenient)
        trial = report.data
    return trial
