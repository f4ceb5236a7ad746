"""Forest plot of hazard ratios (or any ratio estimates) with confidence intervals.

Input is one coefficient table like ``CoxResult.coef`` (index = covariate; columns ``hr``,
``hr_low``, ``hr_high``, and optionally ``p``), or a mapping ``{model name: table}`` to compare
several models; models are drawn as vertically offset series with a legend. The x axis is
logarithmic (ratios are symmetric on the log scale) with a reference line at 1.

References
----------
Lewis S, Clarke M. Forest plots: trying to see the wood and the trees. BMJ 2001;322:1479-80.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from alstrials.errors import DataValidationError

__all__ = ["forest_plot"]

_REQUIRED = ("hr", "hr_low", "hr_high")


def _check(name: str, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"forest_plot: {name} must be a DataFrame, got {type(frame)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"forest_plot: table {name!r} lacks column(s) {missing}; expected a table like "
            f"CoxResult.coef with columns {list(columns)}.",
            table=name,
            column=missing[0],
        )
    values = frame[list(columns)].to_numpy(dtype=float)
    bad = ~np.isnan(values) & (values <= 0)
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        raise DataValidationError(
            f"forest_plot: table {name!r}, row {frame.index[r]!r}, column {columns[c]!r} is "
            f"{values[r, c]!r}; ratios must be > 0 on a log axis.",
            table=name,
            column=columns[c],
            row=frame.index[r],
        )
    return frame


_NICE = (
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.25,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    4.0,
    5.0,
    10.0,
    20.0,
    50.0,
    100.0,
)


def _ratio_ticks(
    ax: Axes, tables: Mapping[str, pd.DataFrame], columns: Sequence[str], reference: float
) -> None:
    """Plain-number ticks (0.5, 1, 2, ...) instead of powers of ten on the log axis."""
    values = np.concatenate([t[list(columns)].to_numpy(float).ravel() for t in tables.values()])
    values = values[np.isfinite(values)]
    low, high = min(values.min(), reference), max(values.max(), reference)
    ticks = [v for v in _NICE if low / 1.25 <= v <= high * 1.25]
    if len(ticks) >= 2:
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())


def forest_plot(
    coef: pd.DataFrame | Mapping[str, pd.DataFrame],
    ax: Axes | None = None,
    *,
    columns: Sequence[str] = _REQUIRED,
    labels: Mapping[str, str] | None = None,
    reference: float = 1.0,
    xlabel: str = "Hazard ratio (log scale)",
    annotate: bool = True,
) -> Axes:
    """Draw a forest plot of ratio estimates with their confidence intervals.

    Parameters
    ----------
    coef : DataFrame or mapping of name -> DataFrame
        Indexed by covariate, with the ``columns`` (estimate, lower, upper bound).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure's Axes).
    columns : three column names, default ("hr", "hr_low", "hr_high")
    labels : mapping, optional
        Display names for covariates (index values).
    reference : float, default 1
        Position of the vertical no-effect line.
    xlabel : str
    annotate : bool, default True
        Write "HR (low-high)" to the right of each row (single table only).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> coef = pd.DataFrame({"hr": [0.7, 1.4], "hr_low": [0.5, 1.1], "hr_high": [0.98, 1.8]},
    ...                     index=["arm[active]", "delta_fs"])
    >>> ax = forest_plot(coef)
    >>> ax.get_xscale()
    'log'
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    tables = dict(coef) if isinstance(coef, Mapping) else {"": coef}
    if not tables:
        raise DataValidationError("forest_plot: no coefficient table given")
    est, low, high = columns
    for name, frame in tables.items():
        _check(name or "coef", frame, columns)
    covariates: list[object] = []
    for frame in tables.values():
        covariates += [c for c in frame.index if c not in covariates]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * len(covariates) * max(1, len(tables)) + 1.2))
    n_models = len(tables)
    # First model on top within each covariate's band.
    offsets = np.linspace(0.2, -0.2, n_models) if n_models > 1 else np.zeros(1)
    y_base = np.arange(len(covariates))[::-1].astype(float)
    position = dict(zip(covariates, y_base, strict=True))
    for k, (name, frame) in enumerate(tables.items()):
        y = np.array([position[c] for c in frame.index]) + offsets[k]
        h = frame[est].to_numpy(float)
        lo, hi = frame[low].to_numpy(float), frame[high].to_numpy(float)
        err = np.vstack([h - lo, hi - h])
        ax.errorbar(h, y, xerr=err, fmt="s", capsize=3, label=name or None, markersize=5)
        if annotate and n_models == 1:
            for yi, hv, lv, uv in zip(y, h, lo, hi, strict=True):
                ax.annotate(
                    f"{hv:.2f} ({lv:.2f}-{uv:.2f})",
                    xy=(1.01, yi),
                    xycoords=("axes fraction", "data"),
                    va="center",
                    fontsize=8,
                )
    ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    _ratio_ticks(ax, tables, columns, reference)
    ax.set_yticks(y_base)
    ax.set_yticklabels([str((labels or {}).get(str(c), c)) for c in covariates])
    ax.set_ylim(-0.7, len(covariates) - 0.3)
    ax.set_xlabel(xlabel)
    if n_models > 1:
        ax.legend(loc="best", fontsize=8)
    return ax
