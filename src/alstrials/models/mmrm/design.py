"""MMRM data checks and design matrix: ``outcome ~ covariates + visit * arm`` in numbers.

Checks the long data (columns present, numeric outcome, one row per subject and visit, one arm
per subject), drops and reports incomplete rows, chooses the reference arm and builds the
treatment-coded fixed-effects matrix, with the contrasts that give the arm difference at each
visit (see :mod:`alstrials.models.mmrm` for the model).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.diagnostics import check_full_rank


def _prepare_frame(
    data: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...],
    stacklevel: int = 3,
) -> tuple[pd.DataFrame, int]:
    """Check the columns, drop (and count, and warn about) incomplete rows."""
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame in long format, got {type(data).__name__}"
        )
    needed = [outcome, visit, group, arm, *covariates]
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} not found in data (columns: {list(data.columns)}); "
            "pass the names of the outcome, visit, subject and arm columns",
            column=missing[0],
        )
    values = pd.to_numeric(data[outcome], errors="coerce")
    bad = values.isna() & data[outcome].notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        row, subject = _py(data.index[pos]), _py(data[group].iloc[pos])
        raise DataValidationError(
            f"column '{outcome}', subject {subject!r}, row {row!r}: value "
            f"{_py(data[outcome].iloc[pos])!r} is not a number; the outcome must be numeric",
            column=outcome,
            subject=subject,
            row=row,
        )
    frame = data[list(dict.fromkeys(needed))].copy()
    frame[outcome] = values.astype(float)
    incomplete = frame.isna().any(axis=1).to_numpy()
    n_dropped = int(incomplete.sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} row(s) with a missing value in {list(dict.fromkeys(needed))} were "
            f"dropped (first at row {_py(frame.index[incomplete][0])!r}); inspect them with "
            f"data[data[{list(dict.fromkeys(needed))}].isna().any(axis=1)]",
            DataWarning,
            stacklevel=stacklevel,
        )
        frame = frame.loc[~incomplete]
    if frame.empty:
        raise DataValidationError("no complete rows left to fit; check the outcome column")
    dup = frame.duplicated([group, visit], keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        row, subject = _py(frame.index[pos]), _py(frame[group].iloc[pos])
        raise DataValidationError(
            f"column '{visit}', subject {subject!r}, row {row!r}: the subject has two rows at "
            f"visit {_py(frame[visit].iloc[pos])!r}; keep one row per subject and visit",
            column=visit,
            subject=subject,
            row=row,
        )
    n_arms = frame.groupby(group, sort=False)[arm].nunique()
    if (n_arms > 1).any():
        subject = _py(n_arms.index[(n_arms > 1).to_numpy()][0])
        raise DataValidationError(
            f"column '{arm}', subject {subject!r}: the subject appears in more than one arm; "
            "each subject must have a single arm",
            column=arm,
            subject=subject,
        )
    return frame, n_dropped


def _py(value: object) -> object:
    """A numpy scalar as the Python value (so messages read 3, not np.int64(3))."""
    return value.item() if isinstance(value, np.generic) else value


def _arm_reference(values: pd.Series, requested: object, arm: str) -> object:
    levels: list[Any] = sorted((_py(v) for v in pd.unique(values)), key=str)
    if len(levels) < 2:
        raise DataValidationError(
            f"column '{arm}' has a single level {levels}; an MMRM needs at least two arms",
            column=arm,
        )
    if requested is not None:
        if requested not in levels:
            raise DataValidationError(
                f"arm_reference={requested!r} is not a level of '{arm}' (levels: {levels})",
                column=arm,
            )
        return requested
    if "placebo" in levels:
        return "placebo"
    return sorted(levels)[0] if _sortable(levels) else levels[0]


def _sortable(levels: list) -> bool:
    try:
        sorted(levels)
    except TypeError:
        return False
    return True


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna())
        return [c for c in series.cat.categories if c in present]
    found = [_py(v) for v in pd.unique(series)]
    return sorted(found) if _sortable(found) else sorted(found, key=str)


@dataclass(frozen=True)
class _Design:
    """Numeric pieces of ``outcome ~ covariates + visit * arm`` for one data set."""

    centre: float  # subtracted from y; added back to the intercept
    y: np.ndarray
    x: np.ndarray
    names: list
    subject_codes: np.ndarray
    visit_pos: np.ndarray
    visit_levels: list
    arm_levels: list  # reference first
    covariate_columns: dict  # covariate column name -> value on emmeans' reference grid

    def covariate_grid(self) -> dict:
        """Covariate columns of the design at emmeans' default reference grid: numeric
        covariates at their mean over the rows used, a factor's dummies at 1/levels (equal
        weights over its levels)."""
        return dict(self.covariate_columns)

    @property
    def n_visits(self) -> int:
        return len(self.visit_levels)

    @property
    def n_subjects(self) -> int:
        return int(np.unique(self.subject_codes).size)

    def arm_contrasts(self) -> tuple[np.ndarray, list, list]:
        """Rows L with L @ beta = arm difference at each visit, their visit labels, names."""
        ref, others = self.arm_levels[0], self.arm_levels[1:]
        rows, labels, comps = [], [], []
        for a in others:
            for j, v in enumerate(self.visit_levels):
                row = np.zeros(len(self.names))
                row[self.names.index(f"arm[T.{a}]")] = 1.0
                if j > 0:
                    row[self.names.index(f"visit[T.{v}]:arm[T.{a}]")] = 1.0
                rows.append(row)
                labels.append(v)
                comps.append(f"{a} - {ref}")
        return np.array(rows), labels, comps


def _build_design(
    frame: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...],
    reference: object,
) -> _Design:
    visit_levels = _levels(frame[visit])
    others = [a for a in _levels(frame[arm]) if a != reference]
    arm_levels = [reference, *others]
    visit_pos = frame[visit].map({v: i for i, v in enumerate(visit_levels)}).to_numpy(int)
    cols: list[np.ndarray] = [np.ones(len(frame))]
    names: list = ["Intercept"]
    grid: dict = {}
    for c in covariates:
        numeric = pd.to_numeric(frame[c], errors="coerce")
        if pd.api.types.is_bool_dtype(frame[c]) or numeric.isna().any():
            levels = _levels(frame[c])
            for lvl in levels[1:]:
                cols.append((frame[c] == lvl).to_numpy(float))
                names.append(f"{c}[T.{lvl}]")
                grid[names[-1]] = 1.0 / len(levels)
        else:
            cols.append(numeric.to_numpy(float))
            names.append(c)
            grid[c] = float(cols[-1].mean())
    vis = {v: (visit_pos == j).astype(float) for j, v in enumerate(visit_levels)}
    arms = {a: (frame[arm] == a).to_numpy(float) for a in others}
    for v in visit_levels[1:]:
        cols.append(vis[v])
        names.append(f"visit[T.{v}]")
    for a in others:
        cols.append(arms[a])
        names.append(f"arm[T.{a}]")
    for a in others:
        for v in visit_levels[1:]:
            cols.append(vis[v] * arms[a])
            names.append(f"visit[T.{v}]:arm[T.{a}]")
    x = np.column_stack(cols)
    cells = pd.crosstab(frame[visit], frame[arm])
    empty = [(v, a) for v in cells.index for a in cells.columns if cells.loc[v, a] == 0]
    hint = (
        f"visit x arm cell(s) {empty} have no observations; drop or merge those visits"
        if empty
        else "a covariate is constant or collinear with visit/arm; drop it"
    )
    check_full_rank(x, [str(n) for n in names], what="the MMRM design matrix", hint=hint)
    codes = pd.factorize(frame[group])[0]
    centre = float(frame[outcome].mean())  # shifts only the intercept; avoids cancellation
    return _Design(
        centre=centre,
        y=frame[outcome].to_numpy(float) - centre,
        x=x,
        names=names,
        subject_codes=codes,
        visit_pos=visit_pos,
        visit_levels=visit_levels,
        arm_levels=arm_levels,
        covariate_columns=grid,
    )
