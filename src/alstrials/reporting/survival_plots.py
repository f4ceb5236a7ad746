"""Survival figures: Kaplan-Meier curves with a number-at-risk table, scaled Schoenfeld residuals.

Both functions take ``ax=None`` (a new figure is made), return the main Axes, never call
``plt.show()`` and change no global matplotlib state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from alstrials.models.survival.km import KMResult
from alstrials.models.survival.zph import ZPHResult

__all__ = ["plot_km", "plot_schoenfeld"]


def plot_km(
    result: KMResult,
    ax: Any = None,
    *,
    ci: bool = True,
    risk_table: bool = True,
    times: Sequence[float] | None = None,
    xlabel: str = "Months",
    title: str | None = None,
) -> Any:
    """Kaplan-Meier curves with CI bands and a number-at-risk table under the axis.

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
    times : sequence of float, optional
        Times of the risk-table columns (default: the x tick positions within the data).
    xlabel, title : str
        Axis label and optional title.

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
    import matplotlib.pyplot as plt

    table_ax = None
    if ax is None:
        if risk_table:
            fig, (ax, table_ax) = plt.subplots(
                2,
                1,
                sharex=True,
                figsize=(7, 5.5),
                gridspec_kw={"height_ratios": [4, max(1, len(result.groups)) * 0.35 + 0.4]},
            )
        else:
            fig, ax = plt.subplots(figsize=(7, 4.5))
    result.plot(ax=ax, ci=ci)
    ax.set_xlabel(xlabel if table_ax is None else "")
    if title:
        ax.set_title(title)
    t_max = float(result.table["time"].max())
    ax.set_xlim(0, t_max * 1.02)
    if not risk_table:
        return ax
    if times is None:
        ticks = ax.get_xticks()
        times = [float(t) for t in ticks if 0 <= t <= t_max]
    times = list(times)
    counts = result.risk_table(times)
    colors = [line.get_color() for line in ax.get_lines()]
    if table_ax is not None:
        table_ax.set_ylim(-0.5, len(result.groups) - 0.5)
        table_ax.set_yticks(range(len(result.groups)))
        table_ax.set_yticklabels(list(result.groups)[::-1])
        table_ax.tick_params(axis="y", length=0, pad=16)  # clear of counts centred at t = 0
        for spine in ("top", "right", "left"):
            table_ax.spines[spine].set_visible(False)
        for i, g in enumerate(result.groups):
            y = len(result.groups) - 1 - i
            sub = counts[counts["group"] == g]
            for t, n in zip(sub["time"], sub["n_risk"], strict=True):
                table_ax.text(
                    t,
                    y,
                    str(n),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=colors[i % len(colors)] if colors else "black",
                )
        table_ax.set_xlabel(xlabel)
        table_ax.set_title("Number at risk", fontsize=9, loc="left")
    else:
        ax.set_xlabel(xlabel)
        trans = ax.get_xaxis_transform()
        for i, g in enumerate(result.groups):
            sub = counts[counts["group"] == g]
            y_text = -0.18 - 0.07 * i
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
                    color=colors[i % len(colors)] if colors else "black",
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
    import matplotlib.pyplot as plt

    if covariate not in result.covariates:
        raise ValueError(
            f"covariate {covariate!r} not in the test; choose among {list(result.covariates)}"
        )
    if not 0 < span <= 1:
        raise ValueError(f"span must be in (0, 1], got {span!r}")
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
        ax.plot(x, np.convolve(ypad, kernel, mode="valid"), color="C0", lw=2, label="running mean")
    ax.axhline(float(np.mean(y)), color="C3", ls="--", lw=1, label="Cox estimate")
    p = result.table.loc[covariate, "p"]
    ax.set_title(f"{covariate}: PH test p = {p:.3g}", fontsize=10)
    ax.set_xlabel(f"Time ({result.transform} scale)")
    ax.set_ylabel(f"Beta(t) for {covariate}")
    ax.legend(fontsize=8)
    return ax
