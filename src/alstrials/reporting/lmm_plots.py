"""Figures for a fitted linear mixed model (:class:`alstrials.models.lmm.LMMResult`).

``plot_spaghetti``     observed trajectories, one thin line per subject, with the fitted
                       population mean curve per group (e.g. arm).
``plot_observed_fitted`` observed outcome against conditional fitted values ``X beta + Z b``.
``plot_caterpillar``   BLUPs of one random effect, sorted, with approximate intervals
                       ``b_i +/- z sqrt(Var(b_i | y))`` from the conditional variances.

Each function takes ``ax=None`` (a new figure is made when None), draws, and returns the Axes; none
calls ``plt.show()`` or changes global matplotlib state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.errors import DataValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from alstrials.models.lmm import LMMResult

__all__ = ["plot_spaghetti", "plot_observed_fitted", "plot_caterpillar"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure().subplots()


def plot_spaghetti(
    result: LMMResult,
    time: str = "months",
    by: str | None = None,
    *,
    n_grid: int = 50,
    alpha: float = 0.25,
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
        Column whose levels get their own colour and mean curve (e.g. ``"arm"``).
    n_grid : int
        Number of times at which the mean curve is evaluated.
    alpha : float
        Opacity of the subject lines.
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
    'months'
    """
    data = result.data
    for col in [time] + ([by] if by else []):
        if col not in data.columns:
            raise DataValidationError(
                f"column {col!r} is not a variable of the fitted model; the model data have "
                f"{list(data.columns)}."
            )
    ax = _axes(ax)
    levels = list(pd.unique(data[by])) if by else [None]
    grid = np.linspace(float(data[time].min()), float(data[time].max()), n_grid)
    outcome = result.outcome if result.outcome in data.columns else None
    for k, level in enumerate(levels):
        colour = f"C{k % 10}"
        sub = data if level is None else data[data[by] == level]
        if outcome is not None:
            for _, rows in sub.sort_values(time).groupby(result.group, sort=False):
                ax.plot(rows[time], rows[outcome], color=colour, alpha=alpha, lw=0.7)
        first = sub.drop_duplicates(result.group)
        expanded = first.loc[first.index.repeat(n_grid)].copy()
        expanded[time] = np.tile(grid, len(first))
        pred = result.predict(expanded, include_random=False).to_numpy().reshape(len(first), -1)
        label = "population mean" if level is None else f"{by} = {level}"
        ax.plot(grid, np.nanmean(pred, axis=0), color=colour, lw=2.5, label=label)
    ax.set_xlabel(time)
    ax.set_ylabel(outcome or "outcome")
    ax.legend(frameon=False)
    return ax


def plot_observed_fitted(result: LMMResult, *, ax: Axes | None = None) -> Axes:
    """Observed outcome against conditional fitted values, with the identity line.

    Parameters
    ----------
    result : LMMResult
        A fitted model whose outcome is a column of the data.
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
    ax = _axes(ax)
    observed = result.data[result.outcome].to_numpy(dtype=float)
    fitted = result.fitted.to_numpy()
    ax.scatter(fitted, observed, s=8, alpha=0.5)
    lo = float(min(fitted.min(), observed.min()))
    hi = float(max(fitted.max(), observed.max()))
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--")
    ax.set_xlabel("fitted (with random effects)")
    ax.set_ylabel(f"observed {result.outcome}")
    return ax


def plot_caterpillar(
    result: LMMResult,
    term: str | None = None,
    *,
    level: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """BLUPs of one random effect, sorted, with approximate ``level`` intervals.

    The interval is ``b_i +/- z_{(1+level)/2} sqrt(Var(b_i | y))`` with the conditional variance
    of lme4's ``condVar`` (given the estimated variance parameters and ``beta``).

    Parameters
    ----------
    result : LMMResult
        A fitted model.
    term : str, optional
        Random term (a column of ``result.blups``); default the first (usually "Intercept").
    level : float
        Coverage of the intervals.
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
    j = names.index(term)
    b = result.blups[term].to_numpy()
    se = np.sqrt(np.maximum(result.blup_cov[:, j, j], 0.0))
    z = stats.norm.ppf(0.5 + level / 2)
    order = np.argsort(b)
    pos = np.arange(b.size)
    ax = _axes(ax)
    ax.errorbar(b[order], pos, xerr=z * se[order], fmt="o", ms=3, lw=0.8, capsize=0)
    ax.axvline(0.0, color="0.3", lw=1, ls="--")
    if b.size <= 40:
        ax.set_yticks(pos, [str(g) for g in result.blups.index[order]])
    else:
        ax.set_yticks([])
    ax.set_xlabel(f"random effect: {term}")
    ax.set_ylabel(result.group)
    return ax
