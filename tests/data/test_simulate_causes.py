"""The competing-cause model: event types depend on the latent ALSFRS-R and cord-area courses.

The model (``alstrials.data.simulate.causes``): given a composite event at ``T``, the cause is
multinomial-logit in ``m(T) = (L(T) - baseline_mean, L'(T) + decline_mean, C(T) - cord mean)``
with death as the reference, so ``h_k / h_death = (pi_k / pi_0) exp(beta_k . m(t))``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.data.example import EXAMPLE_N_PER_ARM, EXAMPLE_SEED
from alstrials.data.schema import TABLES
from alstrials.data.simulate import (
    STREAMS,
    Scenario,
    scenario_from_dict,
    scenario_from_toml,
    simulate_trial,
    simulate_with_truth,
)
from alstrials.data.simulate.causes import (
    LatentCourse,
    cause_coefficients,
    cause_probabilities,
    draw_causes,
)
from alstrials.data.simulate.events import EVENT_NAMES, simulate_event_times
from alstrials.data.simulate.scenario import CAUSE_LOG_OR_FIELDS
from alstrials.errors import DesignError

ZERO = {name: (0.0, 0.0) for name in CAUSE_LOG_OR_FIELDS}
# distinct per cause and per covariate, so a swapped column or cause shows
STRONG = {
    "cause_alsfrs_log_or": (-0.06, 0.0),
    "cause_alsfrs_slope_log_or": (-2.0, -0.5),
    "cause_cord_csa_log_or": (0.0, -0.2),
}
CODE = {name: k for k, name in enumerate(EVENT_NAMES)}


def _latent_state(truth: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """m_i(T_i): the centred latent ALSFRS-R value and slope and cord area at the event time."""
    t = truth["event_time"].to_numpy()
    value = truth["intercept"] + truth["slope"] * t + sc.curvature * t**2
    rate = truth["slope"] + 2 * sc.curvature * t
    cord = truth["cord_csa_intercept"] + truth["cord_csa_slope_per_year"] * t / 12
    return pd.DataFrame(
        {
            "alsfrs_value": value - sc.baseline_mean,
            "alsfrs_slope": rate + sc.decline_mean,
            "cord_csa_value": cord - sc.cord_csa_mean_mm2,
        }
    )


def _observed_events(n_per_arm: int, seed: int, **params: object):
    trial, truth = simulate_with_truth(n_per_arm, seed=seed, **params)
    sc = Scenario(**params)
    observed = trial.events["event"].to_numpy()
    state = _latent_state(truth, sc)[observed].reset_index(drop=True)
    code = trial.events["event_type"][observed].map(CODE).to_numpy()
    return state, code, sc


# -- the direction and size of the dependence ---------------------------------------------------
@pytest.fixture(scope="module")
def strong():
    return _observed_events(2500, 31, **STRONG)


def _tertile_share(values: pd.Series, flag: np.ndarray) -> list[float]:
    groups = pd.qcut(values, 3, labels=False)
    return [float(flag[groups.to_numpy() == g].mean()) for g in range(3)]


def test_strong_dependence_shifts_causes_in_the_intended_direction(strong):
    state, code, _ = strong
    assert len(code) > 1000
    # tracheostomy follows fast decline: its share falls from the fastest to the slowest tertile
    trach = _tertile_share(state["alsfrs_slope"], code == 1)
    assert trach[0] > trach[2] + 0.25, trach
    # permanent ventilation follows cord atrophy: its share falls from low to high cord area
    pav = _tertile_share(state["cord_csa_value"], code == 2)
    assert pav[0] > pav[2] + 0.25, pav
    # (the latent terms are correlated; the multinomial fit below separates them)


def test_multinomial_logit_on_the_latent_state_recovers_the_coefficients(strong):
    # conditional on T, the cause is exactly multinomial-logit in m(T): the MLE is unbiased
    # for (log(pi_k / pi_0), beta_k); allow 4 standard errors for each of the 8 parameters
    state, code, sc = strong
    fit = sm.MNLogit(code, sm.add_constant(state)).fit(disp=0, method="newton", maxiter=100)
    assert fit.mle_retvals["converged"]
    pi = np.asarray(sc.event_type_probs)
    truth = np.vstack([np.log(pi[1:] / pi[0]), cause_coefficients(sc)[1:].T])  # (4, 2)
    est, se = np.asarray(fit.params), np.asarray(fit.bse)
    z = (est - truth) / se
    assert np.all(np.abs(z) < 4), pd.DataFrame(z, index=fit.params.index)
    # the strong terms are clearly non-zero, in the intended sign
    assert est[2, 0] / se[2, 0] < -5  # slope -> tracheostomy
    assert est[3, 1] / se[3, 1] < -5  # cord area -> permanent ventilation


def test_the_state_is_taken_at_the_event_time():
    # identical subjects: L(t) = 38 - t, so the cause depends on the event time alone
    n = 20_000
    one = np.ones(n)
    course = LatentCourse(38.0 * one, -1.0 * one, 0.0, 60.8 * one, -1.6 * one)
    sc = Scenario(**ZERO | {"cause_alsfrs_log_or": (-0.15, 0.0)})
    times, code = simulate_event_times(
        -one, np.zeros(n, bool), np.zeros(n, bool), course, sc, np.random.default_rng(4)
    )
    early, late = times < np.quantile(times, 0.25), times > np.quantile(times, 0.75)
    expected = cause_probabilities(course, times, sc)[:, 1]
    for sel in (early, late):
        se = math.sqrt(expected[sel].mean() * (1 - expected[sel].mean()) / sel.sum())
        assert abs((code[sel] == 1).mean() - expected[sel].mean()) < 4 * se
    assert (code[late] == 1).mean() > (code[early] == 1).mean() + 0.10


def test_treatment_acts_on_the_cause_through_the_slope_in_the_arm():
    # slowing 0.8: an active subject's latent slope is a fifth of its natural slope
    params = ZERO | {"cause_alsfrs_slope_log_or": (-2.0, 0.0), "treatment_slowing": 0.8}
    trial, truth = simulate_with_truth(3000, seed=17, **params)
    events = (trial.events["event"] & (truth["arm"] == "active")).to_numpy()
    y = (trial.events["event_type"][events] == "tracheostomy").to_numpy()
    keep = trial.events["event_type"][events].isin(["death", "tracheostomy"]).to_numpy()
    slope = truth["slope"][events][keep] + 1.0
    fit = sm.Logit(y[keep].astype(float), sm.add_constant(slope.to_numpy())).fit(disp=0)
    assert abs(fit.params[1] + 2.0) < 4 * fit.bse[1], (fit.params[1], fit.bse[1])


def test_default_scenario_shows_the_dependence_in_the_bundled_example():
    state, code, sc = _observed_events(EXAMPLE_N_PER_ARM, EXAMPLE_SEED)
    ventilatory = code > 0
    assert _tertile_share(state["cord_csa_value"], ventilatory)[0] > 0.45
    assert _tertile_share(state["cord_csa_value"], ventilatory)[2] < 0.30
    fit = sm.Logit(ventilatory.astype(float), sm.add_constant(state)).fit(disp=0)
    z = fit.params / fit.bse
    assert z["alsfrs_slope"] < -2 and z["cord_csa_value"] < -2


# -- zero dependence ----------------------------------------------------------------------------
def test_zero_dependence_gives_event_type_probs_to_every_subject():
    probs = (0.6, 0.15, 0.25)
    trial, truth = simulate_with_truth(3000, seed=8, event_type_probs=probs, **ZERO)
    course = LatentCourse(
        truth["intercept"].to_numpy(),
        truth["slope"].to_numpy(),
        0.0,
        truth["cord_csa_intercept"].to_numpy(),
        truth["cord_csa_slope_per_year"].to_numpy(),
    )
    sc = Scenario(event_type_probs=probs, **ZERO)
    p = cause_probabilities(course, truth["event_time"].to_numpy(), sc)
    assert (p == np.asarray(probs)).all()
    # every latent event (6,000) follows the shares, whatever the latent state
    code = truth["event_cause"].map(CODE).to_numpy()
    freq = np.bincount(code, minlength=3) / len(code)
    se = np.sqrt(np.asarray(probs) * (1 - np.asarray(probs)) / len(code))
    assert np.all(np.abs(freq - probs) < 4 * se), freq
    state = _latent_state(truth, sc)
    for column in state:
        shares = _tertile_share(state[column], code > 0)
        assert max(shares) - min(shares) < 0.05, (column, shares)


def test_zero_dependence_is_the_fixed_probability_draw_bit_for_bit():
    # replay the events stream: E ~ Exp(1) then U ~ U(0, 1), one each per subject
    n_per_arm, seed = 300, 12
    _, truth = simulate_with_truth(n_per_arm, seed=seed, **ZERO)
    child = np.random.SeedSequence(seed).spawn(len(STREAMS))[STREAMS.index("events")]
    rng = np.random.default_rng(child)
    rng.standard_exponential(2 * n_per_arm)
    u = rng.uniform(size=2 * n_per_arm)
    cum = np.cumsum(Scenario().event_type_probs)
    expected = np.minimum(np.searchsorted(cum, u, side="right"), 2)
    assert (truth["event_cause"].map(CODE).to_numpy() == expected).all()


# -- what the cause parameters do not change ---------------------------------------------------
@pytest.mark.parametrize("params", [ZERO, STRONG], ids=["zero", "strong"])
def test_cause_parameters_change_only_event_type(params):
    base_trial, base_truth = simulate_with_truth(150, seed=21, data_cutoff_month=16.0)
    trial, truth = simulate_with_truth(150, seed=21, data_cutoff_month=16.0, **params)
    for table in TABLES:
        if table != "events":
            pd.testing.assert_frame_equal(trial.table(table), base_trial.table(table))
    pd.testing.assert_frame_equal(
        trial.events.drop(columns="event_type"), base_trial.events.drop(columns="event_type")
    )
    pd.testing.assert_frame_equal(
        truth.drop(columns="event_cause"), base_truth.drop(columns="event_cause")
    )
    # censored rows stay censored, events stay events of some cause
    assert ((trial.events["event_type"] == "censored") == ~trial.events["event"]).all()
    assert not truth["event_cause"].equals(base_truth["event_cause"])


def test_cord_mean_shift_leaves_causes_unchanged_but_cord_spread_does_not():
    a = simulate_trial(200, seed=5)
    b = simulate_trial(200, seed=5, cord_csa_mean_mm2=70.0)  # also the reference
    c = simulate_trial(200, seed=5, cord_csa_sd_mm2=12.0)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert (a.events["months"] == c.events["months"]).all()
    assert not a.events["event_type"].equals(c.events["event_type"])


# -- reproducibility -----------------------------------------------------------------------------
def test_same_seed_same_causes_different_seed_different():
    a = simulate_trial(100, seed=3, **STRONG)
    b = simulate_trial(100, seed=3, **STRONG)
    for table in TABLES:
        pd.testing.assert_frame_equal(a.table(table), b.table(table))
    c = simulate_trial(100, seed=4, **STRONG)
    assert not a.events["event_type"].equals(c.events["event_type"])


def test_metadata_records_the_cause_model():
    trial = simulate_trial(20, seed=1, **STRONG)
    model = json.loads(json.dumps(dict(trial.metadata)))["truth"]["cause_model"]
    assert model["causes"] == list(EVENT_NAMES)
    assert model["reference"] == [38.0, -1.0, 60.8]
    np.testing.assert_array_equal(model["log_odds_ratios"], cause_coefficients(Scenario(**STRONG)))


# -- the probability function ---------------------------------------------------------------------
def _course(value: float, slope: float, cord: float, n: int = 1) -> LatentCourse:
    one = np.ones(n)
    return LatentCourse(value * one, slope * one, 0.0, cord * one, 0.0 * one)


def test_probabilities_match_the_formula_by_hand():
    sc = Scenario(**STRONG)
    # at t = 0: 2 points below the mean baseline, 0.5 point/month faster, 3 mm^2 less cord
    p = cause_probabilities(_course(36.0, -1.5, 57.8), np.zeros(1), sc)[0]
    m = np.array([-2.0, -0.5, -3.0])
    odds = np.array(
        [
            1.0,
            0.10 / 0.75 * math.exp(-0.06 * m[0] - 2.0 * m[1] + 0.0 * m[2]),
            0.15 / 0.75 * math.exp(0.0 * m[0] - 0.5 * m[1] - 0.2 * m[2]),
        ]
    )
    np.testing.assert_allclose(p, odds / odds.sum(), rtol=1e-12)
    # the reference state gives event_type_probs
    ref = cause_probabilities(_course(38.0, -1.0, 60.8), np.zeros(1), sc)[0]
    np.testing.assert_allclose(ref, sc.event_type_probs, rtol=1e-12)


def test_probabilities_use_the_state_at_the_given_time():
    sc = Scenario(cause_alsfrs_log_or=(-0.1, -0.1), cause_alsfrs_slope_log_or=(0.0, 0.0))
    course = _course(38.0, -1.0, 60.8, n=2)
    p = cause_probabilities(course, np.array([0.0, 12.0]), sc)
    assert p[1, 1:].sum() > p[0, 1:].sum()  # 12 points lower at month 12: more ventilatory
    sc_c = Scenario(curvature=-0.05, **ZERO | {"cause_alsfrs_slope_log_or": (-1.0, -1.0)})
    course_c = LatentCourse(
        np.full(2, 38.0), np.full(2, -1.0), -0.05, np.full(2, 60.8), np.zeros(2)
    )
    p_c = cause_probabilities(course_c, np.array([0.0, 10.0]), sc_c)
    assert p_c[1, 1] > p_c[0, 1]  # the slope steepens with negative curvature


def test_extreme_states_and_zero_shares_are_handled_without_warnings():
    sc = Scenario(event_type_probs=(0.9, 0.0, 0.1), cause_cord_csa_log_or=(-50.0, 50.0))
    p = cause_probabilities(_course(38.0, -1.0, 60.8, n=3), np.array([0.0, 0.0, 0.0]), sc)
    np.testing.assert_allclose(p, [[0.9, 0.0, 0.1]] * 3, rtol=1e-12)
    far = LatentCourse(
        np.full(2, 38.0), np.full(2, -1.0), 0.0, np.array([10.0, 140.0]), np.zeros(2)
    )
    p = cause_probabilities(far, np.zeros(2), sc)
    assert np.isfinite(p).all() and (p[:, 1] == 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[0, 2] < 1e-300 and p[1, 0] < 1e-300
    trial = simulate_trial(100, seed=2, event_type_probs=(0.9, 0.0, 0.1))
    assert "tracheostomy" not in set(trial.events["event_type"])


def test_draw_causes_inverts_the_cumulative_probabilities():
    probs = np.array([[0.5, 0.25, 0.25]] * 5)
    u = np.array([0.0, 0.4999, 0.5, 0.75, 0.9999])
    assert draw_causes(u, probs).tolist() == [0, 0, 1, 2, 2]


# -- validation and configuration ----------------------------------------------------------------
@pytest.mark.parametrize("name", CAUSE_LOG_OR_FIELDS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ((1.0, 2.0, 3.0), "must hold 2 log odds ratios"),
        ((1.0,), "must hold 2 log odds ratios"),
        (0.5, "must be a sequence of numbers"),
        ("-1, -1", "must be a sequence of numbers"),
        ((float("nan"), 0.0), "not a finite number"),
        ((float("inf"), 0.0), "not a finite number"),
        ((True, 0.0), "not a finite number"),
        (("a", 0.0), "not a finite number"),
    ],
)
def test_bad_cause_parameters_raise_design_error(name, value, message):
    with pytest.raises(DesignError, match=message):
        Scenario(**{name: value})
    with pytest.raises(DesignError, match=name):
        simulate_trial(5, seed=1, **{name: value})


def test_misspelt_cause_parameter_suggests_the_name():
    with pytest.raises(DesignError, match="Did you mean 'cause_cord_csa_log_or'"):
        scenario_from_dict({"cause_cord_log_or": [-0.1, -0.1]})
    with pytest.raises(DesignError, match="Did you mean 'cause_alsfrs_slope_log_or'"):
        simulate_trial(5, seed=1, cause_alsfrs_slop_log_or=(0.0, 0.0))


def test_cause_parameters_from_toml(tmp_path):
    path = tmp_path / "causes.toml"
    path.write_text("[scenario]\ncause_cord_csa_log_or = [-0.2, 0]\ncause_alsfrs_log_or = [0, 0]\n")
    sc = scenario_from_toml(path)
    assert sc.cause_cord_csa_log_or == (-0.2, 0.0)
    assert sc.cause_alsfrs_slope_log_or == Scenario().cause_alsfrs_slope_log_or
    path.write_text("[scenario]\ncause_cord_csa_log_or = [-0.2, 0, 1]\n")
    with pytest.raises(DesignError, match="cause_cord_csa_log_or"):
        scenario_from_toml(path)


finite = st.floats(min_value=-10, max_value=10, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(st.tuples(finite, finite), st.tuples(finite, finite), st.tuples(finite, finite))
def test_any_finite_pairs_are_accepted_and_round_trip(value, slope, cord):
    sc = Scenario(
        cause_alsfrs_log_or=value, cause_alsfrs_slope_log_or=slope, cause_cord_csa_log_or=cord
    )
    assert scenario_from_dict(json.loads(json.dumps(sc.to_dict()))) == sc
    p = cause_probabilities(_course(20.0, -2.0, 50.0, n=2), np.array([0.0, 18.0]), sc)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
