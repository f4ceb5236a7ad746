"""The primary analyses of a two-arm ALS trial, fitted on a :class:`TrialData`.

One definition each, shared by the analysis workflows, the scripted interim analysis and
simulation-based power:

``fit_slope_model``  LMM ``alsfrs_total ~ months * arm``, random intercept and slope per subject
                     (REML); the arm effect is the slope difference ``slope_term(trial)``.
``fit_change_mmrm``  MMRM of the change from baseline at nominal visits with the baseline total
                     as covariate (unstructured covariance by default).
``fit_arm_cox``      Cox model of the composite endpoint on ``active`` (1 for the second arm).
``fit_arm_joint``    joint model: ALSFRS-R ``~ months + months:active`` with random intercept
                     and slope, linked by its current value to the composite endpoint
                     ``~ active`` (piecewise-constant baseline hazard).

The reference arm is ``trial.arms[0]``.
"""

from __future__ import annotations

import pandas as pd

from alstrials.data.frames import change_frame, long_frame, survival_frame
from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError
from alstrials.models.joint import JointResult, fit_joint
from alstrials.models.lmm import LMMResult, fit_lmm
from alstrials.models.mmrm import MMRMResult, fit_mmrm
from alstrials.models.survival import CoxResult, fit_cox

__all__ = [
    "SLOPE_FORMULA",
    "fit_slope_model",
    "slope_term",
    "fit_change_mmrm",
    "fit_arm_cox",
    "fit_arm_joint",
]

SLOPE_FORMULA = "alsfrs_total ~ months * arm"


def slope_term(trial: TrialData) -> str:
    """Name of the slope-difference coefficient (``months:arm[T.<second arm>]``)."""
    return f"months:arm[T.{trial.two_arms('the slope difference')[1]}]"


def fit_slope_model(trial: TrialData) -> LMMResult:
    """The ALSFRS-R slope LMM by arm (see the module docstring); needs two arms."""
    trial.two_arms("the primary slope analysis")
    return fit_lmm(long_frame(trial), SLOPE_FORMULA, group="subject_id", random="~months")


def fit_change_mmrm(trial: TrialData, covariance: str = "unstructured") -> MMRMResult:
    """MMRM of change from baseline at nominal visits, adjusted for the baseline total."""
    data = change_frame(trial)
    data["arm"] = data["arm"].astype(str)
    return fit_mmrm(
        data,
        outcome="change",
        visit="visit",
        group="subject_id",
        arm="arm",
        covariates=("base",),
        covariance=covariance,
        arm_reference=trial.two_arms("the MMRM of change from baseline")[0],
    )


def fit_arm_cox(trial: TrialData) -> CoxResult:
    """Cox model of the composite endpoint on the arm (``active``)."""
    return fit_cox(survival_frame(trial), duration="months", event="event", formula="active")


def fit_arm_joint(trial: TrialData) -> JointResult:
    """Joint model of ALSFRS-R and the composite endpoint (see the module docstring); the arm
    effect on the slope is the ``months:active`` row of ``long_fixed``."""
    longitudinal = long_frame(trial)
    longitudinal["active"] = (longitudinal["arm"] != trial.arms[0]).astype(float)
    return fit_joint(
        longitudinal,
        survival_frame(trial),
        long_formula="alsfrs_total ~ months + months:active",
        random="~ months",
        group="subject_id",
        time="months",
        surv_formula="~ active",
        duration="months",
        event="event",
        association="value",
    )


#: Cause grouping of the example joint model: the three event types, or respiratory
#: (tracheostomy, permanent ventilation) pooled against death.
JOINT_CAUSES = ("competing", "pooled")


def joint_frames(trial: TrialData, causes: str = "competing") -> tuple[dict, pd.DataFrame]:
    """The marker frames (ALSFRS-R total, cord area) and the survival frame with a ``cause``
    column for :func:`fit_marker_cause_joint`."""
    if causes not in JOINT_CAUSES:
        raise DataValidationError(f"causes must be one of {list(JOINT_CAUSES)}, got {causes!r}")
    alsfrs = long_frame(trial)
    alsfrs["active"] = (alsfrs["arm"] != trial.arms[0]).astype(float)
    arm = alsfrs.drop_duplicates("subject_id")[["subject_id", "active"]]
    cord = trial.mri[["subject_id", "months", "cord_csa_mm2"]].merge(arm, on="subject_id")
    cord = cord[cord["cord_csa_mm2"].notna()].astype({"cord_csa_mm2": float})
    surv = survival_frame(trial)
    cause = surv["event_type"].astype(object)
    if causes == "pooled":
        cause = cause.replace(
            {"tracheostomy": "respiratory", "permanent_ventilation": "respiratory"}
        )
    surv["cause"] = cause.where(surv["event"], None)
    return {"alsfrs_total": alsfrs, "cord_csa_mm2": cord}, surv


def fit_marker_cause_joint(trial: TrialData, causes: str = "competing") -> JointResult:
    """Joint model of ALSFRS-R and cord area (random intercepts and slopes, jointly normal)
    with cause-specific Weibull hazards of death, tracheostomy and permanent ventilation
    (``causes="competing"``) or of death and respiratory failure (``"pooled"``), each linked
    to the current value of both markers and adjusted for the arm."""
    markers, surv = joint_frames(trial, causes)
    return fit_joint(
        markers,
        surv,
        long_formula={
            "alsfrs_total": "alsfrs_total ~ months + months:active",
            "cord_csa_mm2": "cord_csa_mm2 ~ months + months:active",
        },
        random={"alsfrs_total": "~ months", "cord_csa_mm2": "~ months"},
        group="subject_id",
        time="months",
        surv_formula="~ active",
        duration="months",
        event="event",
        association="value",
        baseline="weibull",
        cause="cause",
    )
