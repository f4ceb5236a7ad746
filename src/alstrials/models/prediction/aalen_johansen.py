"""Aalen-Johansen cumulative incidence with infinitesimal-jackknife standard errors.

With distinct times :math:`u_k`, frequency weights, :math:`n_k` at risk, :math:`d_{ck}` events of
cause :math:`c` and :math:`d_k = \\sum_c d_{ck}`,

.. math::

    \\hat S(u_k) = \\prod_{j \\le k} (1 - d_j / n_j), \\qquad
    \\hat F_c(t) = \\sum_{u_k \\le t} \\hat S(u_{k-1}) \\, d_{ck} / n_k

(with one cause :math:`\\hat F = 1 - \\hat S`, the Kaplan-Meier risk). The standard error is
the infinitesimal jackknife :math:`\\{\\sum_i (\\partial \\hat F_c(t) / \\partial w_i)^2\\}^{1/2}`,
the derivative taken exactly through the recursion
:math:`\\partial S_k = \\partial S_{k-1} (1 - \\lambda_k) - S_{k-1} \\partial \\lambda_k`,
:math:`\\partial \\lambda_{ck} / \\partial w_i = (dN_{ick} - \\lambda_{ck} Y_{ik}) / n_k`; this is
the standard error of R ``survival::survfit`` for a multi-state (competing risks) outcome, and
the 95% interval is on the log scale as ``survfit``'s default
(:math:`\\hat F \\exp(\\pm z\\, \\mathrm{se} / \\hat F)`, capped at 1).

References
----------
Aalen OO, Johansen S (1978). An empirical transition matrix for non-homogeneous Markov chains
based on censored observations. *Scand. J. Statist.* 5:141-150.
Therneau TM (2023). The survival package: multi-state models and competing risks (vignette).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["aalen_johansen"]


def aalen_johansen(
    time: np.ndarray,
    status: np.ndarray,
    horizons: np.ndarray,
    *,
    cause: int = 1,
    weights: np.ndarray | None = None,
    level: float = 0.95,
    se: bool = True,
) -> dict[str, np.ndarray]:
    """Cumulative incidence of ``cause`` at ``horizons``.

    Parameters
    ----------
    time, status : ndarray
        Observed times; status 0 censored, 1, 2, ... the cause.
    horizons : ndarray
        Times at which to evaluate the incidence.
    cause : int
        Status code of the cause of interest.
    weights : ndarray, optional
        Frequency weights (default ones).
    level : float
        Coverage of the log-scale interval.
    se : bool
        Whether to compute the infinitesimal-jackknife standard error.

    Returns
    -------
    dict
        ``risk``, and with ``se=True`` also ``se``, ``lower``, ``upper`` (arrays over horizons).

    Examples
    --------
    >>> import numpy as np
    >>> out = aalen_johansen(np.array([1.0, 2, 3, 4]), np.array([1, 2, 0, 1]), np.array([3.0]))
    >>> float(out["risk"][0])
    0.25
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status)
    w = np.ones(len(time)) if weights is None else np.asarray(weights, dtype=float)
    h = np.atleast_1d(np.asarray(horizons, dtype=float))
    times, index = np.unique(time, return_inverse=True)
    K = len(times)
    n_at = np.cumsum(np.bincount(index, weights=w, minlength=K)[::-1])[::-1]
    ev = status != 0
    d = np.bincount(index, weights=w * ev, minlength=K)
    dc = np.bincount(index, weights=w * (status == cause), minlength=K)
    safe = np.where(n_at > 0, n_at, 1.0)
    lam = np.where(n_at > 0, d / safe, 0.0)
    lam_c = np.where(n_at > 0, dc / safe, 0.0)
    S = np.cumprod(1.0 - lam)
    S_before = np.concatenate([[1.0], S[:-1]])
    F = np.cumsum(S_before * lam_c)
    pos = np.searchsorted(times, h, side="right") - 1
    risk = np.where(pos >= 0, F[np.maximum(pos, 0)], 0.0)
    out: dict[str, np.ndarray] = {"risk": risk}
    if not se:
        return out
    n = len(time)
    last = int(pos.max()) if len(pos) else -1
    dS = np.zeros(n)  # d S_{k-1} / d w_i
    dF = np.zeros(n)
    grads = np.zeros((n, len(h)))
    at_pos = {int(p): np.flatnonzero(pos == p) for p in np.unique(pos)}
    for k in range(last + 1):
        Y = (index >= k).astype(float)
        own = index == k
        dlam = (own * ev - lam[k] * Y) / safe[k]
        dlam_c = (own * (status == cause) - lam_c[k] * Y) / safe[k]
        dF = dF + dS * lam_c[k] + S_before[k] * dlam_c
        dS = dS * (1.0 - lam[k]) - S_before[k] * dlam
        for j in at_pos.get(k, ()):
            grads[:, j] = dF
    se_v = np.sqrt(np.sum(w[:, None] * grads**2, axis=0))
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(risk > 0, risk * np.exp(-z * se_v / risk), np.nan)
        upper = np.where(risk > 0, np.minimum(1.0, risk * np.exp(z * se_v / risk)), np.nan)
    out.update(se=se_v, lower=lower, upper=upper)
    return out
