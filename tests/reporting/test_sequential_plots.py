"""Boundary plot: returns the Axes, draws what it says, leaves global state alone."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from alstrials.design.sequential import group_sequential
from alstrials.errors import DesignError
from alstrials.reporting.sequential_plots import plot_boundaries


def test_plot_with_futility_and_observed() -> None:
    d = group_sequential(4, futility="ld-obrien-fleming")
    fig, ax = plt.subplots()
    out = plot_boundaries(d, z=[0.5, 1.2], ax=ax)
    assert out is ax
    labels = [line.get_label() for line in ax.lines]
    assert labels[:2] == ["efficacy boundary", "futility bound"] and "observed z" in labels
    eff = ax.lines[0]
    np.testing.assert_allclose(eff.get_xdata(), d.info)
    np.testing.assert_allclose(eff.get_ydata(), d.upper)
    obs = ax.lines[labels.index("observed z")]
    np.testing.assert_allclose(obs.get_ydata(), [0.5, 1.2])
    np.testing.assert_allclose(obs.get_xdata(), d.info[:2])
    plt.close(fig)


def test_plot_without_futility_makes_its_own_axes() -> None:
    n_before = len(plt.get_fignums())
    ax = plot_boundaries(group_sequential(3, boundary="pocock"), z=[1.0], info=[0.3])
    assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] == [
        "efficacy boundary",
        "observed z",
    ]
    assert "Pocock" in ax.get_title() and "3 looks" in ax.get_title()
    assert len(plt.get_fignums()) == n_before + 1
    plt.close(ax.figure)


def test_plot_rejects_mismatched_info() -> None:
    fig, ax = plt.subplots()
    with pytest.raises(DesignError, match="one fraction per z"):
        plot_boundaries(group_sequential(3), z=[1.0, 2.0], info=[0.3], ax=ax)
    plt.close(fig)
