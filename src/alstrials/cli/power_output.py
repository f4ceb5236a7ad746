"""What ``alstrials power slope|mmrm|survival|enrich|biomarker`` prints.

The answer first, in words, with sample sizes and events rounded up to whole participants and
the exact value beside (``n per arm: 97 (exact 96.70)``), then every quantity of the design
under the flag that sets it (``--sig2-slope``), so the printout can be pasted into a protocol.
No Python reprs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from alstrials.design.power.enrichment import EnrichmentResult
    from alstrials.design.power.results import EventsResult, PowerResult, SurvivalDesignResult

__all__ = ["describe_result", "whole"]

_LABELS = {
    "delta": "effect (difference between the arms)",
    "n_per_group": "n per arm (control arm)",
    "n_active": "n in the active arm",
    "n_total": "n in total",
    "n_control": "n in the control arm",
    "se": "standard error of the difference",
    "events": "events",
    "prob_event": "probability of an event by the analysis",
    "analysis_time": "analysis time (months from the first enrolment)",
    "allocation": "fraction allocated to the active arm",
    "visits": "post-baseline visits",
    "sd_last_visit": "SD at the last visit",
    "phi_control": "variance factor, control arm",
    "phi_active": "variance factor, active arm",
    "control": "control-arm hazard model (time in months)",
    "control_median": "control-arm median (months)",
    "accrual_time": "accrual (months)",
    "accrual_intensity": "accrual intensity",
    "dropout_rate": "dropout proportion",
}


def whole(value: float) -> str:
    """A count rounded up, with the exact value beside.

    Examples
    --------
    >>> whole(142.3)
    '143 (exact 142.30)'
    >>> whole(96.0)
    '96 (exact 96.00)'
    """
    return f"{math.ceil(value - 1e-9)} (exact {value:.2f})"


def _ceil(value: float) -> int:
    return math.ceil(value - 1e-9)


def _fmt(value: object) -> str:
    """A value in words: numbers to 6 digits, lists without brackets, no reprs."""
    if isinstance(value, bool) or value in ("True", "False"):
        return "yes" if value in (True, "True") else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple | list):
        return ", ".join(_fmt(v) for v in value)
    text = str(value).strip("'")
    hazard = re.fullmatch(r"(\w+)\((.*)\)", text)
    if hazard and "=" in hazard.group(2):  # Exponential(rate=0.0231) -> exponential: rate 0.0231
        pairs = [p.split("=", 1) for p in hazard.group(2).split(", ")]
        given = ", ".join(f"{k} {_fmt(float(v))}" for k, v in pairs)
        return f"{hazard.group(1).lower()}: {given}"
    if text.startswith("(") and text.endswith(")"):
        return text[1:-1]
    return text


def _label(name: str, flags: Mapping[str, str]) -> str:
    """The flag that sets a quantity, or the quantity in words when no flag does."""
    flag = flags.get(name, "")
    if flag.startswith("--"):
        return flag
    return _LABELS.get(name, name.replace("_", " "))


def _quantities(summary: pd.DataFrame, flags: Mapping[str, str], skip: set[str]) -> list[str]:
    rows = [(name, value) for name, value in summary["value"].items() if name not in skip]
    labels = [_label(str(name), flags) for name, _ in rows]
    width = max((len(label) for label in labels), default=0)
    return [f"  {label:<{width}}  {_fmt(v)}" for label, (_, v) in zip(labels, rows, strict=True)]


def _sizes(n_control: float, n_active: float) -> list[str]:
    total = _ceil(n_control) + _ceil(n_active)
    if math.isclose(n_control, n_active, rel_tol=1e-12):
        return [f"n per arm: {whole(n_control)}", f"n in total: {total}"]
    return [
        f"n in the control arm: {whole(n_control)}",
        f"n in the active arm: {whole(n_active)}",
        f"n in total: {total} (exact {n_control + n_active:.2f})",
    ]


def _power_result(result: PowerResult, flags: Mapping[str, str]) -> list[str]:
    solved = result.solved_for
    lines = []
    if solved == "n_per_group":
        lines.append(f"solved for the sample size ({flags.get('n_per_group', '--n')})")
    elif solved == "power":
        lines.append(f"solved for the power: {result.power:.4f}")
    else:
        flag = flags.get(solved, solved)
        lines.append(f"solved for the detectable effect ({flag}): {result.delta:.6g}")
    lines += _sizes(result.n_per_group, result.n_active)
    return lines


def _events_result(result: EventsResult) -> list[str]:
    return [f"events needed: {whole(result.events)}"]


def _survival_result(result: SurvivalDesignResult) -> list[str]:
    return [
        f"events needed: {whole(result.events)}",
        *_sizes(result.n_control, result.n_active),
        f"analysis at month {result.analysis_time:.1f} after the first enrolment",
    ]


def _enrichment_result(result: EnrichmentResult) -> list[str]:
    lines = []
    for design, row in result.table.iterrows():
        n_control = float(row["n_per_group"])
        n_active = float(row["n_total"]) - n_control
        sizes = "; ".join(_sizes(n_control, n_active))
        lines.append(
            f"{design}: effect {float(row['effect']):.4g}; {sizes}; "
            f"to screen: {whole(float(row['n_screen']))}"
        )
    return lines


def describe_result(result: object, command: str, flags: Mapping[str, str]) -> str:
    """The printout of one analytic power command (see the module docstring).

    ``command`` is the subcommand (``"slope"``...), ``flags`` maps the library's argument names
    to the command's flags (:func:`alstrials.cli.messages.flag_names`).
    """
    from alstrials.design.power.enrichment import EnrichmentResult
    from alstrials.design.power.results import EventsResult, PowerResult, SurvivalDesignResult

    method = getattr(result, "method", None)
    head = f"alstrials power {command}" + (f" (method {method})" if method else "")
    if isinstance(result, PowerResult):
        body = _power_result(result, flags)
        skip = {"n_per_group", "n_active", "n_total"}
    elif isinstance(result, SurvivalDesignResult):
        body = _survival_result(result)
        skip = {"events", "n_total", "n_active", "n_control"}
    elif isinstance(result, EventsResult):
        body = _events_result(result)
        skip = {"events"}
    elif isinstance(result, EnrichmentResult):
        body = _enrichment_result(result)
        return "\n".join([head, *body])
    else:  # pragma: no cover - every analytic command returns one of the above
        return f"{head}\n{result}"
    details = _quantities(result.summary(), flags, skip)
    return "\n".join([head, *body, "", "design:", *details])
