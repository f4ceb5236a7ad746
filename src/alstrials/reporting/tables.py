"""Descriptive tables of a trial: the cohort (baseline) summary by arm.

Every table is a tidy DataFrame; writing it to CSV/markdown/LaTeX is the caller's choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData

__all__ = ["cohort_summary", "baseline_visits"]


def baseline_visits(trial: TrialData) -> pd.DataFrame:
    """Each subject's first ALSFRS-R visit (the baseline), one row per subject."""
    alsfrs = trial.alsfrs.sort_values(["subject_id", "months"], kind="stable")
    return alsfrs.drop_duplicates("subject_id", keep="first").reset_index(drop=True)


def _mean_sd(x: pd.Series) -> str:
    x = x.dropna().astype(float)
    return f"{x.mean():.1f} ({x.std(ddof=1):.1f})" if len(x) > 1 else "-"


def _median_iqr(x: pd.Series) -> str:
    x = x.dropna().astype(float)
    if len(x) == 0:
        return "-"
    q1, q2, q3 = np.percentile(x, [25, 50, 75])
    return f"{q2:.2f} ({q1:.2f}-{q3:.2f})"


def _n_pct(mask: pd.Series) -> str:
    mask = mask.dropna().astype(bool)
    return f"{int(mask.sum())} ({100 * mask.mean():.0f}%)" if len(mask) else "-"


def cohort_summary(trial: TrialData) -> pd.DataFrame:
    """Baseline characteristics and follow-up by arm (and overall).

    Rows: subjects, age, female sex, bulbar onset, onset-to-baseline months, delta-FS,
    baseline ALSFRS-R, composite MRI sign at the first scan, ALSFRS-R visits per subject,
    MRI scans, events by type, follow-up. Columns: one per arm, then "overall".
    Continuous rows read "mean (SD)" or "median (Q1-Q3)"; binary rows "n (%)".

    Examples
    --------
    >>> import alstrials as at
    >>> table = at.cohort_summary(at.load_example())
    >>> table.loc["subjects", "overall"]
    '400'
    """
    base = baseline_visits(trial).set_index("subject_id")["alsfrs_total"]
    first_scan = (
        trial.mri.sort_values(["subject_id", "months"], kind="stable")
        .drop_duplicates("subject_id")
        .set_index("subject_id")["composite_sign"]
    )
    events = trial.events.set_index("subject_id")
    visits = trial.alsfrs.groupby("subject_id").size()
    scans = trial.mri.groupby("subject_id").size()
    groups = [(arm, trial.subjects[trial.subjects["arm"] == arm]) for arm in trial.arms]
    groups.append(("overall", trial.subjects))
    columns = {}
    for label, s in groups:
        ids = s["subject_id"]
        ev = events.reindex(ids)
        col = {
            "subjects": str(len(s)),
            "age, years": _mean_sd(s["age"]),
            "female": _n_pct(s["sex"].eq("F")),
            "bulbar onset": _n_pct(s["onset_site"].eq("bulbar")),
            "onset to baseline, months": _median_iqr(s["onset_to_baseline_months"]),
            "delta-FS, points/month": _median_iqr(s["delta_fs"]),
            "baseline ALSFRS-R": _mean_sd(base.reindex(ids)),
            "composite MRI sign at first scan": _n_pct(first_scan.reindex(ids)),
            "ALSFRS-R visits per subject": _median_iqr(visits.reindex(ids).fillna(0)),
            "MRI scans per subject": _median_iqr(scans.reindex(ids).fillna(0)),
        }
        for kind in ("death", "tracheostomy", "permanent_ventilation"):
            col[f"events: {kind.replace('_', ' ')}"] = _n_pct(ev["event_type"].eq(kind))
        col["follow-up, months"] = _median_iqr(ev["months"])
        columns[label] = col
    return pd.DataFrame(columns).rename_axis("characteristic")
