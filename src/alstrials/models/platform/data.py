"""Arrays of a platform trial for the DRR model: one padded row per participant.

ALSFRS-R totals go into an ``(n, V)`` grid (``V`` the largest number of visits of a participant)
with a mask; the number of rows is padded up to a multiple of :data:`ROW_BLOCK` with masked-out
rows, so that trials of similar size share one compiled likelihood. Covariates are standardised
(numeric: centred and divided by their SD; text or boolean: indicators of the non-reference
levels, then standardised too), so that one prior scale fits every covariate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError

__all__ = ["PlatformArrays", "platform_arrays", "ROW_BLOCK"]

ROW_BLOCK = 64
"""Participants are padded to a multiple of this many rows."""


@dataclass(frozen=True, eq=False)
class PlatformArrays:
    """The numeric inputs of the likelihood (see the module docstring)."""

    y: np.ndarray  # (N, V) ALSFRS-R total minus y_centre (0 where masked)
    t: np.ndarray  # (N, V) months from baseline
    mask: np.ndarray  # (N, V) 1.0 where a visit is observed
    regimen: np.ndarray  # (N,) regimen index
    active: np.ndarray  # (N,) 1.0 on an active drug
    x: np.ndarray  # (N, p) standardised covariates
    time: np.ndarray  # (N,) follow-up time (months)
    event: np.ndarray  # (N,) 1.0 event
    row: np.ndarray  # (N,) 1.0 for a real participant, 0.0 for padding
    y_centre: float
    regimens: tuple[str, ...]
    covariates: tuple[str, ...]
    subject_id: np.ndarray  # (n,) ids of the real rows
    n: int

    @property
    def n_regimens(self) -> int:
        return len(self.regimens)


def _covariate_matrix(subjects: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list]:
    columns, names = [], []
    for name in covariates:
        if name not in subjects.columns:
            raise DataValidationError(
                f"fit_drr: covariate {name!r} is not a column of the subjects table "
                f"(columns: {list(subjects.columns)})",
                table="subjects",
                column=name,
            )
        col = subjects[name]
        if col.isna().any():
            row = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise DataValidationError(
                f"fit_drr: covariate {name!r} is missing for subject "
                f"{subjects['subject_id'].iloc[row]!r} (table 'subjects', row {row}); "
                "impute it or drop the subject",
                table="subjects",
                column=name,
                subject=subjects["subject_id"].iloc[row],
                row=row,
            )
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            columns.append(col.to_numpy(dtype=float))
            names.append(name)
        else:
            levels = sorted(col.astype(str).unique())
            for level in levels[1:]:
                columns.append((col.astype(str) == level).to_numpy(dtype=float))
                names.append(f"{name}[{level}]")
    if not columns:
        return np.zeros((len(subjects), 0)), []
    x = np.column_stack(columns)
    sd = x.std(axis=0)
    constant = [names[j] for j in np.flatnonzero(sd == 0)]
    if constant:
        raise DataValidationError(
            f"fit_drr: covariate {constant[0]} is constant in the subjects table; drop it",
            table="subjects",
            column=constant[0].split("[")[0],
        )
    return (x - x.mean(axis=0)) / sd, names


def platform_arrays(
    trial: TrialData,
    *,
    regimen: str = "regimen",
    covariates: Sequence[str] = (),
    event_types: Sequence[str] | None = None,
    placebo: str | None = None,
) -> PlatformArrays:
    """Build the arrays of the DRR model from a platform trial.

    Parameters
    ----------
    trial : TrialData
        A platform trial: ``subjects`` has the column ``regimen`` and ``arm`` is the reference
        arm (``trial.arms[0]``, placebo) or an active arm within the regimen.
    regimen : str
        The column of ``subjects`` naming each participant's regimen.
    covariates : sequence of str
        Baseline columns of ``subjects``.
    event_types : sequence of str, optional
        Event types counted as the survival event (default: every event, ``events.event``).
    placebo : str, optional
        The placebo arm label (default ``trial.arms[0]``).

    Raises
    ------
    DataValidationError
        A missing column, a participant without a baseline visit or without an events row, a
        regimen without placebo or without active participants.
    """
    subjects = trial.subjects.reset_index(drop=True)
    if regimen not in subjects.columns:
        raise DataValidationError(
            f"fit_drr: the subjects table has no column {regimen!r} naming each participant's "
            f"regimen; pass regimen='...' (columns: {list(subjects.columns)})",
            table="subjects",
            column=regimen,
        )
    if subjects[regimen].isna().any():
        row = int(np.flatnonzero(subjects[regimen].isna().to_numpy())[0])
        raise DataValidationError(
            f"fit_drr: subject {subjects['subject_id'].iloc[row]!r} has no regimen "
            f"(table 'subjects', column {regimen!r}, row {row})",
            table="subjects",
            column=regimen,
            row=row,
        )
    ref = placebo or trial.arms[0]
    active = (subjects["arm"] != ref).to_numpy(dtype=float)
    labels = subjects[regimen].astype(str)
    regimens = tuple(dict.fromkeys(labels))  # order of first appearance
    for r in regimens:
        in_r = (labels == r).to_numpy()
        if active[in_r].sum() == 0 or active[in_r].sum() == in_r.sum():
            which = "active" if active[in_r].sum() == 0 else "placebo"
            raise DataValidationError(
                f"fit_drr: regimen {r!r} has no {which} participants (arm {ref!r} is placebo); "
                "each regimen needs both arms",
                table="subjects",
                column="arm",
            )
    reg_index = np.array([regimens.index(v) for v in labels])
    x, cov_names = _covariate_matrix(subjects, covariates)

    ids = subjects["subject_id"].to_numpy()
    pos = pd.Series(np.arange(len(ids)), index=ids)
    visits = trial.alsfrs[trial.alsfrs["alsfrs_total"].notna()]
    visits = visits[visits["subject_id"].isin(pos.index)]
    visits = visits.sort_values(["subject_id", "months"], kind="stable")
    who = pos.loc[visits["subject_id"]].to_numpy()
    counts = np.bincount(who, minlength=len(ids))
    if np.any(counts == 0):
        row = int(np.flatnonzero(counts == 0)[0])
        raise DataValidationError(
            f"fit_drr: subject {ids[row]!r} has no ALSFRS-R total (table 'alsfrs'); "
            "drop the subject or add the visit",
            table="alsfrs",
            column="alsfrs_total",
            subject=ids[row],
        )
    n = len(ids)
    n_pad = int(np.ceil(n / ROW_BLOCK) * ROW_BLOCK)
    v = int(counts.max())
    first = np.r_[0, np.cumsum(counts)[:-1]]
    slot = np.arange(len(who)) - first[who]
    y_raw = visits["alsfrs_total"].to_numpy(dtype=float)
    baseline = y_raw[first]
    y_centre = float(np.round(baseline.mean(), 1))
    y = np.zeros((n_pad, v))
    t = np.zeros((n_pad, v))
    mask = np.zeros((n_pad, v))
    y[who, slot] = y_raw - y_centre
    t[who, slot] = visits["months"].to_numpy(dtype=float)
    mask[who, slot] = 1.0

    ev = trial.events.drop_duplicates("subject_id").set_index("subject_id")
    missing = [s for s in ids if s not in ev.index]
    if missing:
        raise DataValidationError(
            f"fit_drr: subject {missing[0]!r} has no row in the events table "
            f"({len(missing)} subjects without one)",
            table="events",
            subject=missing[0],
        )
    ev = ev.loc[ids]
    time = ev["months"].to_numpy(dtype=float)
    if event_types is None:
        event = ev["event"].to_numpy(dtype=float)
    else:
        event = ev["event_type"].isin(list(event_types)).to_numpy(dtype=float)
    bad = ~np.isfinite(time) | (time <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"fit_drr: subject {ids[row]!r} has follow-up time {time[row]!r}; it must be > 0",
            table="events",
            column="months",
            subject=ids[row],
        )

    def pad(values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        out = np.full((n_pad,) + values.shape[1:], fill, dtype=float)
        out[:n] = values
        return out

    return PlatformArrays(
        y=y,
        t=t,
        mask=mask,
        regimen=pad(reg_index).astype(np.int32),
        active=pad(active),
        x=pad(x),
        time=pad(time, 1.0),
        event=pad(event),
        row=pad(np.ones(n)),
        y_centre=y_centre,
        regimens=regimens,
        covariates=tuple(cov_names),
        subject_id=ids,
        n=n,
    )
