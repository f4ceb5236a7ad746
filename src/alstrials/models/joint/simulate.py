"""Simulate data from a joint model with a random intercept and slope (for tests and examples).

    y_ij = beta0 + beta1 t_ij + b_i0 + b_i1 t_ij + e_ij,   b_i ~ N(0, D), e_ij ~ N(0, sigma^2)
    h_i(t) = lambda0 exp(gamma x_i + alpha m_i(t) + alpha_s m_i'(t)),
    m_i(t) = beta0 + b_i0 + (beta1 + b_i1) t,   m_i'(t) = beta1 + b_i1

with ``x_i ~ Bernoulli(0.5)``, visits every ``visit_every`` time units and administrative
censoring at ``horizon``. Event times are drawn exactly by inverting the cumulative hazard,
which is closed form here because ``m_i`` is linear in ``t``.

References
----------
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*, ch. 4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_joint"]


def simulate_joint(
    n: int = 200,
    *,
    beta: tuple[float, float] = (5.0, -0.5),
    D: tuple[tuple[float, float], tuple[float, float]] = ((1.0, 0.1), (0.1, 0.09)),
    sigma: float = 0.5,
    gamma: float = 0.5,
    alpha: float = -0.6,
    alpha_s: float = 0.0,
    lambda0: float = 0.15,
    visit_every: float = 1.0,
    horizon: float = 8.0,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw a longitudinal and a survival table from the model in the module docstring.

    Parameters
    ----------
    n : int
        Number of subjects.
    beta, D, sigma, gamma, alpha, alpha_s, lambda0 : float or tuple
        Model parameters (constant baseline hazard ``lambda0``).
    visit_every, horizon : float
        Visit spacing and administrative censoring time.
    seed : int or Generator, optional
        Random seed.

    Returns
    -------
    longitudinal : DataFrame
        Columns ``id time y x``.
    survival : DataFrame
        Columns ``id T event x``.

    References
    ----------
    Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*.

    Examples
    --------
    >>> long, surv = simulate_joint(n=5, seed=1)
    >>> list(surv.columns)
    ['id', 'T', 'event', 'x']
    """
    rng = np.random.default_rng(seed)
    b = rng.multivariate_normal(np.zeros(2), np.asarray(D), size=n)
    x = rng.binomial(1, 0.5, size=n).astype(float)
    a0 = beta[0] + b[:, 0]
    a1 = beta[1] + b[:, 1]
    # H(t) = lambda0 e^{gamma x + alpha a0 + alpha_s a1} (e^{alpha a1 t} - 1) / (alpha a1)
    c = lambda0 * np.exp(gamma * x + alpha * a0 + alpha_s * a1)
    k = alpha * a1
    e = rng.exponential(size=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        arg = 1 + e * k / c
        t_event = np.where(np.abs(k) < 1e-10, e / c, np.where(arg > 0, np.log(arg) / k, np.inf))
    T = np.minimum(t_event, horizon)
    event = (t_event <= horizon).astype(int)
    rows = []
    for i in range(n):
        for t in np.arange(0.0, T[i], visit_every):
            y = a0[i] + a1[i] * t + sigma * rng.standard_normal()
            rows.append((i + 1, t, y, x[i]))
    long = pd.DataFrame(rows, columns=["id", "time", "y", "x"])
    surv = pd.DataFrame({"id": np.arange(1, n + 1), "T": T, "event": event, "x": x})
    return long, surv
