"""Survival steps: Kaplan-Meier, log-rank, RMST, Cox models (baseline and time-varying MRI),
proportional-hazards checks, diagnostic/prognostic accuracy of the composite sign, the
combined function-survival endpoints (CAFS, Finkelstein-Schoenfeld), and competing risks
(cumulative incidence by cause, Gray's tests, Fine-Gray and cause-specific Cox)."""

from __future__ import annotations

import pandas as pd

from alstrials.data.frames import survival_frame
from alstrials.data.schema import TrialData
from alstrials.models.accuracy import diagnostic_accuracy
from alstrials.models.cafs import cafs
from alstrials.models.competing import cumulative_incidence, fit_fine_gray
from alstrials.models.finkelstein_schoenfeld import finkelstein_schoenfeld
from alstrials.models.survival import (
    cox_zph,
    fit_cox,
    kaplan_meier,
    logrank,
    mri_counting_process,
    rmst,
)
from alstrials.reporting.competing_plots import plot_cumulative_incidence
from alstrials.reporting.forest import forest_plot
from alstrials.reporting.style import axis_label
from alstrials.reporting.survival_plots import plot_km
from alstrials.workflows.step import Outputs, Step

COX_FORMULA = "active + composite_sign + age + delta_fs"
TV_FORMULA = "composite_sign + cord_csa_mm2 + C(arm, Treatment('placebo'))"


def _survival_by(data: pd.DataFrame, by: str, label: str, out: Outputs) -> None:
    """Kaplan-Meier (table, medians, figure), log-rank and RMST at the last time, by ``by``."""
    tau = float(data["months"].max())
    km = kaplan_meier(data, "months", "event", by=by)
    out.table(f"km_{label}", km.table, index=False)
    out.table(f"km_median_{label}", km.median)
    ax = plot_km(
        km,
        xlabel=axis_label("months"),
        ylabel="Event-free probability",
        title=f"Free of death, tracheostomy or permanent ventilation, by {by}",
    )
    out.figure(f"km_{label}", ax)
    out.table(f"logrank_{label}", logrank(data, "months", "event", by=by).summary())
    out.table(f"rmst_{label}", rmst(data, "months", "event", by=by, tau=tau).summary())


def kaplan_meier_arm_step(trial: TrialData, out: Outputs) -> None:
    _survival_by(survival_frame(trial), "arm", "arm", out)


def kaplan_meier_sign_step(trial: TrialData, out: Outputs) -> None:
    data = survival_frame(trial).dropna(subset=["composite_sign"])
    data["composite sign"] = data["composite_sign"].map({1.0: "positive", 0.0: "negative"})
    _survival_by(data, "composite sign", "composite_sign", out)


def cox_step(trial: TrialData, out: Outputs) -> None:
    data = survival_frame(trial).dropna(subset=["composite_sign"])
    fit = fit_cox(data, "months", "event", COX_FORMULA)
    out.table("cox_baseline", fit.coef)
    out.table("cox_zph", cox_zph(fit).summary())
    rows = mri_counting_process(trial, covariates=("composite_sign", "cord_csa_mm2"))
    rows = rows.assign(composite_sign=rows["composite_sign"].astype(float))
    tv = fit_cox(rows, "stop", "event", TV_FORMULA, start="start", cluster="subject_id")
    out.table("cox_time_varying_mri", tv.coef)
    ax = forest_plot(
        {"Cox, baseline MRI": fit.coef, "Cox, time-varying MRI": tv.coef},
        title="Hazard ratios for death, tracheostomy or ventilation",
    )
    out.figure("cox_forest", ax)


def accuracy_literature_step(trial: TrialData, out: Outputs) -> None:
    # The literature 2x2 table behind the reported figures (docs/simulator.md, Calibration sources).
    out.table("accuracy_literature_counts", diagnostic_accuracy(tp=120, fp=13, fn=51, tn=57))


def accuracy_prognostic_step(trial: TrialData, out: Outputs) -> None:
    # Does the sign at the first scan flag an event within 12 months? Subjects censored
    # before 12 months without an event have unknown status and are left out.
    data = survival_frame(trial).dropna(subset=["composite_sign"])
    known = data["event"] | (data["months"] >= 12.0)
    data = data[known]
    truth = (data["event"] & (data["months"] <= 12.0)).to_numpy()
    table = diagnostic_accuracy(test=data["composite_sign"].to_numpy(dtype=bool), truth=truth)
    out.table("accuracy_sign_event_12_months", table)


def endpoints_step(trial: TrialData, out: Outputs) -> None:
    month = 12.0
    result = cafs(trial, month=month)
    out.table("cafs_scores", result.scores, index=False)
    out.table("cafs_test", result.summary())
    fs = finkelstein_schoenfeld(trial, horizon=month)
    out.table("finkelstein_schoenfeld", fs.summary())
    out.table(
        "endpoint_overview",
        pd.DataFrame(
            {
                "endpoint": ["CAFS (month 12)", "Finkelstein-Schoenfeld (month 12)"],
                "p": [result.p, fs.p],
            }
        ),
        index=False,
    )


CAUSES = ("death", "tracheostomy", "permanent_ventilation")


def competing_risks_step(trial: TrialData, out: Outputs) -> None:
    """Cumulative incidence of death, tracheostomy and permanent ventilation by arm with
    Gray's tests, and the arm effect per cause from Fine-Gray and cause-specific Cox models."""
    data = survival_frame(trial)
    status = data["event_type"].where(data["event"], "censored")
    data = data.assign(status=status)
    causes = [c for c in CAUSES if (data["status"] == c).any()]
    cif = cumulative_incidence(data, "months", "status", by="arm")
    out.table("cif_by_arm", cif.table, index=False)
    if cif.tests is not None:
        out.table("gray_tests", cif.tests)
    if len(cif.groups) > 1:  # a blinded (one-arm) trial has no arm effect to estimate
        rows = []
        for cause in causes:
            fg = fit_fine_gray(data, "months", "status", "active", cause=cause).coef.loc["active"]
            event = data["status"] == cause
            cs = fit_cox(data.assign(cause_event=event), "months", "cause_event", "active")
            c = cs.coef.loc["active"]
            rows.append(
                {
                    "cause": cause,
                    "events": int(event.sum()),
                    "fine_gray_shr": fg["hr"],
                    "fine_gray_low": fg["hr_low"],
                    "fine_gray_high": fg["hr_high"],
                    "fine_gray_p": fg["p"],
                    "cause_specific_hr": c["hr"],
                    "cause_specific_low": c["hr_low"],
                    "cause_specific_high": c["hr_high"],
                    "cause_specific_p": c["p"],
                }
            )
        out.table("competing_arm_effects", pd.DataFrame(rows), index=False)
    axes = plot_cumulative_incidence(
        cif, arms=list(trial.arms), causes=causes, title="Cumulative incidence by arm"
    )
    out.figure("cif_by_arm", axes[0])


STEPS = (
    Step("kaplan_meier", "Kaplan-Meier, log-rank and RMST by arm", kaplan_meier_arm_step),
    Step(
        "kaplan_meier_sign",
        "Kaplan-Meier, log-rank and RMST by composite MRI sign",
        kaplan_meier_sign_step,
        needs=("mri",),
    ),
    Step(
        "cox",
        "Cox models with baseline and time-varying MRI, PH checks, forest plot",
        cox_step,
        needs=("mri",),
    ),
    Step(
        "accuracy",
        "accuracy of the composite sign: the published 2x2 table",
        accuracy_literature_step,
    ),
    Step(
        "accuracy_prognostic",
        "composite sign at baseline vs an event within 12 months",
        accuracy_prognostic_step,
        needs=("mri",),
    ),
    Step("endpoints", "CAFS and Finkelstein-Schoenfeld", endpoints_step),
    Step(
        "competing_risks",
        "cumulative incidence by arm and cause, Gray's tests, Fine-Gray vs cause-specific Cox",
        competing_risks_step,
    ),
)
