"""The data snapshot identifier of a report and the software versions behind it.

Canonical bytes of a table: its canonical columns (:data:`alstrials.data.schema.SCHEMA` order),
rows sorted by ``subject_id`` then ``months`` (stable; ``subjects`` by ``subject_id``), written
as CSV with ``\\n`` line ends, floats at 17 significant digits (round-trip exact) and missing
values as empty fields. The table digest is the SHA-256 of those bytes; the snapshot identifier
is the SHA-256 of the lines ``"<table> <digest>\\n"`` for ``subjects``, ``alsfrs``, ``mri`` and
``events`` in that order. It does not depend on the row order or the file format (CSV or
Parquet) the trial was read from, and changes with any value.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata

import pandas as pd

from alstrials.data.schema import SCHEMA, TABLES, TrialData

__all__ = ["canonical_bytes", "table_digests", "snapshot_id", "software_versions", "DEPENDENCIES"]

DEPENDENCIES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "lifelines",
    "formulaic",
    "matplotlib",
)
"""The packages whose versions a report records besides alstrials and Python."""


def canonical_bytes(frame: pd.DataFrame, table: str) -> bytes:
    """The canonical CSV bytes of ``frame`` as table ``table`` (see the module docstring)."""
    columns = [c for c in SCHEMA[table] if c in frame.columns]
    keys = [c for c in ("subject_id", "months") if c in columns]
    ordered = frame[columns].sort_values(keys, kind="stable") if keys else frame[columns]
    text = ordered.to_csv(index=False, lineterminator="\n", float_format="%.17g", na_rep="")
    return text.encode("utf-8")


def table_digests(trial: TrialData) -> dict[str, str]:
    """SHA-256 (hex) of each table's canonical bytes, in :data:`TABLES` order."""
    return {t: hashlib.sha256(canonical_bytes(trial.table(t), t)).hexdigest() for t in TABLES}


def snapshot_id(trial: TrialData) -> str:
    """The data snapshot identifier: SHA-256 (hex) over the table digests.

    Examples
    --------
    >>> import alstrials as at
    >>> trial = at.load_example()
    >>> snapshot_id(trial) == snapshot_id(trial.from_frames(trial.subjects.iloc[::-1],
    ...     trial.alsfrs, trial.mri, trial.events, arms=trial.arms))
    True
    """
    lines = "".join(f"{t} {d}\n" for t, d in table_digests(trial).items())
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def software_versions() -> dict[str, str]:
    """alstrials, Python and :data:`DEPENDENCIES` versions (``"not installed"`` if missing)."""
    from alstrials import __version__

    versions = {"alstrials": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
