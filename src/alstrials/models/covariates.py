"""Time-varying covariates for longitudinal models: last observation carried forward (LOCF).

ALSFRS-R is scored at clinic visits, MRI is acquired on its own (sparser) schedule. To use an MRI
measure as a time-varying covariate in a model of ALSFRS-R, each visit needs the value of the
covariate at the visit time. :func:`carry_forward` attaches, to each visit of subject ``i`` at time
``t``, the value from the latest scan of the same subject at a time ``s <= t`` (ties: a scan on the
visit day counts), optionally only if ``t - s <= max_gap``:

    x_i(t) = x_i(s*),   s* = max{ s_ij : s_ij <= t, t - s_ij <= max_gap }.

Visits before a subject's first scan (or farther than ``max_gap`` from the last one) get NaN; a
model fitted with :func:`alstrials.models.lmm.fit_lmm` then leaves them out and counts them in
``n_dropped``. LOCF is a modelling choice: it treats the covariate as constant between scans and
uses only the past, so the covariate at ``t`` never depends on future measurements (which
interpolation would do).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError

__all__ = ["carry_forward"]


def _check_columns(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"table '{name}' has no column(s) {missing}; it has {list(frame.columns)}.",
            table=name,
            column=missing[0],
        )


def carry_forward(
    visits: pd.DataFrame,
    scans: pd.DataFrame,
    group: str = "subject_id",
    time: str = "months",
    columns: Sequence[str] | None = None,
    max_gap: float | None = None,
    scan_time: str | None = "scan_months",
) -> pd.DataFrame:
    """Attach to each visit the last scan value observed at or before the visit (LOCF).

    Parameters
    ----------
    visits : pandas.DataFrame
        One row per visit (e.g. ``TrialData.alsfrs``), with ``group`` and ``time`` columns.
    scans : pandas.DataFrame
        One row per scan (e.g. ``TrialData.mri``), with ``group``, ``time`` and ``columns``.
    group, time : str
        Subject and time columns, present in both tables.
    columns : sequence of str, optional
        Scan columns to carry forward (default: every scan column except ``group`` and
        ``time``). Names already in ``visits`` are an error (rename first).
    max_gap : float, optional
        Carry a value forward at most this long after its scan (same unit as ``time``); older
        values become NaN. None: no limit.
    scan_time : str or None
        Name of an added column holding the time of the scan used (None: not added).

    Returns
    -------
    pandas.DataFrame
        ``visits`` (same rows, same order, same index) with the carried-forward columns added.
        A missing value *within* a scan is carried as missing (the scan is still the latest).

    References
    ----------
    Rizopoulos D (2012). Joint Models for Longitudinal and Time-to-Event Data. Chapman & Hall,
    section 1.3 (exogenous time-varying covariates).

    Examples
    --------
    >>> import pandas as pd
    >>> visits = pd.DataFrame({"subject_id": ["a", "a", "a"], "months": [0.0, 3.0, 6.0]})
    >>> scans = pd.DataFrame({"subject_id": ["a", "a"], "months": [1.0, 5.0],
    ...                       "cst_fa": [0.50, 0.45]})
    >>> carry_forward(visits, scans, columns=["cst_fa"])["cst_fa"].tolist()
    [nan, 0.5, 0.45]
    """
    for frame, name in ((visits, "visits"), (scans, "scans")):
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(
                f"{name} must be a pandas DataFrame, got {type(frame).__name__}."
            )
        _check_columns(frame, name, [group, time])
    if columns is None:
        columns = [c for c in scans.columns if c not in (group, time)]
    columns = list(columns)
    _check_columns(scans, "scans", columns)
    clash = [c for c in [*columns, *([scan_time] if scan_time else [])] if c in visits.columns]
    if clash:
        raise DataValidationError(
            f"visits already has column(s) {clash}; rename them or choose other columns/"
            "scan_time so the carried-forward values do not overwrite them.",
            table="visits",
            column=clash[0],
        )
    if max_gap is not None and not (np.isfinite(max_gap) and max_gap >= 0):
        raise DataValidationError(f"max_gap must be a non-negative number or None, got {max_gap}.")
    for frame, name in ((visits, "visits"), (scans, "scans")):
        t = pd.to_numeric(frame[time], errors="coerce")
        bad = t.isna().to_numpy()
        if bad.any():
            row = frame.index[int(np.flatnonzero(bad)[0])]
            raise DataValidationError(
                f"table '{name}', column '{time}', row {row!r}: time is missing or not a number "
                f"({int(bad.sum())} such row(s)); remove or fix these rows.",
                table=name,
                column=time,
                row=row,
            )

    left = pd.DataFrame(
        {
            "_row": np.arange(len(visits)),
            "_key": visits[group].astype(str).to_numpy(),
            "_t": pd.to_numeric(visits[time]).to_numpy(dtype=float),
        }
    )
    right = scans[[time, *columns]].copy()
    right.columns = ["_t", *columns]
    right["_t"] = pd.to_numeric(right["_t"]).to_numpy(dtype=float)
    right["_key"] = scans[group].astype(str).to_numpy()
    right["_scan_t"] = right["_t"]
    # several scans at one time: keep the last row given for that time
    right = right.drop_duplicates(["_key", "_t"], keep="last")
    merged = pd.merge_asof(
        left.sort_values("_t", kind="stable"),
        right.sort_values("_t", kind="stable"),
        on="_t",
        by="_key",
        direction="backward",
        allow_exact_matches=True,
    ).sort_values("_row")
    out = visits.copy()
    stale = np.zeros(len(out), dtype=bool)
    if max_gap is not None:
        gap = merged["_t"].to_numpy() - merged["_scan_t"].to_numpy()
        stale = ~(gap <= max_gap)  # NaN gap (no scan) is stale too
    for c in columns:
        values = merged[c].to_numpy()
        if stale.any():
            values = pd.Series(values).mask(stale).to_numpy()
        out[c] = pd.array(values, dtype=scans[c].dtype) if _keeps_dtype(scans[c]) else values
    if scan_time:
        st = merged["_scan_t"].to_numpy(dtype=float)
        out[scan_time] = np.where(stale, np.nan, st)
    return out


def _keeps_dtype(series: pd.Series) -> bool:
    """Nullable pandas dtypes (boolean, Int64, string) can hold the missing values LOCF adds."""
    return isinstance(series.dtype, pd.api.extensions.ExtensionDtype)
