"""A small ALS-like longitudinal data set for examples, doctests and benchmarks.

Subject ``i`` in arm ``a_i`` (0 placebo, 1 active) has ALSFRS-R-like scores at monthly visits
``t = 0, ..., n_visits - 1`` (each post-baseline visit missed with probability ``p_missed``):

    y_it = (b0_i) + (b1_i + slope_effect * a_i) t + e_it,
    (b0_i, b1_i) ~ N((38, -1), [[25, -0.2*5*0.6], [-0.2*5*0.6, 0.36]]),  e_it ~ N(0, 1.5^2).

This is not the calibrated trial simulator (:mod:`alstrials.data.simulate`); it only gives the
LMM code a reproducible data set of any size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["example_data"]


def example_data(
    n_subjects: int = 40,
    *,
    n_visits: int = 13,
    p_missed: float = 0.15,
    slope_effect: float = 0.3,
    seed: int | np.random.Generator = 1,
) -> pd.DataFrame:
    """Simulate a long data set with columns ``subject_id arm months y``.

    Parameters
    ----------
    n_subjects : int
        Number of subjects, alternately allocated to "placebo" and "active".
    n_visits : int
        Monthly visits 0, 1, ..., ``n_visits - 1``.
    p_missed : float
        Probability that a post-baseline visit is missed.
    slope_effect : float
        Active minus placebo difference in mean slope (points per month).
    seed : int or numpy.random.Generator
        Seed of the random numbers.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> example_data(4, seed=3).columns.tolist()
    ['subject_id', 'arm', 'months', 'y']
    """
    rng = np.random.default_rng(seed)
    sd0, sd1, corr = 5.0, 0.6, -0.2
    cov = np.array([[sd0**2, corr * sd0 * sd1], [corr * sd0 * sd1, sd1**2]])
    b = rng.multivariate_normal([38.0, -1.0], cov, size=n_subjects)
    active = (np.arange(n_subjects) % 2 == 1).astype(float)
    months = np.tile(np.arange(n_visits, dtype=float), n_subjects)
    subj = np.repeat(np.arange(n_subjects), n_visits)
    keep = (months == 0) | (rng.random(months.size) >= p_missed)
    months, subj = months[keep], subj[keep]
    y = (
        b[subj, 0]
        + (b[subj, 1] + slope_effect * active[subj]) * months
        + rng.normal(0.0, 1.5, size=months.size)
    )
    width = len(str(n_subjects))
    return pd.DataFrame(
        {
            "subject_id": [f"S{i:0{width}d}" for i in subj],
            "arm": np.where(active[subj] == 1, "active", "placebo"),
            "months": months,
            "y": y,
        }
    )
