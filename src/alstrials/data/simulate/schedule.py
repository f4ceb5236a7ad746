"""Visit and scan schedules: nominal times, jitter and missed visits.

Model
-----
For nominal times ``0 = s_0 < s_1 < ... < s_{V-1}`` the actual time of visit ``v > 0`` of
subject ``i`` is ``s_v + J_iv`` with ``J_iv ~ Uniform(-j, j)`` (``j`` below half the smallest
gap, so visits keep their order) and the visit is missed with probability ``q``
independently. The baseline visit (``v = 0``) is exact and never missed. Times are rounded to
1e-4 months (about 0.3 s... of a day: 0.003 days) so that they are platform-stable and
round-trip through CSV. Draws are made for the full ``n x V`` grid whatever is later kept.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Grid", "simulate_grid", "TIME_DECIMALS"]

TIME_DECIMALS = 4
"""Decimals kept for every time in months."""


class Grid:
    """Times (n, V) and an ``attended`` mask (n, V) of a schedule."""

    def __init__(self, months: np.ndarray, attended: np.ndarray) -> None:
        self.months = months
        self.attended = attended


def simulate_grid(
    n: int, schedule: tuple[float, ...], jitter: float, miss_prob: float, rng: np.random.Generator
) -> Grid:
    """Draw actual visit times and attendance for ``n`` subjects.

    Parameters
    ----------
    n : int
        Number of subjects.
    schedule : tuple of float
        Nominal times (months), starting at 0.
    jitter : float
        Half-width of the uniform jitter (months).
    miss_prob : float
        Probability that a post-baseline visit is missed.
    rng : numpy.random.Generator
        The schedule's stream (two uniforms per grid cell, whatever the parameters).

    Returns
    -------
    Grid

    Examples
    --------
    >>> g = simulate_grid(2, (0.0, 1.0, 2.0), 0.1, 0.0, np.random.default_rng(0))
    >>> g.months.shape, bool(g.attended.all()), float(g.months[0, 0])
    ((2, 3), True, 0.0)
    """
    sched = np.asarray(schedule, dtype=float)
    v = len(sched)
    shift = rng.uniform(-1.0, 1.0, size=(n, v)) * jitter
    miss = rng.uniform(size=(n, v)) < miss_prob
    shift[:, 0] = 0.0
    miss[:, 0] = False
    months = np.round(np.maximum(sched[None, :] + shift, 0.0), TIME_DECIMALS)
    return Grid(months, ~miss)
