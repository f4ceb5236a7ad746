"""Competing-risks data as the estimators see them: times and a status column naming the cause.

Convention (every function of :mod:`alstrials.models.competing`): one row per subject, a
``duration`` column of follow-up times and a ``status`` column holding the cause of the event
(any label: ``"death"``, ``"tracheostomy"``, ``1``, ``2``, ...) or the censoring code
(``censored=``, default ``"censored"``, as in the trial's ``events.event_type``). Rows whose status
is missing (NaN/None) are also censored. With numeric codes as in R ``cmprsk`` pass
``censored=0``. When no row carries the censoring code a :class:`~alstrials.errors.DataWarning`
says so, because a mistyped code would silently turn censored rows into a cause.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.survival._data import as_times, require_columns
from alstrials.models.ties import merge_close_times

__all__ = ["CompetingData", "competing_data", "censoring_km_left"]


@dataclass(frozen=True, eq=False)
class CompetingData:
    """Times (near-equal times merged), integer cause codes (0 = censored, 1..K = ``causes``)."""

    time: np.ndarray
    code: np.ndarray
    causes: list[object]


def competing_data(
    data: pd.DataFrame, duration: str, status: str, censored: object, *, stacklevel: int = 3
) -> CompetingData:
    """Validate ``duration``/``status`` and code the causes (sorted labels, 1..K)."""
    require_columns(data, [duration, status])
    time = as_times(data, duration)
    raw = data[status]
    missing = raw.isna().to_numpy()
    is_cens = missing | (raw == censored).to_numpy(dtype=bool)
    if not is_cens.any():
        warnings.warn(
            f"column '{status}' has no row equal to the censoring code {censored!r} (and no "
            "missing value): every row is read as an event. If censoring is coded otherwise, "
            "pass censored=<code> (e.g. censored=0 for cmprsk-style codes).",
            DataWarning,
            stacklevel=stacklevel,
        )
    labels = raw[~is_cens]
    try:
        causes = sorted(pd.unique(labels).tolist())
    except TypeError as exc:  # mixed label types
        raise DataValidationError(
            f"column '{status}' mixes label types {sorted({type(v).__name__ for v in labels})}; "
            "use one type of cause label.",
            column=status,
        ) from exc
    lookup = {c: k + 1 for k, c in enumerate(causes)}
    code = np.zeros(len(data), dtype=np.int64)
    code[~is_cens] = [lookup[v] for v in labels]
    (time,) = merge_close_times(time)
    return CompetingData(time=time, code=code, causes=causes)


def cause_index(cd: CompetingData, cause: object, status: str) -> int:
    """The code (1..K) of ``cause``; a cause not in the data raises."""
    for k, c in enumerate(cd.causes):
        if c == cause:
            return k + 1
    raise DataValidationError(
        f"cause {cause!r} does not occur in column '{status}'; the causes present are "
        f"{cd.causes}. Pass one of them as cause=.",
        column=status,
    )


def censoring_km_left(time: np.ndarray, censored: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan-Meier estimate of the censoring distribution just before ``at``: G(at-).

    ``G(t-) = prod_{s < t} (1 - c(s) / r(s))`` over the distinct censoring times ``s``, with
    ``c(s)`` the number censored at ``s`` and ``r(s)`` the number with follow-up ``>= s``
    (events at ``s`` stay in the risk set: censoring is taken to happen after events).
    """
    order = np.sort(time)
    cens_times, counts = np.unique(time[censored], return_counts=True)
    at_risk = order.size - np.searchsorted(order, cens_times, side="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1.0 - counts / at_risk
    surv = np.concatenate([[1.0], np.cumprod(factor)])
    return surv[np.searchsorted(cens_times, at, side="left")]
