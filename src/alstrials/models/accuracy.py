"""Diagnostic accuracy of a binary test (e.g. the MRI composite sign) against a reference standard.

From the 2x2 table with TP, FP, FN, TN (n = total):

* sensitivity = TP / (TP + FN), specificity = TN / (TN + FP),
  PPV = TP / (TP + FP), NPV = TN / (TN + FN), accuracy = (TP + TN) / n;
  each with a **Wilson score** interval (Wilson 1927): with p = x/m and z = z_{1-alpha/2},
  centre (p + z^2/2m) / (1 + z^2/m), half-width z sqrt(p(1-p)/m + z^2/4m^2) / (1 + z^2/m).
* LR+ = sens / (1 - spec), LR- = (1 - sens) / spec, with the **log method** (Simel, Samsa and
  Matchar 1991): ln LR +- z SE, where
  SE(ln LR+) = sqrt(1/TP - 1/(TP+FN) + 1/FP - 1/(FP+TN)) and
  SE(ln LR-) = sqrt(1/FN - 1/(TP+FN) + 1/TN - 1/(FP+TN)).
  When a cell used by a ratio is zero, 0.5 is added to all four cells for that ratio
  (Haldane correction) so that the estimate and interval stay finite.
* At a user-given prevalence pi (``prevalence=``), Bayes' theorem gives
  logit PPV = logit(pi) + ln LR+ and logit NPV = logit(1 - pi) - ln LR-, so the PPV and NPV
  intervals are the log-method LR intervals carried through this monotone map (the
  "logit" interval of Mercaldo, Lau and Zhou 2007). The sample PPV/NPV are only meaningful when
  the sample prevalence is the population's (cross-sectional sampling); in a case-control
  sample pass ``prevalence=``. Accuracy is always the sample proportion.

References
----------
Wilson EB. Probable inference. J Am Stat Assoc 1927;22:209-12.
Simel DL, Samsa GP, Matchar DB. Likelihood ratios with confidence: sample size estimation for
diagnostic test studies. J Clin Epidemiol 1991;44:763-70.
Mercaldo ND, Lau KF, Zhou XH. Confidence intervals for predictive values with an emphasis to
case-control designs. Stat Med 2007;26:2170-83.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.errors import DataValidationError

__all__ = ["MEASURES", "diagnostic_accuracy", "wilson_interval"]

MEASURES: tuple[str, ...] = (
    "sensitivity",
    "specificity",
    "ppv",
    "npv",
    "accuracy",
    "lr_positive",
    "lr_negative",
)
"""Row labels of :func:`diagnostic_accuracy`, in order."""


def wilson_interval(x: float, n: float, level: float = 0.95) -> tuple[float, float, float]:
    """Proportion ``x/n`` with its Wilson score interval: ``(estimate, low, high)``.

    ``n == 0`` gives NaNs.

    Examples
    --------
    >>> [round(float(v), 4) for v in wilson_interval(120, 171)]
    [0.7018, 0.6294, 0.7653]
    """
    if n == 0:
        return (np.nan, np.nan, np.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    p = x / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (float(p), float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def _log_lr(a: float, b: float, c: float, d: float, positive: bool) -> tuple[float, float]:
    """ln LR and its SE (Simel 1991) for the table a=TP, b=FP, c=FN, d=TN."""
    used = (a, b) if positive else (c, d)
    if min(used) == 0 or a + c == 0 or b + d == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    if positive:
        lr = (a / (a + c)) / (b / (b + d))
        se = np.sqrt(1 / a - 1 / (a + c) + 1 / b - 1 / (b + d))
    else:
        lr = (c / (a + c)) / (d / (b + d))
        se = np.sqrt(1 / c - 1 / (a + c) + 1 / d - 1 / (b + d))
    return float(np.log(lr)), float(se)


def _table(
    tp: float, fp: float, fn: float, tn: float, prevalence: float | None, level: float
) -> pd.DataFrame:
    z = stats.norm.ppf(0.5 + level / 2)
    rows = {
        "sensitivity": wilson_interval(tp, tp + fn, level),
        "specificity": wilson_interval(tn, tn + fp, level),
        "ppv": wilson_interval(tp, tp + fp, level),
        "npv": wilson_interval(tn, tn + fn, level),
        "accuracy": wilson_interval(tp + tn, tp + fp + fn + tn, level),
    }
    lp, sp = _log_lr(tp, fp, fn, tn, True)
    ln, sn = _log_lr(tp, fp, fn, tn, False)
    rows["lr_positive"] = (np.exp(lp), np.exp(lp - z * sp), np.exp(lp + z * sp))
    rows["lr_negative"] = (np.exp(ln), np.exp(ln - z * sn), np.exp(ln + z * sn))
    if prevalence is not None:

        def expit(v: float) -> float:
            return float(1 / (1 + np.exp(-v)))

        lo = np.log(prevalence / (1 - prevalence))
        rows["ppv"] = (expit(lo + lp), expit(lo + lp - z * sp), expit(lo + lp + z * sp))
        rows["npv"] = (expit(-lo - ln), expit(-lo - ln - z * sn), expit(-lo - ln + z * sn))
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "ci_low", "ci_high"])
    frame.index.name = "measure"
    return frame.loc[list(MEASURES)].astype(float)


def _check_count(name: str, value: object) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataValidationError(f"count {name}={value!r} is not a number") from None
    if not np.isfinite(v) or v < 0 or v != round(v):
        raise DataValidationError(f"count {name}={value!r} must be a non-negative integer")
    return v


def _as_bool(values: object, name: str) -> np.ndarray:
    series = pd.Series(values)
    if series.isna().any():
        i = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise DataValidationError(
            f"'{name}' has {int(series.isna().sum())} missing value(s) (first at row {i}); "
            f"drop those rows or decide how to count them before calling diagnostic_accuracy.",
            column=name,
            row=i,
        )
    if series.dtype == bool or str(series.dtype) == "boolean":
        return series.to_numpy(dtype=bool)
    ok = series.isin([0, 1, True, False])
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise DataValidationError(
            f"'{name}' must be boolean (True/False or 1/0); row {i} holds {series.iloc[i]!r}.",
            column=name,
            row=i,
        )
    return series.astype(bool).to_numpy()


def _counts(test: np.ndarray, truth: np.ndarray) -> tuple[int, int, int, int]:
    return (
        int(np.sum(test & truth)),
        int(np.sum(test & ~truth)),
        int(np.sum(~test & truth)),
        int(np.sum(~test & ~truth)),
    )


def diagnostic_accuracy(
    tp: int | None = None,
    fp: int | None = None,
    fn: int | None = None,
    tn: int | None = None,
    *,
    test: object = None,
    truth: object = None,
    data: pd.DataFrame | None = None,
    by: Hashable | None = None,
    prevalence: float | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Sensitivity, specificity, predictive values, accuracy and likelihood ratios with CIs.

    Give either the four counts, or ``test`` and ``truth`` (boolean arrays/Series), or ``data``
    with ``test`` and ``truth`` naming its columns (and optionally ``by``, a subgroup column).

    Parameters
    ----------
    tp, fp, fn, tn : int, optional
        Cells of the 2x2 table (test positive/negative by truly diseased/not).
    test, truth : array-like of bool, or column names when ``data`` is given
        Test result and reference-standard status.
    data : pandas.DataFrame, optional
        Long table holding the ``test``, ``truth`` (and ``by``) columns.
    by : column name, optional
        Subgroup column of ``data``; the result gains an outer index level (one block per
        group, in sorted order; rows with a missing group are left out) and no ``"all"``
        block is added.
    prevalence : float in (0, 1), optional
        Population prevalence for PPV and NPV (Bayes' theorem; see the module docstring).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Indexed by :data:`MEASURES` (``measure``), columns ``estimate``, ``ci_low``,
        ``ci_high``; the 2x2 counts are in ``.attrs["counts"]``.

    References
    ----------
    Wilson 1927; Simel, Samsa and Matchar 1991; Mercaldo, Lau and Zhou 2007.

    Examples
    --------
    >>> res = diagnostic_accuracy(tp=120, fp=13, fn=51, tn=57)
    >>> res["estimate"].round(2).tolist()
    [0.7, 0.81, 0.9, 0.53, 0.73, 3.78, 0.37]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if prevalence is not None and not 0 < prevalence < 1:
        raise ValueError(f"prevalence must be strictly between 0 and 1, got {prevalence}")
    counts_given = [v is not None for v in (tp, fp, fn, tn)]
    if any(counts_given):
        if not all(counts_given) or test is not None or truth is not None or data is not None:
            raise ValueError(
                "give all four counts tp, fp, fn, tn, and nothing else; "
                "or give test= and truth= instead"
            )
        cells = tuple(
            _check_count(n, v)
            for n, v in zip(("tp", "fp", "fn", "tn"), (tp, fp, fn, tn), strict=True)
        )
        if sum(cells) == 0:
            raise DataValidationError("the 2x2 table is empty (all four counts are 0)")
        out = _table(cells[0], cells[1], cells[2], cells[3], prevalence=prevalence, level=level)
        out.attrs["counts"] = dict(zip(("tp", "fp", "fn", "tn"), map(int, cells), strict=True))
        return out
    if test is None or truth is None:
        raise ValueError("give the counts tp, fp, fn, tn, or both test= and truth=")
    if data is not None:
        for col in (test, truth) + ((by,) if by is not None else ()):
            if col not in data.columns:
                raise DataValidationError(
                    f"column {col!r} is not in data (columns: {list(data.columns)})",
                    column=str(col),
                )
        t_all = _as_bool(data[test], str(test))
        r_all = _as_bool(data[truth], str(truth))
        if by is not None:
            groups = data[by].to_numpy()
            blocks, counts = {}, {}
            for g in sorted(pd.unique(data[by].dropna())):
                mask = groups == g
                cg = _counts(t_all[mask], r_all[mask])
                blocks[g] = _table(*cg, prevalence=prevalence, level=level)
                counts[g] = dict(zip(("tp", "fp", "fn", "tn"), cg, strict=True))
            out = pd.concat(blocks, names=[by, "measure"])
            out.attrs["counts"] = counts
            return out
        cells4 = _counts(t_all, r_all)
    else:
        if by is not None:
            raise ValueError("by= needs data= (a DataFrame holding the subgroup column)")
        t_arr, r_arr = _as_bool(test, "test"), _as_bool(truth, "truth")
        if len(t_arr) != len(r_arr):
            raise DataValidationError(
                f"test and truth have different lengths ({len(t_arr)} and {len(r_arr)})"
            )
        cells4 = _counts(t_arr, r_arr)
    if sum(cells4) == 0:
        raise DataValidationError("no observations: test and truth are empty")
    out = _table(*cells4, prevalence=prevalence, level=level)
    out.attrs["counts"] = dict(zip(("tp", "fp", "fn", "tn"), cells4, strict=True))
    return out
