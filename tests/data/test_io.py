"""Write/read round trips through CSV and Parquet are exact."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.data.conftest import make_frames

from alstrials.data.io import read_trial
from alstrials.data.schema import TABLES, TrialData
from alstrials.errors import DataValidationError


def _assert_same(a: TrialData, b: TrialData) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name))
    assert a.arms == b.arms


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip(small_trial: TrialData, tmp_path, fmt: str) -> None:  # noqa: ANN001
    small_trial.write(tmp_path / "t", format=fmt)
    _assert_same(small_trial, read_trial(tmp_path / "t"))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(
        st.text(string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=8),
        min_size=3,
        max_size=3,
        unique=True,
    ),
    floats=st.lists(
        st.floats(0, 1e6, allow_nan=False, allow_infinity=False, width=64), min_size=3, max_size=3
    ),
    fmt=st.sampled_from(["csv", "parquet"]),
)
def test_round_trip_any_ids_and_floats(tmp_path_factory, ids, floats, fmt) -> None:  # noqa: ANN001
    frames = make_frames()
    mapping = dict(zip(["S1", "S2", "S3"], ids, strict=True))
    for frame in frames.values():
        frame["subject_id"] = frame["subject_id"].map(mapping)
    frames["subjects"]["age"] = floats
    frames["subjects"]["enrollment_month"] = np.array(floats) / 7.0
    trial = TrialData.from_frames(**frames)
    folder = tmp_path_factory.mktemp("rt")
    trial.write(folder, format=fmt)
    _assert_same(trial, read_trial(folder))


def test_exclusions_round_trip(small_trial: TrialData, tmp_path) -> None:  # noqa: ANN001
    frames = make_frames()
    frames["alsfrs"].loc[2, "q1_speech"] = 7
    report = TrialData.from_frames(**frames).validate(lenient=True)
    report.data.write(tmp_path)
    again = read_trial(tmp_path)
    pd.testing.assert_frame_equal(again.exclusions, report.exclusions, check_dtype=False)


def test_reader_validates(tmp_path) -> None:  # noqa: ANN001
    frames = make_frames()
    frames["events"].loc[0, "months"] = 1.0  # S1 visits after month 1
    trial = TrialData.from_frames(**frames)
    trial.write(tmp_path)
    with pytest.raises(DataValidationError, match="after the subject's event"):
        read_trial(tmp_path)
    lenient = read_trial(tmp_path, lenient=True)
    assert len(lenient.exclusions) == 3  # S1's visits at months 3 and 6, scan at month 6


def test_missing_table_file(small_trial: TrialData, tmp_path) -> None:  # noqa: ANN001
    small_trial.write(tmp_path)
    (tmp_path / "mri.csv").unlink()
    with pytest.raises(DataValidationError, match="table 'mri' is missing"):
        read_trial(tmp_path)
