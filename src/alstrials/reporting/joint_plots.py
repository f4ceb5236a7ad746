"""Figures of joint models: a dynamic prediction panel per patient (marker histories and the
predicted cumulative incidence of each cause)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["plot_dynamic_prediction"]

_LABELS = {
    "alsfrs_total": "ALSFRS-R total",
    "cord_csa_mm2": "Cord area (mm²)",
}


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " "))


def plot_dynamic_prediction(
    histories: Mapping[str, Mapping[str, pd.DataFrame]],
    incidences: Mapping[str, pd.DataFrame],
    *,
    time: str = "months",
    markers: Sequence[str],
    titles: Mapping[str, str] | None = None,
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
    axes : ndarray of Axes, optional
        ``(patients, len(markers) + 1)`` axes to draw into.

    Returns
    -------
    ndarray of Axes
    """
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
    for r, patient in enumerate(patients):
        ci = incidences[patient]
        t0 = float(ci["time"].min())
        label = titles.get(patient, str(patient)) if titles else str(patient)
        for c, marker in enumerate(markers):
            ax = axes[r, c]
            h = histories[patient][marker]
            ax.plot(h[time], h[marker], "o-", color="0.2", ms=4, lw=1)
            ax.axvline(t0, color="0.6", lw=0.8, ls="--")
            ax.set_ylabel(_label(marker))
            ax.set_xlabel("Months since randomisation")
            ax.set_xlim(0, t_max)
            ax.spines[["top", "right"]].set_visible(False)
            if c == 0:
                ax.set_title(f"{label}: measured to month {t0:g}", loc="left", fontsize=10)
        ax = axes[r, -1]
        for k, (cause, part) in enumerate(ci.groupby("cause", sort=False)):
            colour = plt.cm.tab10(k)
            ax.plot(
                part["time"], part["incidence"], color=colour, lw=1.6, label=cause.replace("_", " ")
            )
            if {"lower", "upper"} <= set(part.columns):
                ax.fill_between(
                    part["time"], part["lower"], part["upper"], color=colour, alpha=0.15, lw=0
                )
        ax.set_ylim(0, max(0.05, float(ci.get("upper", ci["incidence"]).max()) * 1.1))
        ax.set_xlabel("Months since randomisation")
        ax.set_ylabel("Cumulative incidence")
        mc = {"lower", "upper"} <= set(ci.columns)
        ax.set_title(
            f"Predicted from month {t0:g}" + (" (median, 95% interval)" if mc else ""),
            loc="left",
            fontsize=10,
        )
        ax.set_xlim(0, t_max)
        ax.axvline(t0, color="0.6", lw=0.8, ls="--")
        ax.spines[["top", "right"]].set_visible(False)
        if r == 0:
            ax.legend(frameon=False, fontsize=8, loc="upper left")
    return axes
