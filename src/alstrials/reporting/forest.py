"""Forest plot of hazard ratios (or any ratio estimates) with confidence intervals.

Input is one coefficient table like ``CoxResult.coef`` (index = covariate; columns ``hr``,
``hr_low``, ``hr_high``, and optionally ``p``), or a mapping ``{model name: table}`` to compare
several models; models are drawn as vertically offset series with a legend. The x axis is
logarithmic (ratios are symmetric on the log scale) with a reference line at 1; the estimate
and its interval are printed in a column on the right.

One row per effect, in words: formula term names are mapped to labels (``active``,
``arm[T.active]`` and ``C(arm, Treatment('placebo'))[T.active]`` are all "Active vs placebo"),
so the same effect from several models shares a row. Continuous covariates are shown per a
clinically sized unit (age per 10 years, cord area per 5 mm²; see :data:`PER_UNIT`): a ratio
per ``u`` units is ``HR**u``, with the interval ``(low**u, high**u)``; the label states it.

References
----------
Lewis S, Clarke M. Forest plots: trying to see the wood and the trees. BMJ 2001;322:1479-80.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from alstrials.errors import DataValidationError
from alstrials.reporting.style import figure_style, words

__all__ = ["forest_plot", "term_label", "PER_UNIT", "TERM_LABELS"]

TERM_LABELS: dict[str, str] = {
    "active": "Active vs placebo",
    "composite_sign": "Composite MRI sign (positive vs negative)",
    "age": "Age",
    "delta_fs": "ΔFS",
    "cord_csa_mm2": "Cord area",
    "cst_fa": "Corticospinal tract FA",
    "onset_to_baseline_months": "Onset to baseline",
    "bulbar": "Bulbar vs spinal onset",
}
"""Words for canonical model terms."""

PER_UNIT: dict[str, float] = {"age": 10.0, "cord_csa_mm2": 5.0, "cst_fa": 0.05}
"""Default units per which continuous covariates' ratios are shown."""

_MODEL_STYLES = (("#000000", "s"), ("#009E73", "o"), ("#CC79A7", "D"), ("#E69F00", "^"))
_TREATMENT = re.compile(
    r"^C\((?P<var>\w+)\s*,\s*Treatment\((?:reference\s*=\s*)?['\"](?P<ref>[^'\"]+)['\"]\)\)"
    r"\[T\.(?P<level>[^\]]+)\]$"
)
_LEVEL = re.compile(r"^(?P<var>\w+)\[(?:T\.)?(?P<level>[^\]]+)\]$")

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


_NICE: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.33, 0.5, 0.75, 1.0, 1.5, 2.0)
_NICE += (3.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def _ratio_ticks(
    ax: Axes, tables: Mapping[str, pd.DataFrame], columns: Sequence[str], reference: float
) -> None:
    """Plain-number ticks (0.5, 1, 2, ...) instead of powers of ten on the log axis."""
    values = np.concatenate([t[list(columns)].to_numpy(float).ravel() for t in tables.values()])
    values = values[np.isfinite(values)]
    low, high = min(values.min(), reference) / 1.12, max(values.max(), reference) * 1.12
    ax.set_xlim(low, high)
    ticks = [v for v in _NICE if low <= v <= high]
    if len(ticks) >= 2:
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())


_PER_UNIT_WORDS = {  # (one unit, several units)
    "age": ("year", "years"),
    "delta_fs": ("point/month", "points/month"),
    "cord_csa_mm2": ("mm²", "mm²"),
    "onset_to_baseline_months": ("month", "months"),
}


def _per_text(name: str, per: float) -> str | None:
    unit = _PER_UNIT_WORDS.get(name)
    if unit is None:
        return None if per == 1 else f"per {per:g}"
    return f"per {unit[0]}" if per == 1 else f"per {per:g} {unit[1]}"


def _with_unit(text: str, name: str, per: float) -> str:
    unit = _per_text(name, per)
    return text if unit is None else f"{text} ({unit})"


def term_label(term: object, per: float = 1.0, labels: Mapping[str, str] | None = None) -> str:
    """A model term in words, stating the unit its ratio is shown per.

    Parameters
    ----------
    term : str
        A term as it appears in a coefficient table's index.
    per : float
        Unit the ratio is shown per (stated in the label when not 1).
    labels : mapping, optional
        Words for terms, checked before :data:`TERM_LABELS`.

    Examples
    --------
    >>> term_label("C(arm, Treatment('placebo'))[T.active]")
    'Active vs placebo'
    >>> term_label("age", per=10)
    'Age (per 10 years)'
    """
    name = str(term)
    if labels and name in labels:
        return _with_unit(labels[name], name, per)
    match = _TREATMENT.match(name)
    if match:
        var, level, ref = match["var"], match["level"], match["ref"]
        if var == "arm":
            return f"{words(level)} vs {ref}"
        return f"{words(var)}: {level} vs {ref}"
    match = _LEVEL.match(name)
    if match:
        var, level = match["var"], match["level"]
        if var == "arm" and level == "active":
            return TERM_LABELS["active"]
        return f"{words(var)}: {level}"
    return _with_unit(TERM_LABELS.get(name, words(name)), name, per)


def _per(term: object, per: Mapping[str, float] | None) -> float:
    if per is None:
        return 1.0
    return float(per.get(str(term), 1.0))


def forest_plot(
    coef: pd.DataFrame | Mapping[str, pd.DataFrame],
    ax: Axes | None = None,
    *,
    columns: Sequence[str] = _REQUIRED,
    labels: Mapping[str, str] | None = None,
    per: Mapping[str, float] | None = PER_UNIT,
    reference: float = 1.0,
    xlabel: str = "Hazard ratio (95% CI, log scale)",
    estimate_name: str = "HR (95% CI)",
    annotate: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw a forest plot of ratio estimates with their confidence intervals.

    Parameters
    ----------
    coef : DataFrame or mapping of name -> DataFrame
        Indexed by term, with the ``columns`` (estimate, lower, upper bound).
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure's Axes).
    columns : three column names, default ("hr", "hr_low", "hr_high")
    labels : mapping, optional
        Display names for terms (index values); others go through :func:`term_label`.
    per : mapping, optional
        Units per which a term's ratio is shown (default :data:`PER_UNIT`: age per 10 years,
        ...); ``None`` shows every ratio per 1 unit.
    reference : float, default 1
        Position of the vertical no-effect line.
    xlabel : str
    estimate_name : str
        Heading of the column of estimates.
    annotate : bool, default True
        Print "estimate (low-high)" in a column right of the plot, one line per model.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> coef = pd.DataFrame({"hr": [0.7, 1.4], "hr_low": [0.5, 1.1], "hr_high": [0.98, 1.8]},
    ...                     index=["active", "delta_fs"])
    >>> ax = forest_plot(coef)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Active vs placebo', 'ΔFS (per point/month)']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    tables = dict(coef) if isinstance(coef, Mapping) else {"": coef}
    if not tables:
        raise DataValidationError("forest_plot: no coefficient table given")
    for name, frame in tables.items():
        _check(name or "coef", frame, columns)
    with figure_style():
        return _draw(tables, ax, columns, labels, per, reference, xlabel, estimate_name,
                     annotate, title)  # fmt: skip


def _scaled(
    tables: Mapping[str, pd.DataFrame],
    columns: Sequence[str],
    labels: Mapping[str, str] | None,
    per: Mapping[str, float] | None,
) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Rows (labels, in order of first appearance) and each table rescaled, indexed by label."""
    rows: list[str] = []
    scaled = {}
    for name, frame in tables.items():
        units = np.array([_per(t, per) for t in frame.index])
        values = frame[list(columns)].to_numpy(float) ** units[:, None]
        index = [term_label(t, u, labels) for t, u in zip(frame.index, units, strict=True)]
        if len(set(index)) < len(index):
            index = [f"{lab} [{t}]" for lab, t in zip(index, frame.index, strict=True)]
        scaled[name] = pd.DataFrame(values, index=index, columns=list(columns))
        rows += [r for r in index if r not in rows]
    return rows, scaled


def _draw(
    tables: Mapping[str, pd.DataFrame],
    ax: Axes | None,
    columns: Sequence[str],
    labels: Mapping[str, str] | None,
    per: Mapping[str, float] | None,
    reference: float,
    xlabel: str,
    estimate_name: str,
    annotate: bool,
    title: str | None,
) -> Axes:
    import matplotlib.pyplot as plt

    rows, scaled = _scaled(tables, columns, labels, per)
    n_models = len(scaled)
    if ax is None:
        height = 0.25 * len(rows) * n_models + 0.3 * len(rows) + 1.2 + 0.3 * (n_models > 1)
        _, ax = plt.subplots(figsize=(7.5, height))
    # First model on top within each row's band.
    offsets = np.linspace(0.18, -0.18, n_models) if n_models > 1 else np.zeros(1)
    y_base = np.arange(len(rows))[::-1].astype(float)
    position = dict(zip(rows, y_base, strict=True))
    for k, (name, frame) in enumerate(scaled.items()):
        colour, marker = _MODEL_STYLES[k % len(_MODEL_STYLES)]
        y = np.array([position[c] for c in frame.index]) + offsets[k]
        h, lo, hi = (frame[c].to_numpy(float) for c in columns)
        err = np.vstack([h - lo, hi - h])
        ax.errorbar(
            h, y, xerr=err, fmt=marker, color=colour, capsize=2.5, label=name or None,
            markersize=5, elinewidth=1.2,
        )  # fmt: skip
        if annotate:
            for yi, hv, lv, uv in zip(y, h, lo, hi, strict=True):
                ax.annotate(
                    f"{hv:.2f} ({lv:.2f}-{uv:.2f})",
                    xy=(1.03, yi),
                    xycoords=("axes fraction", "data"),
                    va="center",
                    fontsize=8.5,
                    color=colour,
                )
    if annotate:
        ax.annotate(
            estimate_name,
            xy=(1.03, len(rows) - 0.45),
            xycoords=("axes fraction", "data"),
            va="bottom",
            fontsize=9,
            fontweight="bold",
        )
    ax.axvline(reference, color="0.5", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    _ratio_ticks(ax, scaled, columns, reference)
    ax.set_yticks(y_base)
    ax.set_yticklabels(rows)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    for y in y_base[:-1] - 0.5:
        ax.axhline(y, color="0.9", lw=0.6, zorder=0)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, loc="left")
    if n_models > 1:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.25 / len(rows)),
                  ncol=n_models, handletextpad=0.3)  # fmt: skip
    return ax
