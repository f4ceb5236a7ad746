"""Tests of alstrials.data.proact.read_proact on a PRO-ACT-format folder written by the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.data.proact_corpus import ITEMS as PROACT_ITEMS

from alstrials.data.proact import read_proact
from alstrials.data.schema import DAYS_PER_MONTH, TrialData
from alstrials.errors import DataValidationError, DataWarning

R_ITEMS = PROACT_ITEMS  # one list of the PRO-ACT item columns, shared with the corpus


def visit(sid, day, value=4, original=False, gastrostomy=False, **items):
    row = {
        "subject_id": sid,
        "ALSFRS_Delta": day,
        **dict.fromkeys(R_ITEMS, value),
        "Q5b_Cutting_with_Gastrostomy": np.nan,
        "Q10_Respiratory": np.nan,
        "ALSFRS_Total": np.nan,
        "ALSFRS_R_Total": np.nan,
    }
    row.update(items)
    if original:  # original ALSFRS: one respiratory item Q10, no R1-R3
        row.update(
            {
                "R_1_Dyspnea": np.nan,
                "R_2_Orthopnea": np.nan,
                "R_3_Respiratory_Insufficiency": np.nan,
                "Q10_Respiratory": value,
            }
        )
    if gastrostomy:
        row["Q5b_Cutting_with_Gastrostomy"] = row["Q5a_Cutting_without_Gastrostomy"]
        row["Q5a_Cutting_without_Gastrostomy"] = np.nan
    return row


@pytest.fixture
def proact_dir(tmp_path):
    alsfrs = [
        visit(1, 0, Q1_Speech=3),  # row 0: total 47
        visit(1, 91, Q1_Speech=3, Q8_Walking=3),  # row 1: 46
        visit(1, np.nan),  # row 2: no time
        visit(1, 182, Q1_Speech=2, Q8_Walking=3),  # row 3: 45
        visit(2, 0, value=3),  # row 4: 36
        visit(2, 30, value=3, original=True),  # row 5: original ALSFRS
        visit(
            2, 60, value=3, gastrostomy=True, Q5a_Cutting_without_Gastrostomy=2
        ),  # row 6: 5b = 2, total 35
        visit(2, 120, value=3),  # row 7: after death (100)
        visit(3, 0),
        visit(3, 30),  # rows 8-9: no treatment
        visit(4, 0),  # row 10: unknown arm
        visit(5, 0, original=True),  # row 11: original only
        visit(6, 0),  # row 12: 48
        visit(6, 45, Q3_Swallowing=2),  # row 13: 46
    ]
    pd.DataFrame(alsfrs).to_csv(tmp_path / "PROACT_ALSFRS.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": [1, 2, 4, 5, 6],
            "Study_Arm": ["Placebo", "ACTIVE ", "Unknown", "Active", "placebo"],
        }
    ).to_csv(tmp_path / "PROACT_TREATMENT.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": [1, 2, 3, 4, 5, 6],
            "Age": [55, 61.5, 70, 40, 50, 66],
            "Sex": ["Male", "Female", "Male", "Male", "Female", "Other"],
        }
    ).to_csv(tmp_path / "PROACT_DEMOGRAPHICS.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": [1, 1, 2, 3, 6],
            "Site_of_Onset": [
                "Onset: Limb",
                "Onset: Limb",
                "Onset: Bulbar",
                None,
                "Onset: Limb and Bulbar",
            ],
            "Onset_Delta": [np.nan, -365, -200, -100, -500],
            "Diagnosis_Delta": [np.nan, -100, -50, -20, -300],
        }
    ).to_csv(tmp_path / "PROACT_ALSHISTORY.csv", index=False)
    pd.DataFrame(
        {
            "subject_id": [1, 2, 3, 6],
            "Subject_Died": ["No", "Yes", "Yes", "Yes"],
            "Death_Days": [np.nan, 100, 50, np.nan],
        }
    ).to_csv(tmp_path / "PROACT_DEATHDATA.csv", index=False)
    return tmp_path


def test_read_proact_tables(proact_dir):
    trial = read_proact(proact_dir)
    assert isinstance(trial, TrialData)
    assert trial.metadata["source"] == "PRO-ACT"
    s = trial.subjects.set_index("subject_id")
    # Subjects 3 (no treatment), 4 (unknown arm), 5 (original ALSFRS only) are set aside.
    assert list(s.index) == ["1", "2", "6"]
    assert s["arm"].tolist() == ["placebo", "active", "placebo"]
    assert s["sex"].tolist() == ["M", "F", None]
    assert s["onset_site"].tolist() == ["spinal", "bulbar", "mixed"]
    assert s.loc["1", "onset_to_baseline_months"] == pytest.approx(365 / DAYS_PER_MONTH)
    # delta-FS at the first visit (month 0): (48 - 47) / (365 / 30.4375), etc.
    assert s.loc["1", "delta_fs"] == pytest.approx(1 / (365 / DAYS_PER_MONTH))
    assert s.loc["2", "delta_fs"] == pytest.approx(12 / (200 / DAYS_PER_MONTH))
    assert s.loc["6", "delta_fs"] == 0.0
    assert (s["enrollment_month"] == 0).all()

    a = trial.alsfrs
    # 8 visits survive the reader; the day-120 visit of subject 2 (after death) is then set
    # aside by lenient validation: 7 remain.
    assert len(a) == 7
    assert a.loc[a["subject_id"] == "1", "alsfrs_total"].tolist() == [47, 46, 45]
    g = a[(a["subject_id"] == "2") & np.isclose(a["months"], 60 / DAYS_PER_MONTH)].iloc[0]
    assert g["q5_cutting"] == 2 and bool(g["gastrostomy"]) and g["alsfrs_total"] == 35
    assert not a.loc[a["subject_id"] == "1", "gastrostomy"].any()

    e = trial.events.set_index("subject_id")
    assert e.loc["1", "months"] == pytest.approx(182 / DAYS_PER_MONTH)  # censored, last visit
    assert e.loc["2", "months"] == pytest.approx(100 / DAYS_PER_MONTH)
    assert e.loc["2", "event_type"] == "death" and bool(e.loc["2", "event"])
    # Died without Death_Days: censored at the last visit, logged.
    assert e.loc["6", "event_type"] == "censored"
    assert e.loc["6", "months"] == pytest.approx(45 / DAYS_PER_MONTH)
    assert trial.mri.empty and "composite_sign" in trial.mri.columns


def test_read_proact_exclusion_log_and_report(proact_dir):
    trial = read_proact(proact_dir)
    log = trial.exclusions
    assert list(log.columns) == ["table", "row", "subject_id", "reason"]
    by_table = log["table"].value_counts().to_dict()
    assert by_table == {
        "PROACT_ALSFRS": 6,
        "PROACT_TREATMENT": 2,
        "PROACT_DEMOGRAPHICS": 4,  # subjects 3, 4, 5 set aside; subject 6's Sex "Other"
        "PROACT_ALSHISTORY": 2,
        "PROACT_DEATHDATA": 2,
        "alsfrs": 1,
    }
    alsfrs_log = log[log["table"] == "PROACT_ALSFRS"].set_index("row")
    assert sorted(alsfrs_log.index) == [2, 5, 8, 9, 10, 11]
    assert "original ALSFRS" in alsfrs_log.loc[5, "reason"]
    assert "original ALSFRS" in alsfrs_log.loc[11, "reason"]
    assert "ALSFRS_Delta" in alsfrs_log.loc[2, "reason"]
    assert "TREATMENT" in alsfrs_log.loc[8, "reason"]
    trt = log[log["table"] == "PROACT_TREATMENT"].set_index("subject_id")["reason"]
    assert "unknown or missing Study_Arm" in trt["4"]
    assert "no usable ALSFRS-R visit" in trt["5"]
    death = log[log["table"] == "PROACT_DEATHDATA"].set_index("subject_id")["reason"]
    assert "without Death_Days" in death["6"]
    demo = log[log["table"] == "PROACT_DEMOGRAPHICS"].set_index("subject_id")["reason"]
    assert "Sex: value 'Other' is not Male/Female" in demo["6"]
    assert demo["6"].endswith("value left missing (row kept)")
    hist = log[log["table"] == "PROACT_ALSHISTORY"]
    assert hist["row"].tolist() == [0, 3]  # subject 1's row without onset, subject 3
    assert "after the subject's event" in log.loc[log["table"] == "alsfrs", "reason"].iloc[0]

    rep = trial.metadata["import_report"].set_index(["stage", "table"])
    assert rep.loc[
        ("read", "PROACT_ALSFRS"), ["rows_in", "rows_kept", "rows_set_aside", "subjects"]
    ].tolist() == [14, 8, 6, 3]
    assert rep.loc[("read", "PROACT_TREATMENT"), "rows_kept"] == 3
    # subject 6's demographics row is kept (its Sex is left missing, logged)
    assert rep.loc[
        ("read", "PROACT_DEMOGRAPHICS"), ["rows_kept", "rows_set_aside", "values_left_missing"]
    ].tolist() == [3, 3, 1]
    assert rep.loc[("read", "PROACT_DEATHDATA"), ["rows_in", "rows_kept"]].tolist() == [4, 2]
    assert rep.loc[("validate", "alsfrs"), ["rows_in", "rows_kept", "rows_set_aside"]].tolist() == [
        8,
        7,
        1,
    ]
    assert rep.loc[("validate", "subjects"), "subjects"] == 3
    # Every source row is either kept or logged.
    read = rep.xs("read")
    assert (read["rows_kept"] + read["rows_set_aside"] == read["rows_in"]).all()


def test_result_validates_strictly(proact_dir):
    report = read_proact(proact_dir).validate()
    assert report.valid


def test_missing_file(proact_dir):
    (proact_dir / "PROACT_DEATHDATA.csv").unlink()
    with pytest.raises(DataValidationError, match="PROACT_DEATHDATA.csv not found"):
        read_proact(proact_dir)


def test_missing_column(proact_dir):
    frame = pd.read_csv(proact_dir / "PROACT_TREATMENT.csv").drop(columns="Study_Arm")
    frame.to_csv(proact_dir / "PROACT_TREATMENT.csv", index=False)
    with pytest.raises(DataValidationError, match="missing column\\(s\\) \\['Study_Arm'\\]"):
        read_proact(proact_dir)


def test_conflicting_arms_and_bad_items(proact_dir):
    trt = pd.read_csv(proact_dir / "PROACT_TREATMENT.csv")
    trt = pd.concat([trt, pd.DataFrame({"subject_id": [6], "Study_Arm": ["Active"]})])
    trt.to_csv(proact_dir / "PROACT_TREATMENT.csv", index=False)
    als = pd.read_csv(proact_dir / "PROACT_ALSFRS.csv")
    als.loc[1, "Q4_Handwriting"] = 5
    als.to_csv(proact_dir / "PROACT_ALSFRS.csv", index=False)
    trial = read_proact(proact_dir)
    assert "6" not in set(trial.subjects["subject_id"])
    log = trial.exclusions
    assert (
        log.loc[(log["table"] == "PROACT_TREATMENT") & (log["subject_id"] == "6"), "reason"]
        .str.contains("conflicting")
        .all()
    )
    row1 = log[(log["table"] == "PROACT_ALSFRS") & (log["row"] == 1)]
    assert "outside 0-4" in row1["reason"].iloc[0]


def test_first_visit_with_missing_item_gives_missing_delta_fs(proact_dir):
    # Subject 6's first visit (row 12) loses Q3 and has no ALSFRS_R_Total: its total is
    # missing, so delta-FS (defined at the first visit) is missing rather than taken from a
    # later visit; the visit itself is kept.
    als = pd.read_csv(proact_dir / "PROACT_ALSFRS.csv")
    als.loc[12, "Q3_Swallowing"] = np.nan
    als.to_csv(proact_dir / "PROACT_ALSFRS.csv", index=False)
    trial = read_proact(proact_dir)
    s = trial.subjects.set_index("subject_id")
    assert np.isnan(s.loc["6", "delta_fs"])
    a = trial.alsfrs[trial.alsfrs["subject_id"] == "6"]
    assert len(a) == 2 and pd.isna(a["alsfrs_total"].iloc[0])


def test_onset_after_first_visit_warns(proact_dir):
    hist = pd.read_csv(proact_dir / "PROACT_ALSHISTORY.csv")
    hist.loc[hist["subject_id"] == 2, "Onset_Delta"] = 10  # onset 10 days after baseline
    hist.to_csv(proact_dir / "PROACT_ALSHISTORY.csv", index=False)
    with pytest.warns(DataWarning, match="onset at or after their first visit"):
        trial = read_proact(proact_dir)
    # Negative onset-to-baseline time is then set aside by lenient validation (subject level).
    assert "2" not in set(trial.subjects["subject_id"])
    assert trial.exclusions["reason"].str.contains("onset_to_baseline_months").any()
