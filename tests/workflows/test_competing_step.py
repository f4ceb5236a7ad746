"""The competing-risks step on the example trial: tables, Gray's tests and the figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.workflows.registry import STEPS
from alstrials.workflows.step import Outputs
from alstrials.workflows.survival import competing_risks_step

CAUSES = {"death", "tracheostomy", "permanent_ventilation"}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("competing")
    competing_risks_step(at.load_example(), Outputs(folder))
    return folder


def test_step_is_registered():
    assert "competing_risks" in [s.name for s in STEPS]


def test_cif_table_by_arm_and_cause(written):
    cif = pd.read_csv(written / "tables" / "cif_by_arm.csv")
    assert set(cif["group"]) == {"placebo", "active"} and set(cif["cause"]) == CAUSES
    assert cif["cif"].between(0, 1).all()
    assert (cif["ci_low"] <= cif["cif"]).all() and (cif["cif"] <= cif["ci_high"]).all()
    for _, part in cif.groupby(["group", "cause"]):
        assert (np.diff(part["cif"]) >= 0).all()


def test_gray_tests_and_side_by_side_effects(written):
    gray = pd.read_csv(written / "tables" / "gray_tests.csv")
    assert set(gray["cause"]) == CAUSES and gray["p"].between(0, 1).all()
    effects = pd.read_csv(written / "tables" / "competing_arm_effects.csv")
    assert set(effects["cause"]) == CAUSES
    for model in ("fine_gray", "cause_specific"):
        assert (effects[f"{model}_low"] <= effects[f"{model}_high"]).all()
        assert (effects[[f"{model}_low", f"{model}_high"]] > 0).all().all()


def test_figure_written(written):
    assert (written / "figures" / "cif_by_arm.png").stat().st_size > 10_000
