"""Figures for a fitted linear mixed model (:class:`alstrials.models.lmm.LMMResult`).

``plot_spaghetti``     observed trajectories, one thin line per subject, with the fitted
                       population mean curve per group (e.g. arm).
``plot_observed_fitted`` observed outcome against conditional fitted values ``X beta + Z b``.
``plot_caterpillar``   BLUPs of one random effect, sorted, with approximate intervals
                       ``b_i +/- z sqrt(Var(b_i | y))`` from the conditional variances.

Each function takes ``ax=None`` (a new figure is made when None), draws in
:func:`~alstrials.reporting.style.figure_style`, and returns the Axes; none calls ``plt.show()``
or changes global matplotlib state. Arms keep their fixed colours, axes are labelled in words
with units, and fitted values of a bounded scale (ALSFRS-R: 0-48) outside it are drawn at the
bound and counted on the figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import patheffects
from scipy import stats

from alstrials.errors import DataValidationError
from alstrials.reporting.style import (
    SCALE_BOUNDS,
    UNITS,
    arm_colours,
    arm_order,
    axis_label,
    figure_style,
    lower_first,
    time_ticks,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from alstrials.models.lmm import LMMResult

__all__ = ["plot_spaghetti", "plot_observed_fitted", "plot_caterpillar"]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.8)) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize).subplots()


def plot_spaghetti(
    result: LMMResult,
    time: str = "months",
    by: str | None = None,
    *,
    n_grid: int = 50,
    alpha: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Observed trajectories with the fitted population mean by group.

    The mean curve of a group is the population prediction (``include_random=False``) averaged
    over the group's subjects, each subject's covariates taken from their first row used in the
    fit, at ``n_grid`` times across the observed range (marginal standardisation; with ``time`` the
    only covariate besides ``by`` it is simply ``X(t) beta``).

    Parameters
    ----------
    result : LMMResult
        A fitted model; ``time`` (and ``by``) must be model variables.
    time : str
        Time column.
    by : str, optional
        Column whose levels get their own colour and mean curve (e.g. ``"arm"``; arms keep
        their fixed colours, placebo first).
    n_grid : int
        Number of times at which the mean curve is evaluated.
    alpha : float, optional
        Opacity of the subject lines (default: lighter the more subjects).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import alstrials.models.lmm as lmm
    >>> res = lmm.fit_lmm(lmm.example_data(20), "y ~ months * arm", "subject_id", "~months")
    >>> plot_spaghetti(res, "months", by="arm").get_xlabel()
    'Time since randomisation (months)'
    """
    data = result.data
    for col in [time] + ([by] if by else []):
        if col not in data.columns:
            raise DataValidationError(
                f"column {col!r} is not a variable of the fitted model; the model data have "
                f"{list(data.columns)}."
            )
    with figure_style():
        return _draw_spaghetti(result, time, by, n_grid, alpha, _axes(ax))


def _draw_spaghetti(
    result: LMMResult, time: str, by: str | None, n_grid: int, alpha: float | None, ax: Axes
) -> Axes:
    data = result.data
    levels = arm_order(pd.unique(data[by])) if by else [None]
    colours: dict[object, str] = arm_colours(levels) if by else {None: "#0072B2"}
    grid = np.linspace(float(data[time].min()), float(data[time].max()), n_grid)
    outcome = result.outcome if result.outcome in data.columns else None
    n_subjects = data[result.group].nunique()
    if alpha is None:
        alpha = float(np.clip(2.0 / np.sqrt(max(n_subjects, 1)), 0.06, 0.35))
    for level in levels:
        colour = colours[level]
        sub = data if level is None else data[data[by] == level]
        if outcome is not None:
            for _, rows in sub.sort_values(time).groupby(result.group, sort=False):
                ax.plot(rows[time], rows[outcome], color=colour, alpha=alpha, lw=0.5)
        first = sub.drop_duplicates(result.group)
        expanded = first.loc[first.index.repeat(n_grid)].copy()
        expanded[time] = np.tile(grid, len(first))
        pred = result.predict(expanded, include_random=False).to_numpy().reshape(len(first), -1)
        n = first.shape[0]
        label = "Fitted mean" if level is None else f"{level}: fitted mean (n={n})"
        ax.plot(
            grid, np.nanmean(pred, axis=0), color=colour, lw=2.6, label=label,
            path_effects=[patheffects.withStroke(linewidth=4.5, foreground="white")],
        )  # fmt: skip
    ax.set_xlabel(axis_label(time))
    ax.set_ylabel(axis_label(outcome) if outcome else "Outcome")
    if outcome in SCALE_BOUNDS:
        ax.set_ylim(*SCALE_BOUNDS[outcome])
    ax.set_xlim(min(0.0, float(grid[0])), float(grid[-1]) * 1.02)
    time_ticks(ax, float(grid[-1]))
    what = axis_label(outcome).split(" (")[0] if outcome else "Outcome"
    ax.set_title(f"{what}: observed (one line per subject) and fitted mean" + (
        f" by {by}" if by else ""))  # fmt: skip
    ax.legend(loc="lower left")
    return ax


def plot_observed_fitted(
    result: LMMResult,
    *,
    bounds: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Observed outcome against conditional fitted values ``X beta + Z b``, with the identity.

    A linear model can fit values outside a bounded scale (ALSFRS-R below 0 or above 48).
    Those are drawn at the bound as triangles and counted in a note on the figure, so no
    point is hidden and none is shown where the scale cannot go.

    Parameters
    ----------
    result : LMMResult
        A fitted model whose outcome is a column of the data.
    bounds : (low, high), optional
        Range of the scale (default :data:`~alstrials.reporting.style.SCALE_BOUNDS` of the
        outcome, 0-48 for ``alsfrs_total``; none for other outcomes).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if result.outcome not in result.data.columns:
        raise DataValidationError(
            f"the outcome {result.outcome!r} is an expression, not a column; observed values are "
            "not available for this plot."
        )
    if bounds is None:
        bounds = SCALE_BOUNDS.get(result.outcome)
    with figure_style():
        return _draw_observed_fitted(result, bounds, _axes(ax, (5.6, 5.2)))


def _draw_observed_fitted(result: LMMResult, bounds: tuple[float, float] | None, ax: Axes) -> Axes:
    observed = result.data[result.outcome].to_numpy(dtype=float)
    fitted = result.fitted.to_numpy(dtype=float)
    low, high = bounds if bounds is not None else (-np.inf, np.inf)
    below, above = fitted < low, fitted > high
    inside = ~(below | above)
    ax.scatter(fitted[inside], observed[inside], s=7, alpha=0.4, color="#0072B2", lw=0)
    notes = []
    for mask, edge, marker, word in ((below, low, "<", "below"), (above, high, ">", "above")):
        if mask.any():
            ax.scatter(
                np.full(mask.sum(), edge), observed[mask], s=22, marker=marker,
                color="#D55E00", lw=0, label=f"Fitted {word} {edge:g}, drawn at {edge:g}",
            )  # fmt: skip
            extreme = fitted[mask].min() if word == "below" else fitted[mask].max()
            notes.append(
                f"{int(mask.sum())} fitted value(s) {word} {edge:g} (extreme {extreme:.1f})"
            )
    if bounds is not None:
        lo, hi = bounds
    else:
        lo = float(min(fitted.min(), observed.min()))
        hi = float(max(fitted.max(), observed.max()))
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--", label="Observed = fitted")
    pad = 0.02 * (hi - lo)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    label = axis_label(result.outcome)
    ax.set_xlabel(f"Fitted {lower_first(label)}")
    ax.set_ylabel(f"Observed {lower_first(label)}")
    ax.set_title("Observed against fitted values (with subject random effects)")
    if notes:
        ax.text(0.98, 0.02, "\n".join(notes), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8, color="0.25")  # fmt: skip
    ax.legend(loc="upper left")
    return ax


def _random_effect_label(result: LMMResult, term: str) -> tuple[str, str]:
    """(axis label, short name) of a random effect, in words with units when known."""
    outcome_unit = UNITS.get(result.outcome)
    if term == "Intercept":
        unit = f" ({outcome_unit})" if outcome_unit else ""
        return f"Subject's intercept: deviation from the fitted mean{unit}", "intercepts"
    if term in UNITS:
        unit = f"{outcome_unit}/{UNITS[term]}" if outcome_unit else f"per {UNITS[term]}"
        return f"Subject's slope: deviation from the fitted mean ({unit})", "slopes"
    return f"Subject's random effect of {axis_label(term)}", f"effects of {term}"


def plot_caterpillar(
    result: LMMResult,
    term: str | None = None,
    *,
    level: float = 0.95,
    max_labels: int = 40,
    ax: Axes | None = None,
) -> Axes:
    """BLUPs of one random effect, sorted, with approximate ``level`` intervals.

    The interval is ``b_i +/- z_{(1+level)/2} sqrt(Var(b_i | y))`` with the conditional variance
    of lme4's ``condVar`` (given the estimated variance parameters and ``beta``). Up to
    ``max_labels`` subjects are named on the y axis; with more (a trial of 400), subjects are
    ranked without names, intervals drawn thin, and those excluding 0 highlighted and counted.

    Parameters
    ----------
    result : LMMResult
        A fitted model.
    term : str, optional
        Random term (a column of ``result.blups``); default the first (usually "Intercept").
    level : float
        Coverage of the intervals.
    max_labels : int
        Most subjects named on the y axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    names = list(result.blups.columns)
    term = names[0] if term is None else term
    if term not in names:
        raise DataValidationError(f"term {term!r} is not a random effect; choose from {names}.")
    if not 0 < level < 1:
        raise DataValidationError(f"level must be in (0, 1), got {level}.")
    n = len(result.blups)
    with figure_style():
        size = (6.0, min(8.0, 1.5 + 0.18 * n)) if n <= max_labels else (7.0, 5.0)
        return _draw_caterpillar(result, term, names, level, max_labels, _axes(ax, size))


def _draw_caterpillar(
    result: LMMResult, term: str, names: list[str], level: float, max_labels: int, ax: Axes
) -> Axes:
    j = names.index(term)
    b = result.blups[term].to_numpy()
    se = np.sqrt(np.maximum(result.blup_cov[:, j, j], 0.0))
    z = stats.norm.ppf(0.5 + level / 2)
    order = np.argsort(b, kind="stable")
    pos = np.arange(b.size)
    bs, hs = b[order], z * se[order]
    excludes = (bs - hs > 0) | (bs + hs < 0)
    many = b.size > max_labels
    ms, lw = (1.8, 0.45) if many else (3.5, 0.9)
    inside = ~excludes
    ax.errorbar(
        bs[inside], pos[inside], xerr=hs[inside], fmt="o", ms=ms, lw=lw, color="#0072B2",
        ecolor="#A9CCE3" if many else "#0072B2", capsize=0,
        label=f"Estimate, {level:.0%} interval includes 0",
    )  # fmt: skip
    if excludes.any():
        ax.errorbar(
            bs[excludes], pos[excludes], xerr=hs[excludes], fmt="o", ms=ms, lw=lw,
            color="#D55E00", ecolor="#F2C1A0" if many else "#D55E00", capsize=0,
            label=f"Estimate, {level:.0%} interval excludes 0",
        )  # fmt: skip
    ax.axvline(0.0, color="0.3", lw=1, ls="--")
    label, short = _random_effect_label(result, term)
    ax.set_xlabel(label)
    if many:
        ax.set_yticks([])
        ax.set_ylabel(f"Subjects ranked by estimate (n = {b.size})")
        ax.set_ylim(-1, b.size)
    else:
        ax.set_yticks(pos, [str(g) for g in result.blups.index[order]])
        ax.set_ylabel(axis_label(result.group))
    ax.set_title(
        f"Subject {short} (BLUPs), {int(excludes.sum())} of {b.size} intervals exclude 0",
        loc="left",
    )
    ax.legend(loc="upper left")
    return ax
