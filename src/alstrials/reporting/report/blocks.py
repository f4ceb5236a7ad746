"""Sections shared by the open and the closed DMC report: the cover, the design in words, the
monitoring status and projected looks, enrolment and disposition, baseline characteristics,
events and data completeness, the descriptive figures and the appendix.

Each function adds to an :class:`~alstrials.reporting.html.HtmlReport` and returns the tables it
showed (the workflow writes them as CSV). ``shown`` is the trial as the report may show it:
the cut trial with its arms in the closed report, pooled (:func:`alstrials.blind`) in the open
report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.data.frames import survival_frame
from alstrials.data.schema import TrialData
from alstrials.models.survival import kaplan_meier
from alstrials.reporting.figures import plot_alsfrs_trajectories, plot_enrolment
from alstrials.reporting.html import HtmlReport
from alstrials.reporting.report import disposition as dispo
from alstrials.reporting.report.inputs import ENDPOINT_TEXT, ReportInputs
from alstrials.reporting.report.wording import design_rows, fractions_text, number
from alstrials.reporting.survival_plots import plot_km
from alstrials.reporting.tables import cohort_summary

__all__ = [
    "effect_text",
    "cover",
    "design_section",
    "status_table",
    "look_status",
    "disposition_section",
    "baseline_section",
    "events_completeness_section",
    "figures_section",
    "appendix",
]


def effect_text(inputs: ReportInputs) -> str:
    """The planned effect in words."""
    if not np.isfinite(inputs.effect):
        return "the effect implied by the maximum information set in the design file"
    if inputs.endpoint == "slope":
        return f"a slope difference of {inputs.effect:g} ALSFRS-R points per month"
    return f"a hazard ratio of {inputs.effect:g}"


def _analysis_label(inputs: ReportInputs) -> str:
    m, k = inputs.current_look, inputs.updated.k
    if m >= k:
        return f"final analysis (analysis {m} of {k})"
    return f"interim analysis {m} of {k} planned"


def cover(report: HtmlReport, inputs: ReportInputs, *, kind: str) -> None:
    """The cover: trial, report kind, cut-off, snapshot, version, time and software."""
    versions = dict(inputs.versions)
    deps = ", ".join(f"{k} {v}" for k, v in versions.items() if k not in ("alstrials", "python"))
    rows = [
        ("Trial", inputs.trial_name),
        ("Report", kind),
        ("Analysis", _analysis_label(inputs)),
        ("Data cut-off", f"calendar month {inputs.cutoff:g} (months since the first enrolment)"),
        ("Primary endpoint", ENDPOINT_TEXT[inputs.endpoint]),
        ("Data snapshot (SHA-256 of the input tables)", inputs.snapshot),
        ("Report version", inputs.report_version),
        ("Generated", inputs.generated.strftime("%Y-%m-%d %H:%M UTC")),
        (
            "Software",
            f"alstrials {versions.get('alstrials', '?')}, Python {versions.get('python', '?')}; "
            f"{deps}",
        ),
    ]
    report.key_values(rows, mono=("Data snapshot (SHA-256 of the input tables)",))


def design_section(report: HtmlReport, inputs: ReportInputs) -> None:
    """The planned design in words and how the statistic is computed."""
    report.section("Design and monitoring plan")
    report.key_values(
        design_rows(
            inputs.planned,
            endpoint=inputs.endpoint,
            effect_text=effect_text(inputs),
            max_information=inputs.max_information,
            information_given=inputs.information_given,
        ),
        "The planned group-sequential design",
    )
    if inputs.endpoint == "slope":
        statistic = (
            "At each analysis the trial is cut at the analysis month and the linear mixed model "
            "ALSFRS-R total ~ months x arm (random intercept and slope per subject, REML) is "
            "fitted; the statistic is the Wald z of the slope difference (active minus "
            "reference) and the information is 1 / SE^2 of that difference."
        )
    else:
        statistic = (
            "At each analysis the trial is cut at the analysis month and a Cox model on the arm "
            "is fitted; the statistic is z = -log(HR) / SE (positive favours the active arm) "
            "and the information is d p (1 - p) for d events and allocation p."
        )
    report.paragraph(statistic)
    report.paragraph(
        "The boundaries are recomputed at the information fractions actually observed "
        "(alpha spending, Lan & DeMets 1983), so analyses earlier or later than planned keep "
        "the overall one-sided type I error."
    )


def status_table(inputs: ReportInputs) -> pd.DataFrame:
    """The analyses done so far: month, subjects, visits, events, information, fraction."""
    looks = inputs.looks
    return pd.DataFrame(
        {
            "look": looks["look"].astype(int).to_numpy(),
            "cut-off (calendar month)": [f"{m:g}" for m in looks["cutoff"]],
            "subjects": looks["n_subjects"].astype(int).to_numpy(),
            "ALSFRS-R visits": looks["n_visits"].astype(int).to_numpy(),
            "events": looks["n_events"].astype(int).to_numpy(),
            "information": [number(x, 4) for x in looks["information"]],
            "fraction of maximum": [f"{f:.3f}" for f in looks["fraction"]],
        }
    )


def look_status(inputs: ReportInputs, look: int) -> str:
    """When analysis ``look`` (1-based, of the updated design) was or will be done."""
    m = inputs.current_look
    if look <= m:
        month = float(inputs.looks["cutoff"].iloc[look - 1])
        return "this analysis" if look == m else f"done at calendar month {month:g}"
    target = float(inputs.updated.info[look - 1])
    if inputs.endpoint == "events":
        p = inputs.allocation
        events = target * inputs.max_information / (p * (1 - p))
        return f"when about {int(np.ceil(events))} events have accrued (date not projected)"
    projection = inputs.projection
    if projection is None:
        return "date not projected"
    row = projection.looks.iloc[look - 1]
    if np.isfinite(row["calendar_month"]):
        return f"projected at calendar month {row['calendar_month']:.1f}"
    return (
        f"not reached as projected: the information levels off at fraction "
        f"{projection.plateau_fraction:.2f} (month {projection.plateau_month:.1f})"
    )


def _schedule_notes(inputs: ReportInputs) -> list[str]:
    planned, updated = inputs.planned, inputs.updated
    notes = []
    if updated.k != planned.k or not np.allclose(updated.info, planned.info):
        notes.append(
            f"The design planned {planned.k} analyses at fractions "
            f"{fractions_text(planned.info)}; the {inputs.current_look} analyses done so far "
            "took the places of the first planned ones, and planned analyses at or below the "
            f"current fraction were dropped: the monitoring plan now has {updated.k} analyses "
            f"at fractions {fractions_text(updated.info)}."
        )
    projection = inputs.projection
    if projection is not None:
        unreached = [
            j + 1
            for j in range(inputs.current_look, updated.k)
            if not np.isfinite(projection.looks["calendar_month"].iloc[j])
        ]
        if unreached:
            which = ", ".join(str(j) for j in unreached)
            notes.append(
                f"Look(s) {which} will not be reached under the projection's assumptions: with "
                f"the subjects and follow-up assumed, the information never exceeds fraction "
                f"{projection.plateau_fraction:.2f} of the maximum. More subjects (n_total in "
                "the design file), longer follow-up, or a final analysis at the information "
                "reached (spending all remaining alpha) would be needed; the DMC and the "
                "steering committee decide which."
            )
        notes.extend(projection.assumptions)
    return notes


def schedule_table(inputs: ReportInputs) -> pd.DataFrame:
    """Every analysis of the updated design: fraction and when it was or will be done."""
    return pd.DataFrame(
        {
            "look": np.arange(1, inputs.updated.k + 1),
            "information fraction": [f"{t:.3f}" for t in inputs.updated.info],
            "timing": [look_status(inputs, j) for j in range(1, inputs.updated.k + 1)],
        }
    )


def monitoring_status(report: HtmlReport, inputs: ReportInputs) -> None:
    """The analyses done and the schedule of the remaining ones."""
    report.heading("Monitoring status")
    source = (
        "Information from pooled data: for the slope, variance components of an arm-blind "
        "LMM with the planned allocation; no arm is used."
        if not inputs.closed
        else "Information from the unblinded analysis of each look."
    )
    report.table(
        status_table(inputs),
        "Analyses done so far",
        index=False,
        notes=[source, f"Maximum information {number(inputs.max_information, 4)}."],
    )
    report.table(
        schedule_table(inputs),
        "Schedule of analyses (design updated to the observed fractions)",
        index=False,
        notes=_schedule_notes(inputs),
    )


def disposition_section(
    report: HtmlReport, inputs: ReportInputs, shown: TrialData
) -> dict[str, pd.DataFrame]:
    """Enrolment and disposition: the flow diagram, the table, enrolment over time, the log."""
    pooled = len(shown.arms) == 1
    report.section("Enrolment and disposition" + (" (pooled)" if pooled else " by arm"))
    counts = dispo.disposition_table(shown, inputs.cutoff, inputs.follow_up, counts_only=True)
    report.raw(
        dispo.flow_html(
            counts,
            screened=inputs.screened,
            exclusions=inputs.cut.exclusions,
            follow_up=inputs.follow_up,
        )
    )
    table = dispo.disposition_table(shown, inputs.cutoff, inputs.follow_up)
    report.table(
        table,
        "Disposition at the data cut-off: n (% of randomised)",
        notes=[
            "First event: the first of death, tracheostomy or permanent ventilation (the events "
            "table records only the first). Withdrawn or lost to follow-up: censored before "
            f"both the cut-off and the end of the planned {inputs.follow_up:g} months.",
        ],
    )
    report.figure(
        plot_enrolment(shown, cutoff=inputs.cutoff),
        "Cumulative enrolment by calendar month" + ("" if pooled else " and arm"),
    )
    log = dispo.exclusion_counts(inputs.cut.exclusions)
    if len(log):
        report.table(log, "Rows set aside at data validation (exclusion log)", index=False)
    else:
        report.paragraph("Data validation set no row aside: the exclusion log is empty.")
    return {"disposition": counts.reset_index(), "exclusion_counts": log}


def baseline_section(report: HtmlReport, shown: TrialData) -> pd.DataFrame:
    """Baseline characteristics (by arm, or pooled)."""
    pooled = len(shown.arms) == 1
    report.section("Baseline characteristics" + (" (pooled)" if pooled else " by arm"))
    table = cohort_summary(shown)
    if pooled and "overall" in table.columns:
        table = table.drop(columns=[c for c in table.columns if c != "overall"])
        table = table.rename(columns={"overall": "all subjects"})
    report.table(
        table,
        "Baseline characteristics and follow-up of the subjects randomised by the cut-off",
        notes=["Continuous: mean (SD) or median (Q1-Q3); binary: n (%)."],
    )
    return table.reset_index()


def _completeness_wide(table: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    due = table.groupby("visit", sort=False)["expected"].sum()
    visits = due.index[due > 0]
    table = table[table["visit"].isin(visits)]
    out = pd.DataFrame({"visit (month)": [f"{v:g}" for v in visits]})
    for arm in arms:
        rows = table[table["arm"] == arm].reset_index(drop=True)
        prefix = "" if len(arms) == 1 else f"{arm}: "
        out[f"{prefix}expected"] = rows["expected"].to_numpy()
        out[f"{prefix}observed (%)"] = [
            f"{o} ({p:.0f}%)" if np.isfinite(p) else "none due"
            for o, p in zip(rows["observed"], rows["percent observed"], strict=True)
        ]
        out[f"{prefix}after withdrawal"] = rows["withdrawn"].to_numpy()
    return out


def events_completeness_section(
    report: HtmlReport, inputs: ReportInputs, shown: TrialData
) -> dict[str, pd.DataFrame]:
    """Deaths, tracheostomy and permanent ventilation; dropout; visits expected vs observed."""
    pooled = len(shown.arms) == 1
    report.section("Clinical events, dropout and data completeness" + ("" if pooled else " by arm"))
    events = dispo.events_by_type(shown)
    report.table(
        events,
        "First clinical event by type: n (% of randomised)",
        notes=["Each subject counts once, at the first event; later events are not recorded."],
    )
    table = dispo.completeness(shown, inputs.cutoff, inputs.schedule, by_arm=not pooled)
    arms = ["all subjects"] if pooled else [str(a) for a in shown.arms]
    wide = _completeness_wide(table, arms)
    due = table.groupby("visit", sort=False)["expected"].sum()
    later = [f"{v:g}" for v, n in due.items() if n == 0]
    not_due = (
        [f"Scheduled visits not yet due for any subject by the cut-off: months {', '.join(later)}."]
        if later
        else []
    )
    report.table(
        wide,
        "ALSFRS-R visits expected and observed by scheduled visit",
        index=False,
        max_columns=6,
        notes=[
            "Expected: the visit was due by the cut-off and the subject had no event before "
            "it. Observed: an ALSFRS-R total whose nearest scheduled month is the visit. "
            "After withdrawal: expected visits of subjects who had already withdrawn (they "
            "count as missing).",
            *not_due,
        ],
    )
    due = table.groupby("arm", sort=False)[["expected", "observed"]].sum()
    overall = [
        f"{arm}: {int(r.observed)} of {int(r.expected)} expected visits observed "
        f"({100 * r.observed / r.expected:.1f}%)"
        for arm, r in due.iterrows()
        if r.expected
    ]
    report.bullets(overall)
    return {"events_by_type": events.reset_index(), "completeness": table}


def figures_section(report: HtmlReport, inputs: ReportInputs, shown: TrialData) -> None:
    """ALSFRS-R trajectories and Kaplan-Meier curves (by arm, or pooled)."""
    pooled = len(shown.arms) == 1
    report.section("ALSFRS-R and event-free survival" + (" (pooled)" if pooled else " by arm"))
    report.figure(
        plot_alsfrs_trajectories(shown),
        "ALSFRS-R total over time: a sample of subjects and the mean per visit with 95% CI"
        + ("" if pooled else ", by arm"),
    )
    km = kaplan_meier(survival_frame(shown), "months", "event", by="arm")
    report.figure(
        plot_km(
            km,
            title="Time to death, tracheostomy or permanent ventilation",
            xlabel="Months since randomisation",
            ylabel="Event-free probability",
        ),
        "Kaplan-Meier estimate of event-free survival with 95% CI and numbers at risk"
        + ("" if pooled else ", by arm"),
    )


def appendix(report: HtmlReport, inputs: ReportInputs) -> None:
    """Data snapshot digests, software versions and the exclusion log."""
    report.section("Appendix: data snapshot, software and exclusion log")
    report.key_values(
        [(f"table {t}", d) for t, d in inputs.digests.items()]
        + [("snapshot identifier", inputs.snapshot)],
        "Digests of the input tables (full trial as read, before the cut-off)",
        mono=tuple(f"table {t}" for t in inputs.digests) + ("snapshot identifier",),
    )
    report.paragraph(
        "Canonical bytes: the canonical columns, rows sorted by subject and time, written as "
        "CSV with floats at 17 significant digits; the snapshot identifier is the SHA-256 of "
        "the four table digests. Recomputing it from the data files checks that the report "
        "was made from them.",
        css_class="small",
    )
    report.key_values(list(inputs.versions.items()), "Software versions")
    log = inputs.cut.exclusions
    if len(log):
        shown = log.head(200).astype(str)
        report.table(
            shown,
            f"Exclusion log ({len(log)} row(s)"
            + ("; the first 200 shown)" if len(log) > 200 else ")"),
            index=False,
        )
    else:
        report.paragraph("Exclusion log: empty.")
