"""The wide layout of reference-based imputation: subjects x scheduled visits, and who had an ICE.

:func:`prepare_wide` turns long data (one row per subject and visit; a missing outcome may be a
row with NaN or no row at all) into a :class:`WideData`: the outcome matrix ``y`` (subjects x
visits, NaN where missing), each subject's arm and baseline covariates, and the intercurrent
event (ICE): the position of the first visit governed by the imputation strategy and the
strategy itself.

Who has an ICE
--------------
By default a subject whose outcome stops before the last scheduled visit discontinued at the
visit after their last observed one (deaths included: their ALSFRS-R stops too); missed visits
before the last observed one are intermittent and imputed under MAR. An explicit table
(``intercurrent=``: the subject column, ``visit`` = first visit after the ICE, optional
``strategy``), or the name of a boolean column of the data that is True at and after each
subject's ICE, replaces that rule; subjects not in it have no ICE (MAR). Outcomes observed at or
after a subject's ICE under a reference-based strategy are left out of the imputation model and
replaced by imputations (counted in ``n_post_ice_removed``).

:func:`trial_long_frame` gives the long frame of a :class:`~alstrials.data.schema.TrialData`:
the change from baseline in ALSFRS-R total at the nominal post-baseline visits with the baseline
total ``base`` as covariate, keeping subjects with a baseline but no later visit (they are
imputed from their first visit on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials.data.frames import change_frame, long_frame, visit_schedule
from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError
from alstrials.models.imputation.strategies import Strategy, parse_strategy
from alstrials.models.mmrm.design import _levels, _py

__all__ = ["WideData", "prepare_wide", "trial_long_frame", "intercurrent_from_events"]


@dataclass(frozen=True)
class WideData:
    """Subjects x visits outcomes with arms, covariates and ICEs (see the module docstring)."""

    subjects: pd.Index  # subject identifiers, in row order
    visits: tuple  # scheduled visits, in order
    y: np.ndarray  # (n, T) outcomes; NaN where missing or removed after an ICE
    arm: np.ndarray  # (n,) arm label of each subject (object)
    covariates: pd.DataFrame  # (n, k) baseline covariates, indexed like ``subjects``
    ice_index: np.ndarray  # (n,) position of the first post-ICE visit; T = no ICE
    strategy: np.ndarray  # (n,) Strategy per subject (MAR for subjects without an ICE)
    n_post_ice_removed: int

    @property
    def n_visits(self) -> int:
        return len(self.visits)

    def long(self, y: np.ndarray, names: tuple[str, str, str, str]) -> pd.DataFrame:
        """A long frame (one row per subject and visit, NaN dropped) of outcomes ``y``."""
        outcome, visit, group, arm = names
        n, t = y.shape
        frame = pd.DataFrame(
            {
                group: np.repeat(self.subjects.to_numpy(dtype=object), t),
                visit: np.tile(np.asarray(self.visits, dtype=object), n),
                arm: np.repeat(self.arm, t),
                outcome: y.ravel(),
            }
        )
        for c in self.covariates.columns:
            frame[c] = np.repeat(self.covariates[c].to_numpy(), t)
        frame[visit] = pd.Categorical(frame[visit], categories=list(self.visits))
        return frame[frame[outcome].notna()].reset_index(drop=True)


def trial_long_frame(trial: TrialData) -> pd.DataFrame:
    """The trial's change from baseline in ALSFRS-R total at the nominal post-baseline visits
    (``subject_id visit arm base change``), with one all-missing row per subject that has a
    baseline total but no later visit."""
    data = change_frame(trial)
    data["arm"] = data["arm"].astype(str)
    schedule = visit_schedule(trial)
    later = schedule[schedule > schedule.min()]
    if later.size == 0:
        raise DataValidationError(
            "the trial has no post-baseline ALSFRS-R visit to analyse", table="alsfrs"
        )
    first = long_frame(trial)
    months = first["months"].to_numpy(dtype=float)
    nearest = schedule[np.abs(months[:, None] - schedule[None, :]).argmin(axis=1)]
    first = first[nearest == schedule.min()].drop_duplicates("subject_id")
    missing = first[~first["subject_id"].isin(data["subject_id"])]
    extra = pd.DataFrame(
        {
            "subject_id": missing["subject_id"].to_numpy(),
            "visit": later[0],
            "arm": missing["arm"].astype(str).to_numpy(),
            "base": missing["alsfrs_total"].to_numpy(dtype=float),
            "change": np.nan,
        }
    )
    keep = ["subject_id", "visit", "arm", "base", "change"]
    frames = [data[keep]] + ([extra] if len(extra) else [])
    out = pd.concat(frames, ignore_index=True)
    out["visit"] = pd.Categorical(out["visit"], categories=list(later))
    return out.sort_values(["subject_id", "visit"], kind="stable").reset_index(drop=True)


def intercurrent_from_events(
    trial: TrialData,
    event_types: tuple[str, ...] | list[str] = ("death", "tracheostomy", "permanent_ventilation"),
    *,
    strategy: str | None = None,
) -> pd.DataFrame:
    """An ICE table from the trial's events: ``subject_id``, ``visit`` (the first nominal
    post-baseline visit after the event month) and, if given, ``strategy``.

    Subjects whose event falls after the last scheduled visit are not listed.
    """
    schedule = visit_schedule(trial)
    later = schedule[schedule > schedule.min()]
    events = trial.events
    hit = events[events["event"].astype(bool) & events["event_type"].isin(list(event_types))]
    months = hit["months"].to_numpy(dtype=float)
    pos = np.searchsorted(later, months, side="right")
    keep = pos < later.size
    table = pd.DataFrame(
        {"subject_id": hit["subject_id"].to_numpy()[keep], "visit": later[pos[keep]]}
    )
    if strategy is not None:
        table["strategy"] = parse_strategy(strategy).value
    return table


def prepare_wide(
    data: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...],
    strategy: Strategy,
    intercurrent: pd.DataFrame | str | None,
) -> WideData:
    """Check the long data and lay it out wide (see the module docstring)."""
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a TrialData or a long pandas DataFrame, got {type(data).__name__}"
        )
    if isinstance(intercurrent, str):
        intercurrent = _table_from_flag(data, intercurrent, group, visit)
    needed = list(dict.fromkeys([outcome, visit, group, arm, *covariates]))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} not found in data (columns: {list(data.columns)}); pass the "
            "outcome, visit, group (subject), arm and covariate column names",
            column=missing[0],
        )
    for col in (visit, group, arm):
        if data[col].isna().any():
            pos = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise DataValidationError(
                f"column '{col}', row {_py(data.index[pos])!r}: missing value; every row needs "
                "a subject, a visit and an arm",
                column=col,
                row=_py(data.index[pos]),
            )
    values = pd.to_numeric(data[outcome], errors="coerce")
    if (values.isna() & data[outcome].notna()).any():
        pos = int(np.flatnonzero((values.isna() & data[outcome].notna()).to_numpy())[0])
        raise DataValidationError(
            f"column '{outcome}', row {_py(data.index[pos])!r}: value "
            f"{_py(data[outcome].iloc[pos])!r} is not a number",
            column=outcome,
            row=_py(data.index[pos]),
        )
    visits = tuple(_levels(data[visit]))
    subjects = pd.Index(pd.unique(data[group]), name=group)
    frame = data[needed].copy()
    frame[outcome] = values.astype(float)
    dup = frame.duplicated([group, visit]).to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        raise DataValidationError(
            f"column '{visit}', subject {_py(frame[group].iloc[pos])!r}, row "
            f"{_py(frame.index[pos])!r}: two rows at one visit; keep one row per subject and visit",
            column=visit,
            subject=_py(frame[group].iloc[pos]),
        )
    per_subject = frame.groupby(group, sort=False)
    for col in [arm, *covariates]:
        n_values = per_subject[col].nunique(dropna=False)
        if (n_values > 1).any():
            subject = _py(n_values.index[(n_values > 1).to_numpy()][0])
            raise DataValidationError(
                f"column '{col}', subject {subject!r}: the value changes between visits; arm and "
                "covariates of reference-based imputation must be baseline (one value per subject)",
                column=col,
                subject=subject,
            )
    first = per_subject.first().reindex(subjects)
    for col in covariates:
        bad = first[col].isna().to_numpy()
        if bad.any():
            raise DataValidationError(
                f"column '{col}', subject {_py(subjects[bad][0])!r}: missing baseline covariate; "
                "every subject to impute needs its covariates (drop the subject or fill it in)",
                column=col,
                subject=_py(subjects[bad][0]),
            )
    row = subjects.get_indexer(frame[group])
    col_pos = pd.Index(visits).get_indexer(frame[visit])
    y = np.full((subjects.size, len(visits)), np.nan)
    y[row, col_pos] = frame[outcome].to_numpy(dtype=float)
    ice_index, strategies = _intercurrent(y, subjects, visits, group, strategy, intercurrent)
    post = np.arange(len(visits))[None, :] >= ice_index[:, None]
    reference_based = np.array([s is not Strategy.MAR for s in strategies])
    removed = post & reference_based[:, None] & np.isfinite(y)
    y = np.where(removed, np.nan, y)
    return WideData(
        subjects=subjects,
        visits=visits,
        y=y,
        arm=first[arm].to_numpy(dtype=object),
        covariates=first[list(covariates)].copy(),
        ice_index=ice_index,
        strategy=strategies,
        n_post_ice_removed=int(removed.sum()),
    )


def _table_from_flag(data: pd.DataFrame, column: str, group: str, visit: str) -> pd.DataFrame:
    """An ICE table from a boolean column that is True at and after each subject's ICE (the
    first flagged visit is the ICE visit)."""
    if column not in data.columns:
        raise DataValidationError(
            f"intercurrent={column!r}: no such column in data (columns: {list(data.columns)}); "
            "give a boolean column that is True at the visits after the ICE, or an ICE table",
            column=column,
        )
    flag = data[column]
    if not (pd.api.types.is_bool_dtype(flag) or set(pd.unique(flag.dropna())) <= {0, 1}):
        raise DataValidationError(
            f"column '{column}' must be boolean (True at the visits after the ICE)",
            column=column,
        )
    flagged = data[flag.fillna(False).astype(bool).to_numpy()]
    order = {v: j for j, v in enumerate(_levels(data[visit]))}
    flagged = flagged.assign(_pos=flagged[visit].map(order).astype(int))
    first = flagged.sort_values("_pos", kind="stable").drop_duplicates(group)
    return pd.DataFrame({group: first[group].to_numpy(), "visit": first[visit].to_numpy()})


def _intercurrent(
    y: np.ndarray,
    subjects: pd.Index,
    visits: tuple,
    group: str,
    strategy: Strategy,
    table: pd.DataFrame | None,
) -> tuple[np.ndarray, np.ndarray]:
    n, t = y.shape
    if table is None:
        observed = np.isfinite(y)
        last = np.where(observed.any(axis=1), t - 1 - np.argmax(observed[:, ::-1], axis=1), -1)
        ice = np.where(last < t - 1, last + 1, t)
        strategies = np.array([strategy if k < t else Strategy.MAR for k in ice], dtype=object)
        return ice.astype(int), strategies
    if not isinstance(table, pd.DataFrame):
        raise DataValidationError(
            f"intercurrent must be a DataFrame with columns '{group}' and 'visit', got "
            f"{type(table).__name__}"
        )
    need = [c for c in (group, "visit") if c not in table.columns]
    if need:
        raise DataValidationError(
            f"intercurrent table: column(s) {need} not found (columns: {list(table.columns)}); it "
            f"needs '{group}' and 'visit' (the first visit after the ICE), optionally 'strategy'",
            table="intercurrent",
            column=need[0],
        )
    if table[group].duplicated().any():
        subject = _py(table[group][table[group].duplicated()].iloc[0])
        raise DataValidationError(
            f"intercurrent table, subject {subject!r}: listed twice; give one ICE per subject",
            table="intercurrent",
            column=group,
            subject=subject,
        )
    rows = subjects.get_indexer(table[group])
    if (rows < 0).any():
        subject = _py(table[group].to_numpy()[rows < 0][0])
        raise DataValidationError(
            f"intercurrent table, subject {subject!r}: not in the data",
            table="intercurrent",
            column=group,
            subject=subject,
        )
    pos = pd.Index(visits).get_indexer(table["visit"])
    if (pos < 0).any():
        bad = _py(table["visit"].to_numpy()[pos < 0][0])
        raise DataValidationError(
            f"intercurrent table, column 'visit': {bad!r} is not a scheduled visit {list(visits)}",
            table="intercurrent",
            column="visit",
        )
    ice = np.full(n, t, dtype=int)
    ice[rows] = pos
    strategies = np.array([Strategy.MAR] * n, dtype=object)
    if "strategy" in table.columns:
        given = [
            parse_strategy(s, where="intercurrent table, column 'strategy'")
            for s in table["strategy"]
        ]
    else:
        given = [strategy] * len(table)
    for r, s in zip(rows, given, strict=True):
        strategies[r] = s
    return ice, strategies
