"""Building blocks of the malformed-trial corpus (tests/data/corpus.py): the :class:`Case`
record, the valid base trial every case starts from, and small file-editing helpers."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import alstrials as at
from alstrials.data.schema import TrialData

Corruption = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One malformed folder: the base format, the corruption and what the message must say."""

    name: str
    base: str  # "csv" or "parquet": the format of the valid trial the case starts from
    corrupt: Corruption
    expect: tuple[str, ...]  # regular expressions, each must be found in the message
    kind: str = "file"
    exit_code: int = 1  # `alstrials validate`: 1 invalid data (unreadable tables included)
    needs_fifo: bool = False


@functools.cache
def base_trial(seed: int = 1) -> TrialData:
    return at.simulate_trial(n_per_arm=10 if seed == 1 else 5, seed=seed)


def make_base(folder: Path, format: str) -> Path:
    """Write the valid base trial to ``folder`` (as ``format``) and return the folder."""
    return base_trial().write(folder, format=format)


# ------------------------------------------------------------------------------------------
# helpers


def read_rows(file: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(file.read_text(encoding="utf-8"), newline="")))


def write_rows(file: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    file.write_text(buffer.getvalue(), encoding="utf-8")


def edit_lines(file: Path, edit: Callable[[list[str]], None]) -> None:
    lines = file.read_text(encoding="utf-8").split("\n")
    edit(lines)
    file.write_text("\n".join(lines), encoding="utf-8")


def set_cell(folder: Path, table: str, column: str, row: int, text: str) -> None:
    file = folder / f"{table}.csv"
    rows = read_rows(file)
    rows[row + 1][rows[0].index(column)] = text
    write_rows(file, rows)


def replace_file(file: Path) -> None:
    if file.is_dir() and not file.is_symlink():
        file.rmdir()
    elif os.path.lexists(file):
        file.unlink()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def rewrite_parquet(file: Path, edit: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(edit(pq.read_table(file)), file)


def set_column(table: pa.Table, column: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, array)


def edit_manifest(folder: Path, **changes: object) -> None:
    file = folder / "trial.json"
    manifest = json.loads(file.read_text())
    manifest.update(changes)
    file.write_text(json.dumps(manifest))


def exclusions_csv(text: str) -> Corruption:
    def corrupt(folder: Path) -> None:
        (folder / "exclusions.csv").write_text(text, encoding="utf-8")

    return corrupt


# A column of each table to break, and a float column with a time for durations.
DUPLICATED = {"subjects": "age", "alsfrs": "q1_speech", "mri": "cst_fa", "events": "months"}
REQUIRED = {"subjects": "arm", "alsfrs": "months", "mri": "cst_fa", "events": "event_type"}
TIME = {
    "subjects": "onset_to_baseline_months",
    "alsfrs": "months",
    "mri": "months",
    "events": "months",
}
NUMERIC = {"subjects": "age", "alsfrs": "q3_swallowing", "mri": "cord_csa_mm2", "events": "months"}
