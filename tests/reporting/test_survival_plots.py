"""Survival figures: they draw what the results hold and leave global state alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from alstrials.models.survival import cox_zph, fit_cox, kaplan_meier
from alstrials.reporting.style import ARM_COLOURS
from alstrials.reporting.survival_plots import plot_km, plot_schoenfeld

REF = Path(__file__).parents[1] / "reference"


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REF / "lung.csv")


def test_km_plot_with_risk_table(lung):
    km = kaplan_meier(lung, "time", "status", by="sex")
    rc_before = dict(matplotlib.rcParams)
    ax = plot_km(km, times=[0, 250, 500, 750])
    try:
        fig = ax.figure
        assert len(fig.axes) == 2
        curves = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        marks = [ln for ln in ax.get_lines() if ln.get_label() == "_censored"]
        assert len(curves) == 2 and len(marks) == 2
        # the drawn step curve is the KM table
        tab = km.table[km.table["group"] == "1"]
        np.testing.assert_allclose(curves[0].get_ydata()[1:], tab["survival"])
        # a censoring mark at each time with censoring, on the curve
        censored = tab[tab["n_censor"] > 0]
        np.testing.assert_allclose(marks[0].get_xdata(), censored["time"])
        np.testing.assert_allclose(marks[0].get_ydata(), censored["survival"])
        assert marks[0].get_marker() == "|"
        texts = [t.get_text() for t in fig.axes[1].texts]
        expected = km.risk_table([0, 250, 500, 750])["n_risk"].astype(str).tolist()
        assert texts == expected
        # risk-table columns sit under the ticks of the curves (shared x)
        np.testing.assert_allclose(ax.get_xticks(), [0, 250, 500, 750])
        np.testing.assert_allclose([t.get_position()[0] for t in fig.axes[1].texts],
                                   [0, 250, 500, 750] * 2)  # fmt: skip
        assert fig.axes[1].get_shared_x_axes().joined(ax, fig.axes[1])
        assert dict(matplotlib.rcParams) == rc_before
    finally:
        plt.close(ax.figure)


def test_km_plot_on_given_axes(lung):
    fig, ax = plt.subplots()
    try:
        out = plot_km(kaplan_meier(lung, "time", "status"), ax=ax, times=[0, 500])
        assert out is ax
        assert len(fig.axes) == 1
        n500 = int((lung["time"] >= 500).sum())
        assert [t.get_text() for t in ax.texts] == ["all", "227", str(n500)]
    finally:
        plt.close(fig)


def test_km_default_ticks_are_round_and_arms_keep_their_colours():
    d = pd.DataFrame(
        {
            "months": [1.0, 4.0, 7.5, 9.0, 12.0, 18.0, 2.0, 6.0, 10.0, 14.0, 16.0, 18.0],
            "event": [1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0],
            "arm": ["active"] * 6 + ["placebo"] * 6,
        }
    )
    ax = plot_km(kaplan_meier(d, "months", "event", by="arm"), xlabel="Months")
    try:
        np.testing.assert_allclose(ax.get_xticks(), [0, 3, 6, 9, 12, 15, 18])
        colours = {ln.get_label(): ln.get_color() for ln in ax.get_lines()}
        assert colours["placebo"] == ARM_COLOURS["placebo"]
        assert colours["active"] == ARM_COLOURS["active"]
        assert "Censored" in [t.get_text() for t in ax.get_legend().get_texts()]
    finally:
        plt.close(ax.figure)


def test_schoenfeld_plot(lung):
    fit = fit_cox(lung, "time", "status", "age + sex")
    z = cox_zph(fit)
    ax = plot_schoenfeld(z, "sex")
    try:
        offsets = ax.collections[0].get_offsets()
        assert offsets.shape[0] == fit.n_events
        assert ax.get_lines()[-1].get_ydata()[0] == pytest.approx(
            fit.coef.loc["sex", "estimate"], abs=1e-7
        )
        with pytest.raises(ValueError, match="not in the test"):
            plot_schoenfeld(z, "bmi")
    finally:
        plt.close(ax.figure)
