"""Tests of fit_joint against JM 1.5-2 (r_reference.json, key JM_aids) and simulated data.

JM integrates over the random effects with 5-point pseudo-adaptive Gauss-Hermite; we use a
7-point fully adaptive rule, hence the 2% relative tolerance of tests/reference/README.md.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.joint import JointResult, fit_joint
from alstrials.models.joint.baselines import default_knots
from alstrials.models.joint.fit import prepare_design
from alstrials.models.joint.likelihood import Layout, Params, evaluate, make_state
from alstrials.models.joint.modes import posterior_modes
from alstrials.models.joint.quadrature import hermite_grid
from alstrials.models.joint.simulate import simulate_joint

REL = 0.02  # tests/reference/README.md: joint models 2% relative
LONG = "CD4 ~ obstime + obstime:drug"


@pytest.fixture(scope="module")
def aids(reference_dir):
    long = pd.read_csv(reference_dir / "aids_long.csv")
    surv = long.drop_duplicates("patient")[["patient", "Time", "death", "drug"]]
    return long, surv


@pytest.fixture(scope="module")
def jm(r_reference):
    return r_reference["JM_aids"]


def _fit(aids, jm, **kw):
    long, surv = aids
    return fit_joint(
        long,
        surv,
        LONG,
        "~ obstime",
        "patient",
        "obstime",
        "~ drug",
        "Time",
        "death",
        knots=jm["knots"],
        **kw,
    )


@pytest.fixture(scope="module")
def fit(aids, jm):
    return _fit(aids, jm)


def _jm_params(jm) -> Params:
    return Params(
        beta=np.array(list(jm["long_fixed"].values())),
        sigma=np.array([jm["sigma"]]),
        D=np.array(jm["D"]),
        gamma=(np.array([jm["surv_coef"]["drugddI"]]),),
        alpha=(np.array([jm["association"]]),),
        base=(np.log(np.array(jm["xi"])),),
    )


def _design(long, surv, knots, long_formula=LONG, association="value"):
    return prepare_design(
        long,
        surv,
        long_formula,
        "~ obstime",
        "patient",
        "obstime",
        "~ drug",
        "Time",
        "death",
        association,
        knots=None if knots is None else np.asarray(knots),
    )


def _state(des, lay, theta, gh_points):
    modes, chols = posterior_modes(theta, des, lay, np.zeros((des.n_subjects, lay.q)))
    nodes, logw = hermite_grid(gh_points, lay.q)
    return make_state(des, modes, chols, nodes, logw)


def loglik_and_score(theta, des, lay, state):
    ev = evaluate(theta, des, lay, state)
    return ev.total, ev.score


def _design_and_state(aids, jm, gh_points=7):
    long, surv = aids
    des = _design(long, surv, jm["knots"])
    lay = Layout.of(des)
    theta = _jm_params(jm).pack()
    return des, lay, theta, _state(des, lay, theta, gh_points)


# --- agreement with JM -----------------------------------------------------------------------


def test_long_fixed_matches_jm(fit, jm):
    expected = np.array(list(jm["long_fixed"].values()))
    assert list(fit.long_fixed.index) == ["Intercept", "obstime", "obstime:drug[T.ddI]"]
    np.testing.assert_allclose(fit.long_fixed["estimate"], expected, rtol=REL)


def test_surv_coef_and_association_match_jm(fit, jm):
    assert list(fit.surv_coef.index) == ["drug[T.ddI]", "value"]
    np.testing.assert_allclose(
        fit.surv_coef.loc["drug[T.ddI]", "estimate"], jm["surv_coef"]["drugddI"], rtol=REL
    )
    np.testing.assert_allclose(fit.surv_coef.loc["value", "estimate"], jm["association"], rtol=REL)
    np.testing.assert_allclose(fit.surv_coef.loc["value", "se"], jm["se_association"], rtol=REL)


def test_variance_components_match_jm(fit, jm):
    np.testing.assert_allclose(fit.sigma, jm["sigma"], rtol=REL)
    np.testing.assert_allclose(fit.residual_var, jm["sigma"] ** 2, rtol=2 * REL)
    np.testing.assert_allclose(fit.random_cov.to_numpy(), np.array(jm["D"]), rtol=REL)


def test_baseline_hazard_matches_jm(fit, jm):
    np.testing.assert_allclose(fit.baseline_hazard["xi"], jm["xi"], rtol=REL)
    np.testing.assert_allclose(fit.knots, jm["knots"])
    assert fit.baseline_hazard["events"].sum() == fit.n_events == 188


def test_loglik_matches_jm(fit, jm):
    # full marginal log-likelihood with constants; we achieve |diff| ~ 0.005
    assert abs(fit.loglik - jm["loglik"]) < 0.05


def test_likelihood_at_jm_estimates_equals_jm_loglik(aids, jm):
    """Our likelihood function evaluated at JM's estimates reproduces JM's log-likelihood."""
    des, lay, theta, state = _design_and_state(aids, jm)
    ll, _ = loglik_and_score(theta, des, lay, state)
    assert abs(ll - jm["loglik"]) < 0.05


def test_default_knots_follow_jm_rule(aids, jm):
    # JM: 6 internal knots at quantiles k/7 of all observed times, then + 1e-6
    _, surv = aids
    np.testing.assert_allclose(
        default_knots(surv["Time"].to_numpy(), 6), np.array(jm["knots"]) - 1e-6, atol=1e-9
    )


def test_quadrature_is_converged(aids, jm):
    des, lay, theta, s7 = _design_and_state(aids, jm, 7)
    *_, s15 = _design_and_state(aids, jm, 15)
    assert (
        abs(loglik_and_score(theta, des, lay, s7)[0] - loglik_and_score(theta, des, lay, s15)[0])
        < 0.01
    )


def test_analytic_score_matches_numerical(aids, jm):
    des, lay, theta, state = _design_and_state(aids, jm)
    x = theta + np.linspace(-0.02, 0.02, len(theta))
    analytic = loglik_and_score(x, des, lay, state)[1]
    numeric = approx_fprime(x, lambda t: loglik_and_score(t, des, lay, state)[0], 1e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


def test_score_zero_at_estimate(fit, aids, jm):
    long, surv = aids
    des = _design(long, surv, fit.knots)
    lay = fit.spec.layout
    ll, score = loglik_and_score(fit.theta, des, lay, _state(des, lay, fit.theta, 7))
    assert ll == pytest.approx(fit.loglik, abs=1e-8)
    assert np.max(np.abs(score)) < 0.05


# --- result object ---------------------------------------------------------------------------


def test_result_structure(fit):
    assert isinstance(fit, JointResult)
    assert fit.converged
    cols = ["estimate", "se", "z", "p", "ci_low", "ci_high"]
    assert list(fit.long_fixed.columns) == cols and fit.long_fixed.index.name == "term"
    assert list(fit.surv_coef.columns) == cols
    assert (fit.n_subjects, fit.n_obs, fit.n_events) == (467, 1405, 188)
    k = len(fit.theta)
    assert k == 16
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * k)
    assert fit.bic == pytest.approx(-2 * fit.loglik + np.log(467) * k)
    assert np.all(np.linalg.eigvalsh(fit.random_cov.to_numpy()) > 0)
    text = repr(fit)
    for piece in ("467 subjects", "1405 observations", "188 events", "converged"):
        assert piece in text
    summ = fit.summary()
    assert ("survival", "value") in summ.index and ("variance", "sigma") in summ.index
    assert "<table" in fit._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        fit.loglik = 0.0  # type: ignore[misc]


def test_value_plus_slope_nests_value(aids, jm, fit):
    both = _fit(aids, jm, association="value+slope")
    assert list(both.surv_coef.index) == ["drug[T.ddI]", "value", "slope"]
    assert both.converged
    assert both.loglik >= fit.loglik - 1e-3  # nested model cannot fit worse


def test_nonconvergence_is_reported(aids, jm):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = _fit(aids, jm, max_iter=1)
    assert not res.converged
    assert "NOT CONVERGED" in repr(res)


# --- validation ------------------------------------------------------------------------------


def test_bad_association(aids, jm):
    with pytest.raises(DataValidationError, match="association must be 'value', 'slope'"):
        _fit(aids, jm, association="curvature")


def test_measurement_after_event(aids):
    long, surv = aids
    bad = long.copy()
    bad.loc[bad.index[0], "obstime"] = 100.0
    with pytest.raises(DataValidationError, match="after the subject's event/censoring time"):
        fit_joint(bad, surv, LONG, "~ obstime", "patient", "obstime", "~ drug", "Time", "death")


def test_duplicate_survival_rows(aids):
    long, surv = aids
    with pytest.raises(DataValidationError, match="one row per subject"):
        fit_joint(
            long,
            pd.concat([surv, surv.iloc[[0]]]),
            LONG,
            "~ obstime",
            "patient",
            "obstime",
            "~ drug",
            "Time",
            "death",
        )


def test_subjects_must_match(aids):
    long, surv = aids
    with pytest.raises(DataValidationError, match="have no longitudinal rows"):
        fit_joint(
            long[long.patient != 1],
            surv,
            LONG,
            "~ obstime",
            "patient",
            "obstime",
            "~ drug",
            "Time",
            "death",
        )


def test_bad_event_values(aids):
    long, surv = aids
    bad = surv.assign(death=surv["death"] * 2)
    with pytest.raises(DataValidationError, match="must be 0/1 or boolean"):
        fit_joint(long, bad, LONG, "~ obstime", "patient", "obstime", "~ drug", "Time", "death")


def test_missing_column(aids):
    long, surv = aids
    with pytest.raises(DataValidationError, match="no column 'months'"):
        fit_joint(long, surv, LONG, "~ obstime", "patient", "months", "~ drug", "Time", "death")


# --- recovery on simulated data --------------------------------------------------------------


@pytest.mark.parametrize(
    ("association", "alpha_s"), [("value", 0.0), ("value+slope", -2.0), ("slope", -2.0)]
)
def test_recovers_simulated_parameters(association, alpha_s):
    truth = {"Intercept": 5.0, "time": -0.5, "x": 0.5, "value": -0.6, "slope": alpha_s}
    alpha = 0.0 if association == "slope" else truth["value"]
    long, surv = simulate_joint(n=300, seed=20261121, alpha=alpha, alpha_s=alpha_s)
    res = fit_joint(
        long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event", association=association
    )
    assert res.converged
    table = pd.concat([res.long_fixed, res.surv_coef])
    for name, true in truth.items():
        if name in table.index:
            est, se = table.loc[name, "estimate"], table.loc[name, "se"]
            assert abs(est - true) < 3 * se, (name, est, se, true)
    assert abs(res.sigma - 0.5) / 0.5 < 0.05
    np.testing.assert_allclose(res.random_cov.to_numpy(), [[1.0, 0.1], [0.1, 0.09]], atol=0.25)


def test_slope_design_is_time_derivative():
    long, surv = simulate_joint(n=20, seed=3)
    des = prepare_design(
        long,
        surv,
        "y ~ time + I(time**2)",
        "~ time",
        "id",
        "time",
        "~ x",
        "T",
        "event",
        "value+slope+area",
    )
    t = des.node_time
    j = des.term_index((0, "slope"))
    np.testing.assert_allclose(des.XS[j], np.column_stack([0 * t, 1 + 0 * t, 2 * t]), atol=1e-6)
    np.testing.assert_allclose(des.ZS[j], np.column_stack([0 * t, 1 + 0 * t]), atol=1e-6)
    a = des.term_index((0, "area"))
    np.testing.assert_allclose(des.XS[a], np.column_stack([t, t**2 / 2, t**3 / 3]), rtol=1e-12)
    np.testing.assert_allclose(des.ZS[a], np.column_stack([t, t**2 / 2]), rtol=1e-12)


# --- factorisation at alpha = 0 against nlme + glm (tests/reference/joint/aids_factorised.R) -


@pytest.mark.parametrize("gh_points", [3, 7])
def test_likelihood_factorises_at_zero_association(aids, reference_dir, gh_points):
    """At alpha = 0 the joint log-likelihood is lme's ML loglik plus the piecewise-exponential
    loglik; the Gaussian integrand makes adaptive GH exact (3+ points also for the score)."""
    import json

    ref = json.loads((reference_dir / "joint" / "aids_factorised.json").read_text())
    long, surv = aids
    des = _design(long, surv, ref["knots"])
    lay = Layout.of(des)
    par = Params(
        np.array(ref["beta"]),
        np.array([ref["sigma"]]),
        np.array(ref["D"]),
        (np.array([ref["gamma_drugddI"]]),),
        (np.array([0.0]),),
        (np.log(np.array(ref["xi"])),),
    )
    theta = par.pack()
    ll, score = loglik_and_score(theta, des, lay, _state(des, lay, theta, gh_points))
    assert ll == pytest.approx(ref["loglik_lme"] + ref["loglik_pe"], abs=1e-5)
    # the R estimates maximise each factor, so the score vanishes except for alpha (index 8):
    # to 1e-6 for beta, gamma and xi (closed-form-accurate fits), to 0.1 for the variance
    # parameters (lme's optimiser stops at about 1e-3 relative precision)
    np.testing.assert_allclose(score[[0, 1, 2, 7, 9, 10, 11, 12, 13, 14, 15]], 0, atol=1e-6)
    assert np.max(np.abs(score[3:7])) < 0.1


def test_default_knots_fit_matches_jm(aids, jm):
    long, surv = aids
    res = fit_joint(long, surv, LONG, "~ obstime", "patient", "obstime", "~ drug", "Time", "death")
    np.testing.assert_allclose(res.knots, np.array(jm["knots"]) - 1e-6, atol=1e-9)
    np.testing.assert_allclose(res.surv_coef.loc["value", "estimate"], jm["association"], rtol=REL)
    np.testing.assert_allclose(res.baseline_hazard["xi"], jm["xi"], rtol=REL)


def test_missing_response_and_bad_knots(aids):
    long, surv = aids
    bad = long.copy()
    bad.loc[bad.index[3], "CD4"] = np.nan
    with pytest.raises(DataValidationError, match="cannot build the longitudinal .*design"):
        fit_joint(bad, surv, LONG, "~ obstime", "patient", "obstime", "~ drug", "Time", "death")
    with pytest.raises(DataValidationError, match="knots must be finite and positive"):
        fit_joint(
            long,
            surv,
            LONG,
            "~ obstime",
            "patient",
            "obstime",
            "~ drug",
            "Time",
            "death",
            knots=[-1.0, 5.0],
        )


def test_no_events(aids):
    long, surv = aids
    with pytest.raises(DataValidationError, match="has no events"):
        fit_joint(
            long,
            surv.assign(death=0),
            LONG,
            "~ obstime",
            "patient",
            "obstime",
            "~ drug",
            "Time",
            "death",
        )
