"""The two interim reports a Data Monitoring Committee receives.

``open report``    pooled data only (no result by arm): cover, design, monitoring status and
                   projected looks, enrolment and disposition, baseline characteristics,
                   events, dropout and completeness, pooled trajectories and survival,
                   appendix. It is also what a blinded team may see (``alstrials interim
                   --blinded`` writes only this report).
``closed report``  the same by arm, plus the efficacy section (estimate with units and
                   intervals, boundaries, the decision and its rule, conditional and predictive
                   power), for the closed session of the DMC only.
"""

from __future__ import annotations

import pandas as pd

from alstrials.data.cutoff import blind
from alstrials.reporting.html import HtmlReport
from alstrials.reporting.report import blocks
from alstrials.reporting.report.efficacy import efficacy_section
from alstrials.reporting.report.inputs import ReportInputs

__all__ = ["open_report", "closed_report", "OPEN_BANNER", "CLOSED_BANNER"]

OPEN_BANNER = (
    "OPEN REPORT - pooled data only, no results by treatment arm. For the open session of the "
    "Data Monitoring Committee; the sponsor, the steering committee and the investigators may "
    "see it."
)
CLOSED_BANNER = (
    "CONFIDENTIAL - CLOSED REPORT. Results by treatment arm for the closed session of the Data "
    "Monitoring Committee only; do not distribute beyond the DMC and its independent "
    "statistician."
)


def _frame(inputs: ReportInputs, kind: str, banner: str, banner_class: str) -> HtmlReport:
    stamp = inputs.generated.strftime("%Y-%m-%d %H:%M UTC")
    return HtmlReport(
        f"{inputs.trial_name}: interim DMC report, {kind}",
        subtitle=(
            f"Data cut-off at calendar month {inputs.cutoff:g}; report version "
            f"{inputs.report_version}; generated {stamp}"
        ),
        banner=banner,
        banner_class=banner_class,
        paper=inputs.paper,
        running_header=f"{inputs.trial_name} - DMC {kind} - cut-off month {inputs.cutoff:g}",
        running_footer=(
            f"Snapshot {inputs.snapshot[:16]} - report version {inputs.report_version} - {stamp}"
        ),
    )


def _contents(report: HtmlReport, sections: list[str]) -> None:
    report.heading("Contents")
    report.bullets(sections)


def open_report(inputs: ReportInputs) -> tuple[HtmlReport, dict[str, pd.DataFrame]]:
    """The open report (pooled data) and the tables it shows."""
    shown = blind(inputs.cut)
    report = _frame(inputs, "open report", OPEN_BANNER, "open")
    blocks.cover(report, inputs, kind="Open report (pooled data; no results by arm)")
    _contents(
        report,
        [
            "Design and monitoring plan; monitoring status and projected looks",
            "Enrolment and disposition (pooled)",
            "Baseline characteristics (pooled)",
            "Clinical events, dropout and data completeness",
            "ALSFRS-R and event-free survival (pooled)",
            "Appendix: data snapshot, software and exclusion log",
        ],
    )
    tables: dict[str, pd.DataFrame] = {}
    blocks.design_section(report, inputs)
    blocks.monitoring_status(report, inputs)
    tables.update(blocks.disposition_section(report, inputs, shown))
    tables["baseline"] = blocks.baseline_section(report, shown)
    tables.update(blocks.events_completeness_section(report, inputs, shown))
    blocks.figures_section(report, inputs, shown)
    blocks.appendix(report, inputs)
    return report, tables


def closed_report(inputs: ReportInputs) -> tuple[HtmlReport, dict[str, pd.DataFrame]]:
    """The closed report (by arm, with efficacy) and the tables it shows."""
    if inputs.result is None:
        raise ValueError("the closed report needs the interim result (inputs.result)")
    shown = inputs.cut
    report = _frame(inputs, "closed report", CLOSED_BANNER, "")
    blocks.cover(report, inputs, kind="Closed report (results by arm; DMC closed session only)")
    _contents(
        report,
        [
            "Design and monitoring plan; monitoring status and projected looks",
            "Efficacy: the primary endpoint (decision, estimate, boundaries, conditional power)",
            "Enrolment and disposition by arm",
            "Baseline characteristics by arm",
            "Clinical events, dropout and data completeness by arm",
            "ALSFRS-R and event-free survival by arm",
            "Appendix: data snapshot, software and exclusion log",
        ],
    )
    tables: dict[str, pd.DataFrame] = {}
    blocks.design_section(report, inputs)
    blocks.monitoring_status(report, inputs)
    tables.update(efficacy_section(report, inputs))
    tables.update(blocks.disposition_section(report, inputs, shown))
    tables["baseline"] = blocks.baseline_section(report, shown)
    tables.update(blocks.events_completeness_section(report, inputs, shown))
    blocks.figures_section(report, inputs, shown)
    blocks.appendix(report, inputs)
    return report, tables
