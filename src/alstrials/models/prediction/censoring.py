"""Inverse probability of censoring weights from the marginal (reverse) Kaplan-Meier estimate.

With distinct observed times :math:`u_1 < u_2 < \\dots`, frequency weights :math:`w_i`,
:math:`n_k = \\sum_i w_i I(T_i \\ge u_k)` at risk, :math:`e_k` events and :math:`c_k`
censorings at :math:`u_k`, the censoring survival function is

.. math::

    \\hat G(s) = \\prod_{u_k \\le s} \\Bigl(1 - \\frac{c_k}{n_k - e_k}\\Bigr),

events at a tied time leaving the risk set before the censorings (the convention of prodlim's
``reverse = TRUE``, which riskRegression's ``Score(cens.model = "km")`` uses). A subject with
an event at :math:`T_i \\le t` is weighted by :math:`1 / \\hat G(T_i-)` (the left limit: the
value at the previous distinct time); a subject still at risk at the horizon by
:math:`1 / \\hat G(t)` (right-continuous, so censorings at :math:`t` count); a subject censored
at or before :math:`t` has weight 0.

Standard errors use the linearisation of :math:`\\log \\hat G` through the Nelson-Aalen
censoring hazard (its martingale representation, with :math:`Y_k = \\sum_i w_i I(T_i \\ge u_k)`
and :math:`k_i` the index of :math:`T_i`): the derivative with respect to subject :math:`i`'s
weight is taken as

.. math::

    \\frac{\\partial \\log \\hat G(u_m)}{\\partial w_i}
      \\approx -\\frac{C_i I(k_i \\le m)}{Y_{k_i}}
        + \\sum_{k \\le \\min(m, k_i)} \\frac{c_k}{Y_k^2},

:math:`C_i = 1` for a censored subject; riskRegression's ``Score`` linearises the same way, and
with it the standard errors agree with ``Score``'s to rounding.

References
----------
Gerds TA, Schumacher M (2006). Consistent estimation of the expected Brier score in general
survival models with right-censored event times. *Biometrical Journal* 48(6):1029-1040.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CensoringKM", "censoring_km"]


@dataclass(frozen=True)
class CensoringKM:
    """Reverse Kaplan-Meier fit on the subjects' observed times.

    Attributes
    ----------
    times : ndarray
        Distinct observed times ``u_k`` (events and censorings).
    survival : ndarray
        ``G(u_k)`` (right-continuous).
    index : ndarray
        ``k_i``: each subject's position in ``times``.
    censored : ndarray
        1 for a censored subject.
    at_risk : ndarray
        ``Y_k``.
    cum_hazard_var : ndarray
        ``sum_{j <= k} c_j / Y_j^2``.
    """

    times: np.ndarray
    survival: np.ndarray
    index: np.ndarray
    censored: np.ndarray
    at_risk: np.ndarray
    cum_hazard_var: np.ndarray

    def position(self, s: float) -> int:
        """Index of the largest ``u_k <= s`` (-1 if none)."""
        return int(np.searchsorted(self.times, s, side="right")) - 1

    def at(self, s: float) -> float:
        """``G(s)``."""
        m = self.position(s)
        return 1.0 if m < 0 else float(self.survival[m])

    def left_limits(self) -> np.ndarray:
        """``G(T_i-)`` of every subject."""
        before = np.concatenate([[1.0], self.survival[:-1]])
        return before[self.index]

    def log_derivative(self, positions: np.ndarray) -> np.ndarray:
        """Linearised ``d log G(u_m) / d w_i``: rows subjects ``i``, columns the ``positions``
        ``m`` (-1 for a time before the first ``u_k``, where ``G = 1``)."""
        m = np.asarray(positions)[None, :]
        k = self.index[:, None]
        own = np.where(
            (self.censored[:, None] > 0) & (k <= m), 1.0 / self.at_risk[self.index][:, None], 0.0
        )
        cum = np.concatenate([[0.0], self.cum_hazard_var])
        return -own + cum[np.minimum(m, k) + 1]


def censoring_km(time: np.ndarray, status: np.ndarray, weights: np.ndarray) -> CensoringKM:
    """Reverse Kaplan-Meier of the censoring times (``status == 0`` is a censoring).

    Parameters
    ----------
    time, status : ndarray
        Observed times and status codes (0 censored, anything else an event).
    weights : ndarray
        Frequency weights (ones, or bootstrap counts).

    Returns
    -------
    CensoringKM

    Examples
    --------
    >>> import numpy as np
    >>> km = censoring_km(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 0]), np.ones(4))
    >>> km.survival.tolist(), km.left_limits().tolist()
    ([1.0, 0.5, 0.0], [1.0, 1.0, 1.0, 0.5])
    """
    times, index = np.unique(time, return_inverse=True)
    cens = (status == 0).astype(float)
    K = len(times)
    n_at = np.cumsum(np.bincount(index, weights=weights, minlength=K)[::-1])[::-1]
    c = np.bincount(index, weights=weights * cens, minlength=K)
    e = np.bincount(index, weights=weights * (1.0 - cens), minlength=K)
    ne = n_at - e
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(ne > 0, c / np.where(ne > 0, ne, 1), 0.0)
    surv = np.cumprod(1.0 - h)
    y = n_at
    with np.errstate(divide="ignore", invalid="ignore"):
        dvar = np.where(y > 0, c / np.where(y > 0, y, 1) ** 2, 0.0)
    return CensoringKM(
        times=times,
        survival=surv,
        index=index,
        censored=cens,
        at_risk=y,
        cum_hazard_var=np.cumsum(dvar),
    )
