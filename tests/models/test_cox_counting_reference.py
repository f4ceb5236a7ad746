"""fit_cox on (start, stop] data against R coxph (tests/reference/cox: make_data.py makes the
data, make_reference.R the values): 1,500 subjects, 2,399 rows with delayed entry, a
time-varying covariate, tied event times and three strata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.models.survival import cox_engine, fit_cox

REF = Path(__file__).parents[1] / "reference" / "cox"
FORMULA = "age + active + dose"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "values.json").read_text())


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "counting.csv")


def _check(fit, r, se_column="se"):
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-8)
    np.testing.assert_allclose(fit.coef[se_column], r["se"], rtol=1e-6)
    assert fit.loglik_null == pytest.approx(r["loglik"][0], rel=1e-12)
    assert fit.loglik == pytest.approx(r["loglik"][1], rel=1e-12)
    assert fit.tests.loc["score", "statistic"] == pytest.approx(r["score"], rel=1e-8)
    assert fit.tests.loc["wald", "statistic"] == pytest.approx(r["wald"], rel=1e-6)
    assert fit.concordance == pytest.approx(r["concordance"], rel=1e-10)
    assert fit.converged


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_counting_process_matches_coxph(data, ref, ties):
    fit = fit_cox(data, "stop", "event", FORMULA, start="start", ties=ties)
    assert fit.coef.index.tolist() == ref["names"]
    _check(fit, ref[ties])


def test_counting_process_strata_matches_coxph(data, ref):
    fit = fit_cox(data, "stop", "event", FORMULA, start="start", strata="site")
    _check(fit, ref["strata"])


def test_counting_process_cluster_matches_coxph(data, ref):
    fit = fit_cox(data, "stop", "event", FORMULA, start="start", cluster="id")
    _check(fit, ref["cluster"])
    np.testing.assert_allclose(fit.coef["naive_se"], ref["cluster"]["naive_se"], rtol=1e-6)


def test_score_residuals_and_baseline_match_coxph(data, ref):
    fit = fit_cox(data, "stop", "event", FORMULA, start="start")
    d = fit._design
    beta = fit.coef["estimate"].to_numpy()
    ev = cox_engine.evaluate(d.index, d.x, beta)
    resid = cox_engine.score_residuals(d.index, d.x, beta, ev)
    rows = np.array([1, 2, 3, 4, 100, 2000]) - 1  # R's 1-based rows
    np.testing.assert_allclose(resid[rows], ref["score_resid"], rtol=1e-7, atol=1e-10)
    # score residuals sum to the score (about zero at the estimate)
    np.testing.assert_allclose(resid.sum(axis=0), ev.score, atol=1e-9)
    s = ref["survfit"]
    base = fit.baseline_cumulative_hazard()
    np.testing.assert_allclose(base["time"], s["time"])
    np.testing.assert_array_equal(base["n_risk"], s["n_risk"])
    np.testing.assert_array_equal(base["n_event"], s["n_event"])
    np.testing.assert_allclose(base["cumhaz"], s["cumhaz"], rtol=1e-7)


def test_row_order_does_not_matter(data, ref):
    shuffled = data.sample(frac=1.0, random_state=7)
    fit = fit_cox(shuffled, "stop", "event", FORMULA, start="start", strata="site")
    np.testing.assert_allclose(fit.coef["estimate"], ref["strata"]["coef"], rtol=1e-8)
    np.testing.assert_allclose(fit.coef["se"], ref["strata"]["se"], rtol=1e-6)
