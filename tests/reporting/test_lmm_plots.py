"""LMM figures: return the Axes, draw what they claim, leave global state alone."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from alstrials.errors import DataValidationError
from alstrials.models.lmm import example_data, fit_lmm
from alstrials.reporting.lmm_plots import plot_caterpillar, plot_observed_fitted, plot_spaghetti


@pytest.fixture(scope="module")
def res():
    return fit_lmm(example_data(24, seed=9), "y ~ months * arm", "subject_id", "~months")


def test_spaghetti_draws_subjects_and_arm_means(res):
    ax = Figure().subplots()
    rc_before = dict(matplotlib.rcParams)
    out = plot_spaghetti(res, "months", by="arm", ax=ax)
    assert out is ax
    assert len(ax.lines) == 24 + 2  # one line per subject, one mean per arm
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["arm = active", "arm = placebo"]
    # with only time and arm in the model, the mean curve is X(t) beta
    mean_line = next(ln for ln in ax.lines if ln.get_label() == "arm = placebo")
    t, y = mean_line.get_data()
    b = res.fixed["estimate"]
    expected = (
        b["Intercept"]
        + b["arm[T.placebo]"]
        + (b["months"] + b["months:arm[T.placebo]"]) * np.asarray(t)
    )
    np.testing.assert_allclose(y, expected, rtol=1e-10)
    assert dict(matplotlib.rcParams) == rc_before


def test_spaghetti_without_groups_makes_its_own_axes(res):
    ax = plot_spaghetti(res)
    assert ax.get_xlabel() == "months" and len(ax.lines) == 25
    with pytest.raises(DataValidationError, match="not a variable of the fitted model"):
        plot_spaghetti(res, by="site")


def test_observed_fitted(res):
    ax = plot_observed_fitted(res)
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], res.fitted.to_numpy())
    np.testing.assert_allclose(offsets[:, 1], res.data["y"].to_numpy())


def test_caterpillar(res):
    ax = plot_caterpillar(res, "months", level=0.9)
    assert ax.get_xlabel() == "random effect: months"
    x = np.sort(ax.lines[0].get_xdata())
    np.testing.assert_allclose(x, np.sort(res.blups["months"].to_numpy()))
    with pytest.raises(DataValidationError, match="not a random effect"):
        plot_caterpillar(res, "arm")
    with pytest.raises(DataValidationError, match="level must be in"):
        plot_caterpillar(res, level=1.5)
