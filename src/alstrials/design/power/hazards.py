"""Control-arm hazard models for event-driven designs.

Each model gives the cumulative hazard :math:`H(t)`, survival :math:`S(t) = e^{-H(t)}` and the
probability of an event by time :math:`s` in the presence of an independent exponential
dropout with hazard :math:`\\eta`,

.. math:: F(s) = \\int_0^s \\theta h(x)\\, e^{-\\theta H(x) - \\eta x}\\, dx,

where :math:`\\theta` is the hazard ratio of the arm (1 for control; proportional hazards).

* :class:`Exponential`: :math:`h = \\lambda`, closed form.
* :class:`PiecewiseExponential`: :math:`h = \\lambda_k` on :math:`[\\tau_k, \\tau_{k+1})`,
  last piece open-ended (rpact's ``piecewiseSurvivalTime``/``lambda2``); closed form per piece:
  :math:`F = \\sum_k \\frac{\\theta\\lambda_k}{\\theta\\lambda_k + \\eta}
  (e^{-A(\\tau_k)} - e^{-A(\\min(s, \\tau_{k+1}))})`, :math:`A = \\theta H + \\eta x`
  (vectorised over :math:`s`).
* :class:`Weibull`: :math:`S(t) = \\exp(-(t / \\text{scale})^{\\text{shape}})`; shape > 1 is a
  rising hazard (ALS: shape about 2, van Eijk et al. 2019). Closed form without dropout,
  adaptive quadrature with it. rpact writes :math:`(\\lambda t)^\\kappa`, so
  ``scale = 1 / lambda``.

References
----------
Lachin JM, Foulkes MA (1986). Evaluation of sample size and power for analyses of survival
with allowance for nonuniform patient entry, losses to follow-up, noncompliance, and
stratification. Biometrics 42:507-519.
van Eijk RPA et al. (2019). J Neurol Neurosurg Psychiatry 90:1331 (Weibull shape 2.03).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate

from alstrials.errors import DesignError

__all__ = ["Exponential", "PiecewiseExponential", "Weibull", "HazardModel", "dropout_hazard"]


def dropout_hazard(rate: float, time: float) -> float:
    """Exponential dropout hazard from a proportion lost by ``time``: -log(1 - rate) / time.

    Examples
    --------
    >>> round(dropout_hazard(0.1, 12), 6)
    0.00878
    """
    if not 0.0 <= rate < 1.0:
        raise DesignError(f"dropout rate must lie in [0, 1), got {rate}")
    if not time > 0:
        raise DesignError(f"dropout time must be positive, got {time}")
    return -math.log1p(-rate) / time


@dataclass(frozen=True)
class PiecewiseExponential:
    """Piecewise-constant hazard ``rates[k]`` from ``starts[k]`` (``starts[0] == 0``).

    Examples
    --------
    >>> h = PiecewiseExponential(starts=(0, 6), rates=(0.01, 0.05))
    >>> round(h.cumhaz(10), 6)
    0.26
    """

    starts: tuple[float, ...]
    rates: tuple[float, ...]

    def __post_init__(self) -> None:
        s = np.asarray(self.starts, dtype=float)
        r = np.asarray(self.rates, dtype=float)
        if s.size == 0 or s.size != r.size or s[0] != 0 or np.any(np.diff(s) <= 0):
            raise DesignError("starts must begin at 0, increase, and match rates in length")
        if np.any(~np.isfinite(r)) or np.any(r < 0) or r[-1] <= 0:
            raise DesignError("hazard rates must be non-negative, the last one positive")
        object.__setattr__(self, "starts", tuple(float(v) for v in s))
        object.__setattr__(self, "rates", tuple(float(v) for v in r))

    def cumhaz(self, t: float) -> float:
        s = np.asarray(self.starts)
        ends = np.append(s[1:], np.inf)
        exposure = np.clip(t - s, 0.0, ends - s)
        return float(np.dot(self.rates, exposure))

    def survival(self, t: float) -> float:
        return math.exp(-self.cumhaz(t))

    def median(self) -> float:
        """Time at which S(t) = 1/2."""
        target = math.log(2.0)
        s = self.starts
        for k, rate in enumerate(self.rates):
            end = s[k + 1] if k + 1 < len(s) else math.inf
            h0 = self.cumhaz(s[k])
            if rate > 0 and h0 + rate * (end - s[k]) >= target:
                return s[k] + (target - h0) / rate
        raise DesignError("median not reached")  # pragma: no cover - last rate > 0

    def kinks(self) -> tuple[float, ...]:
        """Times where the hazard jumps (the integrand of outer integrals has kinks there)."""
        return self.starts[1:]

    def event_cdf(self, s: ArrayLike, theta: float = 1.0, eta: float = 0.0) -> np.ndarray:
        s_arr = np.atleast_1d(np.asarray(s, dtype=float))
        starts = np.asarray(self.starts)
        lengths = np.append(np.diff(starts), np.inf)
        rates = np.asarray(self.rates)
        tot = theta * rates + eta
        a_start = np.concatenate([[0.0], np.cumsum(tot[:-1] * lengths[:-1])])
        coef = np.divide(theta * rates, tot, out=np.zeros_like(tot), where=tot > 0)
        weight = coef * np.exp(-a_start)
        out = np.empty_like(s_arr)
        for lo in range(0, s_arr.size, 4096):  # bounded memory for fine grids
            chunk = s_arr[lo : lo + 4096]
            exposure = np.clip(chunk[:, None] - starts[None, :], 0.0, lengths[None, :])
            out[lo : lo + 4096] = (-np.expm1(-tot[None, :] * exposure)) @ weight
        return out


@dataclass(frozen=True)
class Exponential:
    """Constant hazard ``rate`` (per month).

    Examples
    --------
    >>> round(Exponential.from_median(24).rate, 6)
    0.028881
    """

    rate: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise DesignError(f"hazard rate must be positive, got {self.rate}")

    @classmethod
    def from_median(cls, median: float) -> Exponential:
        if not median > 0:
            raise DesignError(f"median must be positive, got {median}")
        return cls(math.log(2.0) / median)

    def cumhaz(self, t: float) -> float:
        return self.rate * max(t, 0.0)

    def survival(self, t: float) -> float:
        return math.exp(-self.cumhaz(t))

    def median(self) -> float:
        return math.log(2.0) / self.rate

    def kinks(self) -> tuple[float, ...]:
        return ()

    def event_cdf(self, s: ArrayLike, theta: float = 1.0, eta: float = 0.0) -> np.ndarray:
        s_arr = np.clip(np.atleast_1d(np.asarray(s, dtype=float)), 0.0, None)
        tot = theta * self.rate + eta
        return theta * self.rate / tot * -np.expm1(-tot * s_arr)


@dataclass(frozen=True)
class Weibull:
    """Weibull hazard, :math:`S(t) = \\exp(-(t/\\text{scale})^{\\text{shape}})`.

    Examples
    --------
    >>> w = Weibull.from_median(30, shape=2.0)
    >>> round(w.survival(30), 6)
    0.5
    """

    shape: float
    scale: float

    def __post_init__(self) -> None:
        if not (self.shape > 0 and self.scale > 0):
            raise DesignError(f"Weibull shape and scale must be positive, got {self}")

    @classmethod
    def from_median(cls, median: float, shape: float) -> Weibull:
        if not median > 0:
            raise DesignError(f"median must be positive, got {median}")
        return cls(shape=shape, scale=median / math.log(2.0) ** (1.0 / shape))

    def cumhaz(self, t: float) -> float:
        return (max(t, 0.0) / self.scale) ** self.shape

    def survival(self, t: float) -> float:
        return math.exp(-self.cumhaz(t))

    def median(self) -> float:
        return self.scale * math.log(2.0) ** (1.0 / self.shape)

    def kinks(self) -> tuple[float, ...]:
        return ()

    def event_cdf(self, s: ArrayLike, theta: float = 1.0, eta: float = 0.0) -> np.ndarray:
        s_arr = np.clip(np.atleast_1d(np.asarray(s, dtype=float)), 0.0, None)
        surv = np.exp(-theta * (s_arr / self.scale) ** self.shape - eta * s_arr)
        if eta == 0:
            return -np.expm1(-theta * (s_arr / self.scale) ** self.shape)
        # integration by parts: F(s) = 1 - S_tot(s) - eta * int_0^s S_tot(x) dx, with the
        # bounded, continuous S_tot(x) = exp(-theta H(x) - eta x) (no singularity at 0)
        k, lam = self.shape, self.scale

        def s_tot(x: float) -> float:
            return math.exp(-theta * (x / lam) ** k - eta * x)

        areas = np.array(
            [
                integrate.quad(s_tot, 0.0, float(v), epsabs=1e-14, epsrel=1e-12, limit=200)[0]
                if v > 0
                else 0.0
                for v in s_arr
            ]
        )
        return 1.0 - surv - eta * areas


HazardModel = Exponential | PiecewiseExponential | Weibull


def as_hazard(control: object) -> HazardModel:
    """Accept a hazard model object (or a positive number = exponential rate)."""
    if isinstance(control, Exponential | PiecewiseExponential | Weibull):
        return control
    if isinstance(control, int | float) and not isinstance(control, bool):
        return Exponential(float(control))
    raise DesignError(
        "control must be Exponential, PiecewiseExponential or Weibull (or an exponential rate), "
        f"got {control!r}"
    )
