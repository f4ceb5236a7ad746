r"""Draws of the missing outcomes from the conditional multivariate normal.

For a subject with observed visits :math:`O`, missing visits :math:`M`, mean profile
:math:`\tilde\mu` (its strategy's, :mod:`alstrials.models.imputation.strategies`) and covariance
:math:`\Sigma`,

.. math::

    y_M \mid y_O \sim N\bigl(\tilde\mu_M + \Sigma_{MO}\Sigma_{OO}^{-1}(y_O - \tilde\mu_O),\;
        \Sigma_{MM} - \Sigma_{MO}\Sigma_{OO}^{-1}\Sigma_{OM}\bigr).

Subjects sharing a missingness pattern share the regression matrix and the conditional
covariance, so one Cholesky factor per pattern serves them all.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["MissingPatterns", "impute_conditional"]


class MissingPatterns:
    """Subjects grouped by the set of visits they have observed."""

    def __init__(self, observed: np.ndarray) -> None:
        self.observed = observed
        keys, inverse = np.unique(observed, axis=0, return_inverse=True)
        self.groups = [
            (keys[g], np.flatnonzero(inverse.ravel() == g))
            for g in range(keys.shape[0])
            if not keys[g].all()
        ]


def impute_conditional(
    y: np.ndarray,
    mean: np.ndarray,
    sigma: np.ndarray,
    patterns: MissingPatterns,
    rng: np.random.Generator,
) -> np.ndarray:
    """``y`` (n, T) with its missing entries drawn from the conditional normal (module
    docstring); observed entries are returned unchanged."""
    out = y.copy()
    for obs, rows in patterns.groups:
        mis = ~obs
        s_mm = sigma[np.ix_(mis, mis)]
        z = rng.standard_normal((rows.size, int(mis.sum())))
        if obs.any():
            s_oo = sigma[np.ix_(obs, obs)]
            s_om = sigma[np.ix_(obs, mis)]
            factor = linalg.cho_factor(s_oo, lower=True)
            coef = linalg.cho_solve(factor, s_om)  # Sigma_OO^{-1} Sigma_OM
            resid = y[np.ix_(rows, obs)] - mean[np.ix_(rows, obs)]
            centre = mean[np.ix_(rows, mis)] + resid @ coef
            cond = s_mm - s_om.T @ coef
        else:
            centre = mean[np.ix_(rows, mis)]
            cond = s_mm
        low = np.linalg.cholesky(0.5 * (cond + cond.T))
        out[np.ix_(rows, mis)] = centre + z @ low.T
    return out
