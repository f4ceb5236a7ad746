"""Scenario validation, configuration files and argument checks of simulate_trial."""

from __future__ import annotations

import dataclasses
import json

import pytest

from alstrials.data.simulate import Scenario, scenario_from_dict, scenario_from_toml, simulate_trial
from alstrials.errors import DesignError


def test_defaults_are_valid_and_frozen():
    sc = Scenario()
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        sc.decline_mean = 2.0  # type: ignore[misc]
    json.dumps(sc.to_dict())  # JSON-able


def test_every_field_is_documented():
    doc = Scenario.__doc__ or ""
    missing = [f.name for f in dataclasses.fields(Scenario) if f.name not in doc]
    assert missing == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"residual_sd": -1.0}, "residual_sd"),
        ({"slope_sd": -0.1}, "slope_sd"),
        ({"baseline_sd": -2.0}, "baseline_sd"),
        ({"composite_prevalence": 1.2}, "probability"),
        ({"bulbar_fraction": -0.1}, "probability"),
        ({"intercept_slope_corr": 1.0}, "correlation"),
        ({"flair_prevalence": 0.5}, "sign prevalences are inconsistent"),
        ({"slope_sd": 0.05}, "smaller than the slope spread"),
        ({"visit_jitter_months": 0.6}, "half the smallest gap"),
        ({"visit_months": (1.0, 2.0)}, "must start with the baseline 0"),
        ({"visit_months": (0.0, 2.0, 1.0)}, "strictly increasing"),
        ({"visit_months": "monthly"}, "sequence of numbers"),
        ({"event_type_probs": (0.5, 0.5, 0.5)}, "summing to 1"),
        ({"bulbar_onset_weights": (1.0, 1.0, 1.0)}, "4 positive weights"),
        ({"treatment_slowing": 1.5}, "treatment_slowing"),
        ({"sign_hr": 0.0}, "sign_hr"),
        ({"decline_mean": float("nan")}, "finite"),
        ({"age_mean": "old"}, "must be a number"),
        ({"data_cutoff_month": -1.0}, "data_cutoff_month"),
        ({"gastrostomy_q3_threshold": 2.5}, "integer item score"),
    ],
)
def test_impossible_parameters_raise(changes, message):
    with pytest.raises(DesignError, match=message):
        Scenario(**changes)


def test_unknown_keyword_suggests_a_name():
    with pytest.raises(DesignError, match=r"parameter 'residual_sdd'\. Did you mean 'residual_sd'"):
        simulate_trial(n_per_arm=5, seed=1, residual_sdd=1.0)
    with pytest.raises(DesignError, match="unknown scenario parameter 'nope'"):
        scenario_from_dict({"nope": 1})


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n_per_arm(n):
    with pytest.raises(DesignError, match="n_per_arm must be a positive integer"):
        simulate_trial(n_per_arm=n, seed=1)


@pytest.mark.parametrize("seed", [-1, 1.5, "abc"])
def test_bad_seed(seed):
    with pytest.raises(DesignError, match="seed must be"):
        simulate_trial(n_per_arm=3, seed=seed)


def test_range_schedule_is_accepted():
    sc = Scenario(visit_months=range(0, 19))
    assert sc.visit_months == tuple(float(m) for m in range(19))


def test_toml_round_trip(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text(
        "[scenario]\nvisit_months = [0, 1, 2, 3, 6]\nfollow_up_months = 6.0\n"
        "treatment_slowing = 0.3\n"
    )
    sc = scenario_from_toml(path)
    assert sc.visit_months == (0.0, 1.0, 2.0, 3.0, 6.0)
    assert sc.treatment_slowing == 0.3
    assert sc.decline_mean == Scenario().decline_mean
    with pytest.raises(DesignError, match=r"no \[other\] table"):
        scenario_from_toml(path, table="other")


def test_scenario_argument_and_overrides_combine():
    base = Scenario(follow_up_months=6.0, visit_months=(0, 3, 6))
    trial = simulate_trial(n_per_arm=5, seed=3, scenario=base, treatment_slowing=0.5)
    assert trial.metadata["scenario"]["follow_up_months"] == 6.0
    assert trial.metadata["scenario"]["treatment_slowing"] == 0.5
    assert trial.alsfrs["months"].max() <= 6.0


def test_docs_parameter_table_lists_every_field_with_its_default():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"
    rows = {}
    for line in docs.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1]
    sc = Scenario()
    for f in dataclasses.fields(Scenario):
        value = getattr(sc, f.name)
        if isinstance(value, tuple):
            text = "(" + ", ".join(f"{x:g}" for x in value) + ")"
        else:
            text = "None" if value is None else f"{value:g}"
        assert rows.get(f.name) == text, f.name
