"""Tests of alstrials.data.alsfrs: totals, subdomains, Q5, delta-FS, King's and MiToS stages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.data.alsfrs import (
    alsfrs_subdomains,
    alsfrs_total,
    combine_q5,
    delta_fs,
    kings_stage,
    mitos_stage,
    score_alsfrs,
    split_q5,
)
from alstrials.data.schema import ALSFRS_ITEMS
from alstrials.errors import DataValidationError, DataWarning

ITEMS = list(ALSFRS_ITEMS)


def visits(rows, gastrostomy=None):
    """Visits from item dicts (unspecified items are 4 = normal)."""
    frame = pd.DataFrame([{**dict.fromkeys(ITEMS, 4), **r} for r in rows])[ITEMS]
    frame = frame.astype("Int64")
    frame["gastrostomy"] = pd.array(gastrostomy or [False] * len(rows), dtype="boolean")
    return frame


def test_total_and_subdomains_hand_case():
    # Items 3,4,2 | 4,3,4 | 1,2,3 | 4,4,0: bulbar 9, fine 11, gross 6, resp 8, total 34.
    vals = [3, 4, 2, 4, 3, 4, 1, 2, 3, 4, 4, 0]
    frame = visits([dict(zip(ITEMS, vals, strict=True))])
    assert alsfrs_total(frame).iloc[0] == 34
    assert alsfrs_subdomains(frame).iloc[0].tolist() == [9, 11, 6, 8]


def test_missing_item_and_prorating():
    frame = visits([{"q3_swallowing": pd.NA, "q1_speech": 2}])
    assert pd.isna(alsfrs_total(frame).iloc[0])
    # Pro-rated: 11 observed items sum to 2 + 10*4 = 42; 12 * 42 / 11.
    assert alsfrs_total(frame, max_missing=1).iloc[0] == pytest.approx(12 * 42 / 11)
    sub = alsfrs_subdomains(frame).iloc[0]
    assert pd.isna(sub["bulbar"]) and sub["fine_motor"] == 12
    with pytest.raises(ValueError, match="max_missing"):
        alsfrs_total(frame, max_missing=12)


def test_item_out_of_range_named():
    frame = visits([{}, {"q8_walking": 5}])
    with pytest.raises(DataValidationError, match="column 'q8_walking'.*row 1.*0-4"):
        alsfrs_total(frame)


def test_q5_combine_and_split():
    out = combine_q5([3, None, None, 2], [None, 1, None, 4])
    assert out["q5_cutting"].tolist() == [3, 1, pd.NA, 2]
    assert out["gastrostomy"].tolist() == [False, True, pd.NA, False]
    assert out["q5_both_recorded"].tolist() == [False, False, False, True]
    back = split_q5(out["q5_cutting"], out["gastrostomy"])
    assert back["q5a"].tolist() == [3, pd.NA, pd.NA, 2]
    assert back["q5b"].tolist() == [pd.NA, 1, pd.NA, pd.NA]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 4)), st.one_of(st.none(), st.integers(0, 4))),
        min_size=1,
        max_size=20,
    )
)
def test_q5_round_trip_property(pairs):
    # Whenever at most one of 5a/5b is recorded, split(combine(5a, 5b)) gives them back.
    pairs = [(a, b) if a is None or b is None else (a, None) for a, b in pairs]
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    out = combine_q5(a, b)
    back = split_q5(out["q5_cutting"], out["gastrostomy"])
    assert [None if pd.isna(v) else int(v) for v in back["q5a"]] == a
    assert [None if pd.isna(v) else int(v) for v in back["q5b"]] == b


def test_delta_fs():
    # (48 - 36) / 24 = 0.5 and (48 - 48) / 6 = 0; NaN totals stay NaN.
    np.testing.assert_allclose(delta_fs([36, 48, np.nan], [24, 6, 10]), [0.5, 0.0, np.nan])
    with pytest.raises(DataValidationError, match="row 1 has 0.0 months"):
        delta_fs([40, 40], [10, 0])
    with pytest.raises(DataValidationError, match="total in 0-48"):
        delta_fs([50], [10])


# King's stage (Balendra 2014 item mapping), derivations per row:
#  0: all items 4 -> no region involved -> "0".
#  1: Q1 speech 3 -> bulbar only -> "1".
#  2: Q4 handwriting 2 and Q8 walking 3 -> upper + lower limb -> "2".
#  3: Q2 3, Q5 (5a) 3, Q8 1 -> bulbar + upper + lower -> "3".
#  4: Q6 dressing 1, Q7 turning 2, Q9 stairs 0 only -> no region by Balendra's items -> "0".
#  5: gastrostomy (Q5 scored as 5b = 2), Q1 3 -> 4A.
#  6: R3 respiratory insufficiency 3 (intermittent BiPAP) -> 4B.
#  7: R1 dyspnea 0 with R3 4 -> 4B.
#  8: R1 1, R3 4, Q1 3 -> R1 > 0 and R3 = 4: not 4B -> bulbar only -> "1".
#  9: gastrostomy and R3 2 -> both 4A and 4B criteria -> "4B" (later milestone).
# 10: Q5 scored as 5b = 3 with all other items 4 -> 4A (Q5b does not count for upper limb).
KINGS_ROWS = [
    ({}, False, "0"),
    ({"q1_speech": 3}, False, "1"),
    ({"q4_handwriting": 2, "q8_walking": 3}, False, "2"),
    ({"q2_salivation": 3, "q5_cutting": 3, "q8_walking": 1}, False, "3"),
    ({"q6_dressing_hygiene": 1, "q7_turning_in_bed": 2, "q9_climbing_stairs": 0}, False, "0"),
    ({"q5_cutting": 2, "q1_speech": 3}, True, "4A"),
    ({"r3_respiratory_insufficiency": 3}, False, "4B"),
    ({"r1_dyspnea": 0}, False, "4B"),
    ({"r1_dyspnea": 1, "q1_speech": 3}, False, "1"),
    ({"r3_respiratory_insufficiency": 2}, True, "4B"),
    ({"q5_cutting": 3}, True, "4A"),
]


def test_kings_hand_cases():
    frame = visits([r for r, _, _ in KINGS_ROWS], [g for _, g, _ in KINGS_ROWS])
    out = kings_stage(frame)
    assert out["kings_stage"].tolist() == [s for _, _, s in KINGS_ROWS]
    assert out["kings_stage_num"].tolist() == [0, 1, 2, 3, 0, 4, 4, 4, 1, 4, 4]
    assert out["kings_regions"].tolist()[:5] == [0, 1, 2, 3, 0]


def test_kings_missing_items():
    # Q2 missing but Q1 = 3 shows bulbar involvement; limbs all 4 -> stage 1 is known.
    # Q2 missing and Q1, Q3 = 4 -> bulbar unknown -> stage unknown; unless 4B holds.
    frame = visits(
        [
            {"q2_salivation": pd.NA, "q1_speech": 3},
            {"q2_salivation": pd.NA},
            {"q2_salivation": pd.NA, "r1_dyspnea": 0},
        ]
    )
    assert kings_stage(frame)["kings_stage"].tolist() == ["1", None, "4B"]


# MiToS (Chio 2015) derivations:
#  0: all 4 -> 0.
#  1: Q8 walking 1 -> movement lost -> 1.
#  2: Q6 dressing 0 and Q3 swallowing 1 -> movement + swallowing -> 2.
#  3: Q1 speech 1 with Q4 handwriting 2 -> communicating needs both <= 1 -> 0.
#  4: Q1 0, Q4 1 -> communicating lost; R3 2 -> breathing lost -> 2.
#  5: R1 1 -> breathing; Q8 0; Q3 0; Q1 1 and Q4 0 -> all four -> 4.
#  6: R3 3 (not <= 2) and R1 2 -> breathing not lost -> 0.
MITOS_ROWS = [
    ({}, 0),
    ({"q8_walking": 1}, 1),
    ({"q6_dressing_hygiene": 0, "q3_swallowing": 1}, 2),
    ({"q1_speech": 1, "q4_handwriting": 2}, 0),
    ({"q1_speech": 0, "q4_handwriting": 1, "r3_respiratory_insufficiency": 2}, 2),
    (
        {"r1_dyspnea": 1, "q8_walking": 0, "q3_swallowing": 0, "q1_speech": 1, "q4_handwriting": 0},
        4,
    ),
    ({"r3_respiratory_insufficiency": 3, "r1_dyspnea": 2}, 0),
]


def test_mitos_hand_cases():
    frame = visits([r for r, _ in MITOS_ROWS])
    out = mitos_stage(frame)
    assert out["mitos_stage"].tolist() == [s for _, s in MITOS_ROWS]
    dead = pd.Series([False] * 6 + [True])
    assert mitos_stage(frame, dead=dead)["mitos_stage"].tolist()[-1] == 5


def test_score_alsfrs_adds_columns_without_mutating():
    frame = visits([{"q1_speech": 3}, {"q8_walking": 1}])
    frame.insert(0, "subject_id", ["S1", "S1"])
    frame.insert(1, "months", [0.0, 6.0])
    frame["alsfrs_total"] = pd.array([47, pd.NA], dtype="Int64")
    before = frame.copy()
    subjects = pd.DataFrame({"subject_id": ["S1"], "onset_to_baseline_months": [10.0]})
    out = score_alsfrs(frame, subjects)
    pd.testing.assert_frame_equal(frame, before)
    assert out["alsfrs_total"].tolist() == [47, 45]
    # delta-FS per visit: (48 - 47) / 10 and (48 - 45) / 16.
    np.testing.assert_allclose(out["delta_fs"], [0.1, 3 / 16])
    for col in (
        "bulbar",
        "fine_motor",
        "gross_motor",
        "respiratory",
        "kings_stage",
        "mitos_stage",
        "months_since_onset",
    ):
        assert col in out.columns


def test_score_alsfrs_warns_on_inconsistent_total():
    frame = visits([{}])
    frame["alsfrs_total"] = 40
    with pytest.warns(DataWarning, match="differs from the item sum"):
        out = score_alsfrs(frame)
    assert out["alsfrs_total"].iloc[0] == 48


item_rows = st.lists(st.integers(0, 4), min_size=12, max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(item_rows, min_size=1, max_size=8), st.lists(st.booleans(), min_size=8, max_size=8))
def test_properties_total_bounds(rows, gastro):
    frame = visits([dict(zip(ITEMS, r, strict=True)) for r in rows], gastro[: len(rows)])
    total = alsfrs_total(frame)
    assert total.tolist() == [sum(r) for r in rows]
    assert ((total >= 0) & (total <= 48)).all()
    sub = alsfrs_subdomains(frame)
    assert (sub.sum(axis=1) == total).all()
    k = kings_stage(frame)["kings_stage_num"]
    m = mitos_stage(frame)["mitos_stage"]
    assert k.between(0, 4).all() and m.between(0, 4).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(item_rows, st.integers(0, 11), st.integers(1, 4), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_stages_monotone_under_worsening(cases):
    # Lowering one item (function worsens) never lowers the King's or MiToS stage; nor does
    # gaining a gastrostomy lower the King's stage.  Rows: before, after item drop, after
    # gastrostomy.
    rows, gastro = [], []
    for row, item, drop, g in cases:
        worse = list(row)
        worse[item] = max(0, worse[item] - drop)
        rows += [dict(zip(ITEMS, r, strict=True)) for r in (row, worse, row)]
        gastro += [g, g, True]
    frame = visits(rows, gastro)
    k = np.asarray(kings_stage(frame)["kings_stage_num"], dtype=int).reshape(-1, 3)
    m = np.asarray(mitos_stage(frame)["mitos_stage"], dtype=int).reshape(-1, 3)
    assert (k[:, 1] >= k[:, 0]).all()
    assert (m[:, 1] >= m[:, 0]).all()
    assert (k[:, 2] >= k[:, 0]).all()


def test_missing_columns():
    with pytest.raises(DataValidationError, match="needs a 'gastrostomy' column"):
        kings_stage(visits([{}]).drop(columns="gastrostomy"))
    with pytest.raises(DataValidationError, match="missing column\\(s\\) \\['r1_dyspnea'\\]"):
        mitos_stage(visits([{}]).drop(columns="r1_dyspnea"))
