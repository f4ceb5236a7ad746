"""LS means and differences against R emmeans (tests/reference/kr/make_reference.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alstrials.errors import DataValidationError
from alstrials.models.lmm import fit_lmm
from alstrials.models.lsmeans import LSMeans, lsmeans
from alstrials.models.mmrm import fit_mmrm

COVS = ("base", "onset")


@pytest.fixture(scope="module")
def ref(reference_dir) -> dict:
    return json.loads((reference_dir / "kr" / "values.json").read_text())


@pytest.fixture(scope="module")
def trial(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "kr" / "als_trial.csv")


def _check(ours: pd.DataFrame, theirs: list, est: str, tol: float, df: bool = True) -> None:
    r = pd.DataFrame(theirs)
    pairs = [("estimate", est), ("se", "SE")]
    if df:  # intervals and tests depend on the df
        pairs += [("df", "df"), ("t", "t.ratio"), ("ci_low", "lower.CL"), ("ci_high", "upper.CL")]
        # p-values as small as 1e-39 amplify relative differences: compare on the log scale
        np.testing.assert_allclose(np.log(ours["p"]), np.log(r["p.value"]), atol=100 * tol)
    for a, b in pairs:
        np.testing.assert_allclose(ours[a].to_numpy(), r[b].to_numpy(), rtol=tol, err_msg=a)


def test_lmm_random_slope_kr_matches_emmeans(trial, ref):
    res = fit_lmm(
        trial, "chg ~ base + onset + months * arm", "id", "~months", df_method="kenward-roger"
    )
    out = lsmeans(res, "arm", by="months", at={"months": [6, 12]})
    assert isinstance(out, LSMeans) and out.df_method == "kenward-roger"
    assert list(out.means.columns[:2]) == ["months", "arm"]
    _check(out.means, ref["als_slope"]["emmeans"], "emmean", 1e-6)
    _check(out.diffs, ref["als_slope"]["diffs"], "estimate", 1e-6)
    assert list(out.diffs["contrast"]) == ["treated - control"] * 2


def test_lmm_visit_factor_kr_matches_emmeans(trial, ref):
    res = fit_lmm(trial, "chg ~ base + onset + visitc * arm", "id", "~1", df_method="kenward-roger")
    out = lsmeans(res, "arm", by="visitc")
    _check(out.means, ref["als_cs"]["emmeans"], "emmean", 1e-6)
    _check(out.diffs, ref["als_cs"]["diffs"], "estimate", 1e-6)


def test_mmrm_cs_kr_matches_emmeans_on_lmer(trial, ref):
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
    out = lsmeans(fit)
    assert list(out.means.columns[:2]) == ["visitc", "arm"]
    _check(out.means, ref["als_cs"]["emmeans"], "emmean", 1e-6)
    _check(out.diffs, ref["als_cs"]["diffs"], "estimate", 1e-6)


def test_mmrm_unstructured_matches_emmeans_on_gls(trial, ref):
    """Estimates and SEs as emmeans on nlme::gls (to the fits' agreement, 1e-4 as in
    test_mmrm.py). emmeans' mode="df.error" uses N - p - (covariance parameters) = 448; we use
    nlme's N - p = 457."""
    fit = fit_mmrm(trial, "chg", "visitc", "id", "arm", covariates=COVS)
    out = lsmeans(fit)
    _check(out.means, ref["als_un"]["emmeans"], "emmean", 1e-4, df=False)
    _check(out.diffs, ref["als_un"]["diffs"], "estimate", 1e-4, df=False)
    assert (out.means["df"] == fit.n_obs - len(fit.fixed)).all()
    assert pd.DataFrame(ref["als_un"]["emmeans"])["df"].iloc[0] == fit.n_obs - len(fit.fixed) - 9
    # the LS-mean linear functions are emmeans' (reference grid: base at its mean, onset
    # levels equally weighted)
    np.testing.assert_allclose(
        out.L_means.to_numpy(), ref["als_un"]["kr"]["lsmeans"]["L"], rtol=1e-12
    )
    np.testing.assert_allclose(
        out.L_diffs.to_numpy(), ref["als_un"]["kr"]["diffs"]["L"], atol=1e-12
    )


def test_mmrm_kr_lsmeans_use_adjusted_covariance(trial):
    fit = fit_mmrm(trial, "chg", "visitc", "id", "arm", covariates=COVS, df_method="kenward-roger")
    out = lsmeans(fit)
    assert len(out.diffs) == 4
    se = np.sqrt(
        np.einsum(
            "ij,jk,ik->i",
            out.L_diffs.to_numpy(),
            fit.vcov_adjusted.to_numpy(),
            out.L_diffs.to_numpy(),
        )
    )
    np.testing.assert_allclose(out.diffs["se"], se, rtol=1e-12)
    # the differences at each visit are the per-visit arm effects of the fit
    np.testing.assert_allclose(out.diffs["estimate"], fit.effects["estimate"], rtol=1e-10)
    np.testing.assert_allclose(out.diffs["df"], fit.effects["df"], rtol=1e-10)


def test_lsmeans_errors(trial):
    res = fit_lmm(trial, "chg ~ base + months * arm", "id", "~1")
    with pytest.raises(DataValidationError, match="specs="):
        lsmeans(res)
    with pytest.raises(DataValidationError, match="numeric"):
        lsmeans(res, "months")
    with pytest.raises(DataValidationError, match="not a covariate"):
        lsmeans(res, "site")
    with pytest.raises(DataValidationError, match="reference="):
        lsmeans(res, "arm", reference="placebo")
    fit = fit_mmrm(trial, "chg", "visitc", "id", "arm")
    with pytest.raises(DataValidationError, match="per arm"):
        lsmeans(fit, specs="onset")
    with pytest.raises(DataValidationError, match="MMRMResult or LMMResult"):
        lsmeans("fit")  # type: ignore[arg-type]
