"""Cause-specific Cox models against R riskRegression 2022.11.28 (CSC, predictRisk, Score):
tests/reference/competing/csc (make_data.py writes the data, csc.R the references; R is not
needed here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models.competing import CSCResult, fit_cause_specific_cox
from alstrials.models.prediction import prediction_accuracy
from alstrials.models.survival import fit_cox

REF = Path(__file__).parents[1] / "reference" / "competing" / "csc"
FORMULA = "active + age + fvc_z"
CAUSES = ["death", "tracheostomy", "permanent_ventilation"]


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return pd.read_csv(REF / "train.csv")


@pytest.fixture(scope="module")
def test_data() -> pd.DataFrame:
    return pd.read_csv(REF / "test.csv")


@pytest.fixture(scope="module")
def fit(train) -> CSCResult:
    return fit_cause_specific_cox(train, "months", "status", FORMULA)


def test_coefficients_match_csc(fit):
    ref = pd.read_csv(REF / "ref_coef.csv").set_index(["cause", "term"])
    assert fit.converged and not fit.problems
    assert fit.coef.index.names == ["cause", "covariate"]
    assert set(fit.coef.index) == set(ref.index)
    ours = fit.coef.reindex(ref.index)
    # coxph stops at its own criterion (relative loglik change 1e-9): agreement about 1e-10
    np.testing.assert_allclose(ours["estimate"], ref["coef"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["se"], ref["se"], rtol=1e-6)
    np.testing.assert_allclose(ours["hr"], np.exp(ref["coef"]), rtol=1e-6)


@pytest.mark.parametrize(("name", "product_limit"), [("risk", True), ("risk_exp", False)])
def test_absolute_risks_match_predict_risk(fit, test_data, name, product_limit):
    ref = pd.read_csv(REF / f"ref_{name}.csv")
    new = test_data.set_index("id")
    for cause, part in ref.groupby("cause"):
        times = np.sort(part["time"].unique())
        pred = fit.predict_cumulative_incidence(new, times, cause, product_limit=product_limit)
        wide = part.pivot(index="id", columns="time", values="risk").loc[new.index, times]
        np.testing.assert_allclose(pred.to_numpy(), wide.to_numpy(), rtol=0, atol=1e-6)


def test_risks_and_survival_add_to_one_and_are_monotone(fit, test_data):
    new = test_data.head(20)
    times = np.linspace(0.0, 25.0, 26)
    total = sum(fit.predict_cumulative_incidence(new, times, c) for c in CAUSES)
    surv = fit.predict_survival(new, times)
    np.testing.assert_allclose(total.to_numpy() + surv.to_numpy(), 1.0, atol=1e-12)
    for c in CAUSES:
        f = fit.predict_cumulative_incidence(new, times, c).to_numpy()
        assert (np.diff(f, axis=1) >= -1e-15).all() and (f[:, 0] == 0).all()
    # beyond the last follow-up of the fitted data the risks are not defined
    late = fit.predict_cumulative_incidence(new, [10.0, 40.0], "death")
    assert late[40.0].isna().all() and late[10.0].notna().all()


def test_each_cause_is_fit_cox_with_the_other_causes_censored(fit, train):
    for c in CAUSES:
        one = fit_cox(train.assign(e=train["status"] == c), "months", "e", FORMULA)
        np.testing.assert_array_equal(fit.coef.loc[c, "estimate"], one.coef["estimate"])
    assert fit.n_events == {c: int((train["status"] == c).sum()) for c in sorted(CAUSES)}
    assert fit.n_censored == int((train["status"] == "censored").sum())


def test_numeric_codes_give_the_same_fit(fit, train):
    other = fit_cause_specific_cox(train, "months", "code", FORMULA, censored=0)
    assert other.causes == [1, 2, 3]
    for k, c in enumerate(CAUSES, start=1):
        np.testing.assert_array_equal(
            other.coef.loc[k, "estimate"].to_numpy(), fit.coef.loc[c, "estimate"].to_numpy()
        )


def test_summary_repr_and_html(fit):
    s = fit.summary()
    assert s.index.names == ["cause", "covariate"] and "note" not in s.columns
    assert "CSCResult" in repr(fit) and "400 subjects" in repr(fit)
    assert "<table" in fit._repr_html_()


def test_bad_inputs_raise_with_a_message(fit, train):
    with pytest.raises(DataValidationError, match="not one of the fitted causes"):
        fit.predict_cumulative_incidence(train, [3.0], "dead")
    with pytest.raises(DataValidationError, match="no column"):
        fit.predict_cumulative_incidence(train.drop(columns="age"), [3.0], "death")
    with pytest.raises(DataValidationError, match="missing value in the covariates"):
        fit.predict_cumulative_incidence(train.assign(age=np.nan), [3.0], "death")
    with pytest.raises(DataValidationError, match="times must be finite"):
        fit.predict_cumulative_incidence(train, [-1.0], "death")
    with pytest.raises(DataValidationError, match="no column"):
        fit_cause_specific_cox(train, "months", "cause", FORMULA)
    # a cause whose events all have a missing covariate: the message names the cause
    bad = train.assign(age=train["age"].where(train["status"] != "tracheostomy"))
    with (
        pytest.warns(DataWarning, match="88 row"),  # said by the first cause's fit
        pytest.raises(DataValidationError, match="cause 'tracheostomy'.*no events"),
    ):
        fit_cause_specific_cox(bad, "months", "status", FORMULA)
    # rows dropped for missing covariates are reported once, not once per cause
    with pytest.warns(DataWarning, match="1 row") as record:
        fit_cause_specific_cox(
            train.assign(age=train["age"].where(train.index != 5)), "months", "status", FORMULA
        )
    assert len(record) == 1


def test_a_cause_with_separation_is_flagged_with_its_name(train):
    d = train.copy()
    trach = (d["status"] == "tracheostomy") & (d["active"] == 0)
    d.loc[trach, "status"] = "censored"  # tracheostomy only in the active arm
    with pytest.warns(ConvergenceWarning, match="cause 'tracheostomy' of column 'status'"):
        fit = fit_cause_specific_cox(d, "months", "status", FORMULA)
    assert not fit.converged
    assert any(p.startswith("tracheostomy:") and "active" in p for p in fit.problems)
    assert fit.models["death"].converged
    assert fit.summary()["note"].eq("not converged").all()
    assert "NOT CONVERGED" in repr(fit)


def _merged(ref: pd.DataFrame, coding: str, cause: str) -> pd.DataFrame:
    return ref[(ref["coding"] == coding) & (ref["cause"] == cause)]


@pytest.mark.parametrize("cause", ["death", "tracheostomy"])
def test_prediction_accuracy_matches_score(fit, test_data, cause):
    ref = pd.read_csv(REF / "ref_score.csv")
    acc = prediction_accuracy(fit, test_data, [3, 6, 12, 18], cause=cause)
    ours = acc.summary().reset_index()
    ours["model"] = ours["model"].replace({"cause-specific Cox": "csc"})
    # estimates: identical whatever the coding of the competing causes
    for coding in ("three causes", "other causes merged"):
        r = _merged(ref, coding, cause).merge(ours, on=["metric", "model", "time"])
        assert len(r) == 12  # AUC, Brier and the null model's Brier at 4 times
        np.testing.assert_allclose(r["estimate_y"], r["estimate_x"], rtol=0, atol=1e-6)
    # standard errors and intervals: as Score with the other causes as one competing cause
    r = _merged(ref, "other causes merged", cause).merge(ours, on=["metric", "model", "time"])
    np.testing.assert_allclose(r["se_y"], r["se_x"], rtol=1e-6)
    np.testing.assert_allclose(r["ci_low"], r["lower"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(r["ci_high"], r["upper"], rtol=0, atol=1e-6)
    # Brier SEs agree with the three-cause coding too (only the AUC's differ there)
    r3 = _merged(ref, "three causes", cause).merge(ours, on=["metric", "model", "time"])
    brier = r3[r3["metric"] == "Brier"]
    np.testing.assert_allclose(brier["se_y"], brier["se_x"], rtol=1e-6)
    assert list(acc.auc.index) == [3.0, 6.0, 12.0, 18.0]
    assert list(acc.auc.columns[:4]) == ["estimate", "se", "ci_low", "ci_high"]
    assert {"null_estimate", "null_se"} <= set(acc.brier.columns)


def test_prediction_accuracy_of_a_cox_model_matches_score(train, test_data):
    ref = pd.read_csv(REF / "ref_score.csv")
    ref = ref[ref["coding"] == "single event (Cox)"]
    cox = fit_cox(train.assign(any=train["code"] > 0), "months", "any", FORMULA)
    data = test_data.assign(any=(test_data["code"] > 0).astype(int))
    acc = prediction_accuracy(cox, data, [3, 6, 12, 18], duration="months", event="any")
    ours = acc.summary().reset_index()
    ours["model"] = ours["model"].replace({"Cox": "cox"})
    r = ref.merge(ours, on=["metric", "model", "time"])
    assert len(r) == 12
    np.testing.assert_allclose(r["estimate_y"], r["estimate_x"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(r["se_y"], r["se_x"], rtol=1e-6)


def test_prediction_accuracy_errors(fit, test_data):
    with pytest.raises(DataValidationError, match="several causes"):
        prediction_accuracy(fit, test_data, [3.0])
    with pytest.raises(DataValidationError, match="landmark= is for joint models"):
        prediction_accuracy(fit, test_data, [3.0], cause="death", landmark=1.0)
    with pytest.raises(DataValidationError, match="beyond the follow-up"):
        prediction_accuracy(fit, test_data, [29.5], cause="death")
    with pytest.raises(DataValidationError, match="scores a cause-specific Cox"):
        prediction_accuracy(object(), test_data, [3.0])
