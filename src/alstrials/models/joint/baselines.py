"""Baseline hazards of the joint model's cause-specific hazards.

Each cause ``c`` has ``h_c(t) = h_0c(t) exp(w' gamma_c + association terms)`` with one of

* ``"piecewise"``: ``log h_0(t) = log xi_k`` on the interval ``(k_{j-1}, k_j]`` holding ``t``
  (knots as JM's ``piecewise-PH``: default internal knots at the ``j/7`` quantiles of all
  observed times); parameters ``log xi_1..log xi_Q``;
* ``"weibull"``: ``log h_0(t) = phi + log kappa + (kappa - 1) log t`` (JM's ``weibull-PH``:
  ``phi`` is JM's survival ``(Intercept)``, ``kappa`` its ``sigma.t``); parameters
  ``phi, log kappa``;
* ``"spline"``: ``log h_0(t) = sum_k zeta_k B_k(t)``, cubic B-splines with internal knots at
  the ``j/6`` quantiles of all observed times (5 knots, JM's ``spline-PH`` rule) and boundary
  knots ``0`` and the largest observed time (beyond it the last polynomial piece continues);
  parameters ``zeta_1..zeta_{K+4}``.

A baseline is bound to the event times and the cumulative-hazard nodes once
(:class:`BoundBaseline`); each likelihood evaluation then asks for ``log h_0`` and its
gradient in the baseline parameters at both sets of times.

References
----------
Rizopoulos, D. (2010). JM: An R package for the joint modelling of longitudinal and
time-to-event data. *Journal of Statistical Software*, 35(9), 1-33.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.interpolate import BSpline

__all__ = ["BASELINES", "BaselineSpec", "BoundBaseline", "bind_baseline", "default_knots"]

BASELINES = ("piecewise", "weibull", "spline")
_SPLINE_ORDER = 4  # cubic


def default_knots(times: np.ndarray, n_knots: int = 6) -> np.ndarray:
    """Internal knots at the ``k/(n_knots+1)`` quantiles of all observed times.

    JM's rule (events and censorings together, duplicates dropped, only knots below the
    largest time kept).

    Examples
    --------
    >>> default_knots([1.0, 2.0, 3.0, 4.0, 5.0], n_knots=3).tolist()
    [2.0, 3.0, 4.0]
    """
    t = np.asarray(times, dtype=float)
    probs = np.arange(1, n_knots + 1) / (n_knots + 1)
    k = np.unique(np.quantile(t, probs))
    return k[k < t.max()]


@dataclass(frozen=True)
class BaselineSpec:
    """A cause's baseline: its kind, internal knots and (spline) boundary knots."""

    kind: str
    knots: np.ndarray
    boundary: tuple[float, float] = (0.0, 0.0)

    @property
    def n_params(self) -> int:
        if self.kind == "piecewise":
            return len(self.knots) + 1
        if self.kind == "weibull":
            return 2
        return len(self.knots) + _SPLINE_ORDER

    @property
    def breaks(self) -> np.ndarray:
        """Interval limits ``0, k_1, ..., k_K, inf`` (piecewise)."""
        return np.concatenate([[0.0], self.knots, [np.inf]])

    def names(self) -> list[str]:
        if self.kind == "piecewise":
            return [f"log(xi{j})" for j in range(1, self.n_params + 1)]
        if self.kind == "weibull":
            return ["(Intercept)", "log(shape)"]
        return [f"bs{j}" for j in range(1, self.n_params + 1)]

    def full_knots(self) -> np.ndarray:
        """Spline knot vector with the boundary knots repeated ``order`` times."""
        lo, hi = self.boundary
        return np.concatenate([[lo] * _SPLINE_ORDER, self.knots, [hi] * _SPLINE_ORDER]).astype(
            float
        )

    def interval(self, t: np.ndarray) -> np.ndarray:
        """Piecewise interval index of each time (an event at a knot is in the interval the
        knot closes)."""
        return np.clip(np.searchsorted(self.breaks, t, side="left") - 1, 0, len(self.knots))

    def basis(self, t: np.ndarray) -> np.ndarray:
        """Design of ``log h_0`` in its parameters (piecewise: indicators; spline: B-splines)."""
        t = np.asarray(t, dtype=float)
        if self.kind == "piecewise":
            out = np.zeros((t.size, self.n_params))
            out[np.arange(t.size), self.interval(t)] = 1.0
            return out
        if self.kind == "spline":
            lo, hi = self.boundary
            return _bspline_design(np.clip(t, lo, hi), self.full_knots())
        raise ValueError("the Weibull baseline has no fixed basis")

    def log_h0(self, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``log h_0(t)`` at the given times."""
        t = np.asarray(t, dtype=float)
        if self.kind == "weibull":
            kappa = np.exp(theta[1])
            return theta[0] + theta[1] + (kappa - 1) * np.log(t)
        return self.basis(t) @ theta


def _bspline_design(t: np.ndarray, knots: np.ndarray) -> np.ndarray:
    k = _SPLINE_ORDER - 1
    n_basis = len(knots) - _SPLINE_ORDER
    out = np.empty((t.size, n_basis))
    eye = np.eye(n_basis)
    for j in range(n_basis):
        out[:, j] = BSpline(knots, eye[j], k, extrapolate=True)(t)
    # at the right boundary knot the last basis function is 1 (closed interval)
    return out


@dataclass(frozen=True)
class BoundBaseline:
    """A baseline evaluated at fixed event times ``T`` and node times ``s``."""

    spec: BaselineSpec
    log_T: np.ndarray
    log_s: np.ndarray
    basis_T: np.ndarray | None
    basis_s: np.ndarray | None

    def evaluate(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``log h_0(T)``, its gradient (n, k), ``log h_0(s)``, its gradient (G, k)."""
        if self.spec.kind == "weibull":
            kappa = float(np.exp(theta[1]))
            hT = theta[0] + theta[1] + (kappa - 1) * self.log_T
            hs = theta[0] + theta[1] + (kappa - 1) * self.log_s
            gT = np.column_stack([np.ones_like(self.log_T), 1 + kappa * self.log_T])
            gs = np.column_stack([np.ones_like(self.log_s), 1 + kappa * self.log_s])
            return hT, gT, hs, gs
        bT, bs = cast(np.ndarray, self.basis_T), cast(np.ndarray, self.basis_s)  # bound
        return bT @ theta, bT, bs @ theta, bs


def bind_baseline(spec: BaselineSpec, T: np.ndarray, s: np.ndarray) -> BoundBaseline:
    """Precompute what :meth:`BoundBaseline.evaluate` needs at ``T`` and ``s``."""
    if spec.kind == "weibull":
        return BoundBaseline(spec, np.log(T), np.log(s), None, None)
    return BoundBaseline(spec, np.log(T), np.log(s), spec.basis(T), spec.basis(s))
