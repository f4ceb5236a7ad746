"""ALSFRS-R at item level: latent trajectory -> observed total -> 12 items in 0-4.

Model
-----
Subject ``i`` (random intercept ``b0_i``, natural slope ``b1_i``, arm ``A_i``) at visit time
``t``::

    L_i(t)   = b0_i + (1 - slowing A_i) b1_i t + c t^2                     (latent total)
    Y_i(t)   = min(48, max(0, round(L_i(t) + e_it))),  e_it ~ N(0, sigma^2 - 1/12)

``sigma`` = ``residual_sd``: integer rounding adds variance about 1/12, so the observed total
has residual SD about ``sigma`` wherever it is off the floor (0) and ceiling (48). Between
these bounds the mean of ``Y`` is linear in ``t`` with slope ``(1 - slowing A) E[b1]``.

The lost points ``D = 48 - Y`` are spread over the 12 items by *water-filling*: with visit
weights ``w_ijt = w_ij exp(tau Z_ijt)`` (``w_ij`` the subject's item weights, see
:mod:`~alstrials.data.simulate.baseline`; ``tau`` = ``item_noise_sd``), item ``j`` loses
``d_j = min(4, w_ijt lambda)`` with ``lambda`` chosen so that ``sum_j d_j = D``. Items with
large weights (bulbar items in bulbar-onset patients, limb items in spinal-onset patients) lose
points first and floor at 0, after which the remaining loss moves to the other items. The
``d_j`` are made integers by largest-remainder rounding, which keeps their sum equal to ``D``;
item ``j`` scores ``4 - d_j``. Hence every item is an integer in 0-4 and the item sum equals
``Y`` exactly (``alsfrs_total`` is that sum). The noise ``Z`` moves points between items without
changing the total.

Gastrostomy: at the first observed visit with Q3 (swallowing) <= ``gastrostomy_q3_threshold``
a subject who accepts (probability ``gastrostomy_uptake``, one draw per subject) has a
gastrostomy placed; ``gastrostomy`` is True from that visit on, and Q5 is then scored on the
5b scale (the value stays in ``q5_cutting``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["latent_total", "observed_total", "allocate_items", "gastrostomy_flags"]

N_ITEMS = 12
ITEM_MAX = 4


def latent_total(
    intercept: np.ndarray, slope: np.ndarray, months: np.ndarray, curvature: float
) -> np.ndarray:
    """``L(t) = b0 + b1 t + c t^2`` (rows aligned: one subject's values per visit)."""
    return intercept + slope * months + curvature * months**2


def observed_total(latent: np.ndarray, residual_sd: float, z: np.ndarray) -> np.ndarray:
    """Integer totals ``clip(round(L + sqrt(sigma^2 - 1/12) z), 0, 48)`` (``z`` standard normal).

    Examples
    --------
    >>> observed_total(np.array([50.0, 20.2, -3.0]), 1.5, np.zeros(3)).tolist()
    [48, 20, 0]
    """
    sd = np.sqrt(residual_sd**2 - 1.0 / 12.0)
    return np.clip(np.rint(latent + sd * z), 0, N_ITEMS * ITEM_MAX).astype(np.int64)


def allocate_items(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Integer item scores (rows, 12) in 0-4 summing to ``total`` (water-filling, see above).

    Parameters
    ----------
    total : ndarray of int, shape (rows,)
        Observed totals in 0-48.
    weights : ndarray, shape (rows, 12)
        Positive loss weights (larger: loses points sooner).

    Returns
    -------
    ndarray of int64, shape (rows, 12)

    Examples
    --------
    >>> w = np.array([[3.0] * 3 + [1.0] * 9])
    >>> items = allocate_items(np.array([36]), w)
    >>> items.tolist(), int(items.sum())
    ([[2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4]], 36)
    """
    loss = (N_ITEMS * ITEM_MAX - np.asarray(total, dtype=np.int64)).astype(float)
    rows = len(loss)
    order = np.argsort(-weights, axis=1, kind="stable")
    ws = np.take_along_axis(weights, order, axis=1)
    tail = np.cumsum(ws[:, ::-1], axis=1)[:, ::-1]  # sum_{j >= k} ws_j
    k = np.arange(N_ITEMS)[None, :]
    lam_k = (loss[:, None] - ITEM_MAX * k) / tail
    fits = ws * lam_k <= ITEM_MAX * (1 + 1e-12)
    has = fits.any(axis=1)
    kstar = np.where(has, np.argmax(fits, axis=1), N_ITEMS - 1)
    lam = lam_k[np.arange(rows), kstar]
    cont = np.minimum(ITEM_MAX, weights * np.maximum(lam, 0.0)[:, None])
    cont[~has] = ITEM_MAX
    base = np.floor(cont + 1e-9)
    base = np.minimum(base, ITEM_MAX)
    frac = np.where(base < ITEM_MAX, cont - base, -1.0)
    remainder = (loss - base.sum(axis=1)).round().astype(np.int64)
    rank_order = np.argsort(-frac, axis=1, kind="stable")
    bump = np.zeros_like(base)
    np.put_along_axis(bump, rank_order, (k < remainder[:, None]).astype(float), axis=1)
    lost = np.clip(base + bump, 0, ITEM_MAX).astype(np.int64)
    return ITEM_MAX - lost


def gastrostomy_flags(
    subject: np.ndarray, months: np.ndarray, q3: np.ndarray, accepts: np.ndarray, threshold: int
) -> np.ndarray:
    """Gastrostomy status per visit (rows sorted by subject then time, every subject present).

    Parameters
    ----------
    subject : ndarray of int
        Subject index (0..n-1) of each row, non-decreasing.
    months : ndarray
        Visit time of each row.
    q3 : ndarray of int
        Swallowing score of each row.
    accepts : ndarray of bool, shape (n,)
        Whether each subject accepts a gastrostomy when eligible.
    threshold : int
        Eligible when ``q3 <= threshold``.

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> gastrostomy_flags(np.array([0, 0, 0]), np.array([0.0, 1.0, 2.0]),
    ...                   np.array([3, 1, 2]), np.array([True]), 1).tolist()
    [False, True, True]
    """
    n = len(accepts)
    eligible = (q3 <= threshold) & accepts[subject]
    first = np.full(n, np.inf)
    np.minimum.at(first, subject[eligible], months[eligible])
    return months >= first[subject]
