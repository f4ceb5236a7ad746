"""Descriptive figures of a trial's data (model figures live beside their models' plots).

Each function draws on ``ax`` (a new figure when None) in
:func:`~alstrials.reporting.style.figure_style`, returns the Axes, never calls ``plt.show()``
and changes no global matplotlib state. Arms keep their fixed colours
(:data:`~alstrials.reporting.style.ARM_COLOURS`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from alstrials.data.schema import TrialData
from alstrials.reporting.style import (
    ARM_COLOURS,
    arm_colours,
    axis_label,
    figure_style,
    time_ticks,
)

__all__ = ["plot_alsfrs_trajectories", "plot_enrolment", "ARM_COLOURS"]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7, 4.5)) -> Axes:
    if ax is not None:
        return ax
    fig, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def plot_alsfrs_trajectories(
    trial: TrialData,
    *,
    ax: Axes | None = None,
    n_spaghetti: int = 30,
    bin_months: float = 1.0,
    seed: int = 0,
) -> Axes:
    """ALSFRS-R totals over time by arm: a sample of individual trajectories (thin lines) and
    the observed mean per visit window with a 95% CI (normal approximation).

    Parameters
    ----------
    trial : TrialData
    ax : matplotlib Axes, optional
    n_spaghetti : int
        Individual trajectories drawn per arm (a seeded random sample).
    bin_months : float
        Visits are grouped into windows of this width (visit-time jitter) for the mean.
    seed : int
        Seed of the sample of trajectories.

    Returns
    -------
    matplotlib.axes.Axes
    """
    with figure_style():
        return _draw_trajectories(trial, _axes(ax), n_spaghetti, bin_months, seed)


def _draw_trajectories(
    trial: TrialData, ax: Axes, n_spaghetti: int, bin_months: float, seed: int
) -> Axes:
    rng = np.random.default_rng(seed)
    data = trial.alsfrs.merge(trial.subjects[["subject_id", "arm"]], on="subject_id")
    data = data.dropna(subset=["alsfrs_total"])
    colours = arm_colours(trial.arms)
    for arm in trial.arms:
        colour = colours[arm]
        arm_rows = data[data["arm"] == arm]
        ids = arm_rows["subject_id"].unique()
        chosen = rng.choice(ids, size=min(n_spaghetti, len(ids)), replace=False)
        for sid in chosen:
            one = arm_rows[arm_rows["subject_id"] == sid]
            ax.plot(one["months"], one["alsfrs_total"], color=colour, alpha=0.15, lw=0.8)
        window = (arm_rows["months"] / bin_months).round() * bin_months
        grouped = arm_rows.groupby(window)["alsfrs_total"]
        stats = pd.DataFrame({"mean": grouped.mean(), "se": grouped.sem(), "n": grouped.size()})
        stats = stats[stats["n"] >= 5]
        ax.plot(
            stats.index,
            stats["mean"],
            color=colour,
            lw=2.2,
            marker="o",
            ms=3,
            label=f"{arm} (n={len(ids)})",
        )
        ax.fill_between(
            stats.index,
            stats["mean"] - 1.96 * stats["se"],
            stats["mean"] + 1.96 * stats["se"],
            color=colour,
            alpha=0.25,
        )
    ax.set_xlabel(axis_label("months"))
    ax.set_ylabel(axis_label("alsfrs_total"))
    ax.set_ylim(0, 48)
    t_max = float(data["months"].max())
    ax.set_xlim(0, t_max * 1.02)
    time_ticks(ax, t_max)
    ax.set_title("ALSFRS-R by arm: observed mean (95% CI) and sampled subjects")
    ax.text(
        0.99,
        0.02,
        f"Thin lines: {n_spaghetti} randomly chosen subjects per arm",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color="0.35",
    )
    ax.legend(loc="lower left")
    return ax


def plot_enrolment(
    trial: TrialData, *, ax: Axes | None = None, cutoff: float | None = None
) -> Axes:
    """Cumulative enrolment by calendar month, by arm, with an optional data cut-off line."""
    with figure_style():
        return _draw_enrolment(trial, _axes(ax, (6, 4)), cutoff)


def _draw_enrolment(trial: TrialData, ax: Axes, cutoff: float | None) -> Axes:
    colours = arm_colours(trial.arms)
    for arm in trial.arms:
        colour = colours[arm]
        months = np.sort(
            trial.subjects.loc[trial.subjects["arm"] == arm, "enrollment_month"].to_numpy(
                dtype=float
            )
        )
        months = np.concatenate([[0.0], months])
        count = np.arange(len(months))
        ax.step(months, count, where="post", color=colour, label=f"{arm} (n={len(months) - 1})")
    if cutoff is not None:
        ax.axvline(cutoff, color="0.3", ls="--", lw=1, label=f"Data cut-off (month {cutoff:g})")
    ax.set_xlabel(axis_label("enrollment_month"))
    ax.set_ylabel("Subjects enrolled (cumulative)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title("Cumulative enrolment by arm")
    ax.legend(loc="upper left")
    return ax
