"""fit_lmm agrees with statsmodels MixedLM on trials from the calibrated simulator (floors,
informative dropout, deaths and item rounding included)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

import alstrials as at
from alstrials.data.frames import long_frame


@pytest.mark.parametrize(("seed", "reml"), [(11, True), (12, False)])
def test_fit_lmm_matches_mixedlm_on_simulated_trial(seed: int, reml: bool) -> None:
    data = long_frame(at.simulate_trial(n_per_arm=100, seed=seed))
    data["active"] = (data["arm"] == "active").astype(float)
    ours = at.fit_lmm(
        data, "alsfrs_total ~ months * active", group="subject_id", random="~months", reml=reml
    )
    peer = smf.mixedlm(
        "alsfrs_total ~ months * active", data, groups=data["subject_id"], re_formula="~months"
    ).fit(reml=reml, method=["lbfgs"])
    assert ours.converged and peer.converged
    np.testing.assert_allclose(
        ours.fixed["estimate"].to_numpy(), peer.fe_params.to_numpy(), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(ours.fixed["se"].to_numpy(), peer.bse_fe.to_numpy(), rtol=1e-3)
    np.testing.assert_allclose(
        ours.random_cov.to_numpy(), peer.cov_re.to_numpy(), rtol=2e-3, atol=1e-6
    )
    assert ours.residual_var == pytest.approx(peer.scale, rel=1e-4)
    assert ours.loglik == pytest.approx(peer.llf, rel=1e-6)
