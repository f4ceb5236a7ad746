"""Tie decisions that do not depend on rounding: the same answer on every CPU.

Floating-point results can differ in their last bits between machines: a matrix product
``X @ beta`` computed by BLAS depends on the kernel (AVX2, AVX-512, ...) and on where a row sits
in the matrix, and vectorised ``exp``/``log`` differ by an ulp or so. A statistic that asks "are
these two numbers equal?" of such results can change its answer with the CPU. The package's
rule, used by every estimator that groups values:

* **Times** (follow-up, event, visit, scan times and knots): values whose gap is at most
  ``tolerance`` (absolute) or at most ``tolerance * mean(|t|)`` (relative) are one time, set to
  the smallest value of the run. This is R ``survival``'s ``aeqSurv`` (its default
  ``timefix = TRUE`` in ``coxph``, ``survfit``, ``survdiff`` and ``concordance``), with
  ``tolerance = sqrt(eps) ~ 1.5e-8``. Recorded times that are equal stay equal; times that differ
  only by rounding (e.g. computed as ``days / 30.4375`` along two paths) become equal.
* **Scores and other computed values** (risk scores, ALSFRS-R changes): two values tie when they
  differ by at most ``sqrt(eps) * scale``, with ``scale`` the magnitude of the numbers they were
  computed from (for a linear predictor ``max_i sum_j |x_ij beta_j|``); runs of sorted values
  whose consecutive gaps are within that tolerance form one tie group.

Rounding errors are about ``eps ~ 2.2e-16`` relative, real differences in trial data are many
orders of magnitude above ``sqrt(eps)``, so the rule only changes answers that rounding decided.

References
----------
Therneau TM (2023). survival: Survival Analysis. R package, ``aeqSurv`` and
``coxph.control(timefix = TRUE)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TIE_TOLERANCE", "merge_close_times", "tie_ranks", "score_tolerance"]

TIE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
"""``sqrt(machine epsilon)``, about 1.49e-8: the relative tolerance of every tie decision."""


def merge_close_times(
    *arrays: np.ndarray, tolerance: float = TIE_TOLERANCE
) -> tuple[np.ndarray, ...]:
    """Make times that differ only by rounding exactly equal (R ``aeqSurv``).

    All arrays are pooled (they must be on one clock); among the sorted distinct finite values,
    a gap ``dy`` ties its two neighbours when ``dy <= tolerance`` or
    ``dy / mean(|y|) <= tolerance``, and every value of a tied run is replaced by the run's
    smallest value. Non-finite values are left alone.

    Returns
    -------
    tuple of arrays
        The inputs, as float arrays, with near-equal times merged (copies only when needed).

    Examples
    --------
    >>> a, b = merge_close_times(np.array([1.0, 2.0, 2.0 + 1e-12]), np.array([1.0 - 1e-13]))
    >>> a.tolist(), b.tolist()
    ([0.9999999999999, 2.0, 2.0], [0.9999999999999])
    """
    floats = [np.asarray(a, dtype=float) for a in arrays]
    if not floats:
        return ()
    pooled = np.concatenate([a.ravel() for a in floats])
    y = np.unique(pooled[np.isfinite(pooled)])
    if y.size < 2:
        return tuple(floats)
    dy = np.diff(y)
    scale = float(np.mean(np.abs(y)))
    tied = (dy <= tolerance) | (dy <= tolerance * scale)
    if not tied.any():
        return tuple(floats)
    cuts = y[np.r_[True, ~tied]]
    out = []
    for a in floats:
        fin = np.isfinite(a)
        merged = a.copy()
        merged[fin] = cuts[np.searchsorted(cuts, a[fin], side="right") - 1]
        out.append(merged)
    return tuple(out)


def score_tolerance(scores: np.ndarray, scale: float | None = None) -> float:
    """Absolute tie tolerance ``sqrt(eps) * scale`` (default scale: ``max |score|``)."""
    s = np.asarray(scores, dtype=float)
    if scale is None:
        fin = s[np.isfinite(s)]
        scale = float(np.max(np.abs(fin))) if fin.size else 0.0
    return TIE_TOLERANCE * float(scale)


def tie_ranks(values: np.ndarray, atol: float) -> np.ndarray:
    """Dense ranks (0, 1, ...) of ``values`` where runs of sorted values with consecutive gaps
    ``<= atol`` share one rank.

    Examples
    --------
    >>> tie_ranks(np.array([0.3, 0.1, 0.1 + 1e-17, 0.2]), atol=1e-12).tolist()
    [2, 0, 0, 1]
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(v, kind="stable")
    sv = v[order]
    with np.errstate(invalid="ignore"):
        new = ~(np.diff(sv) <= atol)  # NaN gaps start a new group
    ranks = np.empty(v.size, dtype=np.int64)
    ranks[order] = np.concatenate([[0], np.cumsum(new)])
    return ranks
