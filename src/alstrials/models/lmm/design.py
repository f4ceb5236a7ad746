"""Design matrices and per-subject sufficient statistics for the linear mixed model.

The model (Laird and Ware 1982) for subject ``i`` with ``n_i`` observations is

    y_i = X_i beta + Z_i b_i + e_i,   b_i ~ N(0, G),   e_i ~ N(0, sigma^2 I_{n_i}),

with ``X_i`` (``n_i x p``) built from the fixed-effects formula and ``Z_i`` (``n_i x q``) from the
one-sided random-effects formula, both by formulaic. Everything the likelihood needs is a
function of the per-subject cross-products

    Z_i'Z_i (q x q),  Z_i'X_i (q x p),  Z_i'y_i (q),

and of the totals ``X'X``, ``X'y``, ``y'y``. They are computed once here (one pass over the rows,
summed per subject with :func:`numpy.add.reduceat`), so a likelihood evaluation costs
``O(m q^3 + m q^2 p)`` for ``m`` subjects, whatever the number of visits.

This module also cleans the input: it checks that the columns exist, drops (and counts) rows with a
missing value in any variable the model uses, and checks that the fixed- and random-effects
designs have full column rank, with the tolerance of
:func:`alstrials.models.diagnostics.check_full_rank` (nearly collinear columns are rejected too).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix

from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.diagnostics import check_full_rank
from alstrials.models.formula import check_formula

__all__ = ["LMMDesign", "build_design"]


@dataclass(frozen=True, eq=False)
class LMMDesign:
    """Model matrices, grouping and per-subject cross-products of one LMM fit.

    Rows are sorted by group (stable), so each subject's rows are contiguous; ``order`` maps the
    sorted rows back to the rows of ``frame`` (the cleaned data in the user's row order).
    """

    frame: pd.DataFrame
    outcome: str
    group: str
    y: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    groups: np.ndarray
    group_index: np.ndarray
    fixed_names: list[str]
    random_names: list[str]
    fixed_spec: Any
    random_spec: Any
    n_dropped: int
    ZtZ: np.ndarray
    ZtX: np.ndarray
    Zty: np.ndarray
    XtX: np.ndarray
    Xty: np.ndarray
    yty: float

    @property
    def n_obs(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.starts.shape[0])


def _as_float_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Copy of ``frame`` with pandas nullable numeric columns (Int64, Float64) as float64."""
    out = frame.copy()
    for col in columns:
        s = out[col]
        if isinstance(s.dtype, pd.BooleanDtype):
            continue
        if (
            isinstance(s.dtype, pd.api.extensions.ExtensionDtype)
            and pd.api.types.is_numeric_dtype(s.dtype)
            and not pd.api.types.is_bool_dtype(s.dtype)
        ):
            out[col] = s.to_numpy(dtype=float, na_value=np.nan)
    return out


def _block_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum rows of ``values`` over the contiguous blocks beginning at ``starts``."""
    return np.add.reduceat(values, starts, axis=0)


def build_design(data: pd.DataFrame, formula: str, group: str, random: str) -> LMMDesign:
    """Clean ``data`` and build the matrices and cross-products of an LMM.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per observation.
    formula : str
        Two-sided fixed-effects formula, e.g. ``"alsfrs_total ~ months * arm"``.
    group : str
        Column identifying the subject (grouping factor of the random effects).
    random : str
        One-sided random-effects formula, e.g. ``"~1"`` or ``"~months"``.

    Returns
    -------
    LMMDesign
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame with one row per observation, got "
            f"{type(data).__name__}; for a TrialData pass e.g. trial.alsfrs merged with "
            "trial.subjects."
        )
    if not isinstance(formula, str) or "~" not in formula:
        raise DataValidationError(
            f"formula must be a two-sided string like 'alsfrs_total ~ months * arm', got "
            f"{formula!r}."
        )
    lhs = formula.split("~", 1)[0].strip()
    if not lhs:
        raise DataValidationError(
            f"formula {formula!r} has no outcome on the left of '~'; write it as 'outcome ~ terms'."
        )
    if not isinstance(random, str) or not random.strip().startswith("~"):
        raise DataValidationError(
            f"random must be a one-sided formula string such as '~1' or '~months', got {random!r}."
        )
    check_formula(formula)  # formulaic evaluates Python: only the restricted grammar
    check_formula(random, what="random")
    try:
        fixed_vars = set(Formula(formula).required_variables)
        random_vars = set(Formula(random).required_variables)
    except Exception as exc:  # formulaic raises several parser error types
        raise DataValidationError(f"could not parse the model formulas: {exc}") from exc
    needed = sorted(fixed_vars | random_vars | {group})
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"data has no column(s) {missing} used by formula {formula!r}, random {random!r} "
            f"or group {group!r}; available columns: {list(data.columns)}.",
            column=missing[0],
        )

    frame = _as_float_frame(data[needed], needed)
    keep = frame.notna().all(axis=1).to_numpy()
    n_dropped = int((~keep).sum())
    if n_dropped:
        counts = frame.isna().sum()
        detail = ", ".join(f"{c}: {int(n)}" for c, n in counts.items() if n)
        warnings.warn(
            f"{n_dropped} of {len(frame)} rows have a missing value in a model variable "
            f"({detail}) and were left out of the fit; inspect them with "
            f"data[data[{needed}].isna().any(axis=1)].",
            DataWarning,
            stacklevel=3,
        )
    frame = frame.loc[keep]
    if len(frame) == 0:
        raise DataValidationError("no rows left after removing rows with missing values.")
    if lhs in frame.columns and not pd.api.types.is_numeric_dtype(frame[lhs].dtype):
        raise DataValidationError(
            f"outcome column {lhs!r} must be numeric, it has dtype {frame[lhs].dtype}."
        )

    try:
        mm = model_matrix(formula, frame, na_action="raise")
        rmm = model_matrix(random, frame, na_action="raise")
    except Exception as exc:
        raise DataValidationError(f"could not build the model matrices: {exc}") from exc
    yframe = mm.lhs
    if yframe.shape[1] != 1:
        raise DataValidationError(
            f"the outcome of {formula!r} must be a single numeric column, got "
            f"{list(yframe.columns)}."
        )
    y_all = np.asarray(yframe, dtype=float).ravel()
    X_all = np.asarray(mm.rhs, dtype=float)
    Z_all = np.asarray(rmm, dtype=float)
    if not np.all(np.isfinite(y_all)) or not np.all(np.isfinite(X_all)):
        raise DataValidationError("outcome or covariates contain infinite values; remove them.")
    fixed_names = [str(c) for c in mm.rhs.columns]
    random_names = [str(c) for c in rmm.columns]

    codes, groups = pd.factorize(frame[group], sort=True)
    if len(groups) < 2:
        raise DataValidationError(
            f"group column {group!r} has {len(groups)} distinct value(s) after removing missing "
            "rows; a mixed model needs at least 2 groups (subjects)."
        )
    order = np.argsort(codes, kind="stable")
    codes_sorted = codes[order]
    starts = np.flatnonzero(np.r_[True, codes_sorted[1:] != codes_sorted[:-1]])
    y, X, Z = y_all[order], X_all[order], Z_all[order]

    p = X.shape[1]
    if X.shape[0] <= p:
        raise DataValidationError(
            f"{X.shape[0]} observations cannot estimate {p} fixed effects; simplify the formula."
        )
    check_full_rank(
        X,
        fixed_names,
        what=f"the fixed-effects design of {formula!r}",
        hint="Remove a term (or rescale/centre a covariate) or a factor level with no data.",
    )
    check_full_rank(
        Z,
        random_names,
        what=f"the random-effects design {random!r}",
        hint="Remove a random term that duplicates another.",
    )

    ZtZ = _block_sums(Z[:, :, None] * Z[:, None, :], starts)
    ZtX = _block_sums(Z[:, :, None] * X[:, None, :], starts)
    Zty = _block_sums(Z * y[:, None], starts)
    return LMMDesign(
        frame=frame,
        outcome=lhs,
        group=group,
        y=y,
        X=X,
        Z=Z,
        order=order,
        starts=starts,
        groups=np.asarray(groups),
        group_index=codes_sorted,
        fixed_names=fixed_names,
        random_names=random_names,
        fixed_spec=mm.rhs.model_spec,
        random_spec=rmm.model_spec,
        n_dropped=n_dropped,
        ZtZ=ZtZ,
        ZtX=ZtX,
        Zty=Zty,
        XtX=X.T @ X,
        Xty=X.T @ y,
        yty=float(y @ y),
    )
