"""fit_lmm against lme4 1.1-31 / lmerTest 3.1-3 (tests/reference/lmm/make_reference.R).

Coefficients are stored in R's order, which is formulaic's order for the same formula; the test
checks the term names correspond before comparing values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.models.lmm import fit_lmm

LMM_DIR = Path(__file__).parents[1] / "reference" / "lmm"
VALUES = json.loads((LMM_DIR / "values.json").read_text())
RTOL = 1e-4  # ML/REML estimates, shared/reference/README.md

# key -> (data file, fixed formula, random formula, REML)
CASES = {
    "sleepstudy_reml": ("../sleepstudy.csv", "Reaction ~ Days", "Subject", "~Days", True),
    "sleepstudy_ml": ("../sleepstudy.csv", "Reaction ~ Days", "Subject", "~Days", False),
    "als_factor_reml": (
        "als_small.csv",
        "alsfrs ~ months * arm + onset_site",
        "subject_id",
        "~months",
        True,
    ),
    "als_factor_ml": (
        "als_small.csv",
        "alsfrs ~ months * arm + onset_site",
        "subject_id",
        "~months",
        False,
    ),
    "als_intercept_reml": ("als_small.csv", "alsfrs ~ months * arm", "subject_id", "~1", True),
    "als_quadratic_reml": (
        "als_quadratic.csv",
        "alsfrs ~ months * arm + I(months**2)",
        "subject_id",
        "~months + I(months**2)",
        True,
    ),
    "als_quadratic_ml": (
        "als_quadratic.csv",
        "alsfrs ~ months * arm + I(months**2)",
        "subject_id",
        "~months + I(months**2)",
        False,
    ),
    "als_boundary_reml": (
        "als_boundary.csv",
        "alsfrs ~ months * arm",
        "subject_id",
        "~months",
        True,
    ),
}


def _r_name(term: str) -> str:
    """formulaic term name -> R's name, for the formulas used here."""
    term = term.replace("Intercept", "(Intercept)").replace("**", "^").replace(" ", "")
    return re.sub(r"(\w+)\[T\.(\w+)\]", r"\1\2", term)


@pytest.fixture(scope="module")
def fits() -> dict:
    out = {}
    for key, (path, formula, group, random, reml) in CASES.items():
        data = pd.read_csv(LMM_DIR / path, dtype={group: str})
        out[key] = fit_lmm(data, formula, group, random, reml, df_method="satterthwaite")
    return out


@pytest.mark.parametrize("key", list(CASES))
def test_fixed_effects_and_se(fits, key):
    res, ref = fits[key], VALUES[key]
    assert [_r_name(t) for t in res.fixed.index] == [t.replace(" ", "") for t in ref["terms"]]
    np.testing.assert_allclose(res.fixed["estimate"], ref["estimate"], rtol=RTOL, atol=1e-8)
    np.testing.assert_allclose(res.fixed["se"], ref["se"], rtol=RTOL)


@pytest.mark.parametrize("key", list(CASES))
def test_variance_components_and_likelihood(fits, key):
    res, ref = fits[key], VALUES[key]
    G_ref = np.array(ref["random_cov"], dtype=float).reshape(res.random_cov.shape)
    # relative to the largest variance: a covariance near 0 has no meaningful relative error
    scale = np.max(np.abs(np.diag(G_ref)))
    np.testing.assert_allclose(res.random_cov.to_numpy(), G_ref, rtol=RTOL, atol=RTOL * scale)
    assert res.residual_var == pytest.approx(ref["resid_var"], rel=RTOL)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    assert res.aic == pytest.approx(ref["aic"], rel=1e-8)
    assert res.bic == pytest.approx(ref["bic"], rel=1e-8)
    np.testing.assert_allclose(res.theta, np.ravel(ref["theta"]), rtol=1e-3, atol=1e-5)
    assert res.n_obs == ref["n_obs"] and res.n_subjects == ref["n_groups"]
    assert res.converged
    assert res.boundary == ref["singular"]


@pytest.mark.parametrize("key", list(CASES))
def test_satterthwaite_df(fits, key):
    # both sides differentiate numerically (lmerTest: numDeriv), hence 1e-3
    np.testing.assert_allclose(fits[key].fixed["df"], VALUES[key]["df"], rtol=1e-3)


@pytest.mark.parametrize("key", list(CASES))
def test_blups_and_fitted(fits, key):
    res, ref = fits[key], VALUES[key]
    blups = res.blups.loc[ref["blups_subjects"]].to_numpy()
    ref_b = np.array(ref["blups"], dtype=float).reshape(blups.shape)
    np.testing.assert_allclose(blups, ref_b, rtol=1e-3, atol=1e-4 * np.abs(ref_b).max())
    np.testing.assert_allclose(res.fitted.to_numpy()[:10], ref["fitted_first10"], rtol=1e-6)


@pytest.mark.parametrize(
    "key", ["sleepstudy_reml", "sleepstudy_ml", "als_factor_reml", "als_factor_ml"]
)
def test_contrasts_match_lmertest(fits, key):
    res = fits[key]
    for name, ref in VALUES[key]["contrasts"].items():
        out = res.contrast(np.array(ref["L"], dtype=float))
        row = out.iloc[0]
        assert row["estimate"] == pytest.approx(ref["estimate"], rel=RTOL), name
        assert row["se"] == pytest.approx(ref["se"], rel=RTOL), name
        assert row["t"] == pytest.approx(ref["t"], rel=RTOL), name
        assert row["df"] == pytest.approx(ref["df"], rel=1e-3), name
        assert row["p"] == pytest.approx(ref["p"], rel=1e-3), name


@pytest.mark.parametrize("kind", ["reml", "ml"])
def test_shared_sleepstudy_reference(r_reference, reference_dir, kind):
    """The project-wide lme4 reference (tests/reference/r_reference.json, lme4_sleepstudy)."""
    ref = r_reference["lme4_sleepstudy"][kind]
    data = pd.read_csv(reference_dir / "sleepstudy.csv")
    res = fit_lmm(data, "Reaction ~ Days", "Subject", "~Days", reml=(kind == "reml"))
    np.testing.assert_allclose(
        res.fixed["estimate"], [ref["fixed"]["(Intercept)"], ref["fixed"]["Days"]], rtol=RTOL
    )
    np.testing.assert_allclose(
        res.fixed["se"], [ref["se"]["(Intercept)"], ref["se"]["Days"]], rtol=RTOL
    )
    G = res.random_cov.to_numpy()
    assert G[0, 0] == pytest.approx(ref["var_int"], rel=RTOL)
    assert G[1, 1] == pytest.approx(ref["var_slope"], rel=RTOL)
    assert G[0, 1] == pytest.approx(ref["cov_int_slope"], rel=RTOL)
    assert res.residual_var == pytest.approx(ref["resid_var"], rel=RTOL)
    assert res.loglik == pytest.approx(ref["loglik"], rel=RTOL)
