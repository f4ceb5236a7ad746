"""Interim monitoring against rpact 3.3.4 getAnalysisResults (survival data) and closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from alstrials.design.integration import crossing_probabilities, point_state
from alstrials.design.interim import (
    conditional_power,
    drift_from_hr,
    interim_analysis,
    predictive_power,
    repeated_ci,
    repeated_ci_hr,
    repeated_p_values,
    update_design,
)
from alstrials.design.sequential import group_sequential
from alstrials.errors import DesignError

REF = json.loads(
    (Path(__file__).parents[1] / "reference" / "sequential" / "values.json").read_text()
)
INTERIM = REF["interim"]
DESIGNS = REF["designs"]


def test_of3_survival_interim_matches_rpact() -> None:
    ref = INTERIM["survival_asOF3"]
    d = group_sequential(3, boundary="ld-obrien-fleming")
    np.testing.assert_allclose(d.upper, ref["criticalValues"], atol=1e-4)
    # rpact: log-rank z > 0 means HR > 1 (directionUpper); ours: z > 0 favours active (HR < 1),
    # so HR = 1.5 in rpact is HR = 1/1.5 here and interval limits are reciprocals.
    cp = conditional_power(d, 1.9, 2, drift=drift_from_hr(1 / 1.5, 180))
    assert cp == pytest.approx(ref["conditionalPower_hr1_5"], abs=1e-6)
    cp_trend = conditional_power(d, 1.9, 2, drift="trend")
    assert cp_trend == pytest.approx(ref["conditionalPower_trend"], abs=1e-6)
    # the trend drift is rpact's observed HR (thetaH1) on our scale
    assert np.exp(1.9 / np.sqrt(2 / 3) / np.sqrt(180 / 4)) == pytest.approx(
        ref["thetaH1_trend"], rel=1e-8
    )
    ci = repeated_ci_hr(d, ref["z"], ref["events"][:2])
    np.testing.assert_allclose(
        1 / ci["hr_high"], ref["repeatedConfidenceIntervalLowerBounds"], rtol=1e-4
    )
    np.testing.assert_allclose(
        1 / ci["hr_low"], ref["repeatedConfidenceIntervalUpperBounds"], rtol=1e-4
    )
    np.testing.assert_allclose(repeated_p_values(d, ref["z"]), ref["repeatedPValues"], rtol=1e-4)


def test_pocock4_survival_interim_matches_rpact() -> None:
    ref = INTERIM["survival_asP4"]
    d = group_sequential(4, boundary="ld-pocock")
    np.testing.assert_allclose(d.upper, ref["criticalValues"], atol=1e-4)
    delta = drift_from_hr(1 / 1.6, 200)
    # rpact reports conditional power cumulatively by stage 3 and by stage 4
    up, _ = crossing_probabilities(
        d.upper[2:], [-np.inf] * 2, d.info[2:], delta, state=point_state(1.5, 0.5)
    )
    np.testing.assert_allclose(np.cumsum(up), ref["conditionalPower_hr1_6"], atol=1e-6)
    assert conditional_power(d, 1.5, 2, drift=delta) == pytest.approx(
        ref["conditionalPower_hr1_6"][1], abs=1e-6
    )
    ci = repeated_ci_hr(d, ref["z"], ref["events"][:2])
    np.testing.assert_allclose(
        1 / ci["hr_high"], ref["repeatedConfidenceIntervalLowerBounds"], rtol=1e-4
    )
    np.testing.assert_allclose(
        1 / ci["hr_low"], ref["repeatedConfidenceIntervalUpperBounds"], rtol=1e-4
    )
    # rpact caps repeated p-values just below 0.5 (0.499999...); we cap at 0.5
    np.testing.assert_allclose(repeated_p_values(d, ref["z"]), ref["repeatedPValues"], atol=1e-5)


@pytest.mark.parametrize("name", ["asOF4_unequal", "asP3_unequal", "asHSD3_1_unequal"])
def test_update_equals_design_at_observed_fractions(name: str) -> None:
    """Updating an equally spaced plan at rpact's unequal fractions gives rpact's boundaries."""
    ref = DESIGNS[name]
    boundary = {"asOF": "ld-obrien-fleming", "asP": "ld-pocock", "asHSD": "hsd"}[
        ref["typeOfDesign"]
    ]
    gamma = ref["gammaA"] if boundary == "hsd" else None
    planned = group_sequential(ref["kMax"], boundary=boundary, gamma=gamma)
    updated = planned.update(ref["informationRates"], final=True)
    np.testing.assert_allclose(updated.upper, ref["criticalValues"], atol=1e-4)
    np.testing.assert_allclose(updated.cumulative_alpha, ref["alphaSpent"], atol=2e-8)


def test_update_keeps_remaining_planned_looks_and_final_spends_all() -> None:
    d = group_sequential(4, futility="ld-obrien-fleming")
    u = update_design(d, [0.3, 0.55])
    np.testing.assert_allclose(u.info, [0.3, 0.55, 0.75, 1.0])
    assert u.drift == d.drift and u.lower is not None
    np.testing.assert_allclose(u.lower[-1], u.upper[-1])
    # under-running final analysis at 90% of the planned information spends all alpha
    f = update_design(d, [0.3, 0.55, 0.9], final=True)
    pu, _ = crossing_probabilities(f.upper, [-np.inf] * 3, f.info, 0.0)
    assert pu.sum() == pytest.approx(0.025, abs=1e-7)
    with pytest.raises(DesignError, match="not defined by a spending function"):
        group_sequential(3, boundary="pocock").update([0.5])
    with pytest.raises(DesignError, match="strictly increasing"):
        update_design(d, [0.5, 0.4])


def test_conditional_power_single_remaining_closed_form() -> None:
    """Lan-Wittes: CP = 1 - Phi((b_K - z sqrt(t) - delta (1 - t)) / sqrt(1 - t))."""
    d = group_sequential(2, boundary="ld-obrien-fleming", info=[0.4, 1.0])
    z, t, b = 1.3, 0.4, d.upper[1]
    for delta in (0.0, 1.5, d.drift):
        expect = norm.sf((b - z * np.sqrt(t) - delta * (1 - t)) / np.sqrt(1 - t))
        assert conditional_power(d, z, 1, drift=delta) == pytest.approx(expect, abs=1e-9)
    trend = norm.sf((b - z * np.sqrt(t) - z / np.sqrt(t) * (1 - t)) / np.sqrt(1 - t))
    assert conditional_power(d, z, 1, drift="trend") == pytest.approx(trend, abs=1e-9)


def test_predictive_power_single_remaining_closed_form() -> None:
    """Flat prior: PP = Phi((z - b_K sqrt(t)) / sqrt(1 - t))."""
    d = group_sequential(2, boundary="ld-pocock", info=[0.6, 1.0])
    for z in (-0.5, 0.8, 2.0):
        expect = norm.cdf((z - d.upper[1] * np.sqrt(0.6)) / np.sqrt(0.4))
        assert predictive_power(d, z, 1) == pytest.approx(expect, abs=1e-7)


def test_conditional_power_monotone_in_z_and_futility_lowers_it() -> None:
    d = group_sequential(4, futility="ld-obrien-fleming")
    cps = [conditional_power(d, z, 1, drift="design") for z in (-1.0, 0.0, 1.0, 2.0)]
    assert np.all(np.diff(cps) > 0)
    assert conditional_power(d, 0.0, 1, drift="design", use_futility=True) < cps[1]


def test_repeated_ci_generic_and_validation() -> None:
    d = group_sequential(3)
    ci = repeated_ci(d, [0.4, 0.5], [0.3, 0.2])
    np.testing.assert_allclose(ci["ci_low"], [0.4 - d.upper[0] * 0.3, 0.5 - d.upper[1] * 0.2])
    np.testing.assert_allclose(ci["ci_high"], [0.4 + d.upper[0] * 0.3, 0.5 + d.upper[1] * 0.2])
    with pytest.raises(DesignError, match="same length"):
        repeated_ci(d, [0.4, 0.5], [0.3])
    with pytest.raises(DesignError, match="stage must be an interim"):
        conditional_power(d, 1.0, 3)
    with pytest.raises(DesignError, match="'trend', 'design' or a number"):
        conditional_power(d, 1.0, 1, drift="observed")
    with pytest.raises(DesignError, match="hr > 0"):
        drift_from_hr(-1.0, 100)


def test_repeated_p_value_consistent_with_boundary() -> None:
    """A statistic exactly on the level-alpha boundary has repeated p-value alpha."""
    for boundary in ("ld-obrien-fleming", "obrien-fleming", "pocock"):
        d = group_sequential(3, boundary=boundary)
        p = repeated_p_values(d, d.upper[:2])
        np.testing.assert_allclose(p, 0.025, rtol=1e-6)


def test_interim_analysis_entry_point_matches_rpact() -> None:
    ref = INTERIM["survival_asOF3"]
    d = group_sequential(3)
    est = -np.asarray(ref["z"]) * 2 / np.sqrt(ref["events"][:2])  # log HR, favouring active
    res = interim_analysis(
        d, ref["z"], [1 / 3, 2 / 3], estimate=est, se=2 / np.sqrt(ref["events"][:2])
    )
    assert res.decision == ("continue", "continue")
    assert res.conditional_power_trend == pytest.approx(ref["conditionalPower_trend"], abs=1e-6)
    np.testing.assert_allclose(res.repeated_p, ref["repeatedPValues"], rtol=1e-4)
    np.testing.assert_allclose(
        np.exp(-res.ci["ci_high"]), ref["repeatedConfidenceIntervalLowerBounds"], rtol=1e-4
    )
    table = res.summary()
    assert list(table.columns) == [
        "info",
        "z",
        "upper",
        "lower",
        "decision",
        "repeated_p",
        "estimate",
        "ci_low",
        "ci_high",
    ]
    assert "analysis 2 of 3" in repr(res)
    assert 0 < res.predictive_power < 1 and 0 < res.conditional_power_design < 1


def test_interim_analysis_decisions_and_final() -> None:
    d = group_sequential(3, futility="ld-obrien-fleming")
    res = interim_analysis(d, [-0.5], [0.35])
    assert res.decision == ("futility",)  # below the (non-binding) futility bound
    fin = interim_analysis(d, [1.0, 2.6, 2.1], [0.35, 0.7, 0.98], final=True)
    assert fin.decision == ("continue", "efficacy", "efficacy")
    assert np.isnan(fin.conditional_power_trend)
    with pytest.raises(DesignError, match="same length"):
        interim_analysis(d, [1.0, 2.0], [0.4])
    with pytest.raises(DesignError, match="both estimate= and se="):
        interim_analysis(d, [1.0], [0.4], estimate=[0.2])


def test_repeated_p_values_limits_and_many_looks() -> None:
    d = group_sequential(3)
    p = repeated_p_values(d, [6.0, 9.0])
    # z = 6 at t = 1/3: 2 (1 - Phi(z_{1-p/2} sqrt 3)) = 1 - Phi(6) solved for p
    expect = 2 * norm.sf(norm.isf(norm.sf(6.0) / 2) / np.sqrt(3))
    assert p[0] == pytest.approx(expect, rel=1e-5)
    assert p[1] == 1e-8  # floor: below it the integration is not accurate enough
    # classic boundary over nine unequal looks (the constant's root bracket widens as needed)
    info = [0.023, 0.152, 0.215, 0.443, 0.479, 0.566, 0.699, 0.776, 1.0]
    many = group_sequential(9, boundary="obrien-fleming", info=info, alpha=0.1)
    q = repeated_p_values(many, [3.5, 1.0])
    assert 0 < q[0] < 0.5 and q[1] == 0.5
