"""Calibration plot of predicted risks: mean predicted against observed (Aalen-Johansen) risk
by risk group, with the observed risk's confidence interval and the line of perfect
calibration."""

from __future__ import annotations

from collections.abc import Hashable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from alstrials.errors import DataValidationError
from alstrials.reporting.style import figure_style

__all__ = ["plot_calibration"]

_NEEDED = ("horizon", "predicted", "observed", "lower", "upper")


def plot_calibration(
    table: pd.DataFrame,
    *,
    horizon: float | None = None,
    model: Hashable | None = None,
    cause_label: str = "event",
    time_unit: str = "months",
    ax: Axes | None = None,
) -> Axes:
    """Predicted against observed risk by group (one series per model or horizon).

    Parameters
    ----------
    table : DataFrame
        From :func:`alstrials.models.prediction.calibration_table` (or
        :meth:`~alstrials.models.prediction.DynamicAccuracy.calibration`).
    horizon : float, optional
        Horizon to draw (default: every horizon of the table, one series each).
    model : optional
        Model to draw (default: every model of the table).
    cause_label : str
        The cause in words, for the axis labels ("death", "tracheostomy or death", ...).
    time_unit : str
        Unit of the horizon in the legend.
    ax : Axes, optional
        Axes to draw into.

    Returns
    -------
    Axes

    Examples
    --------
    >>> import pandas as pd
    >>> tab = pd.DataFrame({"model": "m", "horizon": 6.0, "predicted": [0.1, 0.3],
    ...                     "observed": [0.12, 0.28], "lower": [0.05, 0.2],
    ...                     "upper": [0.2, 0.37]})
    >>> ax = plot_calibration(tab, cause_label="death")
    >>> ax.get_xlabel()
    'Predicted risk of death'
    """
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise DataValidationError(
            f"table has no columns {missing}; pass calibration_table's output", table="table"
        )
    tab = table
    if horizon is not None:
        tab = tab[np.isclose(tab["horizon"], horizon)]
    if model is not None and "model" in tab.columns:
        tab = tab[tab["model"] == model]
    if tab.empty:
        raise DataValidationError(
            f"table has no rows for horizon={horizon!r}, model={model!r}", table="table"
        )
    with figure_style():
        return _draw(tab, cause_label, time_unit, ax)


def _draw(tab: pd.DataFrame, cause_label: str, time_unit: str, ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.4), constrained_layout=True)
    keys = ["model", "horizon"] if "model" in tab.columns else ["horizon"]
    series = list(tab.groupby(keys, sort=False))
    several_models = "model" in tab.columns and tab["model"].nunique() > 1
    top = float(np.nanmax(tab[["predicted", "upper"]].to_numpy()))
    top = min(1.0, max(0.1, np.ceil(top * 10 + 0.5) / 10))
    ax.plot(
        [0, top], [0, top], color="0.55", lw=0.9, ls="--", label="Perfect calibration", zorder=1
    )
    markers = "osD^v"
    for k, (key, part) in enumerate(series):
        key = key if isinstance(key, tuple) else (key,)
        h = float(part["horizon"].iloc[0])
        label = f"Horizon {h:g} {time_unit}"
        if several_models:
            label = f"{key[0]}, {label}"
        x = part["predicted"].to_numpy(float)
        y = part["observed"].to_numpy(float)
        err = np.vstack([y - part["lower"].to_numpy(float), part["upper"].to_numpy(float) - y])
        ax.errorbar(
            x,
            y,
            yerr=np.clip(err, 0, None),
            fmt=markers[k % len(markers)] + "-",
            ms=5,
            lw=1.1,
            capsize=2.5,
            elinewidth=0.9,
            label=label,
            zorder=2 + k,
        )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    ax.set_xlabel(f"Predicted risk of {cause_label}")
    ax.set_ylabel(f"Observed risk of {cause_label} (Aalen-Johansen)")
    ax.text(
        0.98,
        0.02,
        "Bars: confidence intervals of the observed risk",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="0.35",
    )
    ax.set_title(f"Calibration of the predicted risk of {cause_label}")
    ax.legend(loc="upper left")
    return ax
