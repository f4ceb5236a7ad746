"""The efficacy section of the closed DMC report: the estimate on its natural scale with
units, nominal and repeated confidence intervals, the boundaries on the z and effect scales,
the decision with its rule in words, and conditional and predictive power."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.design.interim import InterimResult
from alstrials.reporting.html import HtmlReport
from alstrials.reporting.report.blocks import effect_text, look_status
from alstrials.reporting.report.inputs import ReportInputs
from alstrials.reporting.report.wording import (
    DECISION_WORDS,
    decision_sentence,
    fixed,
    number,
    p_value,
    percent,
)
from alstrials.reporting.sequential_plots import plot_boundaries

__all__ = ["efficacy_section", "estimate_text", "interval_text", "estimable", "NOT_ESTIMABLE"]

_Z95 = float(stats.norm.ppf(0.975))


NOT_ESTIMABLE = (
    "not estimable at this look (no finite estimate: too few events, or all of them in one arm)"
)
_MAX_LOG = 50.0  # a log hazard ratio or SE beyond this is no finite estimate


def estimable(inputs: ReportInputs, estimate: float, se: float) -> bool:
    """Whether the estimate and its SE are finite (a Cox fit on a monotone likelihood is not)."""
    if not (math.isfinite(estimate) and math.isfinite(se)):
        return False
    return inputs.endpoint == "slope" or (abs(estimate) < _MAX_LOG and se < _MAX_LOG)


def _natural(inputs: ReportInputs, x: float) -> float:
    """An estimate on its natural scale: the slope difference, or exp(log HR)."""
    if inputs.endpoint == "slope":
        return x
    return math.exp(x) if x < 700 else math.inf


def _unit(inputs: ReportInputs) -> str:
    return " points/month" if inputs.endpoint == "slope" else ""


def estimate_text(inputs: ReportInputs, estimate: float, se: float = 0.0) -> str:
    """``0.345 points/month`` or ``HR 0.68``."""
    if not estimable(inputs, estimate, se):
        return NOT_ESTIMABLE
    if inputs.endpoint == "slope":
        return f"{fixed(estimate, 3)} points/month"
    return f"HR {fixed(math.exp(estimate), 2)}"


def interval_text(inputs: ReportInputs, low: float, high: float, *, unit: bool = True) -> str:
    """A confidence interval on the natural scale; an infinite end is said in words."""
    digits = 3 if inputs.endpoint == "slope" else 2
    ends: list[str | None] = []
    for x in (low, high):
        if not math.isfinite(x):
            ends.append(None)
        else:
            ends.append(fixed(_natural(inputs, x), digits))
    if ends[0] is None or ends[1] is None:
        return (
            "unbounded: the efficacy boundary at this look is infinite (no alpha is spent this "
            "early), so the repeated interval is the whole line"
        )
    return f"{ends[0]} to {ends[1]}{_unit(inputs) if unit else ''}"


def _estimate_header(inputs: ReportInputs) -> str:
    if inputs.endpoint == "slope":
        return "slope difference (points/month)"
    return "hazard ratio"


def _estimates_table(inputs: ReportInputs, result: InterimResult) -> pd.DataFrame:
    looks = inputs.looks
    ci = result.ci
    rows = []
    for j in range(len(looks)):
        est, se = float(looks["estimate"].iloc[j]), float(looks["se"].iloc[j])
        if not estimable(inputs, est, se):
            rows.append(
                {
                    "look": j + 1,
                    _estimate_header(inputs): "not estimable",
                    "95% CI (nominal)": "not estimable",
                    f"repeated CI ({percent(1 - 2 * inputs.planned.alpha, 0)}, adjusted)": (
                        "not estimable"
                    ),
                    "repeated p-value (one-sided)": p_value(float(result.repeated_p[j])),
                }
            )
            continue
        nominal = interval_text(inputs, est - _Z95 * se, est + _Z95 * se, unit=False)
        repeated = (
            interval_text(
                inputs, float(ci["ci_low"].iloc[j]), float(ci["ci_high"].iloc[j]), unit=False
            )
            if ci is not None
            else "not computed"
        )
        value = fixed(est, 3) if inputs.endpoint == "slope" else fixed(math.exp(est), 2)
        rows.append(
            {
                "look": j + 1,
                _estimate_header(inputs): value,
                "95% CI (nominal)": nominal,
                f"repeated CI ({percent(1 - 2 * inputs.planned.alpha, 0)}, adjusted)": repeated,
                "repeated p-value (one-sided)": p_value(float(result.repeated_p[j])),
            }
        )
    return pd.DataFrame(rows)


def _tests_table(inputs: ReportInputs, result: InterimResult) -> pd.DataFrame:
    design = result.design
    m = result.z.size
    lower = design.lower if design.lower is not None else np.full(design.k, -np.inf)
    return pd.DataFrame(
        {
            "look": np.arange(1, m + 1),
            "cut-off (month)": [f"{c:g}" for c in inputs.looks["cutoff"]],
            "information fraction": [f"{t:.3f}" for t in result.info],
            "observed z": [f"{z:.2f}" for z in result.z],
            "efficacy boundary (z)": [fixed(b, 2) for b in design.upper[:m]],
            "futility bound (z)": [fixed(a, 2) if math.isfinite(a) else "none" for a in lower[:m]],
            "decision": [DECISION_WORDS[d] for d in result.decision],
        }
    )


def _effect_scale(inputs: ReportInputs, result: InterimResult) -> pd.DataFrame:
    design = result.design
    info = np.asarray(design.info, dtype=float) * inputs.max_information
    if inputs.endpoint == "slope":
        return design.effect_boundaries(information=list(info))
    p = inputs.allocation
    return design.effect_boundaries(events=list(info / (p * (1 - p))), allocation=p)


def _boundaries_table(inputs: ReportInputs, result: InterimResult) -> pd.DataFrame:
    design = result.design
    lower = design.lower if design.lower is not None else np.full(design.k, -np.inf)
    effect = _effect_scale(inputs, result)
    digits = 3 if inputs.endpoint == "slope" else 2
    scale = "points/month" if inputs.endpoint == "slope" else "HR"

    def show(x: float) -> str:
        return fixed(x, digits) if math.isfinite(x) else "none"

    return pd.DataFrame(
        {
            "look": np.arange(1, design.k + 1),
            "information fraction": [f"{t:.3f}" for t in design.info],
            "timing": [look_status(inputs, j) for j in range(1, design.k + 1)],
            "efficacy boundary (z)": [fixed(b, 2) for b in design.upper],
            "futility bound (z)": [fixed(a, 2) if math.isfinite(a) else "none" for a in lower],
            f"efficacy boundary ({scale})": [show(x) for x in effect["efficacy"]],
            f"futility bound ({scale})": [show(x) for x in effect["futility"]],
        }
    )


def _spending_table(result: InterimResult) -> pd.DataFrame:
    d = result.design
    beta = d.cumulative_beta if d.cumulative_beta is not None else np.full(d.k, np.nan)

    def prob(x: float) -> str:
        return "none" if not math.isfinite(x) else f"{x:.4f}" if x >= 1e-4 else "<0.0001"

    return pd.DataFrame(
        {
            "look": np.arange(1, d.k + 1),
            "cumulative alpha spent": [prob(x) for x in d.cumulative_alpha],
            "cumulative beta spent": [prob(x) for x in beta],
            "P(efficacy) under H0": [prob(x) for x in d.reject_h0],
            "P(futility) under H0": [prob(x) for x in d.futility_h0],
            "P(efficacy) under H1": [prob(x) for x in d.reject_h1],
            "P(futility) under H1": [prob(x) for x in d.futility_h1],
        }
    )


def _probability(x: float) -> str:
    """A probability in percent that never rounds to a certainty."""
    if x > 0.999:
        return ">99.9%"
    if x < 0.001:
        return "<0.1%"
    return percent(x)


def _power_table(inputs: ReportInputs, result: InterimResult) -> pd.DataFrame:
    final = result.z.size >= result.design.k
    z, t = float(result.z[-1]), float(result.info[-1])
    trend = z / math.sqrt(t)
    if final:
        why = "not computed: this is the final analysis"
        values = [why, why, why]
    else:
        values = [
            _probability(result.conditional_power_trend),
            _probability(result.conditional_power_design),
            _probability(result.predictive_power),
        ]
    return pd.DataFrame(
        {
            "quantity": [
                "conditional power, current trend",
                "conditional power, design effect",
                "predictive power",
            ],
            "value": values,
            "assumes": [
                f"the effect seen so far continues (drift z / sqrt(t) = {trend:.2f})",
                f"the planned effect, {effect_text(inputs)} (drift {result.design.drift:.2f})",
                "the effect averaged over its posterior given the data so far (flat prior)",
            ],
        }
    )


def efficacy_section(report: HtmlReport, inputs: ReportInputs) -> dict[str, pd.DataFrame]:
    """Add the efficacy section; return its tables."""
    result = inputs.result
    if result is None:  # the closed report only; the open report has no efficacy section
        raise ValueError("efficacy_section needs the unblinded interim result")
    report.section("Efficacy: the primary endpoint")
    design = result.design
    m = result.z.size
    lower = None if design.lower is None else float(design.lower[m - 1])
    sentence = decision_sentence(
        z=float(result.z[-1]),
        upper=float(design.upper[m - 1]),
        lower=lower,
        look=m,
        k=design.k,
        decision=result.decision[-1],
        binding=design.binding,
    )
    report.paragraph(sentence, css_class="decision")
    est, se = float(inputs.looks["estimate"].iloc[-1]), float(inputs.looks["se"].iloc[-1])
    name = (
        "Slope difference (active minus reference)"
        if inputs.endpoint == "slope"
        else "Hazard ratio (active versus reference)"
    )
    ok = estimable(inputs, est, se)
    rows = [
        (
            name,
            f"{estimate_text(inputs, est)}, 95% CI "
            f"{interval_text(inputs, est - _Z95 * se, est + _Z95 * se)} (nominal, not adjusted "
            "for the interim analyses)"
            if ok
            else NOT_ESTIMABLE,
        )
    ]
    if result.ci is not None and ok:
        rows.append(
            (
                f"Repeated confidence interval ({percent(1 - 2 * design.alpha, 0)})",
                interval_text(
                    inputs,
                    float(result.ci["ci_low"].iloc[-1]),
                    float(result.ci["ci_high"].iloc[-1]),
                )
                + " (simultaneous over all analyses; valid whatever the stopping decision)",
            )
        )
    if inputs.endpoint == "events" and ok:
        rows.append(("Log hazard ratio (SE)", f"{fixed(est, 4)} ({fixed(se, 4)})"))
    rows += [
        ("Observed z", f"{result.z[-1]:.2f} (information fraction {result.info[-1]:.3f})"),
        (
            "Efficacy boundary (z)",
            f"{fixed(float(design.upper[m - 1]), 2)} (nominal one-sided p "
            f"{number(float(stats.norm.sf(design.upper[m - 1])), 2)})",
        ),
        (
            "Futility bound (z)",
            "none" if lower is None or not math.isfinite(lower) else fixed(lower, 2),
        ),
        ("Repeated p-value (one-sided)", p_value(float(result.repeated_p[-1]))),
    ]
    if inputs.supportive is not None:
        for label, text in inputs.supportive.itertuples(index=False):
            rows.append((str(label), str(text)))
    report.key_values(rows, f"Primary endpoint at look {m}")
    tests = _tests_table(inputs, result)
    report.table(tests, "Test statistics and boundaries at the analyses so far", index=False)
    estimates = _estimates_table(inputs, result)
    report.table(
        estimates,
        "Estimates at the analyses so far",
        index=False,
        notes=[
            "Nominal CI: estimate +/- 1.96 SE, not adjusted for repeated looks. Repeated CI: "
            "estimate +/- (efficacy boundary) SE (Jennison & Turnbull 2000, ch. 9), with "
            f"simultaneous coverage {percent(1 - 2 * design.alpha, 0)} over all analyses.",
        ],
    )
    power = _power_table(inputs, result)
    report.table(power, "Conditional and predictive power at this look", index=False)
    report.figure(
        plot_boundaries(
            design,
            z=list(result.z),
            info=list(result.info),
            title="Boundaries at the observed information fractions",
        ),
        "Efficacy boundary and futility bound (z scale) at the observed and remaining "
        "information fractions, with the observed z",
    )
    boundaries = _boundaries_table(inputs, result)
    report.table(
        boundaries,
        "Boundaries of the design updated to the observed information fractions",
        index=False,
        max_columns=6,
        notes=[
            "Effect scale: the estimate that would reach the boundary at that look's "
            "information (for the slope, a difference at least as large crosses the efficacy "
            "boundary; for a hazard ratio, one at least as small).",
        ],
    )
    spending = _spending_table(result)
    report.table(
        spending,
        "Error spending and crossing probabilities of the updated design",
        index=False,
        notes=[
            f"Design-level quantities: inflation factor {design.inflation:.3f}; expected "
            f"information {design.asn_h0:.3f} (H0) and {design.asn_h1:.3f} (H1) times the "
            "fixed-sample information. H1 is the planned effect.",
        ],
    )
    return {
        "efficacy_tests": tests,
        "efficacy_estimates": estimates,
        "conditional_power": power,
        "updated_boundaries": boundaries,
        "error_spending": spending,
    }
