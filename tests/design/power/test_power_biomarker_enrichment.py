"""biomarker_change against R power.t.test; enrichment by identities and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from alstrials.design.power import (
    Weibull,
    biomarker_change,
    enrichment_events,
    enrichment_slope,
    events,
    survival_sample_size,
)
from alstrials.errors import DesignError

Z80 = 1.959963984540054 + 0.8416212335729143


def test_t_correction_matches_power_t_test(power_t_test):
    for case in power_t_test["cases"]:
        args = dict(
            mean_change=case["delta"], sd_change=case["sd"], alpha=case["alpha"], t_correction=True
        )
        n = biomarker_change(1.0, power=case["power"], **args).n_per_group
        assert n == pytest.approx(case["n_per_group"], rel=1e-6)
        pw = biomarker_change(1.0, n_per_group=20, **args).power
        assert pw == pytest.approx(case["power_at_n20"], rel=1e-8)
        # R's uniroot stops at tol = eps^0.25 (about 1e-4), so its delta is that precise
        d = biomarker_change(None, n_per_group=20, power=case["power"], **args).delta
        assert d == pytest.approx(case["delta_at_n20"], rel=1e-4)


def test_normal_formula_srm_and_cord_area_example():
    # n = 2 (z_a + z_b)^2 / (slowing * SRM)^2 per group
    res = biomarker_change(0.3, srm=0.95, power=0.8)
    assert res.n_per_group == pytest.approx(2 * Z80**2 / (0.3 * 0.95) ** 2, rel=1e-12)
    # the same design in mm2: -1.6 mm2/year with SD 1.6/0.95
    mm = biomarker_change(0.3, mean_change=-1.6, sd_change=1.6 / 0.95, power=0.8)
    assert mm.n_per_group == pytest.approx(res.n_per_group, rel=1e-12)
    assert mm.delta == pytest.approx(0.48)
    tt = biomarker_change(0.3, srm=0.95, power=0.8, t_correction=True)
    assert tt.n_per_group > res.n_per_group
    slow = biomarker_change(None, srm=0.95, power=0.8, n_per_group=res.n_per_group)
    assert dict(slow.inputs)["slowing"] == pytest.approx(0.3, rel=1e-12)
    ns = [biomarker_change(s, srm=0.95, power=0.8).n_per_group for s in (0.2, 0.3, 0.5)]
    assert ns[0] > ns[1] > ns[2]
    two_to_one = biomarker_change(0.3, srm=0.95, power=0.8, ratio=2)
    assert two_to_one.n_per_group == pytest.approx(res.n_per_group * 0.75, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(slowing=0.3, srm=0.0, power=0.8), "srm must be finite and non-zero"),
        (dict(slowing=0.0, srm=0.9, power=0.8), "slowing must be"),
        (dict(slowing=0.3, mean_change=-1.6, power=0.8), "together"),
        (dict(slowing=0.3, mean_change=-1.6, sd_change=-1, power=0.8), "sd_change must be"),
        (dict(slowing=0.3, mean_change=0.0, sd_change=1, power=0.8), "no change to slow"),
        (dict(slowing=0.3, power=0.8), "give mean_change and sd_change, or srm"),
        (dict(slowing=0.3, srm=0.9, power=0.03), "must exceed alpha"),
        (dict(slowing=None, srm=0.9, power=0.8, n_per_group=1, t_correction=True), "more than 2"),
    ],
)
def test_biomarker_impossible_inputs(kwargs, match):
    with pytest.raises(DesignError, match=match):
        biomarker_change(**kwargs)


SLOPE = dict(slope_pos=-1.4, slope_neg=-0.8, sd_pos=0.9, sd_neg=0.7, slowing=0.25)


def test_enrichment_slope_identities():
    full = enrichment_slope(1.0, **SLOPE)
    assert full.table.loc["all-comers", "n_total"] == pytest.approx(full.n_total_enriched)
    assert full.n_screen_enriched == pytest.approx(full.n_total_enriched)
    # no marker effect: same slope and SD in both strata -> same n, screening costs 1 / prevalence
    flat = enrichment_slope(0.4, -1.0, -1.0, 0.8, 0.8, 0.25)
    assert flat.n_total_all_comers == pytest.approx(flat.n_total_enriched, rel=1e-12)
    assert flat.n_screen_enriched == pytest.approx(flat.n_total_enriched / 0.4, rel=1e-12)
    # a faster-progressing marker-positive stratum makes enrichment need fewer patients
    res = enrichment_slope(0.6, **SLOPE)
    assert res.n_total_enriched < res.n_total_all_comers
    # the all-comers effect is the prevalence-weighted difference
    assert res.table.loc["all-comers", "effect"] == pytest.approx(0.25 * (0.6 * 1.4 + 0.4 * 0.8))
    assert "EnrichmentResult(slope" in repr(res) and "<table" in res._repr_html_()


def test_enrichment_slope_mixture_variance_monte_carlo():
    """All-comers trials simulated from the two-stratum mixture: the SD of the estimated
    difference matches sqrt((v_c + v_a) / n) (seeded, 4000 trials)."""
    prev, n, reps = 0.6, 150, 4000
    res = enrichment_slope(prev, **SLOPE)
    row = res.table.loc["all-comers"]
    rng = np.random.default_rng(11)
    means = np.array([SLOPE["slope_pos"], SLOPE["slope_neg"]])
    sds = np.array([SLOPE["sd_pos"], SLOPE["sd_neg"]])
    diffs = np.empty(reps)
    for k in range(reps):
        arm_means = []
        for factor in (1.0, 1 - SLOPE["slowing"]):
            neg = rng.random(n) >= prev
            y = rng.normal(factor * means[neg.astype(int)], sds[neg.astype(int)])
            arm_means.append(y.mean())
        diffs[k] = arm_means[1] - arm_means[0]
    expected_sd = np.sqrt((row["sd_control"] ** 2 + row["sd_active"] ** 2) / n)
    assert diffs.mean() == pytest.approx(row["effect"], abs=4 * expected_sd / np.sqrt(reps))
    assert diffs.std(ddof=1) == pytest.approx(expected_sd, rel=0.05)


CTRL = Weibull.from_median(36, 2.0)


def test_enrichment_events_identities():
    full = enrichment_events(1.0, 0.7, 2.0, CTRL, 12, 12)
    assert full.n_total_all_comers == pytest.approx(full.n_total_enriched, rel=1e-12)
    flat = enrichment_events(0.5, 0.7, 1.0, CTRL, 12, 12)
    assert flat.n_total_all_comers == pytest.approx(flat.n_total_enriched, rel=1e-12)
    assert flat.n_screen_enriched == pytest.approx(2 * flat.n_total_enriched, rel=1e-12)
    # enriched design = a survival design on the marker-positive hazard (PH scaling of Weibull)
    res = enrichment_events(0.6, 0.7, 2.0, CTRL, 12, 12, dropout_rate=0.1)
    pos = Weibull(shape=2.0, scale=CTRL.scale * 2.0**-0.5)
    direct = survival_sample_size(0.7, pos, 12, 12, dropout_rate=0.1)
    assert res.n_total_enriched == pytest.approx(direct.n_total, rel=1e-10)
    assert res.table.loc["enriched", "events"] == pytest.approx(events(0.7).events)
    assert res.n_total_enriched < res.n_total_all_comers
    # a treatment that only works in marker-positive patients dilutes the all-comers HR
    diluted = enrichment_events(0.6, 0.7, 2.0, CTRL, 12, 12, hr_neg=1.0)
    assert diluted.table.loc["all-comers", "effect"] > 0.7
    assert diluted.n_total_all_comers > res.n_total_all_comers


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: enrichment_slope(0.0, **SLOPE), "prevalence must lie"),
        (lambda: enrichment_slope(1.2, **SLOPE), "prevalence must lie"),
        (lambda: enrichment_slope(0.5, -1, -1, 0.0, 1, 0.2), "sd_pos must be"),
        (lambda: enrichment_slope(0.5, -1, -1, 1, 1, 0.0), "no treatment effect"),
        (lambda: enrichment_slope(0.5, -1, -1, 1, 1, 0.2, power=0.01), "must exceed alpha"),
        (lambda: enrichment_events(0.5, 0.7, -2.0, CTRL, 12, 12), "marker_hr must be"),
        (lambda: enrichment_events(0.5, 1.0, 2.0, CTRL, 12, 12), "no effect"),
    ],
)
def test_enrichment_impossible_inputs(call, match):
    with pytest.raises(DesignError, match=match):
        call()
