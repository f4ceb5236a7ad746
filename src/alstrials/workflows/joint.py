"""Joint model steps: ALSFRS-R and the composite endpoint (one marker), and ALSFRS-R with cord
area and the competing causes death / tracheostomy / permanent ventilation, reported beside
the time-varying Cox model, with dynamic predictions for two patients."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.data.frames import long_frame, survival_frame
from alstrials.data.schema import TrialData
from alstrials.models.primary import fit_arm_joint, fit_marker_cause_joint, joint_frames
from alstrials.models.survival import fit_cox
from alstrials.models.survival.counting import mri_counting_process
from alstrials.reporting.joint_plots import plot_dynamic_prediction
from alstrials.workflows.step import Outputs, Step


def joint_step(trial: TrialData, out: Outputs) -> None:
    # The prediction history: one subject's visits with the covariates of both submodels.
    longitudinal = long_frame(trial)
    longitudinal["active"] = (longitudinal["arm"] != trial.arms[0]).astype(float)
    survival = survival_frame(trial)
    fit = fit_arm_joint(trial)
    out.table("joint_longitudinal", fit.long_fixed)
    out.table("joint_survival", fit.surv_coef)
    out.table("joint_baseline_hazard", fit.baseline_hazard, index=False)
    # Dynamic prediction for the first subject still event-free at month 6, from visits to 6.
    at_risk = survival[(survival["months"] > 6.0) & (survival["active"] == 0.0)]
    subject = at_risk["subject_id"].iloc[0]
    history = longitudinal[
        (longitudinal["subject_id"] == subject) & (longitudinal["months"] <= 6.0)
    ]
    times = np.arange(7.0, 19.0, 1.0)
    prediction = fit.predict_survival(history, times)
    out.table("joint_dynamic_prediction", prediction.assign(subject_id=subject), index=False)


def _rows(model: str, table, cause: str = "composite") -> list[dict]:
    out = []
    for key, row in table.iterrows():
        c, term = key if isinstance(key, tuple) else (cause, key)
        out.append({"model": model, "cause": c, "term": str(term), **row[["estimate", "se", "p"]]})
    return out


def joint_competing_step(trial: TrialData, out: Outputs, causes: str = "competing") -> None:
    fit = fit_marker_cause_joint(trial, causes)
    out.table("joint2_longitudinal", fit.long_fixed)
    out.table("joint2_survival", fit.surv_coef)
    out.table("joint2_random_cov", fit.random_cov)
    one = fit_arm_joint(trial)
    rows = mri_counting_process(trial, covariates=("cord_csa_mm2",))
    rows["active"] = (rows["arm"] != trial.arms[0]).astype(float)
    cox = fit_cox(
        rows, "stop", "event", "active + cord_csa_mm2", start="start", cluster="subject_id"
    )
    compare = pd.DataFrame(
        _rows("time-varying Cox (cord area, LOCF)", cox.coef)
        + _rows("joint: ALSFRS-R", one.surv_coef)
        + _rows("joint: ALSFRS-R + cord area, causes", fit.surv_coef)
    )
    out.table("joint_models_compared", compare, index=False)
    # Dynamic prediction for two patients event-free at month 6, one per arm.
    markers, surv = joint_frames(trial, causes)
    histories, incidences, titles = {}, {}, {}
    for active in (0.0, 1.0):
        subject = surv[(surv["months"] > 12.0) & (surv["active"] == active)]["subject_id"].iloc[0]
        hist = {
            m: f[(f["subject_id"] == subject) & (f["months"] <= 6.0)] for m, f in markers.items()
        }
        ci = fit.predict_cumulative_incidence(
            hist,
            np.arange(6.0, 18.01, 0.5),
            last_time=6.0,
            method="montecarlo",
            n_draws=200,
            seed=20261202,
        )
        histories[subject], incidences[subject] = hist, ci
        titles[subject] = f"{subject} ({trial.arms[int(active)]})"
        out.table(f"joint2_prediction_{subject}", ci, index=False)
    axes = plot_dynamic_prediction(
        histories, incidences, markers=list(markers), time="months", titles=titles
    )
    out.figure("joint2_dynamic_prediction", axes.flat[0])


STEPS = (
    Step("joint", "joint model of ALSFRS-R and survival, dynamic prediction", joint_step),
    Step(
        "joint_competing",
        "joint model of ALSFRS-R and cord area with competing causes, beside the time-varying "
        "Cox and one-marker joint models; dynamic prediction for two patients",
        joint_competing_step,
        needs=("mri", "events"),
    ),
)
