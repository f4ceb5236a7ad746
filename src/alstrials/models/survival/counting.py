"""Counting-process (start, stop] data from MRI scans: :func:`mri_counting_process`.

Each subject is followed from baseline (month 0) to its event or censoring time :math:`T`. Scan
times :math:`0 < s_1 < s_2 < \\dots < T` split the follow-up into intervals
:math:`(0, s_1], (s_1, s_2], \\dots, (s_m, T]`; on each interval a covariate takes the value of
the last scan at or before the interval's start (last observation carried forward, LOCF,
per covariate: a scan with a missing value carries the previous non-missing value). The event
indicator is set on the last interval only. This is the data a Cox model with time-varying
covariates needs: at an event time, each subject contributes the value known just before it.

Rules where a choice was needed:

* scan and event times that differ only by rounding are one time (:mod:`alstrials.models.ties`);
* the value in force at month 0 is the last scan at or before month 0 (scans before
  baseline count as baseline scans);
* scans at or after the subject's event/censoring time cannot change the hazard before it: they
  are ignored and counted (``frame.attrs["n_scans_after_end"]``);
* subjects with no scan at or before month 0: with ``before_first_scan="drop"`` (default) the
  follow-up before the first scan is left out, so the subject enters the risk set at the first
  scan (delayed entry, valid in counting-process form); with ``"missing"`` the first interval is
  kept with missing covariates (drop or impute before fitting);
* subjects with no scan before the end are dropped (``"drop"``) or kept with one row of missing
  covariates (``"missing"``); their number is ``frame.attrs["n_subjects_without_scan"]``.

References
----------
Andersen PK, Gill RD (1982). Cox's regression model for counting processes: a large sample
study. Annals of Statistics 10:1100-1120.
Therneau TM, Grambsch PM (2000). Modeling Survival Data, chapter 3. Springer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError
from alstrials.models.ties import merge_close_times

__all__ = ["mri_counting_process"]

_MODES = ("drop", "missing")


def mri_counting_process(
    trial: TrialData,
    covariates: Sequence[str] = ("composite_sign", "cord_csa_mm2"),
    *,
    subject_columns: Sequence[str] = ("arm", "age", "sex", "onset_site"),
    before_first_scan: str = "drop",
) -> pd.DataFrame:
    """Turn a trial's MRI scans and events into (start, stop] rows with LOCF covariates.

    Parameters
    ----------
    trial : TrialData
        Needs the ``mri``, ``events`` and ``subjects`` tables.
    covariates : sequence of str
        MRI columns carried forward (booleans become 0/1 floats).
    subject_columns : sequence of str
        Columns of ``subjects`` copied to every row (baseline covariates).
    before_first_scan : {"drop", "missing"}
        What to do with follow-up before a subject's first scan (see the module docstring).

    Returns
    -------
    DataFrame
        ``subject_id start stop event event_type``, the covariates and the subject columns,
        sorted by subject and start. ``attrs`` holds ``n_scans_after_end`` and
        ``n_subjects_without_scan``.

    References
    ----------
    Andersen & Gill (1982); Therneau & Grambsch (2000).

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.data.schema import TrialData, empty_table
    >>> subjects = pd.DataFrame({"subject_id": ["a"], "arm": ["active"], "age": [60.0],
    ...     "sex": ["F"], "onset_site": ["spinal"], "onset_to_baseline_months": [12.0],
    ...     "delta_fs": [0.5], "enrollment_month": [0.0]})
    >>> mri = pd.DataFrame({"subject_id": ["a", "a"], "months": [0.0, 6.0], "cst_fa": [0.5, 0.4],
    ...     "precentral_thickness_mm": [2.5, 2.4], "cord_csa_mm2": [70.0, 66.0],
    ...     "cst_flair_hyperintensity": [False, True],
    ...     "motor_cortex_swi_hypointensity": [False, True], "composite_sign": [False, True]})
    >>> events = pd.DataFrame({"subject_id": ["a"], "months": [10.0], "event": [True],
    ...                        "event_type": ["death"]})
    >>> trial = TrialData.from_frames(subjects, empty_table("alsfrs"), mri, events)
    >>> cp = mri_counting_process(trial, subject_columns=("arm",))
    >>> cp[["start", "stop", "event", "composite_sign", "cord_csa_mm2"]].values.tolist()
    [[0.0, 6.0, False, 0.0, 70.0], [6.0, 10.0, True, 1.0, 66.0]]
    """
    if before_first_scan not in _MODES:
        raise ValueError(f"before_first_scan must be one of {_MODES}, got {before_first_scan!r}")
    covariates = list(covariates)
    subject_columns = list(subject_columns)
    missing = [c for c in covariates if c not in trial.mri.columns]
    if missing:
        raise DataValidationError(
            f"table 'mri' has no column(s) {missing}; choose covariates among "
            f"{list(trial.mri.columns)}.",
            table="mri",
            column=missing[0],
        )
    missing = [c for c in subject_columns if c not in trial.subjects.columns]
    if missing:
        raise DataValidationError(
            f"table 'subjects' has no column(s) {missing}; pass subject_columns among "
            f"{list(trial.subjects.columns)}.",
            table="subjects",
            column=missing[0],
        )
    events = trial.events[["subject_id", "months", "event", "event_type"]]
    dup = events["subject_id"].duplicated()
    if dup.any():
        row = events.index[int(np.flatnonzero(dup.to_numpy())[0])]
        raise DataValidationError(
            f"table 'events', column 'subject_id', row {row!r}: subject "
            f"{events.loc[row, 'subject_id']!r} has more than one row; keep one row per subject.",
            table="events",
            column="subject_id",
            row=row,
        )
    end = events.set_index("subject_id").copy()
    scans = trial.mri[["subject_id", "months", *covariates]].copy()
    # scan and event times equal up to rounding are one time (alstrials.models.ties)
    scan_t, end_t = merge_close_times(
        scans["months"].to_numpy(dtype=float), end["months"].to_numpy(dtype=float)
    )
    scans["months"], end["months"] = scan_t, end_t
    for c in covariates:
        scans[c] = scans[c].astype("Float64").astype(float)
    scans = scans[scans["subject_id"].isin(end.index)]
    scans = scans.sort_values(["subject_id", "months"], kind="stable")
    # LOCF of non-missing values within subject (before discarding late scans)
    scans[covariates] = scans.groupby("subject_id")[covariates].ffill()
    t_end = scans["subject_id"].map(end["months"]).to_numpy(dtype=float)
    late = scans["months"].to_numpy() >= t_end
    n_late = int(late.sum())
    scans = scans[~late]
    # scans at or before 0 collapse to one baseline value at time 0
    scans["months"] = np.maximum(scans["months"].to_numpy(), 0.0)
    scans = scans.drop_duplicates(["subject_id", "months"], keep="last")

    starts = scans["months"].to_numpy()
    sid = scans["subject_id"].to_numpy()
    nxt = np.append(starts[1:], np.nan)
    same_next = np.append(sid[1:] == sid[:-1], False)
    stop = np.where(same_next, nxt, scans["subject_id"].map(end["months"]).to_numpy(float))
    rows = pd.DataFrame({"subject_id": sid, "start": starts, "stop": stop})
    for c in covariates:
        rows[c] = scans[c].to_numpy()
    rows["event"] = (~same_next) & scans["subject_id"].map(end["event"]).to_numpy(bool)

    first_scan = scans.groupby("subject_id")["months"].min()
    no_scan = end.index.difference(first_scan.index)
    extra = []
    if before_first_scan == "missing":
        late_first = first_scan[first_scan > 0]
        if len(late_first):
            extra.append(
                pd.DataFrame(
                    {
                        "subject_id": late_first.index,
                        "start": 0.0,
                        "stop": late_first.to_numpy(),
                        "event": False,
                    }
                )
            )
        if len(no_scan):
            extra.append(
                pd.DataFrame(
                    {
                        "subject_id": no_scan,
                        "start": 0.0,
                        "stop": end.loc[no_scan, "months"].to_numpy(float),
                        "event": end.loc[no_scan, "event"].to_numpy(bool),
                    }
                )
            )
    if extra:
        rows = pd.concat([rows, *extra], ignore_index=True)
    rows["event_type"] = np.where(
        rows["event"], rows["subject_id"].map(end["event_type"]), "censored"
    )
    subj = trial.subjects.set_index("subject_id")[subject_columns]
    for c in subject_columns:
        rows[c] = rows["subject_id"].map(subj[c])
    rows = rows[rows["stop"] > rows["start"]]
    rows = rows.sort_values(["subject_id", "start"], kind="stable").reset_index(drop=True)
    rows = rows[
        ["subject_id", "start", "stop", "event", "event_type", *covariates, *subject_columns]
    ]
    rows.attrs["n_scans_after_end"] = n_late
    rows.attrs["n_subjects_without_scan"] = len(no_scan)
    return rows
