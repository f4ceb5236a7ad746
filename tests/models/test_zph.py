"""Proportional hazards tests against R cox.zph (survival 3.5-3; make_reference.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.models.survival import cox_zph, fit_cox

REF = Path(__file__).parents[1] / "reference"
FORMULA = "age + sex + `ph.ecog`"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "survival" / "values.json").read_text())


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REF / "lung.csv")


def _check(z, r):
    assert [n.replace("`", "") for n in z.table.index] == r["names"]
    np.testing.assert_allclose(z.table["chisq"], r["chisq"], rtol=1e-6)
    np.testing.assert_array_equal(z.table["df"], r["df"])
    np.testing.assert_allclose(z.table["p"], r["p"], rtol=1e-5)
    # residuals: R orders events by time; compare time-sorted values column by column
    np.testing.assert_allclose(
        np.sort(z.residuals["transformed_time"]), np.sort(r["x"]), rtol=1e-10, atol=1e-12
    )
    y = np.asarray(r["y"], dtype=float)
    got = z.residuals.iloc[:, 2:].to_numpy()
    np.testing.assert_allclose(np.sort(got, axis=0), np.sort(y, axis=0), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("key", "ties", "transform"),
    [
        ("zph_efron_km", "efron", "km"),
        ("zph_efron_identity", "efron", "identity"),
        ("zph_breslow_rank", "breslow", "rank"),
    ],
)
def test_lung(lung, ref, key, ties, transform):
    fit = fit_cox(lung, "time", "status", FORMULA, ties=ties)
    z = cox_zph(fit, transform=transform)
    _check(z, ref[key])
    assert z.table.index[-1] == "GLOBAL"


def test_strata(lung, ref):
    fit = fit_cox(lung, "time", "status", "age + `ph.ecog`", strata="sex")
    _check(cox_zph(fit), ref["zph_strata_km"])


def test_counting_process(ref):
    heart = pd.read_csv(REF / "survival" / "heart.csv")
    fit = fit_cox(heart, "stop", "event", "age + year + surgery + transplant", start="start")
    z = cox_zph(fit)
    _check(z, ref["heart_zph_km"])
    assert "5 covariate" not in repr(z) and "4 covariate(s), 75 events" in repr(z)


def test_scaled_residuals_average_to_beta(lung):
    fit = fit_cox(lung, "time", "status", FORMULA)
    z = cox_zph(fit)
    # the Schoenfeld residuals sum to the score (0 at the MLE): their scaled mean is beta
    np.testing.assert_allclose(z.residuals.iloc[:, 2:].mean(), fit.coef["estimate"], atol=1e-7)


def test_bad_transform(lung):
    fit = fit_cox(lung, "time", "status", "age")
    with pytest.raises(ValueError, match="transform must be one of"):
        cox_zph(fit, transform="spline")
