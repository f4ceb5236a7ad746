"""The platform-trial simulator and the disease-rate-ratio (DRR) model in fast (Laplace) mode.

There is no reference implementation of the HEALEY DRR model, so the checks are by simulation:
the posterior recovers the true DRR of a large platform, and the simulator keeps its design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alstrials.data.simulate.platform import simulate_platform
from alstrials.errors import AlstrialsError
from alstrials.models.platform import fit_drr

TRUTH = {"A": 0.7, "B": 1.0, "C": 1.0}


@pytest.fixture(scope="module")
def platform():
    return simulate_platform(TRUTH, n_per_regimen=400, seed=3)


def test_simulator_keeps_three_to_one_allocation_within_regimen(platform):
    counts = platform.subjects.groupby(["regimen", "arm"]).size().unstack()
    assert list(counts.index) == ["A", "B", "C"]
    assert (counts["active"] == 3 * counts["placebo"]).all()
    platform.validate()


def test_simulator_is_reproducible_by_seed():
    a = simulate_platform({"A": 0.8}, n_per_regimen=40, seed=11)
    b = simulate_platform({"A": 0.8}, n_per_regimen=40, seed=11)
    c = simulate_platform({"A": 0.8}, n_per_regimen=40, seed=12)
    pd.testing.assert_frame_equal(a.alsfrs, b.alsfrs)
    assert not a.alsfrs["alsfrs_total"].equals(c.alsfrs["alsfrs_total"])


@pytest.mark.parametrize("borrowing", ["hierarchical", "concurrent", "pooled"])
def test_laplace_posterior_recovers_the_true_drr(platform, borrowing):
    fit = fit_drr(platform, method="laplace", borrowing=borrowing, seed=1)
    assert fit.converged
    table = fit.drr
    assert list(table.columns[:5]) == ["median", "mean", "ci_low", "ci_high", "p_below_1"]
    for regimen, truth in TRUTH.items():
        row = table.loc[regimen]
        sd = (row["ci_high"] - row["ci_low"]) / (2 * 1.96)
        assert row["ci_low"] < row["median"] < row["ci_high"]
        # within 3.5 posterior SDs of the truth: fails for a biased model, not by chance
        assert abs(row["median"] - truth) < 3.5 * sd, (regimen, row.to_dict())
    # the active regimen with DRR 0.7 is detected, the null ones are not
    assert table.loc["A", "p_below_1"] > 0.99
    assert table.loc[["B", "C"], "p_below_1"].between(0.01, 0.99).all()
    assert "median" in fit._repr_html_()


def test_unknown_borrowing_is_a_clear_error(platform):
    with pytest.raises(AlstrialsError, match="borrowing"):
        fit_drr(platform, method="laplace", borrowing="everything")


def test_hierarchical_borrowing_sits_between_concurrent_and_pooled(platform):
    weights = {
        b: fit_drr(platform, method="laplace", borrowing=b)
        .borrowing_weights["borrowing"]
        .to_numpy()
        for b in ("concurrent", "hierarchical", "pooled")
    }
    assert np.allclose(weights["concurrent"], 0.0)
    assert np.allclose(weights["pooled"], 1.0)
    assert ((weights["hierarchical"] > 0) & (weights["hierarchical"] < 1)).all()
