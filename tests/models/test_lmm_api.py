"""fit_lmm behaviour: gradients, input checks, convergence reporting, prediction, contrasts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models.lmm import LMMResult, example_data, fit_lmm
from alstrials.models.lmm.design import build_design
from alstrials.models.lmm.engine import evaluate, prepare


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return example_data(60, seed=5)


@pytest.fixture(scope="module")
def res(data) -> LMMResult:
    return fit_lmm(data, "y ~ months * arm", "subject_id", "~months")


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize(
    ("random", "theta"),
    [
        ("~1", [0.7]),
        ("~months", [1.3, -0.2, 0.4]),
        ("~months + I(months**2)", [1.1, 0.2, -0.05, 0.3, 0.01, 0.02]),
    ],
)
def test_analytic_gradient_matches_finite_differences(data, reml, random, theta):
    stats = prepare(build_design(data, "y ~ months * arm", "subject_id", random))
    theta = np.array(theta)

    def f(t):
        return evaluate(t, stats, reml, gradient=False).deviance

    def g(t):
        return evaluate(t, stats, reml).gradient

    err = check_grad(f, g, theta, epsilon=1e-7)
    assert err < 1e-4 * max(1.0, float(np.linalg.norm(g(theta))))


def test_result_contents(res, data):
    assert res.converged and not res.boundary
    assert res.n_subjects == 60 and res.n_obs == len(data) and res.n_dropped == 0
    assert list(res.fixed.columns) == ["estimate", "se", "z", "p", "ci_low", "ci_high"]
    assert list(res.random_cov.index) == ["Intercept", "months"]
    assert np.allclose(np.diag(res.random_corr), 1.0)
    assert np.all(np.linalg.eigvalsh(res.random_cov.to_numpy()) >= 0)
    assert res.blups.shape == (60, 2) and res.blup_cov.shape == (60, 2, 2)
    assert res.grad_norm < 1e-3
    # the simulated truth: residual variance 2.25, slope SD 0.6, intercept SD 5
    assert res.residual_var == pytest.approx(2.25, rel=0.15)
    assert res.random_cov.loc["Intercept", "Intercept"] == pytest.approx(25, rel=0.5)


def test_repr_summary_html(res):
    text = repr(res)
    assert "60 subjects" in text and f"{res.n_obs} observations" in text and "REML" in text
    summ = res.summary()
    assert "residual variance" in summ.index and "var(months) | subject_id" in summ.index
    assert summ.loc["residual variance", "estimate"] == res.residual_var
    assert "<table" in res._repr_html_()
    assert res.to_markdown().startswith("| term |")


def test_result_is_frozen(res):
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        res.residual_var = 1.0  # type: ignore[misc]


def test_row_order_does_not_matter(data, res):
    shuffled = data.sample(frac=1.0, random_state=np.random.RandomState(3))
    again = fit_lmm(shuffled, "y ~ months * arm", "subject_id", "~months")
    np.testing.assert_allclose(again.fixed["estimate"], res.fixed["estimate"], rtol=1e-7)
    np.testing.assert_allclose(again.fitted.loc[data.index], res.fitted, rtol=1e-7)


def test_fitted_and_predict(res, data):
    np.testing.assert_allclose(res.predict(data), res.fitted, rtol=1e-10)
    placebo = (data["arm"] == "placebo").to_numpy(dtype=float)
    X = pd.DataFrame(
        {
            "Intercept": 1.0,
            "months": data["months"],
            "arm[T.placebo]": placebo,
            "months:arm[T.placebo]": data["months"] * placebo,
        }
    )
    expected = X[list(res.fixed.index)].to_numpy() @ res.beta
    np.testing.assert_allclose(res.predict(data, include_random=False), expected, rtol=1e-10)
    new = pd.DataFrame(
        {
            "subject_id": ["unseen", data["subject_id"].iloc[0]],
            "arm": ["active", data["arm"].iloc[0]],
            "months": [6.0, 0.0],
        }
    )
    pred = res.predict(new)
    pop = res.predict(new, include_random=False)
    assert pred.iloc[0] == pytest.approx(pop.iloc[0])  # unseen subject: b = 0
    b0 = res.blups.loc[data["subject_id"].iloc[0], "Intercept"]
    assert pred.iloc[1] == pytest.approx(pop.iloc[1] + b0)
    with pytest.raises(DataValidationError, match="no group column"):
        res.predict(new.drop(columns="subject_id"))


def test_contrast_forms_agree(res):
    by_dict = res.contrast({"arm[T.placebo]": 1, "months:arm[T.placebo]": 12})
    weights = {"arm[T.placebo]": 1.0, "months:arm[T.placebo]": 12.0}
    row = [weights.get(t, 0.0) for t in res.fixed.index]
    by_row = res.contrast(row)
    both = res.contrast(
        {
            "at 12": {"arm[T.placebo]": 1, "months:arm[T.placebo]": 12},
            "slope": {"months:arm[T.placebo]": 1},
        }
    )
    np.testing.assert_allclose(by_dict.to_numpy(), by_row.to_numpy())
    np.testing.assert_allclose(both.iloc[0].to_numpy(), by_row.iloc[0].to_numpy())
    # a single coefficient reproduces its row of .fixed
    np.testing.assert_allclose(
        both.iloc[1].to_numpy(), res.fixed.loc["months:arm[T.placebo]"].to_numpy()
    )
    se = np.sqrt(np.array(row) @ res.vcov.to_numpy() @ np.array(row))
    assert by_row["se"].iloc[0] == pytest.approx(se)
    with pytest.raises(DataValidationError, match="unknown fixed-effect term"):
        res.contrast({"arm": 1})
    with pytest.raises(DataValidationError, match="needs 4 weights"):
        res.contrast([1, 0])


def test_satterthwaite_columns(data):
    out = fit_lmm(data, "y ~ months * arm", "subject_id", "~months", df_method="satterthwaite")
    assert list(out.fixed.columns) == ["estimate", "se", "df", "t", "p", "ci_low", "ci_high"]
    assert np.all(out.fixed["df"] > 1) and np.all(out.fixed["df"] < out.n_obs)
    assert list(out.contrast([0, 0, 1, 0]).columns) == list(out.fixed.columns)


def test_not_converged_is_reported_and_warned(data):
    with pytest.warns(ConvergenceWarning, match="did not converge.*gradient"):
        out = fit_lmm(data, "y ~ months * arm", "subject_id", "~months", maxiter=1)
    assert not out.converged
    assert out.grad_norm > 1e-3
    assert "NOT CONVERGED" in repr(out)
    assert (out.summary()["note"] == "not converged").all()


def test_boundary_fit_without_subject_variation():
    # every subject has the same OLS line (noise orthogonal to 1 and t within subject), so the
    # REML estimate of the random-effects covariance is exactly 0: a boundary fit
    rng = np.random.default_rng(8)
    n, visits = 40, np.arange(8.0)
    B = np.column_stack([np.ones_like(visits), visits])
    proj = np.eye(visits.size) - B @ np.linalg.solve(B.T @ B, B.T)
    noise = (proj @ rng.normal(0, 1.0, (visits.size, n))).T.ravel()
    frame = pd.DataFrame({"id": np.repeat(np.arange(n), visits.size), "months": np.tile(visits, n)})
    frame["y"] = 38 - 0.8 * frame["months"] + noise
    out = fit_lmm(frame, "y ~ months", "id", "~months")
    assert out.boundary and out.converged
    np.testing.assert_allclose(out.random_cov.to_numpy(), 0.0, atol=1e-8)
    assert "boundary" in repr(out)
    assert (out.summary()["note"] == "boundary (0)").sum() == 2


def test_missing_values_are_dropped_counted_and_warned(data):
    bad = data.copy()
    bad.loc[bad.index[:5], "y"] = np.nan
    bad.loc[bad.index[10:12], "months"] = np.nan
    with pytest.warns(DataWarning, match="7 of .* rows have a missing value"):
        out = fit_lmm(bad, "y ~ months * arm", "subject_id", "~months")
    assert out.n_dropped == 7 and out.n_obs == len(data) - 7
    assert "7 rows dropped" in repr(out)


def test_nullable_integer_outcome(data):
    frame = data.assign(total=data["y"].round().astype("Int64"))
    frame.loc[frame.index[0], "total"] = pd.NA
    with pytest.warns(DataWarning, match="1 of"):
        out = fit_lmm(frame, "total ~ months", "subject_id", "~1")
    assert out.n_obs == len(data) - 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"formula": "y ~ months + age"}, "no column.*age"),
        ({"group": "site"}, "no column.*site"),
        ({"formula": "months * arm"}, "two-sided"),
        ({"random": "months"}, "one-sided formula"),
        ({"df_method": "kr"}, "df_method must be one of"),
        ({"maxiter": 0}, "maxiter must be a positive integer"),
        ({"formula": "y ~ months + I(2 * months)"}, "rank deficient"),
    ],
)
def test_bad_input(data, kwargs, match):
    args = {"formula": "y ~ months * arm", "group": "subject_id", "random": "~months", **kwargs}
    with pytest.raises(DataValidationError, match=match):
        fit_lmm(data, **args)


def test_fewer_than_two_groups(data):
    one = data[data["subject_id"] == data["subject_id"].iloc[0]]
    with pytest.raises(DataValidationError, match="at least 2 groups"):
        fit_lmm(one, "y ~ months", "subject_id")


def test_not_a_dataframe():
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame"):
        fit_lmm({"y": [1.0]}, "y ~ 1", "g")  # type: ignore[arg-type]


def test_ml_and_reml_share_fixed_effects_in_balanced_random_intercept():
    # balanced design, random intercept: GLS estimates do not depend on the variance ratio
    frame = example_data(30, p_missed=0.0, seed=4)
    a = fit_lmm(frame, "y ~ months", "subject_id", reml=True)
    b = fit_lmm(frame, "y ~ months", "subject_id", reml=False)
    np.testing.assert_allclose(a.fixed["estimate"], b.fixed["estimate"], rtol=1e-8)
    assert a.loglik != b.loglik


def test_spline_fixed_effects_predict_reuses_the_basis(data):
    out = fit_lmm(data, "y ~ bs(months, df=3) * arm", "subject_id", "~months")
    assert out.converged and len(out.fixed) == 8
    np.testing.assert_allclose(out.predict(data), out.fitted, rtol=1e-10)
    # predicting one row at a time must use the knots of the fit, not of the new data
    one = data.iloc[[5]]
    assert out.predict(one).iloc[0] == pytest.approx(out.fitted.iloc[5], rel=1e-10)


def test_categorical_arm_sets_the_reference_level(data):
    frame = data.assign(arm=pd.Categorical(data["arm"], categories=["placebo", "active"]))
    out = fit_lmm(frame, "y ~ months * arm", "subject_id", "~months")
    assert "months:arm[T.active]" in out.fixed.index
    res_default = fit_lmm(data, "y ~ months * arm", "subject_id", "~months")
    assert out.fixed.loc["months:arm[T.active]", "estimate"] == pytest.approx(
        -res_default.fixed.loc["months:arm[T.placebo]", "estimate"], rel=1e-6
    )
