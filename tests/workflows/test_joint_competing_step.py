"""The example trial's joint model of ALSFRS-R and cord area with competing causes (issue 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.models.primary import fit_marker_cause_joint, joint_frames
from alstrials.workflows.joint import joint_competing_step
from alstrials.workflows.step import Outputs


@pytest.fixture(scope="module")
def trial():
    return at.load_example()


def test_step_writes_comparison_table_and_prediction_figure(trial, tmp_path):
    out = Outputs(tmp_path)
    joint_competing_step(trial, out)
    compare = pd.read_csv(tmp_path / "tables" / "joint_models_compared.csv")
    assert set(compare["model"]) == {
        "time-varying Cox (cord area, LOCF)",
        "joint: ALSFRS-R",
        "joint: ALSFRS-R + cord area, causes",
    }
    joint = compare[compare["model"].str.contains("causes")]
    assert set(joint["cause"]) == {"death", "tracheostomy", "permanent_ventilation"}
    assert (tmp_path / "figures" / "joint2_dynamic_prediction.png").stat().st_size > 10_000
    preds = sorted((tmp_path / "tables").glob("joint2_prediction_*.csv"))
    assert len(preds) == 2
    for p in preds:
        ci = pd.read_csv(p)
        assert (ci["lower"] <= ci["upper"]).all() and ci["incidence"].between(0, 1).all()


def test_pooled_causes_and_respiratory_link_to_cord_area(trial):
    markers, surv = joint_frames(trial, "pooled")
    assert set(surv["cause"].dropna()) == {"death", "respiratory"}
    assert surv["cause"].isna().sum() == int((~surv["event"]).sum())
    fit = fit_marker_cause_joint(trial, "pooled")
    assert fit.converged
    # the simulator makes respiratory failure more likely with a smaller cord (docs/simulator.md)
    est, se = fit.surv_coef.loc[("respiratory", "value(cord_csa_mm2)"), ["estimate", "se"]]
    assert est + 1.96 * se < 0
    assert np.isfinite(fit.loglik)
