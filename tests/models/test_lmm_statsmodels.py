"""fit_lmm against statsmodels MixedLM on simulated ALS-like trials."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf


def simulate_als(n_subjects: int, seed: int) -> pd.DataFrame:
    """ALS-like trial: random intercept ~N(38, 5^2), slope ~N(-1, 0.6^2), corr -0.2, residual
    SD 1.5, two arms (active slope +0.3), monthly visits 0..12 with ~15% missed."""
    rng = np.random.default_rng(seed)
    sd = np.array([5.0, 0.6])
    cov = np.outer(sd, sd) * np.array([[1.0, -0.2], [-0.2, 1.0]])
    b = rng.multivariate_normal([38.0, -1.0], cov, size=n_subjects)
    arm = np.where(rng.random(n_subjects) < 0.5, "placebo", "active")
    rows = []
    for i in range(n_subjects):
        for t in range(13):
            if t > 0 and rng.random() < 0.15:
                continue
            slope = b[i, 1] + 0.3 * (arm[i] == "active")
            rows.append((f"P{i}", arm[i], float(t), b[i, 0] + slope * t + rng.normal(0, 1.5)))
    return pd.DataFrame(rows, columns=["subject_id", "arm", "months", "alsfrs_total"])


@pytest.mark.parametrize(("seed", "reml"), [(11, True), (12, False), (13, True)])
def test_agrees_with_mixedlm(seed, reml):
    from alstrials.models.lmm import fit_lmm

    data = simulate_als(150, seed)
    res = fit_lmm(data, "alsfrs_total ~ months * arm", "subject_id", "~months", reml=reml)
    with warnings.catch_warnings():
        # statsmodels may warn about its own optimiser; its answer is still compared below
        warnings.simplefilter("ignore")
        sm = smf.mixedlm(
            "alsfrs_total ~ months * arm", data, groups=data["subject_id"], re_formula="~months"
        ).fit(reml=reml, method=["lbfgs"], gtol=1e-10)
    fe = sm.fe_params.to_numpy()
    # statsmodels names: Intercept, arm[T.placebo], months, months:arm[T.placebo]
    ours = res.fixed.loc[list(sm.fe_params.index)]
    np.testing.assert_allclose(ours["estimate"], fe, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours["se"], sm.bse_fe.to_numpy(), rtol=1e-3)
    np.testing.assert_allclose(
        res.random_cov.to_numpy(), sm.cov_re.to_numpy(), rtol=1e-3, atol=1e-4
    )
    assert res.residual_var == pytest.approx(sm.scale, rel=1e-4)
    assert res.loglik == pytest.approx(sm.llf, rel=1e-6)
    # the fitted parameters are close to the truth (slope difference +0.3 active vs placebo)
    assert res.fixed.loc["months:arm[T.placebo]", "estimate"] == pytest.approx(-0.3, abs=0.2)
