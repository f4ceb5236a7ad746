"""Numbers as a paper prints them: p-values, counts, estimates with intervals, medians.

These turn values into text for formatted tables and figure labels; CSV files keep the full
precision (see :func:`alstrials.reporting.tables.format_table`).
"""

from __future__ import annotations

import math

__all__ = ["format_p", "format_number", "format_median", "is_integral", "NOT_REACHED"]

NOT_REACHED = "not reached"
"""Text of a median (or confidence limit) that the curve has not reached."""


def format_p(p: float, *, threshold: float = 0.001, digits: int = 2) -> str:
    """A p-value as printed: ``"<0.001"`` below ``threshold``, else ``digits`` significant
    figures (three decimals at most).

    Examples
    --------
    >>> format_p(0.00012), format_p(0.0123), format_p(0.5), format_p(float("nan"))
    ('<0.001', '0.012', '0.50', '-')
    """
    if p is None or not math.isfinite(p):
        return "-"
    if p < threshold:
        return f"<{threshold:g}"
    if p > 0.99:
        return ">0.99"
    if p >= 0.1:
        return f"{p:.{digits}f}"
    decimals = min(3, digits - 1 - math.floor(math.log10(p)))
    return f"{p:.{decimals}f}"


def is_integral(value: float) -> bool:
    """True for a finite whole number (``7.0``)."""
    return math.isfinite(value) and float(value).is_integer()


def format_number(value: float, digits: int = 2) -> str:
    """Whole numbers without decimals (``7``), others with ``digits`` decimals; NaN as "-".

    Examples
    --------
    >>> format_number(7.0), format_number(6.5, 1), format_number(0.12345, 3)
    ('7', '6.5', '0.123')
    """
    if value is None or not math.isfinite(value):
        return "-"
    if is_integral(value):
        return f"{int(value)}"
    return f"{value:.{digits}f}"


def format_median(value: float, digits: int = 1) -> str:
    """A Kaplan-Meier median or limit: NaN (the curve never reached 0.5) is "not reached".

    Examples
    --------
    >>> format_median(14.234), format_median(float("nan"))
    ('14.2', 'not reached')
    """
    if value is None or not math.isfinite(value):
        return NOT_REACHED
    return f"{value:.{digits}f}"
