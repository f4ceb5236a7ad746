"""Kaplan-Meier against R survival 3.5-3 (tests/reference/survival/make_reference.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.errors import DataValidationError
from alstrials.models.survival import kaplan_meier

REF = Path(__file__).parents[1] / "reference"


def _arr(values):
    return np.array([np.nan if v in ("NA", None) else v for v in values], dtype=float)


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "survival" / "values.json").read_text())


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REF / "lung.csv")


def test_lung_log_ci_matches_shipped_reference(lung, r_reference):
    # r_reference.json survival_lung: survfit(Surv(time, status) ~ 1, conf.type = "log")
    r = r_reference["survival_lung"]["survfit_km"]
    tab = kaplan_meier(lung, "time", "status").table
    np.testing.assert_array_equal(tab["time"], r["time"])
    np.testing.assert_array_equal(tab["n_risk"], r["n_risk"])
    np.testing.assert_array_equal(tab["n_event"], r["n_event"])
    for col, key in [("survival", "surv"), ("ci_low", "lower"), ("ci_high", "upper")]:
        np.testing.assert_allclose(tab[col], _arr(r[key]), rtol=1e-6)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_lung_conf_types_and_median(lung, ref, conf_type):
    # survfit(Surv(time, status) ~ 1, conf.type = conf_type); summary(fit, censored = TRUE)
    r = ref[f"km_{conf_type}"]
    km = kaplan_meier(lung, "time", "status", conf_type=conf_type)
    tab = km.table
    np.testing.assert_array_equal(tab["time"], r["time"])
    np.testing.assert_allclose(tab["survival"], _arr(r["surv"]), rtol=1e-6)
    np.testing.assert_allclose(tab["se"], _arr(r["std_err"]), rtol=1e-6)
    np.testing.assert_allclose(tab["ci_low"], _arr(r["lower"]), rtol=1e-6)
    np.testing.assert_allclose(tab["ci_high"], _arr(r["upper"]), rtol=1e-6)
    med = km.median.iloc[0]
    assert med["median"] == r["median"]
    assert med["ci_low"] == r["lcl"]
    assert med["ci_high"] == r["ucl"]


@pytest.mark.parametrize(
    ("key", "conf_type"), [("km_by_sex", "log"), ("km_by_sex_loglog", "log-log")]
)
def test_lung_by_sex(lung, ref, key, conf_type):
    r = ref[key]
    km = kaplan_meier(lung, "time", "status", by="sex", conf_type=conf_type)
    tab = km.table
    assert tab["group"].tolist() == r["group"]
    np.testing.assert_array_equal(tab["n_risk"], r["n_risk"])
    np.testing.assert_allclose(tab["survival"], _arr(r["surv"]), rtol=1e-6)
    np.testing.assert_allclose(tab["ci_low"], _arr(r["lower"]), rtol=1e-6)
    np.testing.assert_allclose(tab["ci_high"], _arr(r["upper"]), rtol=1e-6)
    np.testing.assert_array_equal(km.median["median"], r["median"])
    np.testing.assert_array_equal(km.median["ci_low"], r["lcl"])
    np.testing.assert_array_equal(km.median["ci_high"], r["ucl"])
    assert "2 group(s), 227 subjects, 164 events" in repr(km)
    assert set(km.summary().columns) == {"n", "n_events", "median", "ci_low", "ci_high"}
    assert "<table" in km._repr_html_()


def test_survival_at_and_risk_table(lung):
    km = kaplan_meier(lung, "time", "status", by="sex")
    tab = km.table[km.table["group"] == "1"]
    at = km.survival_at([0.0, 11.0, 11.5, 5000.0])
    got = at[at["group"] == "1"]["survival"].to_numpy()
    s11 = float(tab.loc[tab["time"] == 11, "survival"].iloc[0])
    np.testing.assert_allclose(got[:3], [1.0, s11, s11])
    assert np.isnan(got[3])
    rt = km.risk_table([0.0, 11.0, 12.0])
    n1 = rt[rt["group"] == "1"]["n_risk"].tolist()
    t1 = lung[lung["sex"] == 1]["time"].to_numpy()
    assert n1 == [int((t1 >= 0).sum()), int((t1 >= 11).sum()), int((t1 >= 12).sum())]


def test_median_midpoint_rule():
    # S drops to exactly 0.5 at t=2 and stays until t=4: R reports the midpoint 3
    d = pd.DataFrame({"t": [2, 2, 4, 4], "e": [1, 1, 1, 1]})
    assert kaplan_meier(d, "t", "e").median["median"].iloc[0] == 3.0


def test_bad_input_messages():
    d = pd.DataFrame({"t": [1.0, -2.0], "e": [1, 0]})
    with pytest.raises(DataValidationError, match="column 't', row 1: time is negative"):
        kaplan_meier(d, "t", "e")
    with pytest.raises(DataValidationError, match="no column"):
        kaplan_meier(d, "time", "e")
    d2 = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 2]})
    with pytest.raises(DataValidationError, match="event indicator must be"):
        kaplan_meier(d2, "t", "e")
    with pytest.raises(ValueError, match="conf_type must be one of"):
        kaplan_meier(d2, "t", "e", conf_type="arcsin")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.booleans()), min_size=1, max_size=40))
def test_invariants(rows):
    d = pd.DataFrame(rows, columns=["t", "e"])
    tab = kaplan_meier(d, "t", "e", conf_type="log-log").table
    s = tab["survival"].to_numpy()
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 1e-15)
    ok = np.isfinite(tab["ci_low"])
    assert np.all(tab["ci_low"][ok] <= s[ok] + 1e-12)
    assert np.all(tab["ci_high"][ok] >= s[ok] - 1e-12)
    assert tab["n_event"].sum() == d["e"].sum()
