"""Cumulative incidence figures for competing causes (death, tracheostomy, permanent
ventilation) by arm.

``plot_cumulative_incidence`` draws side-by-side panels (one per cause, arms as colours, with
pointwise CI bands) or stacked areas (one panel per arm, the causes stacked so that the top
edge is the all-cause incidence). Arms keep the colours of the other trial figures
(:data:`alstrials.reporting.style.ARM_COLOURS`: placebo blue, active vermillion) and causes
theirs (:data:`alstrials.reporting.style.CAUSE_COLOURS`), all from the Okabe-Ito palette.
Draws in :func:`~alstrials.reporting.style.figure_style`, takes ``axes=None``, returns the
Axes, never calls ``plt.show()`` and changes no global matplotlib state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from alstrials.models.competing.cif import CIFResult
from alstrials.reporting.style import (
    CAUSE_COLOURS,
    arm_colours,
    cause_colour,
    figure_style,
    time_ticks,
)
from alstrials.reporting.style import words as _words

__all__ = ["plot_cumulative_incidence", "CAUSE_COLOURS"]

_LAYOUTS = ("panels", "stacked")


def _steps(part: Any, column: str, t_end: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.concatenate([[0.0], part["time"].to_numpy(dtype=float), [t_end]])
    y = np.concatenate([[0.0], part[column].to_numpy(dtype=float)])
    return t, np.concatenate([y, y[-1:]])


def plot_cumulative_incidence(
    result: CIFResult,
    axes: Sequence[Any] | None = None,
    *,
    layout: str = "panels",
    arms: Sequence[str] | None = None,
    causes: Sequence[object] | None = None,
    ci: bool = True,
    xlabel: str = "Time since randomisation (months)",
    title: str | None = None,
) -> np.ndarray:
    """Cumulative incidence of each cause by arm.

    Parameters
    ----------
    result : CIFResult
        From :func:`alstrials.models.competing.cumulative_incidence` with ``by="arm"``.
    axes : sequence of matplotlib Axes, optional
        One per cause (``"panels"``) or per arm (``"stacked"``); a new figure when None.
    layout : {"panels", "stacked"}
        Side-by-side panels per cause, or per arm with the causes stacked.
    arms : sequence of str, optional
        Order of the arms in the legend (default: ``result.groups``); colours are fixed by
        arm name (:func:`alstrials.reporting.style.arm_colours`).
    causes : sequence, optional
        Causes to draw, in order (default: all).
    ci : bool
        Shade the pointwise intervals (panels only).
    xlabel, title : str
        X-axis label and an optional figure title.

    Returns
    -------
    ndarray of Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.models.competing import cumulative_incidence
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "arm": ["placebo", "active"] * 3,
    ...                   "s": ["death", "tracheostomy", "death", "censored", "death", "death"]})
    >>> axes = plot_cumulative_incidence(cumulative_incidence(d, "t", "s", by="arm"))
    >>> axes[0].get_ylabel()
    'Cumulative incidence'
    """
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    arm_order = list(arms) if arms is not None else list(result.groups)
    unknown = [a for a in arm_order if a not in result.groups]
    if unknown:
        raise ValueError(f"arms {unknown} are not groups of the result ({result.groups})")
    cause_order = list(causes) if causes is not None else list(result.causes)
    with figure_style():
        return _draw(result, axes, layout, arm_order, cause_order, ci, xlabel, title)


def _draw(
    result: CIFResult,
    axes: Sequence[Any] | None,
    layout: str,
    arm_order: list[str],
    cause_order: list[object],
    ci: bool,
    xlabel: str,
    title: str | None,
) -> np.ndarray:
    panels = cause_order if layout == "panels" else arm_order
    colours = arm_colours(arm_order)
    if axes is None:
        fig, new = plt.subplots(
            1, len(panels), figsize=(3.6 * len(panels) + 0.6, 3.8), sharey=True, squeeze=False
        )
        axs = new[0]
    else:
        axs = np.asarray(axes, dtype=object).ravel()
        if axs.size != len(panels):
            raise ValueError(f"need {len(panels)} axes for layout {layout!r}, got {axs.size}")
    tab = result.table
    t_max = max(result.last_time.values())
    if layout == "panels":
        for ax, cause in zip(axs, cause_order, strict=True):
            for arm in arm_order:
                part = tab[(tab["group"] == arm) & (tab["cause"] == cause)]
                colour = colours[arm]
                end = result.last_time[arm]
                t, y = _steps(part, "cif", end)
                ax.step(t, y, where="post", color=colour, lw=1.8, label=str(arm))
                if ci and len(part):
                    _, lo = _steps(part, "ci_low", end)
                    _, hi = _steps(part, "ci_high", end)
                    ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.18, lw=0)
            ax.set_title(_words(cause))
    else:
        for ax, arm in zip(axs, arm_order, strict=True):
            end = result.last_time[arm]
            grid = np.unique(np.concatenate([[0.0, end], tab.loc[tab["group"] == arm, "time"]]))
            rows = result.at(grid)
            rows = rows[rows["group"] == arm]
            stack = np.vstack(
                [rows.loc[rows["cause"] == c, "cif"].to_numpy(dtype=float) for c in cause_order]
            )
            shades = [cause_colour(c, k) for k, c in enumerate(cause_order)]
            ax.stackplot(
                grid, stack, labels=[_words(c) for c in cause_order], colors=shades,
                step="post", alpha=0.85,
            )  # fmt: skip
            ax.set_title(_words(arm))
    for ax in axs:
        ax.set_xlim(0, t_max * 1.02)
        time_ticks(ax, t_max)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, lw=0.5)
    axs[0].set_ylabel("Cumulative incidence")
    shown = tab[tab["cause"].isin(cause_order)]["ci_high" if ci else "cif"].to_numpy(dtype=float)
    if layout == "stacked":
        last = result.at(list(result.last_time.values()))
        totals = last[last["cause"].isin(cause_order)].groupby(["group", "time"])["cif"].sum()
        top = min(1.0, float(np.nanmax(np.r_[0.1, totals.to_numpy()])) * 1.15)
    else:
        top = min(1.0, float(np.nanmax(np.r_[0.1, shown])) * 1.05)
    axs[0].set_ylim(0, top)
    axs[-1].legend(loc="upper left")
    fig = axs[0].figure
    if title:
        fig.suptitle(title, y=1.02)
    return axs
