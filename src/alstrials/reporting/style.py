"""The one look of alstrials figures: fonts, palette, arm and cause colours, axis labels.

Every plotting function in :mod:`alstrials.reporting` draws inside :func:`figure_style`, a
``matplotlib.rc_context``: the settings apply while the figure is drawn and are restored
afterwards, so no global matplotlib state is changed. Use it around your own figures too::

    with figure_style():
        fig, ax = plt.subplots()
        ...

Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies
and in greyscale print. Arms get fixed colours by name (placebo blue, active vermillion) in
every figure, whatever order the data list them in; causes of an event likewise.

Axis labels are words with units: :func:`axis_label` maps the canonical column names of
:mod:`alstrials.data.schema` (``alsfrs_total``, ``months``, ...) to "ALSFRS-R total (points)",
"Time since randomisation (months)", ...

References
----------
Okabe M, Ito K (2008). Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cycler import cycler

__all__ = [
    "OKABE_ITO",
    "ARM_COLOURS",
    "CAUSE_COLOURS",
    "LABELS",
    "UNITS",
    "SCALE_BOUNDS",
    "figure_style",
    "arm_colours",
    "arm_order",
    "cause_colour",
    "axis_label",
    "words",
    "lower_first",
    "time_ticks",
]

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
"""The eight colours of Okabe & Ito (2008)."""

_CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Colour cycle: the palette without yellow (too light on white), blue and vermillion first."""

ARM_COLOURS: dict[str, str] = {"placebo": "#0072B2", "active": "#D55E00"}
"""Fixed colours of the canonical arms: placebo blue, active vermillion."""

CAUSE_COLOURS: dict[str, str] = {
    "death": "#000000",
    "tracheostomy": "#E69F00",
    "permanent_ventilation": "#009E73",
    "composite": "#CC79A7",
}
"""Fixed colours of the causes of an event."""

LABELS: dict[str, str] = {
    "alsfrs_total": "ALSFRS-R total (points)",
    "months": "Time since randomisation (months)",
    "enrollment_month": "Calendar time since first enrolment (months)",
    "age": "Age (years)",
    "delta_fs": "ΔFS (points/month)",
    "onset_to_baseline_months": "Onset to baseline (months)",
    "cord_csa_mm2": "Cervical cord area (mm²)",
    "cst_fa": "Corticospinal tract FA",
    "composite_sign": "Composite MRI sign",
    "subject_id": "Subject",
    "arm": "Arm",
    "y": "Outcome",
}
"""Words (with units) for the canonical column names."""

UNITS: dict[str, str] = {
    "alsfrs_total": "points",
    "months": "month",
    "age": "years",
    "delta_fs": "points/month",
    "cord_csa_mm2": "mm²",
    "onset_to_baseline_months": "months",
}
"""Units of the canonical columns (time in the singular: "points/month")."""

SCALE_BOUNDS: dict[str, tuple[float, float]] = {"alsfrs_total": (0.0, 48.0)}
"""Range of bounded scales (ALSFRS-R: 12 items scored 0-4)."""

_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "normal",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 12,
    "axes.prop_cycle": cycler(color=list(_CYCLE)),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.6,
    "grid.linewidth": 0.5,
    "grid.alpha": 0.35,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,  # TrueType in PDFs: text stays text for journals' editors
    "ps.fonttype": 42,
    "svg.fonttype": "none",
}


@contextmanager
def figure_style(**overrides: Any) -> Iterator[None]:
    """Draw figures in the alstrials style within the block, restoring every setting after.

    Parameters
    ----------
    **overrides
        rcParams to change on top of the style (e.g. ``**{"font.size": 12}``).

    Examples
    --------
    >>> import matplotlib
    >>> before = matplotlib.rcParams["font.size"]
    >>> with figure_style():
    ...     matplotlib.rcParams["legend.frameon"]
    False
    >>> matplotlib.rcParams["font.size"] == before
    True
    """
    import matplotlib

    with matplotlib.rc_context({**_RC, **overrides}):  # type: ignore[dict-item]
        yield


def arm_order(arms: Iterable[object]) -> list[object]:
    """Arms with the canonical ones first (placebo, then active), the others in given order."""
    arms = list(dict.fromkeys(arms))
    known = [a for a in ARM_COLOURS if a in arms]
    return known + [a for a in arms if a not in known]


def arm_colours(arms: Iterable[object]) -> dict[object, str]:
    """A colour per arm: the fixed colour of a canonical arm name, else the next unused one.

    Examples
    --------
    >>> arm_colours(["active", "placebo"])
    {'active': '#D55E00', 'placebo': '#0072B2'}
    """
    arms = list(dict.fromkeys(arms))
    free = [c for c in _CYCLE if c not in [ARM_COLOURS.get(str(a)) for a in arms]]
    out: dict[object, str] = {}
    k = 0
    for arm in arms:
        if str(arm) in ARM_COLOURS:
            out[arm] = ARM_COLOURS[str(arm)]
        else:
            out[arm] = free[k % len(free)]
            k += 1
    return out


def cause_colour(cause: object, position: int = 0) -> str:
    """The fixed colour of a cause of event (by name), else one of the palette by position."""
    key = str(cause).replace(" ", "_")
    if key in CAUSE_COLOURS:
        return CAUSE_COLOURS[key]
    spare = [c for c in _CYCLE if c not in CAUSE_COLOURS.values()]
    return spare[position % len(spare)]


def words(name: object) -> str:
    """A column or level name as words: ``permanent_ventilation`` -> "Permanent ventilation"."""
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def axis_label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """Words with units for a column name: ``alsfrs_total`` -> "ALSFRS-R total (points)".

    ``labels`` (checked first) adds or overrides names; an unknown name is turned into words.

    Examples
    --------
    >>> axis_label("months")
    'Time since randomisation (months)'
    >>> axis_label("cst_md")
    'Cst md'
    """
    if labels and name in labels:
        return labels[name]
    return LABELS.get(name, words(name))


def lower_first(text: str) -> str:
    """``"Fitted " + lower_first("ALSFRS-R ...")`` keeps acronyms: only a capitalised word
    whose second letter is lower case is lowered ("Time" -> "time", "ALSFRS-R" unchanged)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def time_ticks(ax: Any, t_max: float) -> None:
    """Ticks every 1, 2, 3, 6 or 12 units (months: visits fall on them), at most 8 ticks."""
    from matplotlib.ticker import MultipleLocator

    step = next((s for s in (1, 2, 3, 6, 12, 24) if t_max / s <= 8), 48)
    ax.xaxis.set_major_locator(MultipleLocator(step))
