"""Kenward-Roger inference for fit_lmm and fit_mmrm against pbkrtest (tests/reference/kr/).

References (``tests/reference/kr/make_reference.R``): ``pbkrtest::vcovAdj``/``get_Lb_ddf``/
``KRmodcomp`` on ``lmer`` fits (sleepstudy; a simulated ALS trial), and pbkrtest's KR algorithm
(``vcovAdj_internal``, ``Lb_ddf``) applied to the unstructured covariance of the
``nlme::gls`` fit with components linear in the elements (SAS's TYPE=UN parameterisation).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import linalg

from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models import mmrm as mmrm_module
from alstrials.models.covstruct import CovarianceStructure, CovStruct
from alstrials.models.kenward_roger import KRParts
from alstrials.models.lmm import fit_lmm
from alstrials.models.mmrm import fit_mmrm
from alstrials.models.mmrm.inference import _satterthwaite
from alstrials.models.mmrm.kenward_roger import _kr_mmrm

COVS = ("base", "onset")


@pytest.fixture(scope="module")
def ref(reference_dir) -> dict:
    return json.loads((reference_dir / "kr" / "values.json").read_text())


@pytest.fixture(scope="module")
def trial(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "kr" / "als_trial.csv")


@pytest.fixture(scope="module")
def sleep(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "sleepstudy.csv")


LMM_CASES = {
    "sleepstudy_slope": ("sleep", "Reaction ~ Days", "Subject", "~Days"),
    "sleepstudy_intercept": ("sleep", "Reaction ~ Days", "Subject", "~1"),
    "als_slope": ("trial", "chg ~ base + onset + months * arm", "id", "~months"),
    "als_cs": ("trial", "chg ~ base + onset + visitc * arm", "id", "~1"),
}


def _rel(a: object, b: object) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


@pytest.mark.parametrize("case", sorted(LMM_CASES))
def test_lmm_matches_pbkrtest(case, ref, request):
    data_name, formula, group, random = LMM_CASES[case]
    res = fit_lmm(
        request.getfixturevalue(data_name), formula, group, random, df_method="kenward-roger"
    )
    r = ref[case]
    assert list(res.fixed.columns) == ["estimate", "se", "df", "t", "p", "ci_low", "ci_high"]
    assert _rel(res.fixed["estimate"], r["estimate"]) < 1e-6
    assert _rel(res.fixed["se"], r["se_adj"]) < 1e-6  # adjusted SE (vcovAdj)
    assert _rel(res.fixed["df"], r["df"]) < 1e-6  # get_Lb_ddf
    vadj = np.asarray(r["vcov_adj"])
    assert np.max(np.abs(res.vcov_adjusted.to_numpy() - vadj)) < 1e-6 * np.max(np.abs(vadj))
    # the contrast API gives the same numbers as the table
    one = res.contrast({res.fixed.index[1]: 1.0})
    assert one["se"].iloc[0] == pytest.approx(res.fixed["se"].iloc[1], rel=1e-12)


@pytest.mark.parametrize(("case", "key"), [("sleepstudy_slope", "F_both"), ("als_slope", "F_arm")])
def test_lmm_f_test_matches_krmodcomp(case, key, ref, request):
    data_name, formula, group, random = LMM_CASES[case]
    res = fit_lmm(
        request.getfixturevalue(data_name), formula, group, random, df_method="kenward-roger"
    )
    r = ref[case][key]
    out = res.kenward_roger.ftest(np.asarray(r["L"], dtype=float), res.beta)
    assert out["ndf"] == r["ndf"]
    for name, rkey in (("F", "F"), ("ddf", "ddf"), ("scale", "scale")):
        assert out[name] == pytest.approx(r[rkey], rel=1e-6), name
    assert out["p"] == pytest.approx(r["p"], rel=1e-5, abs=1e-300)


def test_mmrm_cs_expected_information_matches_pbkrtest(trial, ref):
    """The CS MMRM is the random-intercept LMM: KR with expected information = pbkrtest."""
    fit = fit_mmrm(
        trial,
        "chg",
        "visitc",
        "id",
        "arm",
        covariates=COVS,
        covariance="cs",
        df_method="kenward-roger",
        kr_information="expected",
    )
    r = ref["als_cs"]
    assert _rel(fit.fixed["estimate"], r["estimate"]) < 1e-6
    assert _rel(fit.fixed["se"], r["se_adj"]) < 1e-6
    assert _rel(fit.fixed["df"], r["df"]) < 1e-6
    assert fit.df_method == "kenward-roger" and fit.vcov_adjusted is not None


def _un_objective(trial: pd.DataFrame) -> tuple:
    frame, _ = mmrm_module._prepare_frame(trial, "chg", "visitc", "id", "arm", COVS)
    design = mmrm_module._build_design(frame, "chg", "visitc", "id", "arm", COVS, "control")
    cov = CovStruct(CovarianceStructure.UNSTRUCTURED, design.n_visits)
    obj = mmrm_module._Objective(mmrm_module._patterns(design), cov, True, design.y.size)
    return obj, cov


def test_mmrm_unstructured_algebra_matches_pbkrtest(trial, ref):
    """At the gls covariance, our log-Cholesky KR equals pbkrtest's algorithm run with the
    components linear in the elements Sigma[a, b] (expected information)."""
    obj, cov = _un_objective(trial)
    r = ref["als_un"]["kr"]
    theta = cov.start(np.asarray(r["sigma"]))
    parts = obj.pieces(theta)
    phi = linalg.cho_solve(parts.a_factor, np.eye(obj.p))
    kr, why = _kr_mmrm(obj, theta, phi, "expected", None)
    assert isinstance(kr, KRParts), why
    assert _rel(np.sqrt(np.diag(kr.vcov_adj)), r["se_adj"]) < 1e-8
    assert _rel(kr.df(np.eye(phi.shape[0])), r["df"]) < 1e-8
    for key in ("lsmeans", "diffs"):  # emmeans' linear functions of the LS means
        L = np.asarray(r[key]["L"], dtype=float)
        assert _rel(np.sqrt(np.einsum("ij,jk,ik->i", L, kr.vcov_adj, L)), r[key]["se"]) < 1e-8
        assert _rel(kr.df(L), r[key]["df"]) < 1e-8


def test_mmrm_unstructured_fit_close_to_pbkrtest(trial, ref):
    """Fitted end to end (our REML optimum vs gls's): agreement to the fits' 1e-5."""
    fit = fit_mmrm(
        trial,
        "chg",
        "visitc",
        "id",
        "arm",
        covariates=COVS,
        df_method="kenward-roger",
        kr_information="expected",
    )
    r = ref["als_un"]["kr"]
    assert _rel(fit.fixed["se"], r["se_adj"]) < 1e-4
    assert _rel(fit.fixed["df"], r["df"]) < 1e-4


def test_observed_kr_df_equals_satterthwaite(trial):
    """For one contrast the KR df with observed information is Satterthwaite's df."""
    kr = fit_mmrm(trial, "chg", "visitc", "id", "arm", covariates=COVS, df_method="kenward-roger")
    sat = fit_mmrm(trial, "chg", "visitc", "id", "arm", covariates=COVS, df_method="satterthwaite")
    assert _rel(kr.fixed["df"], sat.fixed["df"]) < 1e-8
    assert _rel(kr.effects["df"], sat.effects["df"]) < 1e-8
    assert kr.fixed["estimate"].equals(sat.fixed["estimate"])
    # the adjustment inflates every variance (linear structure: U is positive semi-definite)
    assert np.all(kr.fixed["se"].to_numpy() >= sat.fixed["se"].to_numpy())
    assert np.all(np.linalg.eigvalsh(kr.vcov_adjusted - kr.vcov) > -1e-12)


def test_kr_parameterisation_invariant(trial):
    """KR from d Sigma / d theta (log-Cholesky) equals KR in the element basis (pbkrtest's
    linear components), built here directly from per-subject matrices."""
    obj, cov = _un_objective(trial)
    fit = fit_mmrm(
        trial,
        "chg",
        "visitc",
        "id",
        "arm",
        covariates=COVS,
        df_method="kenward-roger",
        kr_information="expected",
    )
    sigma = fit.covariance.to_numpy()
    theta = cov.start(sigma)
    parts = obj.pieces(theta)
    phi = linalg.cho_solve(parts.a_factor, np.eye(obj.p))
    kr, _ = _kr_mmrm(obj, theta, phi, "expected", None)
    # brute force: elements basis, subject by subject
    frame, _ = mmrm_module._prepare_frame(trial, "chg", "visitc", "id", "arm", COVS)
    design = mmrm_module._build_design(frame, "chg", "visitc", "id", "arm", COVS, "control")
    t = design.n_visits
    basis = []
    for a in range(t):
        for b in range(a, t):
            e = np.zeros((t, t))
            e[a, b] = e[b, a] = 1.0
            basis.append(e)
    k, p = len(basis), design.x.shape[1]
    P = np.zeros((k, p, p))
    Q = np.zeros((k, k, p, p))
    tr = np.zeros((k, k))
    for s in np.unique(design.subject_codes):
        rows = design.subject_codes == s
        v = design.visit_pos[rows]
        x = design.x[rows]
        si = np.linalg.inv(sigma[np.ix_(v, v)])
        hs = [si @ g[np.ix_(v, v)] for g in basis]
        for i in range(k):
            P[i] += x.T @ hs[i] @ si @ x
            for j in range(k):
                Q[i, j] += x.T @ hs[i] @ hs[j] @ si @ x
                tr[i, j] += np.trace(hs[i] @ hs[j])
    info = 0.5 * (
        tr - 2 * np.einsum("ij,klji->kl", phi, Q) + np.einsum("ij,kjl,lm,nmi->kn", phi, P, phi, P)
    )
    w = np.linalg.inv(info)
    u = np.einsum("kl,klij->ij", w, Q) - np.einsum("kl,kij,jm,lmn->in", w, P, phi, P)
    adj = phi + 2 * phi @ u @ phi
    assert np.max(np.abs(kr.vcov_adj - adj)) < 1e-9 * np.max(np.abs(adj))


def test_options_are_validated(trial):
    with pytest.raises(DataValidationError, match="REML"):
        fit_mmrm(trial, "chg", "visitc", "id", "arm", reml=False, df_method="kenward-roger")
    with pytest.raises(DataValidationError, match="REML"):
        fit_lmm(trial, "chg ~ months", "id", "~1", reml=False, df_method="kenward-roger")
    with pytest.raises(DataValidationError, match="df_method='kr'"):
        fit_mmrm(trial, "chg", "visitc", "id", "arm", df_method="kr")
    with pytest.raises(DataValidationError, match="disagree"):
        fit_mmrm(trial, "chg", "visitc", "id", "arm", inference="z", df_method="residual")
    with pytest.raises(DataValidationError, match="kr_information"):
        fit_mmrm(
            trial, "chg", "visitc", "id", "arm", df_method="kenward-roger", kr_information="fisher"
        )


def test_inference_alias_still_works(trial):
    old = fit_mmrm(trial, "chg", "visitc", "id", "arm", inference="z")
    new = fit_mmrm(trial, "chg", "visitc", "id", "arm", df_method="wald")
    pd.testing.assert_frame_equal(old.fixed, new.fixed)
    assert old.inference == "z" and old.df_method == "wald"
    assert "z" in new.fixed.columns


def test_non_positive_definite_information_is_reported(trial):
    obj, cov = _un_objective(trial)
    fit = fit_mmrm(trial, "chg", "visitc", "id", "arm", covariates=COVS)
    theta = cov.start(fit.covariance.to_numpy())
    kr, why = _kr_mmrm(obj, theta, fit.vcov.to_numpy(), "observed", -np.eye(theta.size))
    assert kr is None and "not positive definite" in why


def test_lmm_boundary_is_flagged(reference_dir):
    data = pd.read_csv(reference_dir / "lmm" / "als_boundary.csv")
    with pytest.warns(ConvergenceWarning, match="boundary"):
        res = fit_lmm(
            data, "alsfrs ~ months * arm", "subject_id", "~months", df_method="kenward-roger"
        )
    assert res.boundary and any("Kenward-Roger" in p for p in res.problems)
    assert not res.converged


def test_satterthwaite_helper_unchanged(trial):
    """The refactored Satterthwaite helper still gives the fit's df."""
    obj, cov = _un_objective(trial)
    fit = fit_mmrm(trial, "chg", "visitc", "id", "arm", covariates=COVS, df_method="satterthwaite")
    theta = cov.start(fit.covariance.to_numpy())
    df = _satterthwaite(obj, theta, np.eye(obj.p), fit.vcov.to_numpy())
    assert _rel(df, fit.fixed["df"]) < 1e-3
