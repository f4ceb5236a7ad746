"""Harrell's concordance index for survival predictions.

A pair (i, j) is comparable when i has an event at :math:`t_i`, j is at risk at :math:`t_i` in
the same stratum (``start_j < t_i <= stop_j``) and j is not itself an event at :math:`t_i` (pairs of
tied event times are left out, as R's ``concordance`` does; a censoring at :math:`t_i` counts as
still at risk). The pair is concordant when the risk score of i exceeds j's, discordant when
lower; ties in the score count 1/2:
:math:`C = (n_c + n_t/2) / (n_c + n_d + n_t)`.

Ties are decided without depending on rounding (:mod:`alstrials.models.ties`): times that differ
only by rounding are merged as R's ``aeqSurv`` does, and two scores tie when they differ by at most
``tol`` (default ``sqrt(eps) * max |score|``), so the same data give the same C on every CPU.

Computation: event times are visited in decreasing order while rows enter the comparison set
(stop >= t) and leave it (start >= t); a Fenwick tree over the ranks of the score answers "how
many at risk have a lower / equal score" in O(log n). Total cost O(n log n).

References
----------
Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA (1982). Evaluating the yield of medical tests.
JAMA 247:2543-2546.
"""

from __future__ import annotations

import numpy as np

from alstrials.models.ties import merge_close_times, score_tolerance, tie_ranks

__all__ = ["harrell_c"]


def harrell_c(
    stop: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    start: np.ndarray | None = None,
    tol: float | None = None,
) -> float:
    """Concordance of ``score`` (higher = earlier event) with the observed times.

    Parameters
    ----------
    stop, event : ndarray
        Observed (stop) times and event indicators.
    score : ndarray
        Risk scores; higher means an earlier event is predicted.
    strata, start : ndarray, optional
        Stratum codes (pairs are compared within strata) and interval start times
        (counting-process data).
    tol : float, optional
        Scores within ``tol`` of each other tie (runs of sorted scores with gaps ``<= tol``).
        Default ``sqrt(eps) * max |score|``: scores equal up to rounding tie.

    Returns
    -------
    float
        Harrell's C (NaN when no pair is comparable).

    Examples
    --------
    >>> import numpy as np
    >>> harrell_c(np.array([1.0, 2, 3]), np.array([True, True, False]), np.array([3.0, 2, 1]))
    1.0
    """
    n = stop.shape[0]
    strata = np.zeros(n, dtype=np.int64) if strata is None else strata.astype(np.int64)
    if start is None:
        (stop,) = merge_close_times(stop)
    else:
        stop, start = merge_close_times(stop, start)
    score_rank = tie_ranks(score, score_tolerance(score) if tol is None else float(tol))
    k = int(score_rank.max()) + 1 if n else 1
    key = strata * k + score_rank  # Fenwick position
    size = int(strata.max() + 1) * k if n else 1
    tree = np.zeros(size + 1, dtype=np.int64)

    def add(pos: int, val: int) -> None:
        i = pos + 1
        while i <= size:
            tree[i] += val
            i += i & (-i)

    def prefix(pos: int) -> int:  # count of positions < pos
        s, i = 0, pos
        while i > 0:
            s += tree[i]
            i -= i & (-i)
        return int(s)

    event = event.astype(bool)
    ev_idx = np.flatnonzero(event)
    ev_times = np.unique(stop[ev_idx])[::-1]
    by_stop = np.argsort(-stop, kind="stable")
    by_start = np.argsort(-start, kind="stable") if start is not None else None
    ip = jp = 0
    conc = disc = tied = 0.0
    order_ev = ev_idx[np.argsort(-stop[ev_idx], kind="stable")]
    ep = 0
    for t in ev_times:
        while ip < n and stop[by_stop[ip]] >= t:
            add(int(key[by_stop[ip]]), 1)
            ip += 1
        if by_start is not None and start is not None:
            while jp < n and start[by_start[jp]] >= t:
                add(int(key[by_start[jp]]), -1)
                jp += 1
        first = ep
        while ep < order_ev.shape[0] and stop[order_ev[ep]] == t:
            ep += 1
        deaths = order_ev[first:ep]
        for i in deaths:
            base = int(strata[i]) * k
            lower = prefix(int(key[i])) - prefix(base)
            equal = prefix(int(key[i]) + 1) - prefix(int(key[i]))
            higher = prefix(base + k) - prefix(int(key[i]) + 1)
            # remove the tied deaths (same time, same stratum), including i itself
            same = deaths[strata[deaths] == strata[i]]
            lower -= int(np.sum(score_rank[same] < score_rank[i]))
            higher -= int(np.sum(score_rank[same] > score_rank[i]))
            equal -= int(np.sum(score_rank[same] == score_rank[i]))
            conc += lower
            disc += higher
            tied += equal
    total = conc + disc + tied
    return float((conc + tied / 2) / total) if total else float("nan")
