"""The trial folder on disk: writing leaves exactly one trial, reading refuses what it cannot
read faithfully (the generated corpus in test_malformed_corpus.py covers every file problem; the
tests here pin the behaviours chosen and the variants that must keep working)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.data.conftest import make_frames

import alstrials.data.tablefile as tablefile
from alstrials.data.io import TRIAL_FILES, read_trial, write_trial
from alstrials.data.schema import TABLES, TrialData
from alstrials.errors import DataValidationError


def _same_tables(a: TrialData, b: TrialData) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name))


@pytest.fixture
def with_exclusions() -> TrialData:
    frames = make_frames()
    frames["alsfrs"].loc[2, "q1_speech"] = 7
    return TrialData.from_frames(**frames).validate(lenient=True).data


# ---------------------------------------------------------------------------- writing


def test_rewrite_replaces_previous_trial_wholly(
    with_exclusions: TrialData, small_trial: TrialData, tmp_path: Path
) -> None:
    assert len(with_exclusions.exclusions) == 1
    with_exclusions.write(tmp_path)
    assert (tmp_path / "exclusions.csv").exists()
    small_trial.write(tmp_path)  # another trial, no exclusions
    assert not (tmp_path / "exclusions.csv").exists()
    again = read_trial(tmp_path)
    assert len(again.exclusions) == 0
    _same_tables(small_trial, again)


@pytest.mark.parametrize(("first", "second"), [("csv", "parquet"), ("parquet", "csv")])
def test_rewrite_in_other_format_removes_old_files(
    with_exclusions: TrialData, small_trial: TrialData, tmp_path: Path, first: str, second: str
) -> None:
    with_exclusions.write(tmp_path, format=first)
    small_trial.write(tmp_path, format=second)
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"trial.json", *(f"{t}.{second}" for t in TABLES)}
    assert json.loads((tmp_path / "trial.json").read_text())["format"] == second
    _same_tables(small_trial, read_trial(tmp_path))


def test_write_refuses_folder_with_other_files(small_trial: TrialData, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes")
    (tmp_path / "subjects.csv").write_text("precious,data\n1,2\n")
    with pytest.raises(DataValidationError, match=r"not part of an alstrials trial \('notes.txt'"):
        small_trial.write(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "my notes"
    assert (tmp_path / "subjects.csv").read_text() == "precious,data\n1,2\n"
    assert {p.name for p in tmp_path.iterdir()} == {"notes.txt", "subjects.csv"}


def test_write_refuses_existing_file(small_trial: TrialData, tmp_path: Path) -> None:
    target = tmp_path / "trial"
    target.write_text("not a folder")
    with pytest.raises(DataValidationError, match="is an existing file, not a folder"):
        write_trial(small_trial, target)
    assert target.read_text() == "not a folder"


def test_write_refuses_a_folder_named_like_a_table(small_trial: TrialData, tmp_path: Path) -> None:
    (tmp_path / "mri.csv").mkdir()
    with pytest.raises(DataValidationError, match="'mri.csv' is a folder"):
        small_trial.write(tmp_path)


def test_write_keeps_hidden_entries_and_unlinks_links(
    small_trial: TrialData, tmp_path: Path
) -> None:
    folder = tmp_path / "trial"
    small_trial.write(folder)
    (folder / ".DS_Store").write_bytes(b"\x00")
    target = tmp_path / "shared_subjects.csv"
    target.write_text("shared store\n")
    (folder / "subjects.csv").unlink()
    os.symlink(target, folder / "subjects.csv")
    small_trial.write(folder)
    assert (folder / ".DS_Store").read_bytes() == b"\x00"
    assert target.read_text() == "shared store\n"  # the link was replaced, not written through
    assert not (folder / "subjects.csv").is_symlink()
    _same_tables(small_trial, read_trial(folder))


def test_failed_write_leaves_previous_trial(
    with_exclusions: TrialData,
    small_trial: TrialData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_exclusions.write(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    calls = []

    def failing(frame: pd.DataFrame, file: Path, format: str) -> None:
        calls.append(file.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        original(frame, file, format)

    original = tablefile.write_table
    monkeypatch.setattr("alstrials.data.io.write_table", failing)
    with pytest.raises(DataValidationError, match="No space left on device"):
        small_trial.write(tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no staging left
    assert len(read_trial(tmp_path).exclusions) == 1


def test_write_wraps_unwritable_parquet_column(small_trial: TrialData, tmp_path: Path) -> None:
    subjects = small_trial.subjects.assign(site=[1, "two", 3.0])
    trial = small_trial.replace(subjects=subjects)
    with pytest.raises(DataValidationError, match="cannot write subjects.parquet"):
        trial.write(tmp_path / "t", format="parquet")
    assert list((tmp_path / "t").iterdir()) == []


def test_trial_files_are_what_write_produces(with_exclusions: TrialData, tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        with_exclusions.write(tmp_path / fmt, format=fmt)
        assert {p.name for p in (tmp_path / fmt).iterdir()} <= TRIAL_FILES


# ---------------------------------------------------------------------------- reading


def test_crlf_and_byte_order_mark_are_read(small_trial: TrialData, tmp_path: Path) -> None:
    small_trial.write(tmp_path)
    for table in ("subjects", "alsfrs"):
        file = tmp_path / f"{table}.csv"
        text = file.read_text().replace("\n", "\r\n")
        file.write_bytes(b"\xef\xbb\xbf" + text.encode())
    _same_tables(small_trial, read_trial(tmp_path))


def test_quoted_commas_quotes_and_newlines_survive(tmp_path: Path) -> None:
    frames = make_frames()
    odd = 'a,b "c"\nd'
    for frame in frames.values():
        frame["subject_id"] = frame["subject_id"].replace("S1", odd)
    frames["subjects"]["note"] = ["NA", float("nan"), "x,y"]
    trial = TrialData.from_frames(**frames)
    trial.write(tmp_path)
    again = read_trial(tmp_path)
    assert odd in again.subjects["subject_id"].tolist()
    assert again.subjects["note"].tolist()[0] == "NA"  # only an empty field is missing
    assert pd.isna(again.subjects["note"].tolist()[1])
    _same_tables(trial, again)


def test_header_only_table_is_an_empty_table(small_trial: TrialData, tmp_path: Path) -> None:
    small_trial.write(tmp_path)
    header = (tmp_path / "mri.csv").read_text().split("\n")[0]
    (tmp_path / "mri.csv").write_text(header + "\n")
    assert len(read_trial(tmp_path).mri) == 0


def test_symlinked_table_is_followed(small_trial: TrialData, tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    small_trial.write(folder)
    store = tmp_path / "store_alsfrs.csv"
    (folder / "alsfrs.csv").rename(store)
    os.symlink(store, folder / "alsfrs.csv")
    _same_tables(small_trial, read_trial(folder))


def test_short_row_error_carries_table_and_row(small_trial: TrialData, tmp_path: Path) -> None:
    small_trial.write(tmp_path)
    file = tmp_path / "events.csv"
    lines = file.read_text().split("\n")
    lines[2] = lines[2].rsplit(",", 1)[0]
    file.write_text("\n".join(lines))
    with pytest.raises(DataValidationError, match=r"events\.csv', line 3 \(row 1\)") as info:
        read_trial(tmp_path)
    assert (info.value.table, info.value.row) == ("events", 1)


def test_validation_error_names_file_and_line(tmp_path: Path) -> None:
    frames = make_frames()
    frames["alsfrs"].loc[2, "q1_speech"] = 7
    TrialData.from_frames(**frames).write(tmp_path)
    with pytest.raises(DataValidationError, match=r"alsfrs\.csv', line 4: table 'alsfrs'") as info:
        read_trial(tmp_path)
    assert (info.value.column, info.value.row) == ("q1_speech", 2)


def test_unknown_manifest_keys_are_ignored(small_trial: TrialData, tmp_path: Path) -> None:
    small_trial.write(tmp_path)
    manifest = json.loads((tmp_path / "trial.json").read_text())
    (tmp_path / "trial.json").write_text(json.dumps({**manifest, "written_by": "a future"}))
    _same_tables(small_trial, read_trial(tmp_path))


def test_parquet_dictionary_and_float_columns_are_read(
    small_trial: TrialData, tmp_path: Path
) -> None:
    small_trial.write(tmp_path, format="parquet")
    subjects = pq.read_table(tmp_path / "subjects.parquet")
    arm = subjects.column("arm").dictionary_encode()
    pq.write_table(subjects.set_column(1, "arm", arm), tmp_path / "subjects.parquet")
    alsfrs = pq.read_table(tmp_path / "alsfrs.parquet")
    i = alsfrs.schema.get_field_index("q1_speech")
    as_float = alsfrs.column(i).cast(pa.float64())
    pq.write_table(alsfrs.set_column(i, "q1_speech", as_float), tmp_path / "alsfrs.parquet")
    _same_tables(small_trial, read_trial(tmp_path))
