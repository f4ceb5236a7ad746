"""carry_forward: LOCF of scan values onto visits, and its use in an LMM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.covariates import carry_forward
from alstrials.models.lmm import fit_lmm


@pytest.fixture
def tables():
    visits = pd.DataFrame(
        {
            "subject_id": ["a", "a", "a", "a", "b", "b", "c"],
            "months": [0.0, 3.0, 6.0, 12.0, 0.0, 6.0, 2.0],
            "alsfrs_total": [40, 38, 35, 30, 44, 41, 39],
        },
        index=[10, 11, 12, 13, 20, 21, 30],
    )
    scans = pd.DataFrame(
        {
            "subject_id": ["a", "a", "b", "b"],
            "months": [1.0, 6.0, 0.0, 5.5],
            "cst_fa": [0.50, 0.45, 0.55, np.nan],
            "composite_sign": pd.array([False, True, False, True], dtype="boolean"),
        }
    )
    return visits, scans


def test_last_value_at_or_before_visit(tables):
    visits, scans = tables
    out = carry_forward(visits, scans, columns=["cst_fa", "composite_sign"])
    assert list(out.index) == list(visits.index)
    np.testing.assert_array_equal(
        out["cst_fa"].to_numpy(), [np.nan, 0.50, 0.45, 0.45, 0.55, np.nan, np.nan]
    )
    # a scan on the visit day counts (a at 6, b at 0); b's latest scan (5.5) has a missing FA
    np.testing.assert_array_equal(
        out["scan_months"].to_numpy(), [np.nan, 1.0, 6.0, 6.0, 0.0, 5.5, np.nan]
    )
    assert str(out["composite_sign"].dtype) == "boolean"
    assert out["composite_sign"].tolist()[1:6] == [False, True, True, False, True]
    assert out["alsfrs_total"].equals(visits["alsfrs_total"])


def test_max_gap(tables):
    visits, scans = tables
    out = carry_forward(visits, scans, columns=["cst_fa"], max_gap=3.0)
    np.testing.assert_array_equal(
        out["cst_fa"].to_numpy(), [np.nan, 0.50, 0.45, np.nan, 0.55, np.nan, np.nan]
    )


def test_default_columns_and_no_scan_time(tables):
    visits, scans = tables
    out = carry_forward(visits, scans, scan_time=None)
    assert list(out.columns) == [*visits.columns, "cst_fa", "composite_sign"]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda v, s: (v.drop(columns="months"), s), "visits.*no column.*months"),
        (lambda v, s: (v, s.drop(columns="cst_fa")), "scans.*no column.*cst_fa"),
        (lambda v, s: (v.assign(cst_fa=1.0), s), "already has column"),
        (lambda v, s: (v.assign(months=["x"] * len(v)), s), "time is missing or not a number"),
    ],
)
def test_bad_input(tables, change, match):
    visits, scans = change(*tables)
    with pytest.raises(DataValidationError, match=match):
        carry_forward(visits, scans, columns=["cst_fa"])


def test_negative_max_gap(tables):
    with pytest.raises(DataValidationError, match="max_gap"):
        carry_forward(*tables, columns=["cst_fa"], max_gap=-1)


@settings(max_examples=40, deadline=None)
@given(
    visit_times=st.lists(st.integers(0, 24), min_size=1, max_size=8),
    scan_times=st.lists(st.integers(0, 24), min_size=0, max_size=5, unique=True),
)
def test_matches_brute_force(visit_times, scan_times):
    visits = pd.DataFrame({"subject_id": "s", "months": np.array(visit_times, dtype=float)})
    scans = pd.DataFrame(
        {
            "subject_id": "s",
            "months": np.array(scan_times, dtype=float),
            "x": np.arange(len(scan_times), dtype=float) * 10,
        }
    )
    out = carry_forward(visits, scans, columns=["x"])
    for t, got in zip(visit_times, out["x"], strict=True):
        before = [(s, 10.0 * j) for j, s in enumerate(scan_times) if s <= t]
        want = max(before)[1] if before else np.nan
        assert (np.isnan(got) and np.isnan(want)) or got == want


def test_lmm_with_time_varying_covariate():
    """Visits before the first scan are excluded from the fit and counted."""
    rng = np.random.default_rng(21)
    rows, scans = [], []
    for i in range(40):
        first_scan = float(rng.integers(0, 3))
        fa = 0.55 - 0.01 * np.arange(0, 13, 3) + rng.normal(0, 0.01, 5)
        for j, s in enumerate(np.arange(0, 13, 3) + first_scan):
            scans.append((f"s{i}", s, fa[j]))
        u = rng.normal(0, 3)
        for t in range(13):
            rows.append((f"s{i}", float(t), 40 + u - 0.9 * t + rng.normal(0, 1.5)))
    visits = pd.DataFrame(rows, columns=["subject_id", "months", "alsfrs_total"])
    mri = pd.DataFrame(scans, columns=["subject_id", "months", "cst_fa"])
    merged = carry_forward(visits, mri, columns=["cst_fa"])
    n_before = int(merged["cst_fa"].isna().sum())
    assert n_before > 0
    with pytest.warns(DataWarning, match=f"{n_before} of {len(visits)} rows"):
        res = fit_lmm(merged, "alsfrs_total ~ months + cst_fa", "subject_id", "~1")
    assert res.n_dropped == n_before and res.n_obs == len(visits) - n_before
    assert "cst_fa" in res.fixed.index
