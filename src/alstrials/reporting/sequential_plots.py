"""Figures for group-sequential designs: boundaries against information, observed statistics.

The efficacy boundary :math:`b_k` (and the futility bound :math:`a_k`, when present) is drawn
against the information fraction :math:`t_k`; the region above the efficacy boundary and the
region below the futility bound are shaded, and observed :math:`z` statistics are marked.

References
----------
Jennison, C. & Turnbull, B. W. (2000). Group Sequential Methods with Applications to Clinical
Trials. Chapman & Hall/CRC.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from alstrials.design.sequential import GSDesign
from alstrials.errors import DesignError
from alstrials.reporting.style import figure_style

__all__ = ["plot_boundaries"]


def plot_boundaries(
    design: GSDesign,
    *,
    z: Sequence[float] | None = None,
    info: Sequence[float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot z boundaries against information fraction, with observed statistics if given.

    Parameters
    ----------
    design : GSDesign
        The design (or an updated one).
    z : sequence of float, optional
        Observed statistics at the analyses done so far.
    info : sequence of float, optional
        Their information fractions (default the design's first ``len(z)`` fractions).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if None.
    title : str, optional
        Axes title (default describes the design).

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Jennison & Turnbull (2000).

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(3, futility="ld-obrien-fleming")
    >>> ax = plot_boundaries(d, z=[0.8, 1.9])
    >>> len(ax.lines) >= 3
    True
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    with figure_style():
        return _draw(design, z, info, ax, title)


_BOUNDARY_WORDS = {
    "obrien-fleming": "O'Brien-Fleming boundaries",
    "pocock": "Pocock boundaries",
    "ld-obrien-fleming": "Lan-DeMets O'Brien-Fleming spending",
    "ld-pocock": "Lan-DeMets Pocock spending",
}


def _describe(design: GSDesign) -> str:
    name = _BOUNDARY_WORDS.get(str(design.boundary), str(design.boundary))
    return f"Group-sequential design: {design.k} looks, one-sided α = {design.alpha:g}\n{name}"


def _draw(
    design: GSDesign,
    z: Sequence[float] | None,
    info: Sequence[float] | None,
    ax: Axes | None,
    title: str | None,
) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    t = np.asarray(design.info, float)
    up = np.asarray(design.upper, float)
    finite = np.isfinite(up)
    top = max(float(np.max(up[finite], initial=3.0)), 3.0) + 0.5
    bottom = -2.0
    if design.lower is not None:
        lo = np.asarray(design.lower, float)
        lo_f = np.isfinite(lo)
        bottom = min(bottom, float(np.min(lo[lo_f], initial=bottom)) - 0.5)
    ax.plot(t[finite], up[finite], "o-", color="#009E73", label="efficacy boundary")
    ax.fill_between(t[finite], up[finite], top, color="#009E73", alpha=0.1, linewidth=0)
    if design.lower is not None:
        ax.plot(t[lo_f], lo[lo_f], "s-", color="#D55E00", label="futility bound")
        ax.fill_between(t[lo_f], bottom, lo[lo_f], color="#D55E00", alpha=0.1, linewidth=0)
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    if z is not None:
        zz = np.asarray(z, float).ravel()
        ti = t[: zz.size] if info is None else np.asarray(info, float).ravel()
        if ti.size != zz.size:
            raise DesignError(
                f"z has {zz.size} values but info has {ti.size}; give one fraction per z."
            )
        top = max(top, float(np.max(zz)) + 0.5)
        bottom = min(bottom, float(np.min(zz)) - 0.5)
        ax.plot(ti, zz, "D--", color="black", label="observed z")
    ax.set_xlim(0.0, max(1.0, float(t[-1])) * 1.05)
    ax.set_ylim(bottom, top)
    ax.set_xlabel("Information fraction")
    ax.set_ylabel("Standardised test statistic (z)")
    ticks = np.concatenate([[0.0], t]) if t[0] > 0.05 else t
    ax.set_xticks(ticks, [f"{v:.2f}" if v > 0 else "0" for v in ticks])
    right = float(t[-1]) - 0.01
    ax.text(right, top - 0.15, "Stop for efficacy", ha="right", va="top", fontsize=8.5,
            color="#007A58")  # fmt: skip
    if design.lower is not None:
        ax.text(right, bottom + 0.15, "Stop for futility", ha="right", va="bottom",
                fontsize=8.5, color="#A84400")  # fmt: skip
    ax.set_title(title if title is not None else _describe(design))
    ax.legend(loc="best")
    return ax
