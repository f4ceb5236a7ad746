"""Counting-process helper: hand-checked rules and R tmerge + coxph on a seeded trial.

tests/reference/survival/make_mri_data.py writes the trial; make_counting_reference.R builds the
(start, stop] rows with survival::tmerge and fits coxph(..., cluster = id).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.data.schema import TrialData, empty_table
from alstrials.errors import DataValidationError
from alstrials.models.survival import fit_cox, mri_counting_process

REF = Path(__file__).parents[1] / "reference" / "survival"


def _subjects(ids, arms):
    n = len(ids)
    return pd.DataFrame(
        {
            "subject_id": ids,
            "arm": arms,
            "age": np.linspace(50, 70, n),
            "sex": "F",
            "onset_site": "spinal",
            "onset_to_baseline_months": 12.0,
            "delta_fs": 0.5,
            "enrollment_month": 0.0,
        }
    )


def _scans(sid, months, csa, sign):
    return pd.DataFrame(
        {
            "subject_id": sid,
            "months": months,
            "cst_fa": 0.5,
            "precentral_thickness_mm": 2.5,
            "cord_csa_mm2": csa,
            "cst_flair_hyperintensity": sign,
            "motor_cortex_swi_hypointensity": sign,
            "composite_sign": sign,
        }
    )


@pytest.fixture()
def small_trial():
    mri = pd.concat(
        [
            _scans(["a"] * 3, [0.0, 6.0, 12.0], [70.0, np.nan, 60.0], [False, True, True]),
            _scans(["b"] * 2, [-0.5, 3.0], [80.0, 75.0], [False, True]),
            _scans(["c"], [4.0], [72.0], [True]),
        ]
    )
    events = pd.DataFrame(
        {
            "subject_id": ["a", "b", "c", "d"],
            "months": [10.0, 3.0, 9.0, 5.0],
            "event": [True, False, True, False],
            "event_type": ["death", "censored", "tracheostomy", "censored"],
        }
    )
    subjects = _subjects(["a", "b", "c", "d"], ["active", "placebo", "active", "placebo"])
    return TrialData.from_frames(subjects, empty_table("alsfrs"), mri, events)


def test_locf_rules_drop(small_trial):
    cp = mri_counting_process(small_trial, subject_columns=("arm",))
    got = cp[["subject_id", "start", "stop", "event", "composite_sign", "cord_csa_mm2"]]
    expected = [
        ["a", 0.0, 6.0, False, 0.0, 70.0],
        ["a", 6.0, 10.0, True, 1.0, 70.0],  # missing area at month 6 carries 70
        ["b", 0.0, 3.0, False, 0.0, 80.0],  # pre-baseline scan is the baseline value
        ["c", 4.0, 9.0, True, 1.0, 72.0],  # delayed entry at the first scan
    ]
    assert got.values.tolist() == expected
    assert cp["event_type"].tolist() == ["censored", "death", "censored", "tracheostomy"]
    assert cp.attrs["n_scans_after_end"] == 2  # a at 12 > 10; b at 3 == end
    assert cp.attrs["n_subjects_without_scan"] == 1  # d


def test_locf_rules_missing(small_trial):
    cp = mri_counting_process(small_trial, subject_columns=("arm",), before_first_scan="missing")
    c = cp[cp["subject_id"] == "c"]
    assert c[["start", "stop"]].values.tolist() == [[0.0, 4.0], [4.0, 9.0]]
    assert np.isnan(c["cord_csa_mm2"].iloc[0])
    d = cp[cp["subject_id"] == "d"]
    assert d[["start", "stop", "event"]].values.tolist() == [[0.0, 5.0, False]]
    assert cp["arm"].tolist() == ["active", "active", "placebo", "active", "active", "placebo"]


def test_each_subject_follow_up_is_tiled(small_trial):
    cp = mri_counting_process(small_trial, before_first_scan="missing")
    for sid, rows in cp.groupby("subject_id"):
        end = small_trial.events.set_index("subject_id").loc[sid, "months"]
        assert rows["start"].iloc[0] == 0.0 and rows["stop"].iloc[-1] == end
        np.testing.assert_array_equal(rows["start"].to_numpy()[1:], rows["stop"].to_numpy()[:-1])
        assert rows["event"].sum() <= 1 and not rows["event"].iloc[:-1].any()


def test_errors(small_trial):
    with pytest.raises(DataValidationError, match="table 'mri' has no column"):
        mri_counting_process(small_trial, covariates=("nfl",))
    with pytest.raises(DataValidationError, match="table 'subjects' has no column"):
        mri_counting_process(small_trial, subject_columns=("bmi",))
    with pytest.raises(ValueError, match="before_first_scan must be one of"):
        mri_counting_process(small_trial, before_first_scan="impute")


def test_against_r_tmerge_and_coxph():
    r = json.loads((REF / "counting_values.json").read_text())
    trial = TrialData.from_frames(
        pd.read_csv(REF / "mri_subjects.csv"),
        empty_table("alsfrs"),
        pd.read_csv(REF / "mri_scans.csv"),
        pd.read_csv(REF / "mri_events.csv"),
    )
    cp = mri_counting_process(trial)
    assert len(cp) == r["n_rows"]
    assert int(cp["event"].sum()) == r["n_events"]
    rr = pd.DataFrame(
        {
            "subject_id": r["id"],
            "start": r["tstart"],
            "stop": r["tstop"],
            "cs": r["composite_sign"],
            "csa": r["cord_csa_mm2"],
        }
    )
    rr = rr.sort_values(["subject_id", "start"]).reset_index(drop=True)
    np.testing.assert_allclose(cp["start"], rr["start"], atol=1e-9)
    np.testing.assert_allclose(cp["stop"], rr["stop"], atol=1e-9)
    np.testing.assert_allclose(cp["composite_sign"], rr["cs"])
    np.testing.assert_allclose(cp["cord_csa_mm2"], rr["csa"])
    cp["active"] = (cp["arm"] == "active").astype(float)
    fit = fit_cox(
        cp,
        "stop",
        "event",
        "composite_sign + cord_csa_mm2 + active",
        start="start",
        cluster="subject_id",
    )
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["robust_se"], r["robust_se"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["naive_se"], r["naive_se"], rtol=1e-5)
    assert fit.loglik == pytest.approx(r["loglik"][1], rel=1e-9)
