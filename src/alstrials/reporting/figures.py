"""Descriptive figures of a trial's data (model figures live beside their models' plots).

Each function draws on ``ax`` (a new figure when None), returns the Axes, never calls
``plt.show()`` and changes no global matplotlib state.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from alstrials.data.schema import TrialData

__all__ = ["plot_alsfrs_trajectories", "plot_enrolment", "ARM_COLOURS"]

ARM_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52")


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
    ax = _axes(ax)
    rng = np.random.default_rng(seed)
    data = trial.alsfrs.merge(trial.subjects[["subject_id", "arm"]], on="subject_id")
    data = data.dropna(subset=["alsfrs_total"])
    for colour, arm in zip(ARM_COLOURS, trial.arms, strict=False):
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
    ax.set_xlabel("Months since baseline")
    ax.set_ylabel("ALSFRS-R total")
    ax.set_ylim(0, 48)
    ax.set_title("ALSFRS-R trajectories: sampled subjects and mean with 95% CI by arm")
    ax.legend(frameon=False)
    return ax


def plot_enrolment(
    trial: TrialData, *, ax: Axes | None = None, cutoff: float | None = None
) -> Axes:
    """Cumulative enrolment by calendar month, by arm, with an optional data cut-off line."""
    ax = _axes(ax, (6, 4))
    for colour, arm in zip(ARM_COLOURS, trial.arms, strict=False):
        months = np.sort(
            trial.subjects.loc[trial.subjects["arm"] == arm, "enrollment_month"].to_numpy(
                dtype=float
            )
        )
        ax.step(months, np.arange(1, len(months) + 1), where="post", color=colour, label=arm)
    if cutoff is not None:
        ax.axvline(cutoff, color="k", ls="--", lw=1, label=f"cut-off (month {cutoff:g})")
    ax.set_xlabel("Calendar month since first enrolment")
    ax.set_ylabel("Subjects enrolled")
    ax.set_title("Enrolment")
    ax.legend(frameon=False)
    return ax
