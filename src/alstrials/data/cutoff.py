"""The trial as it was known at a calendar month, and its blinded view.

A data cut-off at calendar month ``C`` (months since the first enrolment, the scale of
``subjects.enrollment_month``) keeps, for a subject enrolled at month ``e``:

- the subject only if ``e <= C``;
- visits and scans with ``e + months <= C``;
- the event if it happened by then (``e + months <= C``); otherwise the subject is censored at
  ``min(months, C - e)`` (administrative censoring at the cut-off, or the earlier censoring
  already recorded).

Blinding pools the arms: every subject's arm becomes ``"blinded"`` so that what a blinded team
sees (pooled trajectories, pooled event counts) is all that is left.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError

__all__ = ["cut_at", "blind", "BLINDED_ARM", "calendar_times"]

BLINDED_ARM = "blinded"


def calendar_times(trial: TrialData, table: str) -> pd.Series:
    """Calendar month of every row of ``table`` (enrolment month + months since baseline)."""
    enrolled = trial.subjects.set_index("subject_id")["enrollment_month"]
    frame = trial.table(table)
    return frame["months"] + frame["subject_id"].map(enrolled).to_numpy(dtype=float)


def cut_at(trial: TrialData, month: float) -> TrialData:
    """``trial`` as known at calendar month ``month`` (see the module docstring).

    Parameters
    ----------
    trial : TrialData
        Needs ``subjects.enrollment_month`` for every subject.
    month : float
        The cut-off, in calendar months since the first enrolment.

    Returns
    -------
    TrialData
        With ``metadata["cutoff_month"]`` set.

    Examples
    --------
    >>> import alstrials as at
    >>> full = at.load_example()
    >>> early = at.cut_at(full, 6.0)
    >>> early.n_subjects < full.n_subjects
    True
    """
    if not np.isfinite(month) or month < 0:
        raise DataValidationError(f"cut-off month must be a finite number >= 0, got {month!r}")
    enrolled = trial.subjects["enrollment_month"]
    if enrolled.isna().any():
        pos = int(np.flatnonzero(enrolled.isna().to_numpy())[0])
        raise DataValidationError(
            f"table 'subjects', column 'enrollment_month', subject "
            f"{trial.subjects['subject_id'].iloc[pos]!r}, row {pos}: a missing enrolment month; "
            "a data cut-off needs every subject's enrolment month.",
            table="subjects",
            column="enrollment_month",
            subject=trial.subjects["subject_id"].iloc[pos],
            row=pos,
        )
    subjects = trial.subjects[enrolled <= month].reset_index(drop=True)
    kept = set(subjects["subject_id"])
    tables: dict[str, pd.DataFrame] = {"subjects": subjects}
    for table in ("alsfrs", "mri"):
        frame = trial.table(table)
        when = calendar_times(trial, table)
        tables[table] = frame[frame["subject_id"].isin(kept) & (when <= month)].reset_index(
            drop=True
        )
    events = trial.events[trial.events["subject_id"].isin(kept)].copy()
    start = events["subject_id"].map(subjects.set_index("subject_id")["enrollment_month"])
    available = month - start
    later = events["months"] > available
    events.loc[later, "months"] = available[later]
    events.loc[later, "event"] = False
    events.loc[later, "event_type"] = "censored"
    tables["events"] = events.reset_index(drop=True)
    return TrialData(
        **tables,
        arms=trial.arms,
        metadata={**trial.metadata, "cutoff_month": float(month)},
        exclusions=trial.exclusions,
    )


def blind(trial: TrialData) -> TrialData:
    """The trial with arms pooled: every ``arm`` becomes ``"blinded"``."""
    subjects = trial.subjects.assign(arm=BLINDED_ARM)
    return TrialData(
        subjects=subjects,
        alsfrs=trial.alsfrs,
        mri=trial.mri,
        events=trial.events,
        arms=(BLINDED_ARM,),
        metadata={**trial.metadata, "blinded": True},
        exclusions=trial.exclusions,
    )
