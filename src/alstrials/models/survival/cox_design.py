"""The covariate matrix of a Cox formula: numpy for plain numeric columns, formulaic otherwise.

A right-hand side that is a sum of distinct column names (``"age + sex + `ph.ecog`"``), each a
numeric (integer or float, not boolean) numpy column of the data, is the matrix of those columns
in that order, with the rows that have a missing value dropped: exactly what formulaic builds
for it (no intercept is kept by the caller), without its per-call overhead. Any other formula
(factors ``C(x)``, transforms, interactions, boolean or categorical columns) goes through
formulaic. The formulaic model spec that turns new data into rows is built on first use in both
cases (:class:`LazyModelSpec`).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from formulaic import model_matrix

__all__ = ["covariate_frame", "LazyModelSpec", "plain_columns"]

_TERM = re.compile(r"^\s*(?:`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*))\s*$")


def plain_columns(rhs: str, data: pd.DataFrame) -> list[str] | None:
    """The column names of ``rhs`` when it is a sum of distinct plain numeric columns."""
    names = []
    for part in rhs.split("+"):
        match = _TERM.match(part)
        if match is None:
            return None
        names.append(match.group(1) or match.group(2))
    if len(set(names)) != len(names) or not data.columns.is_unique:
        return None
    for name in names:
        if name not in data.columns:
            return None
        dtype = data[name].dtype
        if not isinstance(dtype, np.dtype) or dtype.kind not in "fiu":
            return None
    return names


class LazyModelSpec:
    """Builds the formulaic model spec of ``rhs`` from one complete row, on first use."""

    def __init__(self, rhs: str, row: pd.DataFrame, spec: Any = None) -> None:
        self._rhs, self._row, self._spec = rhs, row, spec

    def get_model_matrix(self, newdata: pd.DataFrame) -> Any:
        if self._spec is None:
            self._spec = model_matrix(self._rhs, self._row).model_spec
        return self._spec.get_model_matrix(newdata)


def covariate_frame(rhs: str, data: pd.DataFrame) -> tuple[pd.DataFrame, LazyModelSpec]:
    """The model matrix of ``rhs`` on ``data`` (intercept dropped) and its model spec.

    Rows with a missing value in a formula column are left out (formulaic's default), so the
    frame's index says which rows of ``data`` were kept.
    """
    names = plain_columns(rhs, data)
    if names is None:
        mm = model_matrix(rhs, data)
        frame = pd.DataFrame(mm)
        frame = frame.drop(columns=[c for c in frame.columns if c == "Intercept"])
        return frame, LazyModelSpec(rhs, data.iloc[:0], mm.model_spec)
    values = np.column_stack([data[n].to_numpy(dtype=float) for n in names])
    missing = np.isnan(values).any(axis=1)
    index = data.index
    if missing.any():
        values, index = values[~missing], index[~missing]
    frame = pd.DataFrame(values, index=index, columns=names, copy=False)
    complete_row = data.loc[index[:1], names]
    return frame, LazyModelSpec(rhs, complete_row)
