"""Calibration plot (alstrials.reporting.prediction_plots)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from alstrials.errors import DataValidationError  # noqa: E402
from alstrials.reporting.prediction_plots import plot_calibration  # noqa: E402

TABLE = pd.DataFrame(
    {
        "model": "m",
        "horizon": [3.0, 3.0, 6.0, 6.0],
        "predicted": [0.1, 0.3, 0.2, 0.5],
        "observed": [0.12, 0.25, 0.18, 0.55],
        "lower": [0.05, 0.15, 0.1, 0.4],
        "upper": [0.2, 0.37, 0.3, 0.7],
    }
)


def test_draws_into_given_axes():
    fig, ax = plt.subplots()
    out = plot_calibration(TABLE, cause_label="death", ax=ax)
    assert out is ax
    assert out.get_ylabel().startswith("Observed risk of death")
    labels = [t.get_text() for t in out.get_legend().get_texts()]
    assert labels == ["Perfect calibration", "Horizon 3 months", "Horizon 6 months"]
    plt.close(fig)


def test_one_horizon():
    ax = plot_calibration(TABLE, horizon=6.0)
    assert len(ax.get_legend().get_texts()) == 2
    plt.close(ax.figure)


def test_bad_table():
    with pytest.raises(DataValidationError, match="calibration_table"):
        plot_calibration(TABLE.drop(columns="observed"))
    with pytest.raises(DataValidationError, match="no rows for horizon=1.0"):
        plot_calibration(TABLE, horizon=1.0)
