"""Joint models: ALSFRS-R with the composite survival endpoint (one marker), and ALSFRS-R with
cord area and the competing causes death, tracheostomy and permanent ventilation (two
markers), reported beside the time-varying Cox model, with dynamic predictions of each cause's
cumulative incidence for two example patients. Parameters: ``configs/04_joint.toml``. Run
alone: ``python analyses/04_joint.py --out DIR``.

The causes are modelled as competing (cause-specific hazards). To pool tracheostomy and
permanent ventilation into respiratory failure instead, set ``causes = "pooled"`` in the
config (docs/joint.md)."""

import numpy as np
import pandas as pd

from alstrials.data.frames import long_frame, survival_frame
from alstrials.data.schema import TrialData
from alstrials.models.primary import fit_arm_joint, fit_marker_cause_joint, joint_frames
from alstrials.models.survival import fit_cox
from alstrials.models.survival.counting import mri_counting_process
from alstrials.reporting.joint_plots import plot_dynamic_prediction
from alstrials.workflows import joint
from alstrials.workflows.scripts import load_config, script_main, select_steps
from alstrials.workflows.step import Outputs, Step

CONFIG = load_config(
    __file__,
    {
        "joint": {"landmark_months": "number", "prediction_months": "numbers"},
        "joint_competing": {
            "causes": "string",
            "selection_months": "number",
            "landmark_months": "number",
            "horizon_months": "number",
            "step_months": "number",
            "monte_carlo_draws": "integer",
            "seed": "integer",
        },
    },
)


def joint_step(trial: TrialData, out: Outputs) -> None:
    landmark = float(CONFIG["joint"]["landmark_months"])
    longitudinal = long_frame(trial)
    longitudinal["active"] = (longitudinal["arm"] != trial.arms[0]).astype(float)
    survival = survival_frame(trial)
    fit = fit_arm_joint(trial)
    out.table("joint_longitudinal", fit.long_fixed)
    out.table("joint_survival", fit.surv_coef)
    out.table("joint_baseline_hazard", fit.baseline_hazard, index=False)
    at_risk = survival[(survival["months"] > landmark) & (survival["active"] == 0.0)]
    subject = at_risk["subject_id"].iloc[0]
    history = longitudinal[
        (longitudinal["subject_id"] == subject) & (longitudinal["months"] <= landmark)
    ]
    times = np.asarray(CONFIG["joint"]["prediction_months"], dtype=float)
    prediction = fit.predict_survival(history, times)
    out.table("joint_dynamic_prediction", prediction.assign(subject_id=subject), index=False)


def _rows(model: str, table: pd.DataFrame, cause: str = "composite") -> list[dict]:
    """One row per (cause, term) of a coefficient table: estimate, se, p."""
    out = []
    for key, row in table.iterrows():
        c, term = key if isinstance(key, tuple) else (cause, key)
        out.append({"model": model, "cause": c, "term": str(term), **row[["estimate", "se", "p"]]})
    return out


def joint_competing_step(trial: TrialData, out: Outputs) -> None:
    config = CONFIG["joint_competing"]
    fit = fit_marker_cause_joint(trial, config["causes"])
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
    landmark = float(config["landmark_months"])
    times = np.arange(landmark, config["horizon_months"] + 1e-9, config["step_months"])
    markers, surv = joint_frames(trial, config["causes"])
    histories, incidences, titles = {}, {}, {}
    for active in (0.0, 1.0):
        chosen = surv[(surv["months"] > config["selection_months"]) & (surv["active"] == active)]
        subject = chosen["subject_id"].iloc[0]
        hist = {
            m: f[(f["subject_id"] == subject) & (f["months"] <= landmark)]
            for m, f in markers.items()
        }
        ci = fit.predict_cumulative_incidence(
            hist,
            times,
            last_time=landmark,
            method="montecarlo",
            n_draws=config["monte_carlo_draws"],
            seed=config["seed"],
        )
        histories[subject], incidences[subject] = hist, ci
        titles[subject] = f"{subject} ({trial.arms[int(active)]})"
        out.table(f"joint2_prediction_{subject}", ci, index=False)
    axes = plot_dynamic_prediction(
        histories, incidences, markers=list(markers), time="months", titles=titles
    )
    out.figure("joint2_dynamic_prediction", axes.flat[0])


_LIBRARY = {step.name: step for step in joint.STEPS}
STEPS = select_steps(
    (
        Step("joint", _LIBRARY["joint"].description, joint_step),
        Step(
            "joint_competing",
            _LIBRARY["joint_competing"].description,
            joint_competing_step,
            needs=("mri", "events"),
        ),
    ),
    CONFIG,
    script=__file__,
)

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS, script=__file__))
