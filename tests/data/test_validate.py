"""Validation: every rule raises a message naming table, column, subject and row; lenient mode
sets the same rows aside and logs every one of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.data.conftest import make_frames

from alstrials.data.schema import TrialData, canonicalize
from alstrials.errors import DataValidationError


def test_small_trial_is_valid(small_trial: TrialData) -> None:
    report = small_trial.validate()
    assert report.valid
    assert len(report.exclusions) == 0
    assert report.data is small_trial


def _broken(table: str, edit) -> TrialData:  # noqa: ANN001
    frames = make_frames()
    edit(frames[table])
    return TrialData.from_frames(**frames, arms=("placebo", "active"))


# (table, edit, expected message pieces: table, column, subject, row)
CASES = [
    (
        "alsfrs",
        lambda f: f.__setitem__("q3_swallowing", [4, 4, 5, 4, 4, 4, 4, 4, 4]),
        ("'alsfrs'", "'q3_swallowing'", "'S1'", "row 2", "outside 0-4"),
    ),
    (
        "alsfrs",
        lambda f: f.loc.__setitem__((4, "alsfrs_total"), 10),
        ("'alsfrs'", "'alsfrs_total'", "'S2'", "row 4", "disagrees"),
    ),
    (
        "alsfrs",
        lambda f: f.loc.__setitem__((5, "months"), -1.0),
        ("'alsfrs'", "'months'", "'S2'", "row 5", "negative"),
    ),
    (
        "alsfrs",
        # rows 0 and 1 now share (S1, 0.0) but disagree: both are flagged, row 0 first
        lambda f: f.loc.__setitem__((1, "months"), 0.0),
        ("'alsfrs'", "'months'", "'S1'", "row 0", "duplicate", "disagree"),
    ),
    (
        "alsfrs",
        lambda f: f.loc.__setitem__((5, "months"), 9.0),
        ("'alsfrs'", "'months'", "'S2'", "row 5", "after the subject's event"),
    ),
    (
        "alsfrs",
        lambda f: f.loc.__setitem__((7, "subject_id"), "S9"),
        ("'alsfrs'", "'subject_id'", "'S9'", "row 7", "not in the 'subjects' table"),
    ),
    (
        "mri",
        lambda f: f.loc.__setitem__((2, "months"), 8.0),
        ("'mri'", "'months'", "'S2'", "row 2", "after the subject's event"),
    ),
    (
        "mri",
        lambda f: f.loc.__setitem__((1, "composite_sign"), False),
        ("'mri'", "'composite_sign'", "'S1'", "row 1", "inconsistent"),
    ),
    (
        "mri",
        lambda f: f.loc.__setitem__((0, "months"), np.nan),
        ("'mri'", "'months'", "'S1'", "row 0", "missing value in a key column"),
    ),
    (
        "subjects",
        lambda f: f.loc.__setitem__((1, "arm"), "drug"),
        ("'subjects'", "'arm'", "'S2'", "row 1", "not in the declared set"),
    ),
    (
        "subjects",
        lambda f: f.loc.__setitem__((2, "sex"), "X"),
        ("'subjects'", "'sex'", "'S3'", "row 2", "sex code"),
    ),
    (
        "events",
        lambda f: f.drop(index=2, inplace=True),
        ("'subjects'", "'subject_id'", "'S3'", "row 2", "without an 'events' row"),
    ),
    (
        "events",
        lambda f: f.loc.__setitem__((0, "event_type"), "death"),
        ("'events'", "'event'", "'S1'", "row 0", "inconsistent with 'event_type'"),
    ),
    (
        "events",
        lambda f: f.loc.__setitem__((1, "event_type"), "ventilator"),
        ("'events'", "'event_type'", "'S2'", "row 1", "event type not in"),
    ),
]


@pytest.mark.parametrize(("table", "edit", "pieces"), CASES)
def test_strict_message_names_table_column_subject_row(table, edit, pieces) -> None:  # noqa: ANN001
    trial = _broken(table, edit)
    with pytest.raises(DataValidationError, match="table") as info:
        trial.validate()
    for piece in pieces:
        assert piece in str(info.value)
    assert info.value.table == pieces[0].strip("'")


@pytest.mark.parametrize(("table", "edit", "pieces"), CASES)
def test_lenient_sets_aside_and_logs_every_row(table, edit, pieces) -> None:  # noqa: ANN001
    trial = _broken(table, edit)
    report = trial.validate(lenient=True)
    assert not report.valid
    log = report.exclusions
    assert len(log) > 0
    # nothing lost: kept + set aside = input, table by table
    for name in ("subjects", "alsfrs", "mri", "events"):
        n_in = len(trial.table(name))
        assert len(report.data.table(name)) + int((log["table"] == name).sum()) == n_in
    # the cleaned trial passes strict validation
    assert report.data.validate().valid
    assert report.data.exclusions.equals(log)


def test_missing_column_is_named(frames) -> None:  # noqa: ANN001
    frames["alsfrs"] = frames["alsfrs"].drop(columns="r2_orthopnea")
    with pytest.raises(DataValidationError, match="table 'alsfrs' is missing.*r2_orthopnea"):
        TrialData.from_frames(**frames)


def test_uncoercible_dtype_is_named(frames) -> None:  # noqa: ANN001
    frames["subjects"]["age"] = frames["subjects"]["age"].astype(object)
    frames["subjects"].loc[1, "age"] = "fifty"
    with pytest.raises(
        DataValidationError, match="table 'subjects', column 'age', subject 'S2', row 1.*'fifty'"
    ):
        TrialData.from_frames(**frames)


def test_non_integer_item_is_named(frames) -> None:  # noqa: ANN001
    frames["alsfrs"]["q4_handwriting"] = frames["alsfrs"]["q4_handwriting"].astype(float)
    frames["alsfrs"].loc[3, "q4_handwriting"] = 2.5
    with pytest.raises(
        DataValidationError, match="column 'q4_handwriting', subject 'S2', row 3.*not an integer"
    ):
        TrialData.from_frames(**frames)


def test_subject_set_aside_takes_its_rows_with_it(frames) -> None:  # noqa: ANN001
    frames["subjects"].loc[0, "arm"] = "unknown"
    report = TrialData.from_frames(**frames, arms=("placebo", "active")).validate(lenient=True)
    assert "S1" not in set(report.data.alsfrs["subject_id"])
    assert "S1" not in set(report.data.mri["subject_id"])
    s1 = report.exclusions[report.exclusions["subject_id"] == "S1"]
    assert sorted(s1["table"].value_counts().items()) == [
        ("alsfrs", 3),
        ("events", 1),
        ("mri", 2),
        ("subjects", 1),
    ]
    assert s1["reason"].str.contains("arm label").all()


def test_missing_items_are_allowed_but_total_must_be_in_range(frames) -> None:  # noqa: ANN001
    frames["alsfrs"]["q2_salivation"] = frames["alsfrs"]["q2_salivation"].astype(object)
    frames["alsfrs"].loc[0, "q2_salivation"] = None
    frames["alsfrs"].loc[0, "alsfrs_total"] = None
    assert TrialData.from_frames(**frames).validate().valid
    frames["alsfrs"].loc[1, "alsfrs_total"] = 49
    with pytest.raises(DataValidationError, match="outside 0-48"):
        TrialData.from_frames(**frames).validate()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 8), st.none()), min_size=9, max_size=9))
def test_item_rule_flags_exactly_the_out_of_range_rows(values) -> None:  # noqa: ANN001
    frames = make_frames()
    frames["alsfrs"]["q9_climbing_stairs"] = pd.array(values, dtype="Int64")
    frames["alsfrs"]["alsfrs_total"] = pd.NA  # isolate the item rule
    report = TrialData.from_frames(**frames).validate(lenient=True)
    bad_rows = {i for i, v in enumerate(values) if v is not None and not 0 <= v <= 4}
    logged = set(report.exclusions.loc[report.exclusions["table"] == "alsfrs", "row"])
    assert logged == bad_rows


def test_canonicalize_coerces_text_booleans_and_ids() -> None:
    frame = pd.DataFrame(
        {
            "subject_id": [7, 8],
            "months": ["1.5", "2"],
            "event": ["TRUE", "0"],
            "event_type": ["death", "censored"],
        }
    )
    out = canonicalize(frame, "events")
    assert out["subject_id"].tolist() == ["7", "8"]
    assert out["event"].tolist() == [True, False]
    assert out["months"].dtype == np.float64
