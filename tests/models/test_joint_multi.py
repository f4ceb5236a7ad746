"""Joint models of several markers and competing causes (issue 10).

Exactness is checked against an independent brute-force computation written here: for each
subject, the marginal likelihood integrated over the four random effects with a 10-point
product Gauss-Hermite rule centred at a mode found by scipy, and cumulative hazards in closed
form (piecewise-constant baselines, markers linear in time). The fit's estimate must be the
maximum of that function, and its log-likelihood must equal it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize, stats

from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.joint import fit_joint
from alstrials.models.joint.fit import prepare_design
from alstrials.models.joint.likelihood import Layout, evaluate, make_state
from alstrials.models.joint.modes import posterior_cholesky, posterior_modes
from alstrials.models.joint.quadrature import hermite_grid
from alstrials.models.joint.simulate import simulate_joint, simulate_joint_competing

LONG = {"y1": "y1 ~ time", "y2": "y2 ~ time"}
RANDOM = {"y1": "~ time", "y2": "~ time"}
KNOTS = [6.0, 12.0]


@pytest.fixture(scope="module")
def small():
    return simulate_joint_competing(n=120, seed=11)


def _fit(long, surv, **kw):
    kw.setdefault("knots", KNOTS)
    return fit_joint(
        long, surv, LONG, RANDOM, "id", "time", "~ x", "T", "event", cause="cause", **kw
    )


@pytest.fixture(scope="module")
def small_fit(small):
    return _fit(*small, gh_points=6)


# --- an independent brute-force likelihood ---------------------------------------------------


def _brute_loglik(long, surv, fit, alpha_shift=None, points=10, centres=None):
    """Marginal log-likelihood of the fitted two-marker, two-cause model (see docstring).

    ``centres`` (a dict filled on the first call) keeps each subject's grid centre and scale,
    so perturbed parameters are integrated on the same (still accurate) grid."""
    beta = fit.long_fixed["estimate"]
    b1 = beta.loc["y1"].to_numpy()
    b2 = beta.loc["y2"].to_numpy()
    s2 = fit.residual_var.to_numpy()
    D = fit.random_cov.to_numpy()
    coef = fit.surv_coef["estimate"].copy()
    if alpha_shift is not None:
        coef.loc[alpha_shift[0]] += alpha_shift[1]
    xi = fit.baseline_hazard["xi"]
    br = np.r_[0.0, KNOTS, np.inf]
    x, w = hermegauss(points)
    grid = np.array(list(itertools.product(x, repeat=4)))
    logw = np.array([np.sum(np.log(c)) for c in itertools.product(w, repeat=4)])
    logw += 0.5 * np.sum(grid**2, axis=1)
    total = 0.0
    for _, row in surv.iterrows():
        obs = long[long.id == row["id"]]
        T, xr = row["T"], row["x"]

        def logf(b, obs=obs, T=T, xr=xr, row=row):
            b = np.atleast_2d(b)
            out = stats.multivariate_normal(np.zeros(4), D).logpdf(b).reshape(len(b))
            for m, (bb, col, var) in enumerate(((b1, "y1", s2[0]), (b2, "y2", s2[1]))):
                o = obs[obs[col].notna()]
                mu = (bb[0] + b[:, [2 * m]]) + (bb[1] + b[:, [2 * m + 1]]) * o["time"].to_numpy()
                out += stats.norm.logpdf(o[col].to_numpy(), mu, np.sqrt(var)).sum(axis=1)
            for c in ("cause1", "cause2"):
                a1, a2 = coef.loc[(c, "value(y1)")], coef.loc[(c, "value(y2)")]
                lin0 = coef.loc[(c, "x")] * xr + a1 * (b1[0] + b[:, 0]) + a2 * (b2[0] + b[:, 2])
                slope = a1 * (b1[1] + b[:, 1]) + a2 * (b2[1] + b[:, 3])
                H = 0.0
                for k in range(3):
                    lo, up = br[k], min(br[k + 1], T)
                    if up <= lo:
                        break
                    H = (
                        H
                        + xi.loc[(c, k + 1)]
                        * np.exp(lin0)
                        * (np.exp(slope * up) - np.exp(slope * lo))
                        / slope
                    )
                out -= H
                if row["event"] == 1 and row["cause"] == c:
                    k = int(np.searchsorted(br, T, side="left") - 1)
                    out += np.log(xi.loc[(c, k + 1)]) + lin0 + slope * T
            return out

        if centres is not None and row["id"] in centres:
            mode, L = centres[row["id"]]
            pts = mode + grid @ L.T
            a = logw + np.log(np.abs(np.linalg.det(L))) + logf(pts)
            total += float(np.log(np.sum(np.exp(a - a.max()))) + a.max())
            continue
        res = optimize.minimize(lambda b, f=logf: -f(b)[0], np.zeros(4), method="BFGS")
        mode = res.x
        h = 1e-4
        H = np.empty((4, 4))
        for i in range(4):
            for j in range(4):
                e_i, e_j = np.eye(4)[i] * h, np.eye(4)[j] * h
                H[i, j] = (
                    logf(mode + e_i + e_j)[0]
                    - logf(mode + e_i - e_j)[0]
                    - logf(mode - e_i + e_j)[0]
                    + logf(mode - e_i - e_j)[0]
                ) / (4 * h * h)
        L = np.linalg.cholesky(np.linalg.inv(-0.5 * (H + H.T)))
        if centres is not None:
            centres[row["id"]] = (mode, L)
        pts = mode + grid @ L.T
        a = logw + np.log(np.abs(np.linalg.det(L))) + logf(pts)
        total += float(np.log(np.sum(np.exp(a - a.max()))) + a.max())
    return total


def test_loglik_equals_brute_force(small, small_fit):
    long, surv = small
    brute = _brute_loglik(long, surv, small_fit)
    assert small_fit.loglik == pytest.approx(brute, abs=2e-3)


def test_estimate_is_the_brute_force_maximum(small, small_fit):
    long, surv = small
    centres: dict = {}
    at = _brute_loglik(long, surv, small_fit, points=7, centres=centres)
    for term in [("cause1", "value(y1)"), ("cause2", "value(y2)"), ("cause2", "x")]:
        se = small_fit.surv_coef.loc[term, "se"]
        h = 0.1 * se
        down, up = (
            _brute_loglik(long, surv, small_fit, (term, s * h), 7, centres) for s in (-1, 1)
        )
        curvature = (2 * at - down - up) / h**2  # > 0 at a maximum
        offset = (up - down) / (2 * h) / curvature  # Newton step to the brute-force maximum
        assert curvature > 0, term
        assert abs(offset) < 0.02 * se, (term, offset / se)


def test_loglik_is_stable_as_points_grow(small, small_fit):
    long, surv = small
    fits = [_fit(long, surv, gh_points=k) for k in (3, 4)] + [small_fit]
    lls = [f.loglik for f in fits]
    assert abs(lls[0] - lls[2]) < 0.02 and abs(lls[1] - lls[2]) < 2e-3
    for f in fits:
        assert f.converged
        assert abs(f.quadrature_error) < 0.02
    a = [f.surv_coef["estimate"].to_numpy() for f in fits]
    np.testing.assert_allclose(a[1], a[2], atol=0.1 * fits[2].surv_coef["se"].min())


# --- recovery and structure ------------------------------------------------------------------


def test_recovers_simulated_two_marker_competing_model():
    long, surv = simulate_joint_competing(n=400, seed=2026)
    fit = _fit(long, surv, baseline="weibull", knots=None)
    assert fit.converged
    truth = {
        ("cause1", "x"): 0.4,
        ("cause1", "value(y1)"): -0.08,
        ("cause1", "value(y2)"): 0.0,
        ("cause2", "x"): -0.3,
        ("cause2", "value(y1)"): -0.04,
        ("cause2", "value(y2)"): -0.05,
    }
    for term, true in truth.items():
        est, se = fit.surv_coef.loc[term, ["estimate", "se"]]
        assert abs(est - true) < 3.5 * se, (term, est, se, true)
    np.testing.assert_allclose(fit.residual_var.to_numpy(), [4.0, 6.25], rtol=0.1)
    np.testing.assert_allclose(fit.long_fixed.loc[("y1", "time"), "estimate"], -1.0, atol=0.1)
    # weibull shape 1 in truth
    assert abs(fit.baseline_coef.loc[("cause1", "log(shape)"), "estimate"]) < 0.25


def test_result_structure(small_fit):
    f = small_fit
    assert f.causes == ("cause1", "cause2") and f.markers == ("y1", "y2")
    assert f.long_fixed.index.names == ["marker", "term"]
    assert f.surv_coef.index.names == ["cause", "term"]
    assert list(f.surv_coef.loc["cause1"].index) == ["x", "value(y1)", "value(y2)"]
    assert list(f.random_cov.index) == ["y1:Intercept", "y1:time", "y2:Intercept", "y2:time"]
    assert list(f.residual_var.index) == ["y1", "y2"]
    assert f.baseline_hazard.index.names == ["cause", "interval"]
    assert f.n_events == int(f.baseline_hazard["events"].sum())
    summ = f.summary()
    assert ("survival", "cause2: value(y2)") in summ.index
    assert ("variance", "sigma(y2)") in summ.index
    assert "causes cause1, cause2" in repr(f) and "<table" in f._repr_html_()


def test_one_marker_as_dict_equals_string_form():
    long, surv = simulate_joint(n=80, seed=5)
    a = fit_joint(long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event")
    b = fit_joint(long, surv, {"y": "y ~ time"}, {"y": "~ time"}, "id", "time", "~ x", "T", "event")
    assert a.loglik == pytest.approx(b.loglik, abs=1e-8)
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-7)


def test_one_cause_column_equals_no_cause():
    long, surv = simulate_joint(n=80, seed=5)
    a = fit_joint(long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event")
    labelled = surv.assign(kind=np.where(surv["event"] == 1, "death", None))
    b = fit_joint(
        long, labelled, "y ~ time", "~ time", "id", "time", "~ x", "T", "event", cause="kind"
    )
    assert b.causes == ("death",)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-8)
    assert b.surv_coef.loc[("death", "value"), "estimate"] == pytest.approx(
        a.surv_coef.loc["value", "estimate"], abs=1e-6
    )


def test_dict_of_frames_equals_one_frame(small):
    long, surv = small
    one = _fit(long, surv, gh_points=4)
    frames = {m: long[long[m].notna()][["id", "time", m]] for m in ("y1", "y2")}
    two = _fit(frames, surv, gh_points=4)
    assert one.loglik == pytest.approx(two.loglik, abs=1e-8)


def test_area_association_fits_and_its_score_vanishes():
    long, surv = simulate_joint(n=150, seed=8)
    fit = fit_joint(
        long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event", association="area"
    )
    assert fit.converged and list(fit.surv_coef.index) == ["x", "area"]
    # a model with value and area nests each
    both = fit_joint(
        long,
        surv,
        "y ~ time",
        "~ time",
        "id",
        "time",
        "~ x",
        "T",
        "event",
        association="value+area",
    )
    assert both.loglik >= fit.loglik - 1e-4


def test_analytic_scores_match_numerical_derivatives(small):
    """Per-subject scores, and the cheaper total score used for the information, equal the
    numerical gradient of the log-likelihood in the general model: two markers, value+slope
    and area associations, a spline and a Weibull baseline."""
    long, surv = small
    des = prepare_design(
        long,
        surv,
        LONG,
        RANDOM,
        "id",
        "time",
        "~ x",
        "T",
        "event",
        {"cause1": {"y1": "value+slope"}, "cause2": {"y2": "area"}},
        {"cause1": "spline", "cause2": "weibull"},
        cause="cause",
    )
    lay = Layout.of(des)
    rng = np.random.default_rng(3)
    theta = 0.1 * rng.standard_normal(lay.size)
    modes, chols = posterior_modes(theta, des, lay, np.zeros((des.n_subjects, lay.q)))
    nodes, logw = hermite_grid(3, lay.q)
    state = make_state(des, modes, chols, nodes, logw)
    per_subject = evaluate(theta, des, lay, state)
    total = evaluate(theta, des, lay, state, score="total")
    assert total.scores.shape == (1, lay.size)
    assert total.total == per_subject.total
    np.testing.assert_allclose(total.score, per_subject.score, rtol=1e-10, atol=1e-8)
    numeric = optimize.approx_fprime(
        theta, lambda t: evaluate(t, des, lay, state, score=False).total, 1e-6
    )
    np.testing.assert_allclose(per_subject.score, numeric, rtol=1e-4, atol=2e-3)


def test_cumulative_incidence_and_survival_add_to_one(small_fit, small):
    long, _ = small
    hist = long[(long.id == 4) & (long.time <= 6)]
    times = [7.0, 10.0, 14.0]
    ci = small_fit.predict_cumulative_incidence(hist, times)
    s = small_fit.predict_survival(hist, times)
    total = ci.groupby("time")["incidence"].sum().to_numpy()
    np.testing.assert_allclose(total + s["survival"].to_numpy(), 1.0, atol=1e-6)
    assert (ci.groupby("cause")["incidence"].apply(lambda v: np.all(np.diff(v) >= 0))).all()
    mc = small_fit.predict_cumulative_incidence(
        hist, times, method="montecarlo", n_draws=60, seed=3
    )
    mc2 = small_fit.predict_cumulative_incidence(
        hist, times, method="montecarlo", n_draws=60, seed=3
    )
    pd.testing.assert_frame_equal(mc, mc2)
    assert (mc["lower"] <= mc["incidence"] + 1e-12).all()
    assert (mc["incidence"] <= mc["upper"] + 1e-12).all()


def test_baseline_choice_per_cause(small):
    long, surv = small
    fit = _fit(
        long,
        surv,
        baseline={"cause1": "spline", "cause2": "weibull"},
        knots={"cause1": [6.0, 12.0], "cause2": None},
        gh_points=3,
    )
    assert fit.converged
    assert list(fit.baseline_coef.loc["cause2"].index) == ["(Intercept)", "log(shape)"]
    assert list(fit.baseline_coef.loc["cause1"].index) == [f"bs{j}" for j in range(1, 7)]
    assert fit.baseline_hazard.empty


# --- flagged problems and bad input ----------------------------------------------------------


def test_all_events_of_a_cause_in_one_arm_is_flagged(small):
    long, surv = small
    bad = surv.copy()
    drop = (bad["cause"] == "cause2") & (bad["x"] == 1)
    bad.loc[drop, ["event", "cause"]] = [0, None]
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = _fit(long, bad, gh_points=3)
    assert not fit.converged
    assert any("cause2: x" in p for p in fit.problems)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"long_formula": {"y1": "y2 ~ time", "y2": "y2 ~ time"}}, "key must be the marker"),
        ({"random": {"y1": "~ time"}}, "random must be a dict with the same markers"),
        ({"association": {"y3": "value"}}, "not markers"),
        ({"association": {"cause1": "value"}}, "must name exactly the causes"),
        ({"baseline": "cox"}, "baseline must be one of"),
        ({"surv_formula": {"cause1": "~ x"}}, "must name exactly the causes"),
    ],
)
def test_bad_model_arguments(small, kwargs, match):
    long, surv = small
    args = {
        "long_formula": LONG,
        "random": RANDOM,
        "surv_formula": "~ x",
        "association": "value",
        "baseline": "piecewise",
    }
    args.update(kwargs)
    with pytest.raises(DataValidationError, match=match):
        fit_joint(
            long,
            surv,
            args["long_formula"],
            args["random"],
            "id",
            "time",
            args["surv_formula"],
            "T",
            "event",
            association=args["association"],
            baseline=args["baseline"],
            cause="cause",
        )


def test_random_covariance_at_its_boundary_is_flagged_not_a_traceback():
    """200 subjects, y2 measured every 6 months: the slope variance of y2 runs to the boundary
    of the positive definite matrices (its correlation matrix becomes singular). This used to
    end in numpy's LinAlgError; it must end in a flagged, warned result."""
    long, surv = simulate_joint_competing(n=400, seed=3)
    long, surv = long[long.id <= 200], surv[surv.id <= 200]
    with pytest.warns(ConvergenceWarning, match="random-effects covariance is singular"):
        fit = _fit(long, surv, gh_points=3)
    assert not fit.converged
    assert any("singular" in p for p in fit.problems)
    # near that boundary a subject's posterior covariance is not numerically positive
    # definite (what raised with 5 points): it is floored, not an error
    bad = np.array([[[1.0, 1.0], [1.0, 1.0 - 1e-17]], [[2.0, 0.0], [0.0, 1.0]]])
    chols = posterior_cholesky(bad)
    np.testing.assert_allclose(chols[1], np.linalg.cholesky(bad[1]))
    np.testing.assert_allclose(chols[0] @ chols[0].T, bad[0], atol=1e-9)


def test_event_without_cause_is_rejected(small):
    long, surv = small
    bad = surv.copy()
    row = int(np.flatnonzero(bad["event"].to_numpy() == 1)[0])
    bad.loc[row, "cause"] = None
    with pytest.raises(DataValidationError, match=rf"row {row}\) has an event with no cause"):
        _fit(long, bad)


def test_subject_without_any_measurement_is_rejected(small):
    long, surv = small
    with pytest.raises(DataValidationError, match="no longitudinal measurement of any marker"):
        _fit(long[long.id != 3], surv)


def test_dict_by_cause_needs_cause():
    long, surv = simulate_joint(n=30, seed=1)
    with pytest.raises(DataValidationError, match="needs cause="):
        fit_joint(long, surv, "y ~ time", "~ time", "id", "time", {"event": "~ x"}, "T", "event")
