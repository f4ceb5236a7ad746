"""LMM figures: return the Axes, draw what they claim, leave global state alone."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from alstrials.errors import DataValidationError
from alstrials.models.lmm import example_data, fit_lmm
from alstrials.reporting.lmm_plots import plot_caterpillar, plot_observed_fitted, plot_spaghetti
from alstrials.reporting.style import ARM_COLOURS


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
    # placebo first whatever the data order, each arm in its fixed colour
    assert labels == ["placebo: fitted mean (n=12)", "active: fitted mean (n=12)"]
    colours = {ln.get_label(): ln.get_color() for ln in ax.lines}
    assert colours[labels[0]] == ARM_COLOURS["placebo"]
    assert colours[labels[1]] == ARM_COLOURS["active"]
    assert ax.get_xlabel() == "Time since randomisation (months)" and ax.get_title()
    # with only time and arm in the model, the mean curve is X(t) beta
    mean_line = next(ln for ln in ax.lines if ln.get_label() == labels[0])
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
    assert ax.get_xlabel() == "Time since randomisation (months)" and len(ax.lines) == 25
    with pytest.raises(DataValidationError, match="not a variable of the fitted model"):
        plot_spaghetti(res, by="site")


def test_observed_fitted(res):
    ax = plot_observed_fitted(res)
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], res.fitted.to_numpy())
    np.testing.assert_allclose(offsets[:, 1], res.data["y"].to_numpy())
    assert len(ax.collections) == 1 and not ax.texts  # no bounds for "y": nothing clipped


def test_observed_fitted_clips_to_the_scale_and_says_so(res):
    fitted = res.fitted.to_numpy()
    low, high = np.sort(fitted)[2], np.sort(fitted)[-4]  # 2 below, 3 above
    ax = plot_observed_fitted(res, bounds=(low, high))
    inside, below, above = (c.get_offsets() for c in ax.collections)
    assert len(inside) == len(fitted) - 5 and len(below) == 2 and len(above) == 3
    np.testing.assert_allclose(below[:, 0], low)
    np.testing.assert_allclose(above[:, 0], high)
    assert ax.get_xlim()[0] < low and ax.get_xlim()[1] > high
    note = ax.texts[0].get_text()
    assert f"2 fitted value(s) below {low:g}" in note
    assert f"3 fitted value(s) above {high:g}" in note


def test_caterpillar(res):
    ax = plot_caterpillar(res, "months", level=0.9)
    assert ax.get_xlabel() == "Subject's slope: deviation from the fitted mean (per month)"
    assert ax.get_title(loc="left").startswith("Subject slopes (BLUPs)")
    x = np.sort(np.concatenate([c.lines[0].get_xdata() for c in ax.containers]))
    np.testing.assert_allclose(x, np.sort(res.blups["months"].to_numpy()))
    assert len(ax.get_yticklabels()) == 24  # few subjects: named
    many = plot_caterpillar(res, "months", max_labels=10)
    assert not many.get_yticks().size and "n = 24" in many.get_ylabel()
    with pytest.raises(DataValidationError, match="not a random effect"):
        plot_caterpillar(res, "arm")
    with pytest.raises(DataValidationError, match="level must be in"):
        plot_caterpillar(res, level=1.5)
