"""A small valid trial, built by hand, that validation tests break one rule at a time."""

from __future__ import annotations

import pandas as pd
import pytest

from alstrials.data.schema import ALSFRS_ITEMS, TrialData


def make_frames() -> dict[str, pd.DataFrame]:
    subjects = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3"],
            "arm": ["placebo", "active", "active"],
            "age": [61.0, 55.5, 70.2],
            "sex": ["M", "F", "M"],
            "onset_site": ["spinal", "bulbar", "spinal"],
            "onset_to_baseline_months": [14.0, 9.5, 20.0],
            "delta_fs": [0.5, 0.84, 0.3],
            "enrollment_month": [0.0, 1.5, 3.25],
        }
    )
    visits = []
    for sid, start in (("S1", 41), ("S2", 40), ("S3", 42)):
        for k, months in enumerate((0.0, 3.0, 6.0)):
            items = {item: 4 for item in ALSFRS_ITEMS}
            items["q1_speech"] = 4 - k
            items["q8_walking"] = 4 - k
            items["r1_dyspnea"] = 4 - (48 - start) // 2 % 5
            total = sum(items.values())
            visits.append(
                {
                    "subject_id": sid,
                    "months": months,
                    **items,
                    "gastrostomy": False,
                    "alsfrs_total": total,
                }
            )
    alsfrs = pd.DataFrame(visits)
    mri = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S2"],
            "months": [0.0, 6.0, 0.0],
            "cst_fa": [0.52, 0.50, 0.55],
            "precentral_thickness_mm": [2.4, 2.38, 2.5],
            "cord_csa_mm2": [61.0, 60.1, 63.2],
            "cst_flair_hyperintensity": [True, True, False],
            "motor_cortex_swi_hypointensity": [True, True, True],
            "composite_sign": [True, True, False],
        }
    )
    events = pd.DataFrame(
        {
            "subject_id": ["S1", "S2", "S3"],
            "months": [18.0, 7.5, 12.0],
            "event": [False, True, True],
            "event_type": ["censored", "death", "tracheostomy"],
        }
    )
    return {"subjects": subjects, "alsfrs": alsfrs, "mri": mri, "events": events}


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return make_frames()


@pytest.fixture
def small_trial(frames: dict[str, pd.DataFrame]) -> TrialData:
    return TrialData.from_frames(**frames)
