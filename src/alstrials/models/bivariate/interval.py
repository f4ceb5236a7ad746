r"""Bivariate LMM slope-correlation interval: a Wald interval on Fisher's z scale.

The standard error of :math:`z = \operatorname{atanh}\rho_{slope}` comes from the delta method
with the inverse observed information, and the interval is back-transformed with ``tanh`` (the
construction of ``nlme::intervals`` for random-effect correlations).
"""

from __future__ import annotations

import numpy as np

from alstrials.models.bivariate.likelihood import _random_cov


def _grad(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:  # noqa: ANN001
    """Central differences of a scalar function."""
    g = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        g[j] = (fun(theta + e) - fun(theta - e)) / (2.0 * h)
    return g


def _slope_z(theta: np.ndarray) -> float:
    d = _random_cov(theta)
    return float(np.arctanh(d[2, 3] / np.sqrt(d[2, 2] * d[3, 3])))


def _fisher_ci(hess: np.ndarray, theta: np.ndarray, q: float) -> tuple[float, float]:
    """Wald interval for the slope correlation on Fisher's z scale (delta method)."""
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return (np.nan, np.nan)
    g = _grad(_slope_z, theta, h=1e-6)
    se = float(np.sqrt(g @ np.linalg.solve(hess, g)))
    z = _slope_z(theta)
    return (float(np.tanh(z - q * se)), float(np.tanh(z + q * se)))
