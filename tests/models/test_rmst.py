"""RMST against R print(survfit(...), rmean = tau) (survival 3.5-3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alstrials.errors import DataValidationError
from alstrials.models.survival import rmst

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "survival" / "values.json").read_text())


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REF / "lung.csv")


@pytest.mark.parametrize("tau", [365, 700])
def test_rmean_and_se(lung, ref, tau):
    r = ref[f"rmst_{tau}"]
    res = rmst(lung, "time", "status", by="sex", tau=tau)
    np.testing.assert_allclose(res.table["rmst"], r["rmean"], rtol=1e-6)
    np.testing.assert_allclose(res.table["se"], r["se"], rtol=1e-6)


def test_contrasts(lung, ref):
    r = ref["rmst_365"]
    res = rmst(lung, "time", "status", by="sex", tau=365)
    diff = res.contrasts.set_index("measure").loc["difference"]
    ratio = res.contrasts.set_index("measure").loc["ratio"]
    z = stats.norm.ppf(0.975)
    d = r["rmean"][1] - r["rmean"][0]
    se = float(np.hypot(*r["se"]))
    assert diff["estimate"] == pytest.approx(d, rel=1e-6)
    assert diff["ci_low"] == pytest.approx(d - z * se, rel=1e-6)
    lse = float(np.hypot(r["se"][1] / r["rmean"][1], r["se"][0] / r["rmean"][0]))
    assert ratio["estimate"] == pytest.approx(r["rmean"][1] / r["rmean"][0], rel=1e-6)
    assert ratio["ci_high"] == pytest.approx(
        r["rmean"][1] / r["rmean"][0] * np.exp(z * lse), rel=1e-6
    )
    assert diff["reference"] == "1"


def test_no_censoring_equals_mean_of_truncated_times():
    rng = np.random.default_rng(7)
    t = rng.exponential(10, 50)
    d = pd.DataFrame({"t": t, "e": 1})
    res = rmst(d, "t", "e", tau=8.0)
    assert res.table["rmst"].iloc[0] == pytest.approx(np.minimum(t, 8.0).mean(), rel=1e-12)


def test_tau_beyond_follow_up(lung):
    with pytest.raises(DataValidationError, match="beyond the last observed time"):
        rmst(lung, "time", "status", by="sex", tau=5000)
    default = rmst(lung, "time", "status", by="sex")
    assert default.tau == min(lung.groupby("sex")["time"].max())
