"""Survival figures: Kaplan-Meier curves with a number-at-risk table, scaled Schoenfeld residuals.

Both functions take ``ax=None`` (a new figure is made), draw in
:func:`~alstrials.reporting.style.figure_style`, return the main Axes, never call
``plt.show()`` and change no global matplotlib state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from alstrials.models.survival.km import KMResult
from alstrials.models.survival.zph import ZPHResult
from alstrials.reporting.formatting import format_p
from alstrials.reporting.style import arm_colours, figure_style, words

__all__ = ["plot_km", "plot_schoenfeld"]


def _risk_times(t_max: float) -> list[float]:
    """Round tick positions (multiples of 1, 2, 3, 6, 10, ... units) across ``[0, t_max]``."""
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=7, steps=[1, 2, 3, 5, 6, 10]).tick_values(0.0, t_max)
    return [float(t) for t in ticks if 0 <= t <= t_max * 1.0001]


def plot_km(
    result: KMResult,
    ax: Any = None,
    *,
    ci: bool = True,
    risk_table: bool = True,
    censor_marks: bool = True,
    times: Sequence[float] | None = None,
    xlabel: str = "Time",
    ylabel: str = "Survival probability",
    title: str | None = None,
) -> Any:
    """Kaplan-Meier curves with CI bands, censoring marks and a number-at-risk table.

    The risk table's columns sit at the x ticks of the curves (both are set to ``times``), so
    each count is read under the tick of its time. Arms keep their fixed colours
    (:func:`alstrials.reporting.style.arm_colours`).

    Parameters
    ----------
    result : KMResult
        From :func:`alstrials.models.survival.kaplan_meier`.
    ax : matplotlib Axes, optional
        Where to draw. When None a figure with two stacked Axes (curves, risk table) is
        created; when given, the risk table is written as text under ``ax``.
    ci : bool
        Shade the pointwise confidence bands.
    risk_table : bool
        Draw the number at risk per group at ``times``.
    censor_marks : bool
        Mark censoring times on the curves with a vertical tick (``|``).
    times : sequence of float, optional
        Times of the x ticks and of the risk-table columns (default: round numbers across
        the follow-up, e.g. every 3 months over 18 months).
    xlabel, ylabel, title : str
        Axis labels and optional title.

    Returns
    -------
    matplotlib Axes
        The Axes holding the curves; the risk-table Axes (if created) is
        ``ax.figure.axes[1]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.models.survival import kaplan_meier
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "e": [1, 1, 0, 1, 0, 1],
    ...                   "arm": ["a", "b"] * 3})
    >>> ax = plot_km(kaplan_meier(d, "t", "e", by="arm"))
    >>> ax.get_ylabel()
    'Survival probability'
    """
    with figure_style():
        return _draw_km(result, ax, ci, risk_table, censor_marks, times, xlabel, ylabel, title)


def _draw_curves(result: KMResult, ax: Any, ci: bool, censor_marks: bool) -> dict[object, str]:
    colours = arm_colours(result.groups)
    for g in result.groups:
        colour = colours[g]
        tab = result.table[result.table["group"] == g]
        t = np.concatenate([[0.0], tab["time"].to_numpy(dtype=float)])
        s = np.concatenate([[1.0], tab["survival"].to_numpy(dtype=float)])
        ax.step(t, s, where="post", color=colour, label=str(g), lw=1.6)
        if ci:
            lo = np.concatenate([[1.0], tab["ci_low"].to_numpy(dtype=float)])
            hi = np.concatenate([[1.0], tab["ci_high"].to_numpy(dtype=float)])
            ax.fill_between(t, lo, hi, step="post", alpha=0.15, color=colour, linewidth=0)
        if censor_marks:
            cens = tab[tab["n_censor"] > 0]
            ax.plot(
                cens["time"].to_numpy(dtype=float),
                cens["survival"].to_numpy(dtype=float),
                linestyle="none",
                marker="|",
                markersize=5,
                markeredgewidth=0.9,
                color=colour,
                label="_censored",
            )
    return colours


def _draw_km(
    result: KMResult,
    ax: Any,
    ci: bool,
    risk_table: bool,
    censor_marks: bool,
    times: Sequence[float] | None,
    xlabel: str,
    ylabel: str,
    title: str | None,
) -> Any:
    import matplotlib.pyplot as plt

    table_ax = None
    if ax is None:
        if risk_table:
            fig, (ax, table_ax) = plt.subplots(
                2,
                1,
                sharex=True,
                figsize=(7, 5.2 + 0.25 * len(result.groups)),
                gridspec_kw={"height_ratios": [4, max(1, len(result.groups)) * 0.3 + 0.5]},
            )
        else:
            fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = _draw_curves(result, ax, ci, censor_marks)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel if table_ax is None else "")
    if len(result.groups) > 1 or censor_marks:
        handles, labels = ax.get_legend_handles_labels()
        if censor_marks:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color="0.3", marker="|", linestyle="none"))
            labels.append("Censored")
        legend_title = ", ".join(words(b) for b in result.by) or None
        ax.legend(handles, labels, loc="lower left", title=legend_title)
    if title:
        ax.set_title(title)
    t_max = float(result.table["time"].max())
    times = _risk_times(t_max) if times is None else [float(t) for t in times]
    ax.set_xticks(times)
    ax.set_xlim(0, max(t_max, max(times, default=0.0)) * 1.02)
    if not risk_table:
        return ax
    counts = result.risk_table(times)
    if table_ax is not None:
        table_ax.set_ylim(-0.5, len(result.groups) - 0.5)
        table_ax.set_yticks(range(len(result.groups)))
        table_ax.set_yticklabels([str(g) for g in result.groups][::-1])
        table_ax.tick_params(axis="y", length=0, pad=16)  # clear of counts centred at t = 0
        for spine in ("top", "right", "left"):
            table_ax.spines[spine].set_visible(False)
        for i, g in enumerate(result.groups):
            y = len(result.groups) - 1 - i
            sub = counts[counts["group"] == g]
            for t, n in zip(sub["time"], sub["n_risk"], strict=True):
                table_ax.text(
                    t, y, str(n), ha="center", va="center", fontsize=8.5, color=colours[g]
                )
        table_ax.set_xlabel(xlabel)
        table_ax.set_title("Number at risk", fontsize=9, loc="left")
    else:
        ax.set_xlabel(xlabel)
        trans = ax.get_xaxis_transform()
        for i, g in enumerate(result.groups):
            sub = counts[counts["group"] == g]
            y_text = -0.2 - 0.07 * i
            ax.text(
                -0.02, y_text, str(g), transform=ax.transAxes, ha="right", va="center", fontsize=8
            )
            for t, n in zip(sub["time"], sub["n_risk"], strict=True):
                ax.text(
                    t,
                    y_text,
                    str(n),
                    transform=trans,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=colours[g],
                )
    return ax


def plot_schoenfeld(
    result: ZPHResult,
    covariate: str,
    ax: Any = None,
    *,
    smooth: bool = True,
    span: float = 0.3,
) -> Any:
    """Scaled Schoenfeld residuals of one covariate against transformed time.

    A flat trend supports proportional hazards; the horizontal dashed line is the Cox estimate
    (the mean of the scaled residuals). The trend is a running mean over a window of ``span``
    times the number of events (a simple smoother; R's plot uses a spline).

    Parameters
    ----------
    result : ZPHResult
        From :func:`alstrials.models.survival.cox_zph`.
    covariate : str
        One of ``result.covariates``.
    ax : matplotlib Axes, optional
        Where to draw (a new figure when None).
    smooth : bool
        Draw the running-mean trend.
    span : float
        Window width as a fraction of the events, in (0, 1].

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.models.survival import fit_cox, cox_zph
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10], "e": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "x": [0.2, -1.0, 0.5, -0.3, -1.2, 1.0, 0.1, -0.8]})
    >>> ax = plot_schoenfeld(cox_zph(fit_cox(d, "t", "e", "x")), "x")
    >>> ax.get_ylabel()
    'Beta(t) for x'
    """
    if covariate not in result.covariates:
        raise ValueError(
            f"covariate {covariate!r} not in the test; choose among {list(result.covariates)}"
        )
    if not 0 < span <= 1:
        raise ValueError(f"span must be in (0, 1], got {span!r}")
    with figure_style():
        return _draw_schoenfeld(result, covariate, ax, smooth, span)


def _draw_schoenfeld(result: ZPHResult, covariate: str, ax: Any, smooth: bool, span: float) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    res = result.residuals.sort_values("transformed_time", kind="stable")
    x = res["transformed_time"].to_numpy()
    y = res[covariate].to_numpy()
    ax.scatter(x, y, s=10, alpha=0.6, color="0.3")
    if smooth and len(x) >= 3:
        k = max(3, int(round(span * len(x))))
        kernel = np.ones(k) / k
        pad = k // 2
        ypad = np.concatenate([np.repeat(y[:1], pad), y, np.repeat(y[-1:], k - 1 - pad)])
        ax.plot(
            x, np.convolve(ypad, kernel, mode="valid"), color="#0072B2", lw=2, label="Running mean"
        )
    ax.axhline(float(np.mean(y)), color="#D55E00", ls="--", lw=1, label="Cox estimate")
    p = result.table.loc[covariate, "p"]
    ax.set_title(f"{covariate}: proportional-hazards test p = {format_p(p)}")
    ax.set_xlabel(f"Time ({result.transform} scale)")
    ax.set_ylabel(f"Beta(t) for {covariate}")
    ax.legend()
    return ax
