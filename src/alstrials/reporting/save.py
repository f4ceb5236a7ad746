"""Save a figure for a paper: PNG (screens, reports) and PDF (vector, journals) side by side.

:func:`save_figure` writes ``name.png`` and ``name.pdf`` from one Figure, in the alstrials
style's save settings, with no timestamps (the same figure gives the same bytes, so manifests
can compare hashes). It records what the figure says about itself, its title and each Axes'
title and axis labels, in the PNG's metadata (text chunk ``alstrials:figure``, JSON), and the
title in the PDF's; :func:`read_figure_record` reads it back, so a test can check that every
figure of a workflow is titled and labelled without looking at pixels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from alstrials.errors import AlstrialsError
from alstrials.reporting.style import figure_style

__all__ = ["save_figure", "figure_record", "read_figure_record", "RECORD_KEY", "FORMATS"]

RECORD_KEY = "alstrials:figure"
"""PNG text-chunk keyword holding the figure record (JSON)."""

FORMATS = ("png", "pdf")
"""Formats written by default."""


def _as_figure(figure: Any) -> Figure:
    if isinstance(figure, Figure):
        return figure
    if isinstance(figure, Axes):
        return cast(Figure, figure.get_figure(root=True))
    if isinstance(figure, np.ndarray) and figure.size and isinstance(figure.flat[0], Axes):
        return cast(Figure, figure.flat[0].get_figure(root=True))
    raise AlstrialsError(
        f"save_figure: expected a matplotlib Figure, Axes or array of Axes, got {type(figure)}"
    )


def _title(ax: Axes) -> str:
    parts = [ax.get_title(loc=loc) for loc in ("left", "center", "right")]
    return " ".join(p for p in parts if p)


def _shared_label(ax: Axes, which: str) -> str:
    own = ax.get_xlabel() if which == "x" else ax.get_ylabel()
    if own:
        return own
    group = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    for other in group.get_siblings(ax):
        label = other.get_xlabel() if which == "x" else other.get_ylabel()
        if label:
            return label
    return ""


def _is_number(text: str) -> bool:
    text = text.replace("\u2212", "-").strip()
    if text.startswith("$") or not text:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _legend(ax: Axes) -> list[list[str | None]]:
    """``[text, colour]`` of each legend entry (colour as hex, None when it has none)."""
    from matplotlib.colors import to_hex

    legend = ax.get_legend()
    if legend is None:
        return []
    entries: list[list[str | None]] = []
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
        colour = None
        if handle is not None and hasattr(handle, "get_color"):
            colour = handle.get_color()
        elif handle is not None and hasattr(handle, "get_facecolor"):
            colour = handle.get_facecolor()
        try:
            hex_colour = None if colour is None else to_hex(colour)
        except ValueError:  # an array of colours (a collection): take the first
            hex_colour = to_hex(np.asarray(colour)[0])
        entries.append([text.get_text(), hex_colour])
    return entries


def figure_record(figure: Figure | Axes | np.ndarray) -> dict[str, Any]:
    """What a figure says about itself: title and, per visible Axes, title, axis labels and
    legend entries with their colours.

    An Axes' ``xlabel``/``ylabel`` is its own or, when empty, that of an Axes it shares the
    axis with (a risk table under a Kaplan-Meier plot; panels sharing one y label).
    ``y_categories`` is True when the y ticks are labelled with words (rows of a forest plot or
    of a number-at-risk table), which label the axis themselves. The figure ``title`` is the
    suptitle, else the title of its first Axes.

    Returns
    -------
    dict
        ``{"title": str, "axes": [{"title", "xlabel", "ylabel", "y_categories", "legend"}]}``
        with ``legend`` a list of ``[text, "#rrggbb"]``.
    """
    fig = _as_figure(figure)
    fig.draw_without_rendering()  # tick labels exist only once drawn
    axes = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_visible()]
        axes.append(
            {
                "title": _title(ax),
                "xlabel": _shared_label(ax, "x"),
                "ylabel": _shared_label(ax, "y"),
                "y_categories": bool(ticks) and not all(_is_number(t) for t in ticks),
                "legend": _legend(ax),
            }
        )
    suptitle = fig.get_suptitle()
    title = suptitle or next((a["title"] for a in axes if a["title"]), "")
    return {"title": title, "axes": axes}


def save_figure(
    figure: Figure | Axes | np.ndarray,
    path: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    dpi: float | None = None,
    close: bool = False,
) -> list[Path]:
    """Write a figure as PNG and PDF (``path`` with each format's suffix).

    Parameters
    ----------
    figure : Figure, Axes or array of Axes
        The figure, or any of its Axes (as plotting functions return).
    path : str or Path
        Target without or with a suffix (``figures/km_arm`` or ``figures/km_arm.png``: both
        give ``km_arm.png`` and ``km_arm.pdf``); folders are created.
    formats : sequence of str
        File formats, default PNG and PDF.
    dpi : float, optional
        Raster resolution (default the style's 200 dpi).
    close : bool
        Close the figure after saving (workflows making many figures).

    Returns
    -------
    list of Path
        The files written, in ``formats`` order.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set(title="A title", xlabel="Time (months)", ylabel="Score (points)")
    >>> paths = save_figure(fig, tempfile.mkdtemp() + "/example", close=True)
    >>> [p.suffix for p in paths]
    ['.png', '.pdf']
    >>> read_figure_record(paths[0])["title"]
    'A title'
    """
    fig = _as_figure(figure)
    base = Path(path)
    if base.suffix.lower().lstrip(".") in {"png", "pdf", "svg", "jpg", "jpeg", "tif", "tiff"}:
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    record = figure_record(fig)
    written = []
    with figure_style():
        for fmt in formats:
            target = base.with_name(f"{base.name}.{fmt}")
            if fmt == "png":
                metadata: dict[str, Any] = {
                    "Software": None,
                    "Title": record["title"],
                    RECORD_KEY: json.dumps(record, ensure_ascii=True, sort_keys=True),
                }
            elif fmt == "pdf":
                metadata = {"Title": record["title"], "CreationDate": None}
            else:
                metadata = {}
            fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata or None)
            written.append(target)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return written


def read_figure_record(path: str | Path) -> dict[str, Any]:
    """The record :func:`save_figure` wrote into a PNG (see :func:`figure_record`).

    Raises
    ------
    AlstrialsError
        When the PNG carries no record (not written by :func:`save_figure`).
    """
    from PIL import Image

    with Image.open(path) as image:
        text = dict(getattr(image, "text", {}) or {})
    if RECORD_KEY not in text:
        raise AlstrialsError(f"{path}: no {RECORD_KEY!r} record; was it written by save_figure?")
    record: dict[str, Any] = json.loads(text[RECORD_KEY])
    return record
