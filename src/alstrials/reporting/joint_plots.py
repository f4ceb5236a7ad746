"""Figures of joint models: a dynamic prediction panel per patient (marker histories and the
predicted cumulative incidence of each cause).

Draws in :func:`~alstrials.reporting.style.figure_style`; causes keep their fixed colours
(:data:`~alstrials.reporting.style.CAUSE_COLOURS`), markers are labelled in words with units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from alstrials.reporting.style import (
    SCALE_BOUNDS,
    axis_label,
    cause_colour,
    figure_style,
    time_ticks,
    words,
)

__all__ = ["plot_dynamic_prediction"]


def plot_dynamic_prediction(
    histories: Mapping[str, Mapping[str, pd.DataFrame]],
    incidences: Mapping[str, pd.DataFrame],
    *,
    time: str = "months",
    markers: Sequence[str],
    titles: Mapping[str, str] | None = None,
    title: str | None = "Dynamic prediction from the joint model",
    axes: np.ndarray | None = None,
) -> np.ndarray:
    """One row per patient: each marker's history and the predicted cumulative incidences.

    Parameters
    ----------
    histories : dict
        ``{patient: {marker: frame}}``: the measurements used for the prediction.
    incidences : dict
        ``{patient: frame}`` from :meth:`JointResult.predict_cumulative_incidence`
        (``time cause incidence`` and, for Monte Carlo, ``lower upper``).
    time : str
        Time column of the histories.
    markers : sequence of str
        Marker columns, in panel order.
    titles : dict, optional
        ``{patient: label}`` for the row titles (default: the patient id).
    title : str, optional
        Figure title.
    axes : ndarray of Axes, optional
        ``(patients, len(markers) + 1)`` axes to draw into.

    Returns
    -------
    ndarray of Axes
    """
    with figure_style():
        return _draw(histories, incidences, time, list(markers), titles, title, axes)


def _draw(
    histories: Mapping[str, Mapping[str, pd.DataFrame]],
    incidences: Mapping[str, pd.DataFrame],
    time: str,
    markers: list[str],
    titles: Mapping[str, str] | None,
    title: str | None,
    axes: np.ndarray | None,
) -> np.ndarray:
    patients = list(histories)
    ncol = len(markers) + 1
    if axes is None:
        _, axes = plt.subplots(
            len(patients),
            ncol,
            figsize=(3.4 * ncol, 2.8 * len(patients)),
            squeeze=False,
            constrained_layout=True,
        )
    axes = np.asarray(axes).reshape(len(patients), ncol)
    t_max = max(float(incidences[p]["time"].max()) for p in patients)
    top = max(  # one incidence scale for every patient: predictions compare at a glance
        max(0.05, float(incidences[p].get("upper", incidences[p]["incidence"]).max()) * 1.1)
        for p in patients
    )
    for r, patient in enumerate(patients):
        ci = incidences[patient]
        t0 = float(ci["time"].min())
        label = titles.get(patient, str(patient)) if titles else str(patient)
        for c, marker in enumerate(markers):
            ax = axes[r, c]
            h = histories[patient][marker]
            ax.plot(h[time], h[marker], "o-", color="0.2", ms=4, lw=1)
            ax.axvline(t0, color="0.6", lw=0.8, ls="--")
            ax.set_ylabel(axis_label(marker))
            ax.set_xlabel(axis_label(time))
            ax.set_xlim(0, t_max)
            time_ticks(ax, t_max)
            if marker in SCALE_BOUNDS:
                low, high = SCALE_BOUNDS[marker]
                values = h[marker].to_numpy(dtype=float)
                if values.size:  # at least 12 points tall: small changes look small
                    half = max(6.0, (np.nanmax(values) - np.nanmin(values)) / 2 + 2)
                    mid = (np.nanmax(values) + np.nanmin(values)) / 2
                    ax.set_ylim(max(low, mid - half), min(high, mid + half))
            if c == 0:
                ax.set_title(f"{label}, data to month {t0:g}", loc="left", fontsize=10)
        ax = axes[r, -1]
        for k, (cause, part) in enumerate(ci.groupby("cause", sort=False)):
            colour = cause_colour(cause, k)
            ax.plot(part["time"], part["incidence"], color=colour, lw=1.6, label=words(cause))
            if {"lower", "upper"} <= set(part.columns):
                ax.fill_between(
                    part["time"], part["lower"], part["upper"], color=colour, alpha=0.15, lw=0
                )
        ax.set_ylim(0, top)
        ax.set_xlabel(axis_label(time))
        ax.set_ylabel("Predicted cumulative incidence")
        mc = {"lower", "upper"} <= set(ci.columns)
        ax.set_title(
            f"Predicted from month {t0:g}" + (" (median, 95% interval)" if mc else ""),
            loc="left",
            fontsize=10,
        )
        ax.set_xlim(0, t_max)
        time_ticks(ax, t_max)
        ax.axvline(t0, color="0.6", lw=0.8, ls="--")
        if r == 0:
            ax.legend(loc="upper left")
    if title:
        axes.flat[0].get_figure(root=True).suptitle(title)
    return axes
