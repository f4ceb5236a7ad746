"""Staggered enrolment and randomisation.

Model
-----
The ``N = 2 n`` enrolment times are the order statistics of ``N`` independent
``Uniform(0, A)`` draws, ``A`` = ``accrual_months``: a homogeneous Poisson accrual conditioned
on its total. Subjects are numbered in enrolment order (``S00001``, ...). Arms are a uniformly
random permutation of ``n`` "placebo" and ``n`` "active" labels (complete randomisation with
exact balance).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Enrolment", "simulate_enrolment"]


class Enrolment:
    """Enrolment months, arm indicators (1 = active) and subject ids, in enrolment order."""

    def __init__(self, month: np.ndarray, active: np.ndarray, subject_id: np.ndarray) -> None:
        self.month = month
        self.active = active
        self.subject_id = subject_id


def simulate_enrolment(
    n_per_arm: int, accrual_months: float, rng: np.random.Generator
) -> Enrolment:
    """Draw enrolment months and arms.

    Parameters
    ----------
    n_per_arm : int
        Subjects per arm.
    accrual_months : float
        Length of the accrual period (months).
    rng : numpy.random.Generator
        The enrolment stream.

    Returns
    -------
    Enrolment

    Examples
    --------
    >>> e = simulate_enrolment(3, 12.0, np.random.default_rng(1))
    >>> int(e.active.sum()), e.subject_id[0]
    (3, 'S00001')
    """
    n = 2 * n_per_arm
    month = np.sort(rng.uniform(0.0, accrual_months, size=n))
    month -= month[0] if n else 0.0  # calendar months since the first enrolment
    active = rng.permutation(np.repeat(np.array([0, 1], dtype=np.int8), n_per_arm))
    width = max(5, len(str(n)))
    subject_id = np.array([f"S{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    return Enrolment(month, active.astype(bool), subject_id)
