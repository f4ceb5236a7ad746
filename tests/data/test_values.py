"""Values: non-finite and implausible numbers, missing enrolment months, empty trials, and
columns of the wrong kind (durations, dates, lists, duplicated names) never pass."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.data.conftest import make_frames

from alstrials.data.io import read_trial
from alstrials.data.schema import (
    PLAUSIBLE_RANGES,
    SCHEMA,
    TABLES,
    TrialData,
    canonicalize,
    empty_table,
)
from alstrials.errors import DataValidationError

FLOAT_COLUMNS = [
    (table, column) for table in TABLES for column, d in SCHEMA[table].items() if d == "float64"
]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_every_float_column_has_a_plausible_range() -> None:
    assert sorted(FLOAT_COLUMNS) == sorted(
        (t, c) for t, cols in PLAUSIBLE_RANGES.items() for c in cols
    )


def test_every_range_is_documented() -> None:
    text = DOCS.read_text()
    for table, columns in PLAUSIBLE_RANGES.items():
        for column, (low, high, _) in columns.items():
            pattern = rf"`{column}`[^\n]*\| {low:g}\s*[-–]\s*{high:g}"
            assert re.search(pattern, text), f"docs/data.md: no range row for {table}.{column}"


@pytest.mark.parametrize(("table", "column"), FLOAT_COLUMNS)
@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e308, -1e308])
def test_non_finite_and_huge_floats_are_rejected_or_logged(table, column, value) -> None:  # noqa: ANN001
    frames = make_frames()
    frames[table][column] = frames[table][column].astype(float)
    frames[table].loc[1, column] = value
    trial = TrialData.from_frames(**frames)
    subject = frames[table]["subject_id"][1]
    with pytest.raises(
        DataValidationError,
        match=rf"table '{table}', column '{column}', subject '{subject}', row 1: "
        r"(a non-finite value|a value above|a negative value|a value below)",
    ):
        trial.validate()
    report = trial.validate(lenient=True)
    log = report.exclusions
    assert ((log["table"] == table) & (log["row"] == 1)).any()
    for name in TABLES:
        assert len(report.data.table(name)) + int((log["table"] == name).sum()) == len(
            trial.table(name)
        )
    assert report.data.validate().valid


@pytest.mark.parametrize(("table", "column"), FLOAT_COLUMNS)
@pytest.mark.parametrize("side", ["low", "high"])
def test_range_bounds_are_inclusive(table, column, side) -> None:  # noqa: ANN001
    low, high, _ = PLAUSIBLE_RANGES[table][column]
    frames = make_frames()
    frames[table][column] = frames[table][column].astype(float)
    edge = low if side == "low" else high
    outside = low - max(abs(low) * 1e-3, 1e-3) if side == "low" else high * 1.001 + 1e-3
    frames[table].loc[0, column] = outside
    with pytest.raises(DataValidationError, match=f"column '{column}'"):
        TrialData.from_frames(**frames).validate()
    frames[table].loc[0, column] = edge
    trial = TrialData.from_frames(**frames)
    report = trial.validate(lenient=True)
    # the edge value itself is not flagged by its range rule (other rules may still apply, e.g.
    # a visit at month 600 after the subject's event)
    flagged = report.checks[
        (report.checks["table"] == table)
        & (report.checks["column"] == column)
        & report.checks["rule"].str.contains("plausible range")
    ]
    assert (flagged["n_rows"] == 0).all()


def test_missing_enrollment_month_is_a_missing_key() -> None:
    frames = make_frames()
    frames["subjects"].loc[2, "enrollment_month"] = np.nan
    with pytest.raises(
        DataValidationError,
        match="column 'enrollment_month', subject 'S3', row 2: a missing value in a key column",
    ):
        TrialData.from_frames(**frames).validate()
    report = TrialData.from_frames(**frames).validate(lenient=True)
    assert "S3" not in set(report.data.subjects["subject_id"])
    assert "S3" not in set(report.data.alsfrs["subject_id"])


def test_header_only_trial_is_invalid(tmp_path) -> None:  # noqa: ANN001
    trial = TrialData(*(empty_table(t) for t in TABLES))
    with pytest.raises(DataValidationError, match="no subject at all"):
        trial.validate()
    report = trial.validate(lenient=True)
    assert not report.valid
    assert "no subject at all" in report.to_text()
    for table in TABLES:
        (tmp_path / f"{table}.csv").write_text(",".join(SCHEMA[table]) + "\n")
    with pytest.raises(DataValidationError, match="no subject at all"):
        read_trial(tmp_path)


def test_huge_item_is_reported_as_read() -> None:
    frames = make_frames()
    frames["alsfrs"]["q3_swallowing"] = frames["alsfrs"]["q3_swallowing"].astype(object)
    frames["alsfrs"].loc[4, "q3_swallowing"] = "1e308"
    with pytest.raises(
        DataValidationError,
        match=r"column 'q3_swallowing', subject 'S2', row 4: value '1e308' is not a finite "
        r"integer of magnitude at most 2\*\*53",
    ):
        TrialData.from_frames(**frames)
    frames["alsfrs"].loc[4, "q3_swallowing"] = 1e308
    with pytest.raises(DataValidationError, match=r"value 1e\+308 is not a finite integer"):
        TrialData.from_frames(**frames)
    frames["alsfrs"].loc[4, "q3_swallowing"] = np.inf
    with pytest.raises(DataValidationError, match="value inf is not a finite integer"):
        TrialData.from_frames(**frames)


def test_huge_item_in_a_csv_file_is_reported_as_read(tmp_path) -> None:  # noqa: ANN001
    TrialData.from_frames(**make_frames()).write(tmp_path)
    path = tmp_path / "alsfrs.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[2, "q5_cutting"] = "1e308"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="'q5_cutting'.*row 2.*'1e308'") as info:
        read_trial(tmp_path)
    assert "-9223372036854775808" not in str(info.value)


@pytest.mark.parametrize(
    ("values", "what"),
    [
        (pd.to_timedelta([30, 60, 90, 30, 60, 90, 30, 60, 90], unit="D"), "durations"),
        (pd.to_datetime(["2020-01-01"] * 9), "dates or times"),
        (pd.Series([[0.0]] * 9, dtype=object), "list"),
        (pd.Series([pd.Timedelta(days=1)] * 9, dtype=object), "a duration"),
        (pd.Series([True, False, True] * 3), "true/false"),
        (pd.Series([1 + 1j] * 9), "complex"),
    ],
)
def test_wrong_kind_in_a_numeric_column_is_rejected(values, what) -> None:  # noqa: ANN001
    frames = make_frames()
    frames["alsfrs"]["months"] = pd.Series(values, index=frames["alsfrs"].index)
    with pytest.raises(DataValidationError, match=f"table 'alsfrs', column 'months'.*{what}"):
        TrialData.from_frames(**frames)


def test_wrong_kind_in_a_text_or_item_column_is_rejected() -> None:
    frames = make_frames()
    frames["subjects"]["arm"] = pd.Series([["placebo"], "active", "active"], dtype=object)  # a list
    with pytest.raises(DataValidationError, match="column 'arm', subject 'S1', row 0.*list"):
        TrialData.from_frames(**frames)
    frames = make_frames()
    frames["alsfrs"]["q1_speech"] = pd.to_timedelta(frames["alsfrs"]["q1_speech"], unit="D")
    with pytest.raises(DataValidationError, match="column 'q1_speech'.*durations"):
        TrialData.from_frames(**frames)


def test_duplicated_column_names_are_rejected() -> None:
    frames = make_frames()
    frames["subjects"]["extra"] = 1.0
    frames["subjects"] = frames["subjects"].rename(columns={"extra": "age"})
    with pytest.raises(DataValidationError, match="table 'subjects' has the column 'age' 2 times"):
        TrialData.from_frames(**frames)
    with pytest.raises(DataValidationError, match="column 'age' 2 times"):
        canonicalize(frames["subjects"], "subjects")


def test_duplicated_extra_column_is_also_rejected() -> None:
    frame = make_frames()["events"]
    frame.insert(4, "site", "A")
    frame.insert(5, "site_2", "B")
    frame.columns = [*frame.columns[:5], "site"]
    with pytest.raises(DataValidationError, match="'site' 2 times"):
        canonicalize(frame, "events")


def test_identical_duplicate_visits_keep_one_copy_conflicting_ones_none() -> None:
    frames = make_frames()
    frames["alsfrs"] = pd.concat([frames["alsfrs"], frames["alsfrs"].iloc[[3]]], ignore_index=True)
    report = TrialData.from_frames(**frames).validate(lenient=True)
    assert report.exclusions[["table", "row"]].values.tolist() == [["alsfrs", 9]]
    assert "identical copy" in report.exclusions["reason"].iloc[0]
    frames["alsfrs"].loc[9, "q1_speech"] = 2
    frames["alsfrs"].loc[9, "alsfrs_total"] -= 2
    report = TrialData.from_frames(**frames).validate(lenient=True)
    assert sorted(report.exclusions["row"]) == [3, 9]
    assert report.exclusions["reason"].str.contains("disagree").all()


def test_conflicting_events_rows_set_the_subject_aside() -> None:
    frames = make_frames()
    extra = frames["events"].iloc[[1]].assign(months=5.0)
    frames["events"] = pd.concat([frames["events"], extra], ignore_index=True)
    report = TrialData.from_frames(**frames).validate(lenient=True)
    assert "S2" not in set(report.data.subjects["subject_id"])
    s2 = report.exclusions[report.exclusions["subject_id"] == "S2"]
    assert sorted(s2.loc[s2["table"] == "events", "row"]) == [1, 3]
