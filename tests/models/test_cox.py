"""Cox models against R coxph / survfit.coxph (survival 3.5-3; make_reference.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models.survival import cox_engine, fit_cox

REF = Path(__file__).parents[1] / "reference"
FORMULA = "age + sex + `ph.ecog`"
HEART = "age + year + surgery + transplant"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "survival" / "values.json").read_text())


@pytest.fixture(scope="module")
def lung():
    d = pd.read_csv(REF / "lung.csv")
    d["grp"] = np.arange(len(d)) // 4  # as make_reference.R
    return d


@pytest.fixture(scope="module")
def heart():
    return pd.read_csv(REF / "survival" / "heart.csv")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_shipped_reference(lung, r_reference, ties):
    r = r_reference["survival_lung"][f"coxph_{ties}"]
    fit = fit_cox(lung, "time", "status", FORMULA, ties=ties)
    names = ["age", "sex", "ph.ecog"]
    np.testing.assert_allclose(fit.coef["estimate"], [r["coef"][n] for n in names], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["se"], [r["se"][n] for n in names], rtol=1e-5)
    assert fit.loglik == pytest.approx(r["loglik"], rel=1e-8)
    assert fit.converged


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_tests_concordance_and_loglik(lung, ref, ties):
    r = ref[f"cox_{ties}"]
    fit = fit_cox(lung, "time", "status", FORMULA, ties=ties)
    assert fit.loglik_null == pytest.approx(r["loglik"][0], rel=1e-10)
    assert fit.loglik == pytest.approx(r["loglik"][1], rel=1e-10)
    t = fit.tests["statistic"]
    assert t["likelihood_ratio"] == pytest.approx(2 * (r["loglik"][1] - r["loglik"][0]), rel=1e-7)
    assert t["wald"] == pytest.approx(r["wald"], rel=1e-6)
    assert t["score"] == pytest.approx(r["score"], rel=1e-8)
    assert fit.concordance == pytest.approx(r["concordance"], rel=1e-10)
    assert repr(fit).startswith(
        f"CoxResult(~ {FORMULA}, ties={ties}: 227 subjects, 227 observations, 164 events; converged"
    )


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("cox_efron_robust", {"robust": True}),
        ("cox_breslow_robust", {"robust": True, "ties": "breslow"}),
        ("cox_efron_cluster", {"cluster": "grp"}),
    ],
)
def test_robust(lung, ref, key, kwargs):
    r = ref[key]
    fit = fit_cox(lung, "time", "status", FORMULA, **kwargs)
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["robust_se"], r["se"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["se"], r["se"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["naive_se"], r["naive_se"], rtol=1e-5)
    assert fit.tests.loc["wald", "statistic"] == pytest.approx(r["wald"], rel=1e-6)


def test_strata(lung, ref):
    r = ref["cox_strata_sex"]
    fit = fit_cox(lung, "time", "status", "age + `ph.ecog`", strata="sex")
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["se"], r["se"], rtol=1e-5)
    assert fit.loglik == pytest.approx(r["loglik"][1], rel=1e-10)
    assert fit.concordance == pytest.approx(r["concordance"], rel=1e-10)
    s = ref["cox_strata_survfit_new"]
    base = fit.baseline_survival(at={"age": 65, "ph.ecog": 0})
    np.testing.assert_allclose(base["time"], s["time"])
    np.testing.assert_allclose(base["survival"], s["surv"], rtol=1e-6)
    assert [f"sex={v}" for v in base["stratum"]] == s["strata"]


def test_categorical_formula(lung, ref):
    r = ref["cox_factor_ecog"]
    fit = fit_cox(lung, "time", "status", "~ age + C(`ph.ecog`)")
    assert fit.coef.shape[0] == 4
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["se"], r["se"], rtol=1e-5)


def test_baseline_at_means_and_newdata(lung, ref):
    fit = fit_cox(lung, "time", "status", FORMULA)
    s = ref["cox_efron_survfit_mean"]
    base = fit.baseline_cumulative_hazard()
    np.testing.assert_allclose(base["time"], s["time"])
    np.testing.assert_allclose(base["cumhaz"], s["cumhaz"], rtol=1e-6)
    np.testing.assert_allclose(base["survival"], s["surv"], rtol=1e-6)
    fb = fit_cox(lung, "time", "status", FORMULA, ties="breslow")
    s0 = ref["cox_breslow_survfit_new"]
    new = pd.DataFrame({"age": [60, 70], "sex": [2, 1], "ph.ecog": [1, 2]})
    pred = fb.predict_survival(new, s0["time"])
    np.testing.assert_allclose(pred.iloc[0], s0["surv"], rtol=1e-6)
    assert np.all(pred.iloc[1].to_numpy() <= pred.iloc[0].to_numpy())  # worse profile


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_counting_process(heart, ref, ties):
    r = ref[f"heart_{ties}"]
    fit = fit_cox(heart, "stop", "event", HEART, start="start", ties=ties)
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["se"], r["se"], rtol=1e-5)
    assert fit.loglik == pytest.approx(r["loglik"][1], rel=1e-10)
    assert fit.tests.loc["score", "statistic"] == pytest.approx(r["score"], rel=1e-8)
    assert fit.concordance == pytest.approx(r["concordance"], rel=1e-10)


def test_counting_process_cluster_and_baseline(heart, ref):
    r = ref["heart_efron_cluster"]
    fit = fit_cox(heart, "stop", "event", HEART, start="start", cluster="id")
    np.testing.assert_allclose(fit.coef["se"], r["se"], rtol=1e-5)
    np.testing.assert_allclose(fit.coef["naive_se"], r["naive_se"], rtol=1e-5)
    assert fit.n_subjects == 103 and fit.n_obs == 172 and fit.n_events == 75
    s = ref["heart_survfit_mean"]
    base = fit.baseline_survival()  # R: means, 0 for the 0/1 columns surgery, transplant
    np.testing.assert_allclose(base["time"], s["time"])
    np.testing.assert_array_equal(base["n_event"], s["n_event"])
    np.testing.assert_allclose(base["survival"], s["surv"], rtol=1e-6)
    np.testing.assert_allclose(base["cumhaz"], s["cumhaz"], rtol=1e-6)


def test_engine_gradient_and_hessian(heart):
    x = heart[["age", "year", "surgery", "transplant"]].to_numpy(float)
    x = x - x.mean(axis=0)
    idx = cox_engine.build_index(
        heart["stop"].to_numpy(float),
        heart["event"].to_numpy() == 1,
        np.zeros(len(heart), np.int64),
        heart["start"].to_numpy(float),
    )
    b0 = np.array([0.03, -0.1, -0.5, 0.2])

    def score(b):
        return cox_engine.evaluate(idx, x, b, second=False).score

    def loglik(b):
        return cox_engine.evaluate(idx, x, b, second=False).loglik

    # forward differences (check_grad) are coarse for age's scale: loose bound, then central
    assert check_grad(loglik, score, b0) / np.linalg.norm(score(b0)) < 1e-4
    central = [(loglik(b0 + 1e-5 * e) - loglik(b0 - 1e-5 * e)) / 2e-5 for e in np.eye(4)]
    np.testing.assert_allclose(central, score(b0), rtol=1e-6)
    # information = minus the numerical derivative of the score
    ev = cox_engine.evaluate(idx, x, b0)
    h = 1e-6
    num = np.column_stack(
        [
            (
                cox_engine.evaluate(idx, x, b0 + h * e, second=False).score
                - cox_engine.evaluate(idx, x, b0 - h * e, second=False).score
            )
            / (2 * h)
            for e in np.eye(4)
        ]
    )
    np.testing.assert_allclose(-num, ev.information, rtol=1e-5, atol=1e-7)


def test_strata_equals_separate_sums(lung):
    # stratified log-likelihood is the sum of the per-stratum ones at the same beta
    fit = fit_cox(lung, "time", "status", "age", strata="sex")
    b = fit.coef["estimate"].to_numpy()
    total = 0.0
    for _, part in lung.groupby("sex"):
        x = part[["age"]].to_numpy(float)
        idx = cox_engine.build_index(
            part["time"].to_numpy(float), part["status"].to_numpy() == 1, np.zeros(len(part), int)
        )
        total += cox_engine.evaluate(idx, x, b).loglik
    assert fit.loglik == pytest.approx(total, rel=1e-12)


def test_missing_rows_dropped_with_warning(lung):
    d = lung.copy()
    d.loc[[3, 7], "age"] = np.nan
    with pytest.warns(DataWarning, match="2 row\\(s\\) with missing values"):
        fit = fit_cox(d, "time", "status", FORMULA)
    assert fit.n_obs == len(lung) - 2


def test_monotone_likelihood_warns():
    d = pd.DataFrame(
        {"t": [1.0, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "x": [1.0, 1, 1, 0, 0, 0]}
    )
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = fit_cox(d, "t", "e", "x")
    assert not fit.converged
    assert "NOT CONVERGED" in repr(fit)
    assert "not converged" in fit._repr_html_()


def test_input_errors(heart):
    with pytest.raises(DataValidationError, match="start must be before stop"):
        bad = heart.assign(start=heart["stop"])
        fit_cox(bad, "stop", "event", HEART, start="start")
    with pytest.raises(ValueError, match="ties must be one of"):
        fit_cox(heart, "stop", "event", HEART, ties="exact")
    with pytest.raises(DataValidationError, match="has no events"):
        fit_cox(heart.assign(event=0), "stop", "event", HEART, start="start")
    with pytest.raises(DataValidationError, match="no column"):
        fit_cox(heart, "stop", "status", HEART)
    fit = fit_cox(heart, "stop", "event", "age", start="start", strata="surgery")
    with pytest.raises(DataValidationError, match="was not in the fitted data"):
        fit.predict_survival(pd.DataFrame({"age": [0.0], "surgery": [5]}), [10.0])


def test_result_is_frozen(lung):
    fit = fit_cox(lung, "time", "status", FORMULA)
    with pytest.raises(AttributeError):
        fit.loglik = 0.0  # type: ignore[misc]
    assert fit.summary().columns.tolist() == ["estimate", "se", "hr", "hr_low", "hr_high", "z", "p"]
    assert "| covariate |" in fit.to_markdown()


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("seed", [1, 2])
def test_against_statsmodels_phreg_with_entry_and_strata(ties, seed):
    # statsmodels PHReg as a second, independent implementation (delayed entry, strata, ties).
    # PHReg counts a row as at risk at its entry time (entry <= t), R and we use start < t:
    # entries at half-integers never coincide with the integer event times, so both agree.
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(seed)
    n = 300
    x = rng.normal(size=(n, 3))
    t = np.ceil(rng.exponential(10 / np.exp(x @ [0.5, -0.3, 0.2])))  # integer times: ties
    c = np.ceil(rng.uniform(2, 25, n))
    entry = np.floor(rng.uniform(0, 1, n) * np.minimum(t, c) * 0.5) + 0.5
    d = pd.DataFrame(x, columns=["a", "b", "c"])
    d["stop"], d["event"] = np.minimum(t, c), (t <= c).astype(int)
    d["start"], d["s"] = entry, rng.integers(0, 3, n)
    fit = fit_cox(d, "stop", "event", "a + b + c", start="start", strata="s", ties=ties)
    sm = PHReg(d["stop"], x, status=d["event"], entry=d["start"], strata=d["s"], ties=ties).fit()
    np.testing.assert_allclose(fit.coef["estimate"], sm.params, rtol=1e-6)
    np.testing.assert_allclose(fit.coef["se"], sm.bse, rtol=1e-6)
    assert fit.loglik == pytest.approx(sm.llf, rel=1e-9)


def test_subset_and_duplicated_index(lung, ref):
    r = ref["cox_efron"]
    shuffled = lung.sample(frac=1.0, random_state=3)
    doubled = shuffled.set_axis(np.zeros(len(lung), dtype=int))  # every label the same
    for data in (shuffled, doubled):
        fit = fit_cox(data, "time", "status", FORMULA)
        np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-5)
