"""Survival figures: they draw what the results hold and leave global state alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from alstrials.models.survival import cox_zph, fit_cox, kaplan_meier
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
        lines = ax.get_lines()
        assert len(lines) == 2
        # the drawn step curve is the KM table
        y = lines[0].get_ydata()
        np.testing.assert_allclose(y[1:], km.table[km.table["group"] == "1"]["survival"])
        texts = [t.get_text() for t in fig.axes[1].texts]
        expected = km.risk_table([0, 250, 500, 750])["n_risk"].astype(str).tolist()
        assert texts == expected
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
