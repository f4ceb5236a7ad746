"""fit_bivariate_lmm / biomarker_tracking against nlme::lme.

References: tests/reference/bivariate/make_data.py simulates the data (CSV files beside it) and
make_reference.R fits them with nlme::lme (values.json).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from alstrials.data.schema import ALSFRS_ITEMS, TrialData
from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models import bivariate as bv
from alstrials.models.bivariate import BivariateResult, biomarker_tracking, fit_bivariate_lmm

RTOL = 1e-4
OUTCOMES = ("cord_csa_mm2", "alsfrs_total")


@pytest.fixture(scope="module")
def refdir(reference_dir):
    return reference_dir / "bivariate"


@pytest.fixture(scope="module")
def nlme(refdir) -> dict:
    return json.loads((refdir / "values.json").read_text())


@pytest.fixture(scope="module")
def tables(refdir) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(refdir / f"{name}.csv") for name in ("subjects", "alsfrs", "mri")}


@pytest.fixture(scope="module")
def long(tables) -> pd.DataFrame:
    """Scans and clinic visits as rows of one long frame (NaN in the other outcome)."""
    rows = pd.concat([tables["mri"], tables["alsfrs"]], ignore_index=True)
    rows = rows.merge(tables["subjects"], on="subject_id")
    return rows.assign(arm_active=(rows["arm"] == "active").astype(float))


@pytest.fixture(scope="module")
def fits(long) -> dict[str, BivariateResult]:
    return {
        "basic_reml": fit_bivariate_lmm(long, OUTCOMES),
        "basic_ml": fit_bivariate_lmm(long, OUTCOMES, reml=False),
        "arm_reml": fit_bivariate_lmm(long, OUTCOMES, arm="arm"),
    }


def _check_against_nlme(fit: BivariateResult, ref: dict) -> None:
    assert fit.converged
    assert fit.n_obs == ref["n_obs"] and fit.n_subjects == ref["n_subjects"]
    assert fit.n_obs_by_outcome == ref["n_obs_by_outcome"]
    np.testing.assert_allclose(fit.fixed["estimate"], ref["fixed"], rtol=RTOL)
    np.testing.assert_allclose(fit.fixed["se"], ref["se"], rtol=RTOL)
    d_ref = np.array(ref["random_cov"])
    d = fit.random_cov.to_numpy()
    sd_ref = np.sqrt(np.diag(d_ref))
    np.testing.assert_allclose(np.sqrt(np.diag(d)), sd_ref, rtol=RTOL)
    # off-diagonal entries relative to their scale sd_i * sd_j (some are near zero)
    np.testing.assert_allclose((d - d_ref) / np.outer(sd_ref, sd_ref), 0.0, atol=RTOL)
    np.testing.assert_allclose(np.sqrt(fit.residual_var.to_numpy()), ref["residual_sd"], rtol=RTOL)
    assert fit.slope_correlation == pytest.approx(ref["slope_cor"], abs=RTOL)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    assert fit.df_loglik == ref["df_loglik"]
    assert fit.aic == pytest.approx(ref["aic"], rel=1e-8)
    assert fit.bic == pytest.approx(ref["bic"], rel=1e-8)
    # nlme::intervals uses the same Fisher-z Wald construction but a coarser numerical Hessian
    # (fdHess): agreement to about 1e-3 is all that can be asked.
    np.testing.assert_allclose(fit.slope_correlation_ci, ref["slope_cor_ci"], atol=2e-3)


@pytest.mark.parametrize("key", ["basic_reml", "basic_ml", "arm_reml"])
def test_matches_nlme(fits, nlme, key):
    fit, ref = fits[key], nlme[key]
    names = [
        n.replace("outcome", "").replace(":active", ":arm[T.active]") for n in ref["fixed_names"]
    ]
    assert fit.fixed.index.tolist() == names
    _check_against_nlme(fit, ref)


def test_loglik_at_nlme_estimates(long, nlme):
    """The profiled REML criterion at nlme's parameters equals nlme's logLik (constants too)."""
    ref = nlme["basic_reml"]
    frame, _ = bv._stack(long, OUTCOMES, "months", "subject_id", [])
    k, t, y = frame["_k"].to_numpy(), frame["months"].to_numpy(), frame["_y"].to_numpy()
    subj, _ = pd.factorize(frame["subject_id"])
    ind = np.column_stack([k == 0, k == 1]).astype(float)
    z = np.column_stack([ind, ind * t[:, None]])
    stats = bv._cross_products(k, subj, z, z, y, int(subj.max()) + 1)
    low = np.linalg.cholesky(np.array(ref["random_cov"]))
    rows, cols = np.tril_indices(4)
    theta = low[rows, cols].copy()
    theta[rows == cols] = np.log(np.diag(low))
    theta = np.r_[theta, np.log(ref["residual_sd"])]
    out = bv._profile(theta, stats, reml=True)
    assert out.loglik == pytest.approx(ref["loglik"], rel=1e-10)
    np.testing.assert_allclose(out.beta, ref["fixed"], rtol=1e-8)


def _trial(tables: dict[str, pd.DataFrame]) -> TrialData:
    subjects = tables["subjects"].assign(
        age=60.0,
        sex="F",
        onset_site="spinal",
        onset_to_baseline_months=12.0,
        delta_fs=0.5,
        enrollment_month=0.0,
    )
    alsfrs = tables["alsfrs"].assign(gastrostomy=False, **{item: pd.NA for item in ALSFRS_ITEMS})
    mri = tables["mri"].assign(
        cst_fa=0.45,
        precentral_thickness_mm=2.4,
        cst_flair_hyperintensity=False,
        motor_cortex_swi_hypointensity=False,
        composite_sign=False,
    )
    return TrialData.from_frames(subjects, alsfrs, mri)


def test_biomarker_tracking_on_trialdata(tables, nlme):
    trial = _trial(tables)
    fit = biomarker_tracking(trial, biomarker="cord_csa_mm2")
    _check_against_nlme(fit, nlme["basic_reml"])
    by_arm = biomarker_tracking(trial, by_arm=True)
    _check_against_nlme(by_arm, nlme["arm_reml"])
    with pytest.raises(DataValidationError, match="table 'mri' has no column 'cord_area'"):
        biomarker_tracking(trial, biomarker="cord_area")


def test_rows_with_both_outcomes_equal_split_rows():
    """A row holding both outcomes is the same information as two single-outcome rows."""
    rng = np.random.default_rng(2026)
    n, times = 40, np.array([0.0, 3.0, 6.0, 9.0, 12.0])
    b = rng.multivariate_normal(
        np.zeros(4), np.diag([9.0, 16.0, 0.04, 0.25]) + 0.05 * np.ones((4, 4)), size=n
    )
    rows = [
        (
            i,
            m,
            70 + b[i, 0] + (-0.3 + b[i, 2]) * m + rng.normal(0, 1),
            38 + b[i, 1] + (-1 + b[i, 3]) * m + rng.normal(0, 1.5),
        )
        for i in range(n)
        for m in times
    ]
    wide = pd.DataFrame(rows, columns=["subject_id", "months", *OUTCOMES])
    split = pd.concat([wide.assign(alsfrs_total=np.nan), wide.assign(cord_csa_mm2=np.nan)])
    a, b_ = fit_bivariate_lmm(wide), fit_bivariate_lmm(split.sample(frac=1.0, random_state=1))
    assert a.converged and b_.converged
    pd.testing.assert_frame_equal(a.fixed, b_.fixed, rtol=1e-6)
    assert a.slope_correlation == pytest.approx(b_.slope_correlation, rel=1e-6)
    assert a.loglik == pytest.approx(b_.loglik, rel=1e-10)


def test_dropped_rows_are_counted(long, fits):
    data = long.copy()
    data.loc[0, "months"] = np.nan
    data.loc[1, ["cord_csa_mm2", "alsfrs_total"]] = np.nan
    with pytest.warns(DataWarning, match="2 row\\(s\\) were dropped"):
        fit = fit_bivariate_lmm(data, OUTCOMES)
    assert fit.n_dropped == 2
    assert fit.n_obs == fits["basic_reml"].n_obs - 2


def test_input_errors(long):
    with pytest.raises(ValueError, match="exactly two different outcome columns"):
        fit_bivariate_lmm(long, ("alsfrs_total", "alsfrs_total"))
    with pytest.raises(DataValidationError, match=r"column\(s\) \['fa'\] not found"):
        fit_bivariate_lmm(long, ("fa", "alsfrs_total"))
    few = long[long["cord_csa_mm2"].isna() | (long.index < 2)]
    with pytest.raises(DataValidationError, match="'cord_csa_mm2' has fewer than 3"):
        fit_bivariate_lmm(few, OUTCOMES)
    with pytest.raises(DataValidationError, match="arm_reference='control' is not a level"):
        fit_bivariate_lmm(long, OUTCOMES, arm="arm", arm_reference="control")
    with pytest.raises(ValueError, match="level=1.5 must be strictly between"):
        fit_bivariate_lmm(long, OUTCOMES, level=1.5)


def test_non_convergence_is_reported(long):
    with pytest.warns(ConvergenceWarning, match="fit_bivariate_lmm did not converge"):
        fit = fit_bivariate_lmm(long, OUTCOMES, maxiter=2)
    assert not fit.converged
    assert "NOT CONVERGED" in repr(fit)


def test_result_object(fits):
    fit = fits["basic_reml"]
    assert repr(fit).startswith(
        "BivariateResult(cord_csa_mm2 & alsfrs_total over months, REML; 160 subjects, "
        "1044 observations (377 cord_csa_mm2, 667 alsfrs_total)"
    )
    table = fit.summary()
    assert table.loc[("tracking", "slope_correlation"), "estimate"] == fit.slope_correlation
    lo, hi = fit.slope_correlation_ci
    assert -1 < lo < fit.slope_correlation < hi < 1
    assert np.linalg.eigvalsh(fit.random_cov.to_numpy()).min() > 0
    np.testing.assert_allclose(np.diag(fit.random_corr), 1.0)
    assert "<table" in fit._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        fit.slope_correlation = 0.0


def test_outcome_order_is_a_relabelling(long):
    """Swapping the two outcomes permutes D and the fixed effects; the likelihood is unchanged."""
    swapped = fit_bivariate_lmm(long, OUTCOMES[::-1], covariates="arm_active")
    base = fit_bivariate_lmm(long, OUTCOMES, covariates=["arm_active"])
    perm = [1, 0, 3, 2]
    assert swapped.loglik == pytest.approx(base.loglik, rel=1e-9)
    np.testing.assert_allclose(
        swapped.random_cov.to_numpy(),
        base.random_cov.to_numpy()[np.ix_(perm, perm)],
        rtol=1e-4,
        atol=1e-6,
    )
    assert swapped.slope_correlation == pytest.approx(base.slope_correlation, abs=1e-5)
    assert swapped.fixed.loc["alsfrs_total:arm_active", "estimate"] == pytest.approx(
        base.fixed.loc["alsfrs_total:arm_active", "estimate"], rel=1e-5
    )


def _simulate(n: int, rho: float, rng: np.random.Generator) -> pd.DataFrame:
    """Cord CSA at 3 scans and ALSFRS-R at 5 visits; slope correlation ``rho``."""
    sd = np.array([6.0, 4.0, 0.25, 0.6])
    corr = np.eye(4) + 0.2 * (1 - np.eye(4))
    corr[2, 3] = corr[3, 2] = rho
    b = rng.multivariate_normal(np.zeros(4), corr * np.outer(sd, sd), size=n)
    visits, scans = np.array([0.0, 3.0, 6.0, 9.0, 12.0]), np.array([0.5, 6.5, 12.5])
    fun = pd.DataFrame(
        {
            "subject_id": np.repeat(np.arange(n), 5),
            "months": np.tile(visits, n),
            "alsfrs_total": (38 + b[:, [1]] + (-0.9 + b[:, [3]]) * visits).ravel()
            + rng.normal(0, 1.8, 5 * n),
        }
    )
    mri = pd.DataFrame(
        {
            "subject_id": np.repeat(np.arange(n), 3),
            "months": np.tile(scans, n),
            "cord_csa_mm2": (75 + b[:, [0]] + (-0.35 + b[:, [2]]) * scans).ravel()
            + rng.normal(0, 1.2, 3 * n),
        }
    )
    return pd.concat([fun, mri], ignore_index=True)


@pytest.mark.slow
def test_slope_correlation_interval_coverage():
    """The Fisher-z Wald interval covers the true slope correlation about 95% of the time.

    200 seeded replicates of 80 subjects: the Monte Carlo SD of the coverage is 1.5%, so
    [0.90, 0.99] is a +/- 3 SD band around 0.95; the point estimate is nearly unbiased.
    """
    rho = 0.6
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(99).spawn(200)]
    hits, estimates = [], []
    for rng in rngs:
        fit = fit_bivariate_lmm(_simulate(80, rho, rng), OUTCOMES)
        lo, hi = fit.slope_correlation_ci
        hits.append(lo <= rho <= hi)
        estimates.append(fit.slope_correlation)
    assert 0.90 <= np.mean(hits) <= 0.99
    assert abs(np.mean(estimates) - rho) < 0.05
