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

__all__ = ["simulate_joint", "simulate_joint_competing"]


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


def simulate_joint_competing(
    n: int = 300,
    *,
    betas: tuple[tuple[float, float], ...] = ((40.0, -1.0), (80.0, -0.5)),
    sds: tuple[tuple[float, float], ...] = ((5.0, 0.4), (6.0, 0.2)),
    corr: float = 0.4,
    sigmas: tuple[float, ...] = (2.0, 2.5),
    visit_every: tuple[float, ...] = (1.0, 6.0),
    gammas: tuple[float, ...] = (0.4, -0.3),
    alphas: tuple[tuple[float, float], ...] = ((-0.08, 0.0), (-0.04, -0.05)),
    rates: tuple[float, ...] = (0.03, 0.015),
    horizon: float = 18.0,
    seed: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two markers with random intercepts and slopes, and competing causes (for tests).

    Marker ``m`` (``y1``, ``y2``, say ALSFRS-R monthly and cord area every 6 months):
    ``y_mij = beta_m0 + b_mi0 + (beta_m1 + b_mi1) t + e``; the four random effects are normal
    with standard deviations ``sds`` and correlation ``corr`` between every pair of markers'
    like effects (intercept with intercept, slope with slope). Cause ``c``:
    ``h_ic(t) = rates[c] exp(gammas[c] x_i + sum_m alphas[c][m] m_mi(t) - the same at t=0
    for the population mean)`` (centred so ``rates`` is the hazard of an average subject at
    time 0). Event times by numerical inversion of the total cumulative hazard (fine grid),
    the cause by the hazards' ratio at the event time; administrative censoring at
    ``horizon``.

    Returns
    -------
    longitudinal : DataFrame
        Columns ``id time marker value x`` in long form pivoted to ``id time y1 y2 x`` (a
        marker missing where not measured).
    survival : DataFrame
        Columns ``id T event cause x`` (``cause`` missing when censored).

    Examples
    --------
    >>> long, surv = simulate_joint_competing(n=5, seed=1)
    >>> list(long.columns), list(surv.columns)
    (['id', 'time', 'y1', 'y2', 'x'], ['id', 'T', 'event', 'cause', 'x'])
    """
    rng = np.random.default_rng(seed)
    M = len(betas)
    sd = np.asarray(sds, dtype=float).ravel()  # (b10, b11, b20, b21)
    C = np.eye(2 * M)
    for m1 in range(M):
        for m2 in range(M):
            if m1 != m2:
                C[2 * m1, 2 * m2] = C[2 * m1 + 1, 2 * m2 + 1] = corr
    b = rng.multivariate_normal(np.zeros(2 * M), C * np.outer(sd, sd), size=n)
    x = rng.binomial(1, 0.5, size=n).astype(float)
    beta = np.asarray(betas, dtype=float)
    a0 = beta[:, 0][None, :] + b[:, 0::2]  # (n, M)
    a1 = beta[:, 1][None, :] + b[:, 1::2]
    grid = np.linspace(0.0, horizon, 2001)
    lin0 = np.asarray(alphas) @ beta[:, 0]  # centring
    haz = np.empty((len(rates), n, grid.size))
    for c, rate in enumerate(rates):
        al = np.asarray(alphas[c], dtype=float)
        lp = gammas[c] * x[:, None] + (a0 @ al)[:, None] + (a1 @ al)[:, None] * grid[None, :]
        haz[c] = rate * np.exp(lp - lin0[c])
    total = haz.sum(axis=0)
    cum = np.concatenate(
        [np.zeros((n, 1)), np.cumsum(0.5 * (total[:, 1:] + total[:, :-1]) * np.diff(grid), 1)],
        axis=1,
    )
    e = rng.exponential(size=n)
    T = np.full(n, horizon)
    event = np.zeros(n, dtype=int)
    cause = np.full(n, None, dtype=object)
    u = rng.uniform(size=n)
    for i in range(n):
        if e[i] < cum[i, -1]:
            T[i] = float(np.interp(e[i], cum[i], grid))
            event[i] = 1
            h = np.array([np.interp(T[i], grid, haz[c, i]) for c in range(len(rates))])
            cause[i] = f"cause{int(np.searchsorted(np.cumsum(h / h.sum()), u[i])) + 1}"
    rows = []
    for i in range(n):
        times = sorted(
            set(np.arange(0.0, T[i], visit_every[0]).tolist())
            | {t for m in range(1, M) for t in np.arange(0.0, T[i], visit_every[m]).tolist()}
        )
        for t in times:
            vals = []
            for m in range(M):
                on_schedule = np.isclose(t % visit_every[m], 0.0) or np.isclose(
                    t % visit_every[m], visit_every[m]
                )
                vals.append(
                    a0[i, m] + a1[i, m] * t + sigmas[m] * rng.standard_normal()
                    if on_schedule
                    else np.nan
                )
            rows.append((i + 1, t, *vals, x[i]))
    cols = ["id", "time", *[f"y{m + 1}" for m in range(M)], "x"]
    long = pd.DataFrame(rows, columns=cols)
    surv = pd.DataFrame({"id": np.arange(1, n + 1), "T": T, "event": event, "cause": cause, "x": x})
    return long, surv
