"""Analysis-ready frames built from a trial's canonical tables.

``long_frame``      ALSFRS-R visits with arm and baseline covariates, totals as floats.
``change_frame``    visits mapped to the nominal schedule with the baseline total and the
                    change from baseline (the MMRM layout).
``survival_frame``  one row per subject: event time and flag with arm, baseline covariates and
                    the MRI signs and biomarkers at the subject's first scan (baseline MRI).

The arm becomes an ordered categorical with the trial's declared arms, reference first, so
formula terms read ``arm[T.active]`` with the reference arm as baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData

__all__ = [
    "long_frame",
    "change_frame",
    "visit_schedule",
    "survival_frame",
    "baseline_mri",
    "MRI_MEASURES",
]

MRI_MEASURES = (
    "cst_fa",
    "precentral_thickness_mm",
    "cord_csa_mm2",
    "cst_flair_hyperintensity",
    "motor_cortex_swi_hypointensity",
    "composite_sign",
)
_SUBJECT_COLUMNS = [
    "subject_id",
    "arm",
    "age",
    "sex",
    "onset_site",
    "onset_to_baseline_months",
    "delta_fs",
    "enrollment_month",
]


def _arm(series: pd.Series, trial: TrialData) -> pd.Categorical:
    return pd.Categorical(series, categories=list(trial.arms))


def long_frame(trial: TrialData) -> pd.DataFrame:
    """ALSFRS-R visits with a total, joined to the subject's arm and baseline covariates."""
    data = trial.alsfrs.merge(trial.subjects[_SUBJECT_COLUMNS], on="subject_id", how="inner")
    data = data[data["alsfrs_total"].notna()].copy()
    data["alsfrs_total"] = data["alsfrs_total"].to_numpy(dtype=float)
    data["arm"] = _arm(data["arm"], trial)
    return data.sort_values(["subject_id", "months"], kind="stable").reset_index(drop=True)


def visit_schedule(trial: TrialData) -> np.ndarray:
    """The nominal visit months: the simulator's schedule when recorded in the metadata, else
    the distinct visit months rounded to whole months."""
    scenario = trial.metadata.get("scenario") or {}
    if isinstance(scenario, dict) and "visit_months" in scenario:
        return np.asarray(sorted(scenario["visit_months"]), dtype=float)
    return np.unique(np.round(trial.alsfrs["months"].to_numpy(dtype=float)))


def change_frame(trial: TrialData, schedule: np.ndarray | None = None) -> pd.DataFrame:
    """Post-baseline visits at nominal times (``visit``: the nearest scheduled month; a
    subject's later duplicates of the same nominal visit are dropped), with ``base`` (the
    total at the first scheduled visit) and ``change`` (total minus base). Subjects without a
    baseline total are left out."""
    data = long_frame(trial)
    times = visit_schedule(trial) if schedule is None else np.asarray(schedule, dtype=float)
    months = data["months"].to_numpy(dtype=float)
    data["visit"] = times[np.abs(months[:, None] - times[None, :]).argmin(axis=1)]
    data = data.drop_duplicates(["subject_id", "visit"], keep="first")
    base = data[data["visit"] == times.min()].set_index("subject_id")["alsfrs_total"]
    data["base"] = data["subject_id"].map(base)
    data = data[(data["visit"] > times.min()) & data["base"].notna()].copy()
    data["change"] = data["alsfrs_total"] - data["base"]
    return data.reset_index(drop=True)


def baseline_mri(trial: TrialData) -> pd.DataFrame:
    """Each subject's first scan (one row per scanned subject), indexed by ``subject_id``."""
    first = trial.mri.sort_values(["subject_id", "months"], kind="stable")
    first = first.drop_duplicates("subject_id").set_index("subject_id")
    return first[list(MRI_MEASURES)]


def survival_frame(trial: TrialData) -> pd.DataFrame:
    """One row per subject: ``months``, ``event`` (bool), ``event_type``, the subject columns,
    ``active`` and the baseline MRI measures (missing when the subject has no scan). Boolean
    signs become floats (1.0/0.0) ready for model formulas.

    ``active`` is 1.0 for the second declared arm and 0.0 for the reference arm (``arms[0]``);
    a label outside the declared arms gets NaN. In a one-arm trial (e.g. blinded) it is 0.0.
    A trial declaring three or more arms raises :class:`~alstrials.errors.DataValidationError`
    (the indicator is not defined): select two arms first (``trial.select_arms``)."""
    data = trial.events.merge(trial.subjects[_SUBJECT_COLUMNS], on="subject_id", how="inner")
    mri = baseline_mri(trial)
    for column in MRI_MEASURES:
        values = data["subject_id"].map(mri[column])
        data[column] = values.astype("Float64").to_numpy(dtype=float, na_value=float("nan"))
    data["event"] = data["event"].astype(bool)
    if len(trial.arms) == 1:
        data["active"] = np.where(data["arm"] == trial.arms[0], 0.0, np.nan)
    else:
        reference, active = trial.two_arms("survival_frame's 'active' indicator")
        arm = data["arm"].to_numpy(dtype=object)
        data["active"] = np.where(arm == active, 1.0, np.where(arm == reference, 0.0, np.nan))
    data["arm"] = _arm(data["arm"], trial)
    return data.reset_index(drop=True)
