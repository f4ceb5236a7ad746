"""Words for a monitoring report: numbers, the design, the endpoint and the decision rule.

Nothing here computes statistics; it turns a :class:`~alstrials.design.gsdesign.GSDesign` and
the numbers of an analysis into the sentences and labels a DMC reads (no Python reprs, no bare
``nan`` or ``inf``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alstrials.design.gsdesign import GSDesign

__all__ = [
    "number",
    "fixed",
    "p_value",
    "percent",
    "fractions_text",
    "spending_name",
    "design_rows",
    "decision_sentence",
    "DECISION_WORDS",
]

_SPENDING = {
    "ld-obrien-fleming": "Lan-DeMets alpha spending of O'Brien-Fleming type",
    "ld-pocock": "Lan-DeMets alpha spending of Pocock type",
    "obrien-fleming": "classical O'Brien-Fleming boundaries (no spending function)",
    "pocock": "classical Pocock boundaries (no spending function)",
    "kim-demets": "Kim-DeMets power-family spending",
    "hsd": "Hwang-Shih-DeCani spending",
}

DECISION_WORDS = {
    "continue": "continue",
    "efficacy": "efficacy boundary crossed",
    "futility": "futility bound crossed",
}
"""The decision of an analysis as a report writes it."""


def number(x: float, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits (plain notation for everyday sizes).

    Examples
    --------
    >>> number(0.123456), number(385.2), number(float("inf")), number(float("nan"))
    ('0.123', '385', 'infinite', 'not available')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not available"
    x = float(x)
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinity"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude >= 6 or magnitude < -4:
        return f"{x:.{digits - 1}e}"
    decimals = max(digits - 1 - magnitude, 0)
    return f"{x:.{decimals}f}"


def fixed(x: float, decimals: int = 2) -> str:
    """``x`` with a fixed number of decimals ("not available" for NaN).

    Examples
    --------
    >>> fixed(2.3456), fixed(-0.5, 3)
    ('2.35', '-0.500')
    """
    if x is None or math.isnan(float(x)):
        return "not available"
    if math.isinf(float(x)):
        return "infinite" if x > 0 else "minus infinity"
    return f"{float(x):.{decimals}f}"


def p_value(p: float) -> str:
    """A p-value as a report prints it: "<0.001" below 0.001, else 3 decimals.

    Examples
    --------
    >>> p_value(0.0004), p_value(0.03812)
    ('<0.001', '0.038')
    """
    if p is None or math.isnan(float(p)):
        return "not available"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def percent(x: float, decimals: int = 1) -> str:
    """A probability as a percentage.

    Examples
    --------
    >>> percent(0.98942)
    '98.9%'
    """
    if x is None or math.isnan(float(x)):
        return "not available"
    return f"{100 * float(x):.{decimals}f}%"


def fractions_text(values: Sequence[float] | np.ndarray) -> str:
    """``[1/3, 2/3, 1]`` -> ``"0.33, 0.67 and 1"``.

    Examples
    --------
    >>> fractions_text([1 / 3, 2 / 3, 1.0])
    '0.33, 0.67 and 1'
    """
    words = [f"{float(v):.2f}".rstrip("0").rstrip(".") for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def spending_name(boundary: str, gamma: float | None = None) -> str:
    """The boundary family in words.

    Examples
    --------
    >>> spending_name("ld-obrien-fleming")
    "Lan-DeMets alpha spending of O'Brien-Fleming type"
    >>> spending_name("hsd", -4.0)
    'Hwang-Shih-DeCani spending (gamma = -4)'
    """
    name = _SPENDING.get(boundary, boundary)
    return name if gamma is None else f"{name} (gamma = {gamma:g})"


def _futility_name(design: GSDesign) -> str:
    if design.futility is None:
        return "none (the trial stops early only for efficacy)"
    name = spending_name(design.futility, design.gamma_futility).replace("alpha", "beta")
    if "spending" not in name:
        name = f"{name} beta spending"
    kind = "binding" if design.binding else "non-binding (the DMC may continue past it)"
    return f"{name}, {kind}"


def design_rows(
    design: GSDesign,
    *,
    endpoint: str,
    effect_text: str,
    max_information: float,
    information_given: bool,
) -> list[tuple[str, str]]:
    """The planned design as ``(item, value)`` rows of a table.

    ``effect_text`` is the planned effect in words (e.g. "a slope difference of 0.15 ALSFRS-R
    points per month"); ``information_given`` says whether the maximum information was set in
    the design file rather than derived from the planned effect.
    """
    equal = np.allclose(design.info, np.arange(1, design.k + 1) / design.k)
    spacing = "equally spaced" if equal else "as planned"
    rows = [
        ("Planned analyses", f"{design.k} ({design.k - 1} interim and the final analysis)"),
        (
            "Planned information fractions",
            f"{fractions_text(design.info)} ({spacing})",
        ),
        ("Type I error", f"{design.alpha:g}, one-sided (a positive z favours the active arm)"),
        ("Power", f"{percent(1 - design.beta, 0)} for {effect_text}"),
        ("Efficacy boundary", spending_name(design.boundary, design.gamma)),
        ("Futility bound", _futility_name(design)),
    ]
    source = (
        "set in the design file"
        if information_given
        else f"{number(design.inflation, 4)} times the information of a fixed-sample design"
    )
    unit = "1 / variance of the slope difference" if endpoint == "slope" else "events x p(1 - p)"
    rows.append(("Maximum information", f"{number(max_information, 4)} ({unit}; {source})"))
    return rows


def decision_sentence(
    *,
    z: float,
    upper: float,
    lower: float | None,
    look: int,
    k: int,
    decision: str,
    binding: bool,
) -> str:
    """The decision of the latest analysis with its rule written out.

    Examples
    --------
    >>> decision_sentence(z=1.23, upper=2.96, lower=None, look=1, k=3, decision="continue",
    ...                   binding=False)
    'The observed z of 1.23 is below the efficacy boundary 2.96 at look 1 of 3: continue.'
    """
    final = look >= k
    where = "at the final analysis" if final else f"at look {look} of {k}"
    has_lower = lower is not None and math.isfinite(lower)
    if decision == "efficacy":
        rule = f"is at or above the efficacy boundary {upper:.2f} {where}"
        if final:
            return (
                f"The observed z of {z:.2f} {rule}: the null hypothesis of no difference is "
                "rejected at the planned one-sided level."
            )
        return (
            f"The observed z of {z:.2f} {rule}: the efficacy boundary is crossed; the design "
            "allows the DMC to recommend stopping for efficacy."
        )
    if decision == "futility":
        rule = f"is at or below the futility bound {lower:.2f} {where}"
        if binding:
            return f"The observed z of {z:.2f} {rule}: the binding futility bound is crossed; stop."
        return (
            f"The observed z of {z:.2f} {rule}: the futility bound is crossed; the bound is "
            "non-binding, so the DMC may recommend stopping for futility or continuing."
        )
    if final:
        return (
            f"The observed z of {z:.2f} is below the critical value {upper:.2f} at the final "
            "analysis: the null hypothesis of no difference is not rejected."
        )
    between = f"and above the futility bound {lower:.2f} " if has_lower else ""
    return (
        f"The observed z of {z:.2f} is below the efficacy boundary {upper:.2f} {between}"
        f"{where}: continue."
    )
