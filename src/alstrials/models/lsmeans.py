r"""Least-squares means (estimated marginal means) and their differences, as R ``emmeans``.

For a fitted linear model with coefficients :math:`\hat\beta`, the LS mean of a cell of the
reference grid is :math:`\bar x^\top\hat\beta`, where :math:`\bar x` is the model-matrix row of
the cell averaged over the levels of the other factors with equal weights, numeric covariates
held at their mean over the rows used in the fit (``emmeans``' default reference grid) unless
given in ``at``. Differences are :math:`(\bar x_a - \bar x_r)^\top\hat\beta` for each level
:math:`a` against the reference level :math:`r` within each ``by`` group (``emmeans``
``contrast(..., "trt.vs.ctrl")``). Standard errors, df, tests and intervals come from the fit's
df method (:meth:`MMRMResult.contrast`, :meth:`LMMResult.contrast`): under Kenward-Roger the
adjusted covariance :math:`\Phi_A` and the KR df of each linear function, as ``emmeans`` with
``lmer.df = "kenward-roger"``.

For an MMRM (``outcome ~ covariates + visit * arm``) the grid is arm x visit, with baseline
ALSFRS-R and other numeric covariates at their mean and factor covariates equally weighted:
the adjusted mean per arm and visit and the arm difference at each visit.

References
----------
Searle, S. R., Speed, F. M. and Milliken, G. A. (1980). Population marginal means in the linear
model: an alternative to least squares means. *The American Statistician* 34, 216-221.

Lenth, R. V. (2023). emmeans: Estimated Marginal Means, aka Least-Squares Means. R package.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError
from alstrials.models.lmm.result import LMMResult
from alstrials.models.mmrm.result import MMRMResult

__all__ = ["LSMeans", "lsmeans"]

_STAT_COLUMNS = ("estimate", "se", "df", "t", "z", "p", "ci_low", "ci_high")


@dataclass(frozen=True, eq=False)
class LSMeans:
    """LS means and differences of one fit (see :func:`lsmeans`). Built once, never mutated.

    Attributes
    ----------
    means : DataFrame
        One row per cell: the ``by`` columns, the ``specs`` column, then ``estimate se df t p
        ci_low ci_high`` (``z`` and no ``df`` for a Wald/z fit).
    diffs : DataFrame
        One row per level other than the reference within each ``by`` group: the ``by``
        columns, ``contrast`` (``"a - r"``), and the same statistic columns.
    L_means, L_diffs : DataFrame
        The linear functions (rows as in ``means``/``diffs``, columns = fixed-effect terms).
    df_method : str
        The df method of the fit the statistics use.
    """

    means: pd.DataFrame
    diffs: pd.DataFrame
    L_means: pd.DataFrame
    L_diffs: pd.DataFrame
    df_method: str


def lsmeans(
    result: MMRMResult | LMMResult,
    specs: str | None = None,
    by: str | Sequence[str] | None = None,
    *,
    at: Mapping[str, Sequence[object]] | None = None,
    reference: object = None,
    level: float | None = None,
) -> LSMeans:
    """LS means per level of ``specs`` (within ``by`` groups) and differences to a reference.

    Parameters
    ----------
    result : MMRMResult or LMMResult
        A fit from :func:`alstrials.fit_mmrm` or :func:`alstrials.models.lmm.fit_lmm`.
    specs : str, optional
        The factor whose levels are compared. MMRM: always the arm (default). LMM: a column
        of the fixed-effects formula (required).
    by : str or sequence of str, optional
        Grouping columns: MMRM always the visit. LMM: factors or numeric columns given in
        ``at`` (e.g. ``by="months", at={"months": [6, 12]}``).
    at : mapping, optional
        LMM only: values of numeric (or factor) columns on the reference grid; other numeric
        columns are held at their mean over the rows used in the fit.
    reference : optional
        Reference level of ``specs`` for the differences (MMRM: the fit's reference arm;
        LMM: the first level).
    level : float, optional
        Confidence level (default: the fit's).

    Returns
    -------
    LSMeans

    Raises
    ------
    DataValidationError
        Unknown columns, a ``specs`` that is not a factor or ``at`` column, an unknown
        reference level.

    References
    ----------
    Searle, Speed and Milliken (1980), *The American Statistician* 34, 216-221.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alstrials.models.mmrm import fit_mmrm
    >>> rng = np.random.default_rng(3)
    >>> n = 60
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "visit": np.tile([3, 6, 12], n),
    ...                   "arm": np.repeat(rng.permutation(["placebo", "active"] * 30), 3),
    ...                   "base": np.repeat(rng.normal(38, 4, n), 3)})
    >>> d["y"] = -0.5 * d["visit"] + 0.1 * d["base"] + rng.normal(0, 1, 3 * n)
    >>> fit = fit_mmrm(d, "y", "visit", "id", "arm", covariates=["base"],
    ...                df_method="kenward-roger")
    >>> lsm = lsmeans(fit)
    >>> lsm.means.shape, list(lsm.diffs["contrast"].unique())
    ((6, 9), ['active - placebo'])
    """
    if isinstance(result, MMRMResult):
        if at is not None or specs not in (None, result.arm_column):
            raise DataValidationError(
                f"for an MMRM the LS means are per arm ('{result.arm_column}') and visit; "
                "drop specs/at"
            )
        grid, specs_col, by_cols, xmat = _mmrm_grid(result)
        ref = result.arm_reference if reference is None else reference
    elif isinstance(result, LMMResult):
        if specs is None:
            raise DataValidationError(
                "lsmeans on an LMM needs specs=, the column whose levels are compared "
                "(e.g. specs='arm')"
            )
        by_cols = [by] if isinstance(by, str) else list(by or [])
        grid, xmat = _lmm_grid(result, specs, by_cols, dict(at or {}))
        specs_col = specs
        ref = reference
    else:
        raise DataValidationError(
            f"lsmeans needs an MMRMResult or LMMResult, got {type(result).__name__}"
        )
    terms = [str(t) for t in result.fixed.index]
    keys = [*by_cols, specs_col]
    cells = grid[keys].drop_duplicates().reset_index(drop=True)
    rows = []
    for _, cell in cells.iterrows():
        hit = np.ones(len(grid), dtype=bool)
        for c in keys:
            hit &= (grid[c] == cell[c]).to_numpy()
        rows.append(xmat[hit].mean(axis=0))
    L_means = pd.DataFrame(np.array(rows), columns=terms)
    levels = list(pd.unique(cells[specs_col]))
    if ref is None:
        ref = levels[0]
    if ref not in levels:
        raise DataValidationError(f"reference={ref!r} is not a level of '{specs_col}' {levels}")
    diff_rows, diff_meta = [], []
    groups = cells[by_cols].drop_duplicates() if by_cols else pd.DataFrame(index=[0])
    for _, g in groups.iterrows():
        sel = np.ones(len(cells), dtype=bool)
        for c in by_cols:
            sel &= (cells[c] == g[c]).to_numpy()
        at_ref = sel & (cells[specs_col] == ref).to_numpy()
        for lvl in levels:
            if lvl == ref:
                continue
            at_lvl = sel & (cells[specs_col] == lvl).to_numpy()
            diff_rows.append(L_means.to_numpy()[at_lvl][0] - L_means.to_numpy()[at_ref][0])
            diff_meta.append({**{c: g[c] for c in by_cols}, "contrast": f"{lvl} - {ref}"})
    L_diffs = pd.DataFrame(np.array(diff_rows).reshape(-1, len(terms)), columns=terms)
    means = _stats(result, L_means, cells, level)
    diffs = _stats(result, L_diffs, pd.DataFrame(diff_meta), level)
    return LSMeans(
        means=means,
        diffs=diffs,
        L_means=L_means,
        L_diffs=L_diffs,
        df_method=result.df_method,
    )


def _stats(
    result: MMRMResult | LMMResult, L: pd.DataFrame, meta: pd.DataFrame, level: float | None
) -> pd.DataFrame:
    if L.empty:
        return meta.copy()
    tab = result.contrast(L.to_numpy(), level=level).reset_index(drop=True)
    cols = [c for c in _STAT_COLUMNS if c in tab.columns]
    return pd.concat([meta.reset_index(drop=True), tab[cols]], axis=1)


def _mmrm_grid(result: MMRMResult) -> tuple[pd.DataFrame, str, list[str], np.ndarray]:
    terms = [str(t) for t in result.fixed.index]
    visit_col, arm_col = result.visit_column, result.arm_column
    cov = result.covariate_grid or {}
    rows, meta = [], []
    for v, a in itertools.product(result.visits, result.arms):
        row = np.zeros(len(terms))
        for j, t in enumerate(terms):
            if t == "Intercept":
                row[j] = 1.0
            elif t in cov:
                row[j] = cov[t]
            elif t == f"visit[T.{v}]" or t == f"arm[T.{a}]" or t == f"visit[T.{v}]:arm[T.{a}]":
                row[j] = 1.0
        rows.append(row)
        meta.append({visit_col: v, arm_col: a})
    return pd.DataFrame(meta), arm_col, [visit_col], np.array(rows)


def _lmm_grid(
    result: LMMResult, specs: str, by: list[str], at: dict
) -> tuple[pd.DataFrame, np.ndarray]:
    data = result.data
    variables = [c for c in data.columns if c not in (result.outcome, result.group)]
    for c in [specs, *by, *at]:
        if c not in variables:
            raise DataValidationError(
                f"column {c!r} is not a covariate of the fixed-effects formula "
                f"{result.formula!r}; use one of {variables}"
            )
    values: dict[str, list] = {}
    for c in variables:
        s = data[c]
        factor = not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
        if c in at:
            values[c] = list(at[c])
        elif factor:
            if isinstance(s.dtype, pd.CategoricalDtype):
                values[c] = [x for x in s.cat.categories if x in set(s)]
            else:
                values[c] = sorted(pd.unique(s), key=str)
        else:
            if c == specs or c in by:
                raise DataValidationError(
                    f"column {c!r} is numeric: give its grid values in at={{'{c}': [...]}}"
                )
            values[c] = [float(s.mean())]
    order = [*by, specs, *[c for c in variables if c != specs and c not in by]]
    grid = pd.DataFrame(list(itertools.product(*(values[c] for c in order))), columns=order)
    for c in variables:  # keep the dtypes the formula was built on
        if isinstance(data[c].dtype, pd.CategoricalDtype):
            grid[c] = pd.Categorical(grid[c], categories=data[c].cat.categories)
    xmat = result._matrix(result.fixed_spec, grid)
    return grid, xmat
