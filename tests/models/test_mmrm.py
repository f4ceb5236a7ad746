"""fit_mmrm against nlme::gls (tests/reference/mmrm/make_reference.R and r_reference.json)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models import mmrm as mmrm_module
from alstrials.models.covstruct import CovarianceStructure, CovStruct, parse_covariance
from alstrials.models.mmrm import MMRMResult, fit_mmrm

STRUCTURES = ["unstructured", "ar1", "ar1h", "cs", "csh"]
RTOL = 1e-4  # ML/REML estimates (shared/reference/README.md)


@pytest.fixture(scope="module")
def mmrm_data(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "mmrm_A.csv")


@pytest.fixture(scope="module")
def nlme(reference_dir) -> dict:
    return json.loads((reference_dir / "mmrm" / "values.json").read_text())


@pytest.fixture(scope="module")
def fits(mmrm_data) -> dict[str, MMRMResult]:
    out = {}
    for structure in STRUCTURES:
        for method in ("reml", "ml"):
            out[f"{structure}_{method}"] = fit_mmrm(
                mmrm_data,
                "chg",
                "visit",
                "id",
                "arm",
                covariates=("base",),
                covariance=structure,
                reml=method == "reml",
            )
    return out


def _r_names(term: str) -> str:
    """Our term names -> nlme's (visitf6, armf1, visitf6:armf1)."""
    return (
        term.replace("Intercept", "(Intercept)")
        .replace("visit[T.", "visitf")
        .replace("arm[T.", "armf")
        .replace("]", "")
    )


# --- the shipped reference (r_reference.json, key mmrm_A) -------------------------------------


def test_unstructured_reml_matches_shipped_reference(fits, r_reference):
    ref = r_reference["mmrm_A"]  # gls(corSymm + varIdent, REML), see its "call"
    fit = fits["unstructured_reml"]
    for term, row in fit.fixed.iterrows():
        name = _r_names(term)
        assert row["estimate"] == pytest.approx(ref["coef"][name], rel=RTOL), term
        assert row["se"] == pytest.approx(ref["se"][name], rel=RTOL), term
    month12 = fit.effects.loc[12]
    assert month12["estimate"] == pytest.approx(ref["diff_month12"], rel=RTOL)
    assert month12["se"] == pytest.approx(ref["se_diff_month12"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    np.testing.assert_allclose(fit.covariance.to_numpy(), np.array(ref["cov"]), rtol=RTOL)
    assert (fit.n_subjects, fit.n_obs) == (ref["n_subjects"], ref["n_rows"])
    assert fit.converged


# --- every structure, REML and ML (tests/reference/mmrm/values.json) ---------------------------


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("method", ["reml", "ml"])
def test_structures_match_nlme(fits, nlme, structure, method):
    key = f"{structure}_{method}"
    ref, fit = nlme[key], fits[key]
    assert fit.converged
    est = np.array([ref["coef"][_r_names(t)] for t in fit.fixed.index])
    se = np.array([ref["se"][_r_names(t)] for t in fit.fixed.index])
    np.testing.assert_allclose(fit.fixed["estimate"], est, rtol=RTOL)
    if method == "ml":
        # nlme scales the ML vcov of beta by N/(N-p) (sigma^2 with the residual df); we report
        # the inverse information A^{-1}. The two differ by exactly that factor.
        se = se * np.sqrt(fit.df_residual / fit.n_obs)
    np.testing.assert_allclose(fit.fixed["se"], se, rtol=RTOL)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-7)
    assert fit.df_loglik == ref["df_loglik"]
    assert fit.aic == pytest.approx(ref["aic"], rel=1e-7)
    assert fit.bic == pytest.approx(ref["bic"], rel=1e-7)
    np.testing.assert_allclose(fit.covariance.to_numpy(), np.array(ref["cov"]), rtol=RTOL)
    assert fit.df_residual == ref["df_residual"]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_effects_t_inference_matches_nlme(fits, nlme, structure):
    """Per-visit arm differences, SEs, t-based CIs and p-values (residual df, as nlme)."""
    ref, fit = nlme[f"{structure}_reml"], fits[f"{structure}_reml"]
    eff = pd.DataFrame(ref["effects"]).set_index("visit")
    assert fit.effects.index.tolist() == eff.index.tolist()
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(fit.effects[col], eff[col], rtol=RTOL, err_msg=col)
    np.testing.assert_allclose(fit.effects["p"], eff["p"], rtol=1e-3)
    p_ref = np.array([ref["p"][_r_names(t)] for t in fit.fixed.index])
    t_ref = np.array([ref["t"][_r_names(t)] for t in fit.fixed.index])
    np.testing.assert_allclose(fit.fixed["t"], t_ref, rtol=RTOL)
    np.testing.assert_allclose(fit.fixed["p"], p_ref, rtol=1e-3, atol=1e-12)
    assert (fit.effects["df"] == ref["df_residual"]).all()
    assert (fit.effects["comparison"] == "1 - 0").all()


def test_z_inference(mmrm_data):
    fit = fit_mmrm(
        mmrm_data,
        "chg",
        "visit",
        "id",
        "arm",
        covariates=("base",),
        covariance="cs",
        inference="z",
        level=0.9,
    )
    row = fit.effects.loc[12]
    assert "df" not in fit.effects.columns
    z = row["estimate"] / row["se"]
    assert row["z"] == pytest.approx(z)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert row["ci_high"] - row["estimate"] == pytest.approx(stats.norm.ppf(0.95) * row["se"])


# --- the likelihood and the structures ---------------------------------------------------------


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("reml", [True, False])
def test_analytic_gradient(mmrm_data, structure, reml):
    frame, _ = mmrm_module._prepare_frame(mmrm_data, "chg", "visit", "id", "arm", ("base",))
    design = mmrm_module._build_design(frame, "chg", "visit", "id", "arm", ("base",), 0)
    cov = CovStruct(parse_covariance(structure), design.n_visits)
    obj = mmrm_module._Objective(mmrm_module._patterns(design), cov, reml, design.y.size)
    rng = np.random.default_rng(7)
    theta = cov.start(mmrm_module._start_covariance(design)) + rng.normal(0, 0.1, cov.n_params)
    # forward differences (check_grad) carry O(h) error: a coarse check, then central ones
    err = optimize.check_grad(
        lambda th: obj.value_grad(th)[0], lambda th: obj.value_grad(th)[1], theta, epsilon=1e-7
    )
    grad = obj.value_grad(theta)[1]
    assert err < 1e-5 * np.linalg.norm(grad)
    h = 1e-5
    central = np.array(
        [
            (obj.value_grad(theta + h * e)[0] - obj.value_grad(theta - h * e)[0]) / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(grad, central, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("kind", list(CovarianceStructure))
@pytest.mark.parametrize("n_visits", [1, 2, 5])
def test_covstruct_matrices(kind, n_visits):
    cov = CovStruct(kind, n_visits)
    rng = np.random.default_rng(11)
    theta = rng.normal(0, 1, cov.n_params)
    sigma = cov.matrix(theta)
    np.testing.assert_allclose(sigma, sigma.T)
    assert np.linalg.eigvalsh(sigma).min() > 0
    # complex-step Jacobian against central differences
    h = 1e-6
    for k in range(cov.n_params):
        e = np.zeros(cov.n_params)
        e[k] = h
        fd = (cov.matrix(theta + e) - cov.matrix(theta - e)) / (2 * h)
        np.testing.assert_allclose(cov.jacobian(theta)[k], fd, atol=1e-6)
    if kind is CovarianceStructure.UNSTRUCTURED:  # moment starts invert the map exactly
        np.testing.assert_allclose(cov.matrix(cov.start(sigma)), sigma, rtol=1e-8)


def test_covstruct_special_cases():
    ar1h, ar1 = CovStruct(CovarianceStructure.AR1H, 4), CovStruct(CovarianceStructure.AR1, 4)
    np.testing.assert_allclose(
        ar1h.matrix(np.array([0.3] * 4 + [0.5])), ar1.matrix(np.array([0.3, 0.5]))
    )
    cs = CovStruct(CovarianceStructure.CS, 4)
    assert cs.natural(np.array([0.0, -50.0]))["rho"] == pytest.approx(-1 / 3)
    assert parse_covariance("UN") is CovarianceStructure.UNSTRUCTURED
    with pytest.raises(ValueError, match="not a known structure"):
        parse_covariance("toeplitz")


# --- data handling -----------------------------------------------------------------------------


def test_missing_rows_dropped_counted_and_warned(mmrm_data):
    data = mmrm_data.copy()
    data.loc[[3, 10], "chg"] = np.nan
    data.loc[20, "base"] = np.nan
    with pytest.warns(DataWarning, match="3 row\\(s\\) with a missing value"):
        fit = fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("base",), covariance="cs")
    clean = fit_mmrm(
        data.dropna(), "chg", "visit", "id", "arm", covariates=("base",), covariance="cs"
    )
    assert fit.n_dropped == 3 and clean.n_dropped == 0
    assert fit.n_obs == len(mmrm_data) - 3
    pd.testing.assert_frame_equal(fit.effects, clean.effects)


def test_row_order_and_labels_do_not_matter(mmrm_data, fits):
    data = mmrm_data.sample(frac=1.0, random_state=np.random.default_rng(3).integers(1 << 31))
    data["arm"] = np.where(data["arm"] == 1, "active", "placebo")  # 'active' sorts first
    data["id"] = "subject-" + data["id"].astype(str)
    fit = fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("base",))
    assert fit.arm_reference == "placebo"
    np.testing.assert_allclose(
        fit.effects["estimate"], fits["unstructured_reml"].effects["estimate"], rtol=1e-6
    )
    assert (fit.effects["comparison"] == "active - placebo").all()


def test_arm_reference_flips_the_sign(mmrm_data, fits):
    fit = fit_mmrm(
        mmrm_data,
        "chg",
        "visit",
        "id",
        "arm",
        covariates=("base",),
        covariance="cs",
        arm_reference=1,
    )
    np.testing.assert_allclose(
        fit.effects["estimate"], -fits["cs_reml"].effects["estimate"], rtol=1e-6
    )
    np.testing.assert_allclose(fit.effects["se"], fits["cs_reml"].effects["se"], rtol=1e-6)
    with pytest.raises(DataValidationError, match="arm_reference=5 is not a level"):
        fit_mmrm(mmrm_data, "chg", "visit", "id", "arm", arm_reference=5)


def test_categorical_covariate_and_three_arms(mmrm_data):
    data = mmrm_data.copy()
    data["site"] = np.where(data["id"] % 3 == 0, "north", "south")
    data["arm"] = np.where(data["id"] % 5 == 0, 2, data["arm"])
    data["south"] = (data["site"] == "south").astype(float)
    a = fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("site",), covariance="ar1")
    b = fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("south",), covariance="ar1")
    assert "site[T.south]" in a.fixed.index
    assert a.fixed.loc["site[T.south]", "estimate"] == pytest.approx(
        b.fixed.loc["south", "estimate"], rel=1e-8
    )
    assert len(a.effects) == 8
    assert set(a.effects["comparison"]) == {"1 - 0", "2 - 0"}


def test_categorical_visit_order_is_kept(mmrm_data):
    data = mmrm_data.copy()
    names = {3: "m3", 6: "m6", 9: "m9", 12: "m12"}  # "m12" sorts before "m3" as text
    data["visit"] = pd.Categorical(data["visit"].map(names), categories=list(names.values()))
    fit = fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("base",), covariance="ar1")
    assert fit.effects.index.tolist() == ["m3", "m6", "m9", "m12"]


@settings(max_examples=5, deadline=None)
@given(shift=st.floats(-50, 50), scale=st.floats(0.2, 5.0))
def test_affine_equivariance(mmrm_data, fits, shift, scale):
    """y -> a + b y scales effects by b and shifts the REML loglik by -(N - p) log b."""
    data = mmrm_data.assign(chg=shift + scale * mmrm_data["chg"])
    fit = fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("base",), covariance="ar1")
    base = fits["ar1_reml"]
    np.testing.assert_allclose(fit.effects["estimate"], scale * base.effects["estimate"], rtol=1e-5)
    np.testing.assert_allclose(fit.effects["p"], base.effects["p"], rtol=1e-4)
    assert fit.loglik == pytest.approx(base.loglik - base.df_residual * np.log(scale), rel=1e-7)


def test_input_errors(mmrm_data):
    with pytest.raises(DataValidationError, match=r"column\(s\) \['score'\] not found"):
        fit_mmrm(mmrm_data, "score", "visit", "id", "arm")
    dup = pd.concat([mmrm_data, mmrm_data.iloc[[0]]])
    with pytest.raises(DataValidationError, match="two rows at visit 3"):
        fit_mmrm(dup, "chg", "visit", "id", "arm")
    two_arms = mmrm_data.copy()
    two_arms.loc[1, "arm"] = 1
    with pytest.raises(DataValidationError, match="subject 1: the subject appears in more"):
        fit_mmrm(two_arms, "chg", "visit", "id", "arm")
    with pytest.raises(DataValidationError, match="single level"):
        fit_mmrm(mmrm_data[mmrm_data["arm"] == 0], "chg", "visit", "id", "arm")
    empty_cell = mmrm_data[~((mmrm_data["arm"] == 1) & (mmrm_data["visit"] == 12))]
    with pytest.raises(DataValidationError, match=r"cell\(s\) \[\(12, 1\)\] have no obs"):
        fit_mmrm(empty_cell, "chg", "visit", "id", "arm")
    text = mmrm_data.astype({"chg": object})
    text.loc[5, "chg"] = "n/a"
    with pytest.raises(DataValidationError, match="row 5: value 'n/a' is not a number"):
        fit_mmrm(text, "chg", "visit", "id", "arm")
    with pytest.raises(ValueError, match="inference='kr'"):
        fit_mmrm(mmrm_data, "chg", "visit", "id", "arm", inference="kr")
    with pytest.raises(ValueError, match="not a known structure"):
        fit_mmrm(mmrm_data, "chg", "visit", "id", "arm", covariance="toep")
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame"):
        fit_mmrm(mmrm_data.to_dict(), "chg", "visit", "id", "arm")


def test_non_convergence_is_reported(mmrm_data):
    with pytest.warns(ConvergenceWarning, match="fit_mmrm did not converge"):
        fit = fit_mmrm(mmrm_data, "chg", "visit", "id", "arm", maxiter=2)
    assert not fit.converged
    assert "NOT CONVERGED" in repr(fit)
    assert "not converged" in fit._repr_html_()


def test_result_object(fits):
    fit = fits["unstructured_reml"]
    assert repr(fit).startswith(
        "MMRMResult(chg, unstructured covariance, REML; 377 subjects, 1329 observations"
    )
    table = fit.summary()
    assert table.index.names == ["section", "term"]
    assert len(table) == len(fit.fixed) + len(fit.effects)
    assert "<table" in fit._repr_html_()
    assert "| fixed" not in fit.to_markdown()[:10]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        fit.loglik = 0.0
    assert np.linalg.eigvalsh(fit.covariance.to_numpy()).min() > 0
    assert fit.n_patterns == 4  # complete, and dropout after visit 1, 2 or 3


def test_intermittent_missingness_matches_nlme(mmrm_data, nlme):
    """Non-monotone patterns (a missed middle visit) are handled like nlme::gls."""
    ref = nlme["unstructured_reml_intermittent"]
    keep = ~((mmrm_data["id"] % 7 == 0) & (mmrm_data["visit"] == 6))
    fit = fit_mmrm(mmrm_data[keep], "chg", "visit", "id", "arm", covariates=("base",))
    assert fit.n_obs == ref["n_obs"] and fit.n_patterns > 4
    est = np.array([ref["coef"][_r_names(t)] for t in fit.fixed.index])
    se = np.array([ref["se"][_r_names(t)] for t in fit.fixed.index])
    np.testing.assert_allclose(fit.fixed["estimate"], est, rtol=RTOL)
    np.testing.assert_allclose(fit.fixed["se"], se, rtol=RTOL)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    np.testing.assert_allclose(fit.covariance.to_numpy(), np.array(ref["cov"]), rtol=RTOL)


def test_satterthwaite_df_match_lmertest(mmrm_data, reference_dir):
    """CS MMRM = random-intercept LMM: Satterthwaite df as lmerTest (make_satterthwaite.R)."""
    ref = json.loads((reference_dir / "mmrm" / "satterthwaite.json").read_text())
    fit = fit_mmrm(
        mmrm_data,
        "chg",
        "visit",
        "id",
        "arm",
        covariates=("base",),
        covariance="cs",
        inference="satterthwaite",
    )
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    for term, row in fit.fixed.iterrows():
        name = _r_names(term)
        assert row["estimate"] == pytest.approx(ref["coef"][name], rel=RTOL), term
        assert row["se"] == pytest.approx(ref["se"][name], rel=RTOL), term
        # both sides differentiate numerically (lmerTest: numDeriv on its own parameters);
        # observed agreement is 1e-7
        assert row["df"] == pytest.approx(ref["df"][name], rel=1e-5), term
        assert row["p"] == pytest.approx(ref["p"][name], rel=1e-3, abs=1e-12), term
    eff = pd.DataFrame(ref["effects"]).set_index("visit")
    np.testing.assert_allclose(fit.effects["df"], eff["df"], rtol=1e-5)
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(fit.effects[col], eff[col], rtol=RTOL, err_msg=col)
    np.testing.assert_allclose(fit.effects["p"], eff["p"], rtol=1e-3)


def test_satterthwaite_unstructured_is_between(mmrm_data, fits):
    """Satterthwaite df are positive and below the residual df; p-values above them."""
    fit = fit_mmrm(
        mmrm_data, "chg", "visit", "id", "arm", covariates=("base",), inference="satterthwaite"
    )
    base = fits["unstructured_reml"]
    assert (fit.effects["df"] > 1).all() and (fit.effects["df"] < base.df_residual).all()
    assert (fit.effects["p"] >= base.effects["p"]).all()
    pd.testing.assert_series_equal(fit.effects["se"], base.effects["se"])


def test_single_covariate_may_be_a_string(mmrm_data, fits):
    fit = fit_mmrm(mmrm_data, "chg", "visit", "id", "arm", covariates="base", covariance="ar1")
    pd.testing.assert_frame_equal(fit.fixed, fits["ar1_reml"].fixed)
