"""Scripted interim analysis of a group-sequential ALS trial, with a DMC report.

At each look (the earlier looks listed in the design file, then the current cut-off) the trial
is cut at that calendar month (:func:`alstrials.cut_at`) and analysed:

``slope``   LMM ``alsfrs_total ~ months * arm`` with random intercept and slope; the statistic
            is the Wald z of the slope difference (active minus reference; positive favours the
            active arm, whose decline is slower) and the information is ``1 / SE^2``.
``events``  Cox model on the arm; z = -log(HR) / SE (positive favours the active arm) and the
            information is ``d p (1 - p)`` for ``d`` events and allocation ``p``.

The maximum information is the design's: ``inflation * ((z_{1-alpha} + z_{1-beta}) / theta)^2``
with ``theta`` the planned effect (``delta`` for the slope, ``-log(hr)`` for events), unless
``max_information`` is given. Information fractions are observed information over the maximum;
boundaries are recomputed at the observed fractions (alpha spending makes this valid),
conditional power, predictive power and repeated confidence intervals follow
(:func:`alstrials.design.interim.interim_analysis`).

Blinded mode pools the arms and reports only what a blinded team may see: enrolment, pooled
trajectories and survival, event counts, and the information fraction (for the slope, from
variance components estimated on pooled data, assuming the planned allocation). No test
statistic, boundary crossing or conditional power is computed.

The same inputs give byte-identical CSV tables (and report).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from alstrials.data.cutoff import blind, cut_at
from alstrials.data.frames import long_frame, visit_schedule
from alstrials.data.schema import TrialData
from alstrials.design.information import (
    events_information,
    planned_visits,
    project_looks,
    slope_information,
    slope_information_path,
)
from alstrials.design.interim import InterimResult, interim_analysis, update_design
from alstrials.design.sequential import GSDesign
from alstrials.errors import DesignError
from alstrials.models.lmm import fit_lmm
from alstrials.models.primary import fit_arm_cox, fit_slope_model, slope_term
from alstrials.reporting.html import PAPER_SIZES
from alstrials.reporting.report.inputs import Projection, ReportInputs
from alstrials.reporting.report.pdf import PdfOutcome
from alstrials.reporting.report.snapshot import snapshot_id, software_versions, table_digests
from alstrials.reporting.report.write import write_reports
from alstrials.workflows.interim_plan import (
    DESIGN_KINDS,
    ENDPOINT_KINDS,
    REPORT_KINDS,
    InterimPlan,
    read_plan,
)

__all__ = [
    "InterimPlan",
    "read_plan",
    "run_interim",
    "InterimReport",
    "DESIGN_KINDS",
    "ENDPOINT_KINDS",
    "REPORT_KINDS",
    "project_slope_looks",
]

CSV_TABLES = ("disposition", "events_by_type", "completeness", "baseline", "exclusion_counts")
"""Tables of the reports also written as CSV (counts at full precision)."""


@dataclass(frozen=True)
class Look:
    """What one look at the data showed."""

    cutoff: float
    n_subjects: int
    n_visits: int
    n_events: int
    information: float
    estimate: float = np.nan
    se: float = np.nan
    z: float = np.nan


def _slope_look(trial: TrialData, cutoff: float) -> Look:
    fit = fit_slope_model(trial)
    row = fit.fixed.loc[slope_term(trial)]
    est, se = float(row["estimate"]), float(row["se"])
    return Look(
        cutoff,
        trial.n_subjects,
        len(trial.alsfrs),
        int(trial.events["event"].sum()),
        1.0 / se**2,
        est,
        se,
        est / se,
    )


def _events_look(trial: TrialData, cutoff: float, allocation: float) -> Look:
    d = int(trial.events["event"].sum())
    fit = fit_arm_cox(trial)
    est, se = float(fit.coef.loc["active", "estimate"]), float(fit.coef.loc["active", "se"])
    info = float(events_information(d, allocation=allocation)[0]) if d else 0.0
    return Look(cutoff, trial.n_subjects, len(trial.alsfrs), d, info, est, se, -est / se)


class _Components(TypedDict):
    sig2_int: float
    sig2_slope: float
    cov_int_slope: float
    sig2_resid: float


def _pooled_components(trial: TrialData) -> _Components:
    """Variance components of the pooled (arm-blind) slope LMM."""
    pooled = fit_lmm(
        long_frame(trial), "alsfrs_total ~ months", group="subject_id", random="~months"
    )
    g = pooled.random_cov.to_numpy()
    return {
        "sig2_int": g[0, 0],
        "sig2_slope": g[1, 1],
        "cov_int_slope": g[0, 1],
        "sig2_resid": pooled.residual_var,
    }


def _allocated(subjects: pd.DataFrame, allocation: float) -> pd.DataFrame:
    """Subjects with the planned allocation assigned deterministically in subject order
    (``arm`` "active"/"placebo"): what a blinded team can assume about arms."""
    ordered = subjects.sort_values("subject_id").reset_index(drop=True)
    k = np.arange(len(ordered))
    share = np.floor((k + 1) * allocation) - np.floor(k * allocation)
    return ordered.assign(arm=np.where(share > 0, "active", "placebo"))


def _blinded_look(trial: TrialData, plan: InterimPlan, cutoff: float) -> Look:
    d = int(trial.events["event"].sum())
    if plan.endpoint == "events":
        info = float(events_information(d, allocation=plan.allocation)[0]) if d else 0.0
        return Look(cutoff, trial.n_subjects, len(trial.alsfrs), d, info)
    info = slope_information(
        _allocated(trial.subjects, plan.allocation),
        trial.alsfrs[["subject_id", "months"]],
        **_pooled_components(trial),
    ).information
    return Look(cutoff, trial.n_subjects, len(trial.alsfrs), d, float(info))


def _slope_path(
    trial: TrialData, plan: InterimPlan, max_information: float, *, blinded: bool
) -> tuple[pd.DataFrame, int, float]:
    """Projected information path of the slope endpoint, the number of subjects added to reach
    ``n_total`` and their enrolment rate (subjects per month; NaN when none is added)."""
    if blinded:
        subjects = _allocated(trial.subjects, plan.allocation)
    else:
        subjects = trial.subjects.assign(arm=trial.subjects["arm"].astype(str))
    active = "active" if blinded else trial.arms[1]
    subjects = subjects[["subject_id", "enrollment_month", "arm"]]
    extra = int(plan.options.get("n_total", 0)) - len(subjects)
    rate = float("nan")
    if extra > 0:
        enrolled = subjects["enrollment_month"].to_numpy(dtype=float)
        recorded = trial.metadata.get("cutoff_month")
        cutoff = float(recorded) if isinstance(recorded, int | float) else enrolled.max()
        rate = len(enrolled) / max(cutoff - enrolled.min(), 1e-9)  # subjects per month
        future = _allocated(
            pd.DataFrame(
                {
                    "subject_id": [f"planned-{k:06d}" for k in range(extra)],
                    "enrollment_month": cutoff + np.arange(1, extra + 1) / rate,
                }
            ),
            plan.allocation,
        )
        future["arm"] = future["arm"].map({"active": active, "placebo": "placebo"})
        subjects = pd.concat([subjects, future], ignore_index=True)
    components = _pooled_components(trial)
    path = slope_information_path(
        subjects,
        planned_visits(subjects, list(visit_schedule(trial))),
        sig2_slope=components["sig2_slope"],
        sig2_resid=components["sig2_resid"],
        sig2_int=components["sig2_int"],
        cov_int_slope=components["cov_int_slope"],
        active=active,
        max_information=max_information,
        dropout_rate=float(plan.options.get("dropout_rate", 0.0)),
    )
    return path, max(extra, 0), rate


def project_slope_looks(
    trial: TrialData, plan: InterimPlan, design: GSDesign, max_information: float, *, blinded: bool
) -> pd.DataFrame:
    """Calendar month at which each planned look's information fraction will be reached.

    Assumes the planned visit schedule, variance components of the pooled LMM at the cut-off,
    an exponential dropout rate ``dropout_rate`` (per month, from the design file's
    [endpoint], default 0), and the subjects enrolled by the cut-off plus, when the design file
    gives the planned total ``n_total``, the remaining subjects enrolled at the rate observed
    so far (with the planned allocation). Arms are the real ones, or the planned allocation
    when blinded.
    """
    path, _, _ = _slope_path(trial, plan, max_information, blinded=blinded)
    return _looks_of(path, design)


def _looks_of(path: pd.DataFrame, design: GSDesign) -> pd.DataFrame:
    looks = project_looks(path, list(design.info)).reset_index(drop=True)
    looks.insert(0, "look", np.arange(1, len(looks) + 1))
    return looks


def _projection(
    trial: TrialData, plan: InterimPlan, design: GSDesign, max_information: float, *, blinded: bool
) -> Projection:
    """The projected looks of ``design`` with the plateau of the path and its assumptions in
    words (what the report prints under the schedule)."""
    path, extra, rate = _slope_path(trial, plan, max_information, blinded=blinded)
    best = int(np.argmax(path["fraction"].to_numpy(dtype=float)))
    n = trial.n_subjects
    n_total = plan.options.get("n_total")
    if extra > 0:
        who = (
            f"the {n} subjects enrolled by the cut-off plus {extra} more up to the planned "
            f"total of {n_total}, enrolled at the rate observed so far ({rate:.1f} per month) "
            "with the planned allocation"
        )
    elif n_total is not None:
        who = (
            f"the {n} subjects enrolled by the cut-off and no further enrolment (the planned "
            f"total n_total = {n_total} is reached)"
        )
    else:
        who = (
            f"the {n} subjects enrolled by the cut-off and no further enrolment (the design "
            "file gives no planned total n_total)"
        )
    schedule = ", ".join(f"{v:g}" for v in visit_schedule(trial))
    dropout = float(plan.options.get("dropout_rate", 0.0))
    lost = (
        f"exponential dropout of {dropout:g} per month"
        if dropout > 0
        else "no dropout (the design file gives no dropout_rate)"
    )
    arms = (
        "the planned allocation assigned in subject order (blinded)"
        if blinded
        else "the subjects' real arms"
    )
    assumptions = (
        f"Projection assumptions: {who}; every subject visited at the planned months "
        f"({schedule}); variance components of the arm-blind LMM at the cut-off; {lost}; "
        f"arms: {arms}.",
    )
    return Projection(
        looks=_looks_of(path, design),
        plateau_fraction=float(path["fraction"].iloc[best]),
        plateau_month=float(path["calendar_month"].iloc[best]),
        assumptions=assumptions,
    )


@dataclass(frozen=True)
class InterimReport:
    """The looks, the interim result (None when blinded) and the files written.

    ``reports`` are the HTML reports (the open report, then the closed one unless blinded);
    ``pdfs`` says for each whether its PDF was written beside it, and if not why;
    ``snapshot`` is the data snapshot identifier (:func:`snapshot_id` of the input trial).
    """

    plan: InterimPlan
    looks: tuple[Look, ...]
    max_information: float
    result: InterimResult | None
    files: tuple[Path, ...]
    reports: tuple[Path, ...] = ()
    pdfs: tuple[PdfOutcome, ...] = ()
    snapshot: str = ""

    @property
    def looks_table(self) -> pd.DataFrame:
        table = pd.DataFrame([vars(look) for look in self.looks])
        table.insert(0, "look", np.arange(1, len(table) + 1))
        table["fraction"] = table["information"] / self.max_information
        if self.result is None:
            table = table.drop(columns=["estimate", "se", "z"])
        return table


def _generation_time(generated: dt.datetime | None) -> dt.datetime:
    """``generated``, else ``$SOURCE_DATE_EPOCH`` (reproducible builds), else now (UTC)."""
    if generated is not None:
        return generated.astimezone(dt.UTC) if generated.tzinfo else generated
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def _analyse(
    trial: TrialData, plan: InterimPlan, months: list[float], *, blinded: bool
) -> list[Look]:
    looks = []
    for month in months:
        cut = cut_at(trial, month)
        if blinded:
            looks.append(_blinded_look(blind(cut), plan, month))
        elif plan.endpoint == "slope":
            looks.append(_slope_look(cut, month))
        else:
            looks.append(_events_look(cut, month, plan.allocation))
    return looks


def _supportive(cut: TrialData, plan: InterimPlan) -> pd.DataFrame:
    """Supportive results of the closed report: arm slopes and the Cox hazard ratio."""
    reference, active = (str(a) for a in cut.arms[:2])
    rows = []
    if plan.endpoint == "slope":
        fixed = fit_slope_model(cut).fixed
        base = float(fixed.loc["months", "estimate"])
        diff = float(fixed.loc[slope_term(cut), "estimate"])
        rows.append(
            (
                "ALSFRS-R slope by arm",
                f"{reference} {base:.3f}, {active} {base + diff:.3f} points/month",
            )
        )
    if int(cut.events["event"].sum()) > 0:
        coef = fit_arm_cox(cut).coef.loc["active"]
        label = "Hazard ratio of the first event" + (
            " (supportive)" if plan.endpoint == "slope" else ""
        )
        rows.append(
            (
                label,
                f"{coef['hr']:.2f} (95% CI {coef['hr_low']:.2f} to {coef['hr_high']:.2f}), "
                f"{int(cut.events['event'].sum())} events",
            )
        )
    return pd.DataFrame(rows, columns=["item", "value"])


def run_interim(
    trial: TrialData,
    plan: InterimPlan,
    cutoff: float,
    out: str | Path,
    *,
    blinded: bool = False,
    trial_name: str | None = None,
    report_version: str | None = None,
    generated: dt.datetime | None = None,
    paper: str = "a4",
    pdf: bool = True,
) -> InterimReport:
    """Analyse ``trial`` at calendar month ``cutoff`` (and at the plan's earlier looks) and
    write CSV tables and the DMC reports into ``out``.

    Parameters
    ----------
    trial : TrialData
        The whole trial as read (the data snapshot identifier is computed on it).
    plan : InterimPlan
    cutoff : float
        The data cut-off, calendar months since the first enrolment.
    out : str or Path
        Output folder.
    blinded : bool
        Write only the open report (pooled data) and compute no comparison between arms.
    trial_name, report_version : str, optional
        For the cover; default the design file's ``[report]`` ``trial`` and ``version``, then
        the trial's metadata ``name`` or ``source``, and version "1".
    generated : datetime, optional
        The generation time on the cover (default ``$SOURCE_DATE_EPOCH`` when set, else now):
        the same inputs and time give byte-identical HTML.
    paper : {"a4", "letter"}
        Paper size of the print stylesheet and the PDFs.
    pdf : bool
        Print each report to PDF beside its HTML with headless Chromium; when Chromium is not
        found an :class:`~alstrials.errors.AlstrialsWarning` is issued, the HTML is kept and
        ``InterimReport.pdfs`` says why the PDF is missing.

    Returns
    -------
    InterimReport
        ``interim_open_report.html`` always, ``interim_closed_report.html`` unless blinded
        (and their PDFs), ``looks.csv``, ``enrolment.csv``, ``disposition.csv``,
        ``events_by_type.csv``, ``completeness.csv``, ``projected_looks.csv`` (slope) and, for
        the closed report, ``interim_summary.csv``, ``boundaries.csv``,
        ``conditional_power.csv``.
    """
    if paper not in PAPER_SIZES:
        raise DesignError(f"paper must be one of {sorted(PAPER_SIZES)}, got {paper!r}")
    months = [*sorted(plan.looks), float(cutoff)]
    if len(months) > plan.k:
        raise DesignError(
            f"{len(plan.looks)} earlier look(s) and this cut-off make {len(months)} analyses, "
            f"but the design plans k = {plan.k}"
        )
    if any(b <= a for a, b in zip(months, months[1:], strict=False)):
        raise DesignError(f"earlier looks {list(plan.looks)} must all precede the cut-off {cutoff}")
    design = plan.design()
    max_info = plan.maximum_information(design)
    pooled_looks = _analyse(trial, plan, months, blinded=True)
    looks = pooled_looks if blinded else _analyse(trial, plan, months, blinded=False)
    fractions = [look.information / max_info for look in looks]
    if any(f >= 1.0 for f in fractions[:-1]):
        raise DesignError(
            f"an earlier look already reached the maximum information {max_info:.4g} "
            f"(fractions {np.round(fractions, 3).tolist()}): that look was the final analysis. "
            "Check the planned effect or max_information in the design file."
        )
    final = len(looks) >= plan.k or fractions[-1] >= 1.0
    result = None
    if not blinded:
        result = interim_analysis(
            design,
            z=[lk.z for lk in looks],
            info=np.minimum(fractions, 1.0) if final else fractions,
            estimate=[lk.estimate for lk in looks],
            se=[lk.se for lk in looks],
            final=final,
        )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    cut = cut_at(trial, float(cutoff))
    report = InterimReport(plan, tuple(looks), max_info, result, ())
    common = {
        "trial_name": trial_name
        or str(plan.report.get("trial") or trial.metadata.get("name") or "")
        or str(trial.metadata.get("source") or "ALS trial"),
        "report_version": report_version or str(plan.report.get("version", "1")),
        "generated": _generation_time(generated),
        "snapshot": snapshot_id(trial),
        "digests": table_digests(trial),
        "versions": software_versions(),
        "screened": plan.report.get("screened"),
        "paper": paper,
    }
    open_inputs = _inputs(cut, report, design, float(cutoff), pooled_looks, final, common, True)
    closed_inputs = (
        None
        if blinded
        else _inputs(cut, report, design, float(cutoff), looks, final, common, False)
    )
    written = write_reports(open_inputs, closed_inputs, folder, pdf=pdf)
    files = [_csv(report.looks_table, folder / "looks.csv")]
    shown = blind(cut) if blinded else cut
    enrolment = shown.subjects.groupby("arm", observed=True).size().rename("subjects")
    files.append(_csv(enrolment.reset_index(), folder / "enrolment.csv"))
    for name in CSV_TABLES:
        files.append(_csv(written.tables[name], folder / f"{name}.csv"))
    shown_inputs = open_inputs if closed_inputs is None else closed_inputs
    if shown_inputs.projection is not None:
        files.append(_csv(shown_inputs.projection.looks, folder / "projected_looks.csv"))
    if result is not None:
        files.append(_csv(result.summary(), folder / "interim_summary.csv", index=True))
        files.append(_csv(result.design.table, folder / "boundaries.csv", index=True))
        files.append(_csv(_power_values(result), folder / "conditional_power.csv"))
    files.extend(written.files)
    return replace(
        report,
        files=tuple(files),
        reports=written.reports,
        pdfs=written.pdfs,
        snapshot=str(common["snapshot"]),
    )


def _power_values(result: InterimResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quantity": [
                "conditional power (current trend)",
                "conditional power (design effect)",
                "predictive power (flat prior)",
            ],
            "value": [
                result.conditional_power_trend,
                result.conditional_power_design,
                result.predictive_power,
            ],
        }
    )


def _inputs(
    cut: TrialData,
    report: InterimReport,
    design: GSDesign,
    cutoff: float,
    looks: list[Look],
    final: bool,
    common: dict[str, Any],
    pooled: bool,
) -> ReportInputs:
    """What the open (``pooled``) or closed report is built from."""
    plan, max_info = report.plan, report.max_information
    table = pd.DataFrame([vars(look) for look in looks])
    table.insert(0, "look", np.arange(1, len(table) + 1))
    table["fraction"] = table["information"] / max_info
    if pooled:
        table = table.drop(columns=["estimate", "se", "z"])
    fractions = table["fraction"].to_numpy(dtype=float)
    updated = (
        report.result.design
        if report.result is not None and not pooled
        else update_design(design, np.minimum(fractions, 1.0) if final else fractions, final=final)
    )
    projection = (
        _projection(cut, plan, updated, max_info, blinded=pooled)
        if plan.endpoint == "slope"
        else None
    )
    schedule = tuple(float(v) for v in visit_schedule(cut))
    return ReportInputs(
        cutoff=cutoff,
        cut=cut,
        endpoint=plan.endpoint,
        effect=plan.effect,
        allocation=plan.allocation,
        planned=design,
        updated=updated,
        max_information=max_info,
        information_given=plan.max_information is not None,
        looks=table,
        follow_up=max(schedule),
        schedule=schedule,
        projection=projection,
        result=None if pooled else report.result,
        supportive=None if pooled else _supportive(cut, plan),
        options=dict(plan.options),
        **common,
    )


def _csv(frame: pd.DataFrame, path: Path, index: bool = False) -> Path:
    frame.to_csv(path, index=index, lineterminator="\n", float_format="%.8g")
    return path
