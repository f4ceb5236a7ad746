"""Log-rank / Fleming-Harrington tests against R survdiff (survival 3.5-3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.errors import DataValidationError
from alstrials.models.survival import logrank

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "survival" / "values.json").read_text())


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REF / "lung.csv")


def test_shipped_reference(lung, r_reference):
    # survdiff(Surv(time, status) ~ sex)
    r = r_reference["survival_lung"]["survdiff_by_sex"]
    res = logrank(lung, "time", "status", by="sex")
    assert res.statistic == pytest.approx(r["chisq"], rel=1e-6)
    assert res.p == pytest.approx(r["p"], rel=1e-6)
    assert res.df == 1


@pytest.mark.parametrize(
    ("key", "kwargs", "by"),
    [
        ("survdiff_sex", {}, "sex"),
        ("survdiff_sex_rho1", {"rho": 1}, "sex"),
        ("survdiff_ecog", {}, "ph.ecog"),
    ],
)
def test_against_survdiff(lung, ref, key, kwargs, by):
    r = ref[key]
    data = lung[lung["ph.ecog"] < 3] if by == "ph.ecog" else lung
    res = logrank(data, "time", "status", by=by, **kwargs)
    assert res.statistic == pytest.approx(r["chisq"], rel=1e-6)
    assert res.df == r["df"]
    assert res.p == pytest.approx(r["p"], rel=1e-6)
    np.testing.assert_allclose(res.observed, r["obs"], rtol=1e-6)
    np.testing.assert_allclose(res.expected, r["exp"], rtol=1e-6)
    k = len(r["obs"])
    np.testing.assert_allclose(
        res.variance.to_numpy(), np.reshape(r["var"], (k, k)), rtol=1e-6, atol=1e-10
    )


def test_stratified(lung, ref):
    # survdiff(Surv(time, status) ~ sex + strata(ph.ecog))
    r = ref["survdiff_sex_strata_ecog"]
    res = logrank(lung, "time", "status", by="sex", strata="ph.ecog")
    assert res.statistic == pytest.approx(r["chisq"], rel=1e-6)
    np.testing.assert_allclose(res.observed, r["obs"], rtol=1e-6)
    np.testing.assert_allclose(res.expected, r["exp"], rtol=1e-6)
    assert "stratified by ph.ecog" in repr(res)
    assert res.summary()["chisq"].iloc[0] == pytest.approx(r["chisq"], rel=1e-6)


def test_gamma_weights_change_statistic(lung):
    plain = logrank(lung, "time", "status", by="sex")
    late = logrank(lung, "time", "status", by="sex", rho=0, gamma=1)
    assert late.statistic != pytest.approx(plain.statistic, rel=1e-3)
    # O - E sums to zero across groups whatever the weights
    assert late.table["o_minus_e"].sum() == pytest.approx(0.0, abs=1e-10)


def test_single_group_is_an_error():
    d = pd.DataFrame({"t": [1, 2], "e": [1, 1], "g": ["a", "a"]})
    with pytest.raises(DataValidationError, match="single group"):
        logrank(d, "t", "e", by="g")
