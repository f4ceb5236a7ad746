"""Joint model step: ALSFRS-R trajectory and the composite endpoint, linked through the
current value of the (error-free) ALSFRS-R total, with a dynamic prediction for one subject."""

from __future__ import annotations

import numpy as np

from alstrials.data.frames import long_frame, survival_frame
from alstrials.data.schema import TrialData
from alstrials.models.primary import fit_arm_joint
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


STEPS = (Step("joint", "joint model of ALSFRS-R and survival, dynamic prediction", joint_step),)
