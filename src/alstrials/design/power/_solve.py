"""Shared machinery: argument checks, allocation, and the solve-for-the-None-argument step.

Every analytic design here reduces to a Wald test of an estimate :math:`\\hat\\delta` whose
variance, with :math:`n_c` subjects in the control (reference) arm and
:math:`n_a = r\\, n_c` in the active arm, is

.. math:: \\operatorname{Var}(\\hat\\delta) = K / n_c,

where the *unit variance* :math:`K` depends on the design (for a difference of two arm means
with per-subject variances :math:`v_c, v_a`, :math:`K = v_c + v_a / r`). With
:math:`z_\\alpha = \\Phi^{-1}(1 - \\alpha/s)` for an ``s``-sided test and
:math:`z_\\beta = \\Phi^{-1}(\\text{power})`, ignoring the far rejection tail,

.. math::

    n_c = (z_\\alpha + z_\\beta)^2 K / \\delta^2, \\qquad
    \\text{power} = \\Phi\\big(|\\delta| \\sqrt{n_c / K} - z_\\alpha\\big), \\qquad
    |\\delta| = (z_\\alpha + z_\\beta) \\sqrt{K / n_c}.

Allocation is given either as ``allocation`` (the fraction randomised to the active arm,
:math:`\\pi_a \\in (0, 1)`) or as ``ratio`` (:math:`r = n_a / n_c`); ``r = \\pi_a / (1 - \\pi_a)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize, stats

from alstrials.errors import DesignError

__all__ = [
    "check_alpha",
    "check_positive",
    "check_power",
    "check_sided",
    "exactly_one_none",
    "resolve_ratio",
    "z_alpha",
    "solve_normal",
    "find_root",
]


def check_sided(sided: int) -> int:
    """Return ``sided`` if it is 1 or 2, else raise :class:`DesignError`."""
    if sided not in (1, 2):
        raise DesignError(f"sided must be 1 or 2, got {sided!r}")
    return int(sided)


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float if it lies in (0, 1)."""
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise DesignError(f"alpha must lie in (0, 1), got {alpha}")
    return alpha


def check_power(power: float, alpha: float) -> float:
    """Return ``power`` if alpha < power < 1 (a test cannot have power at or below its size)."""
    power = float(power)
    if not 0.0 < power < 1.0:
        raise DesignError(f"power must lie in (0, 1), got {power}")
    if power <= alpha:
        raise DesignError(f"power ({power}) must exceed alpha ({alpha})")
    return power


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is finite and positive (or zero when allowed)."""
    value = float(value)
    ok = value >= 0.0 if allow_zero else value > 0.0
    if not (math.isfinite(value) and ok):
        need = "non-negative" if allow_zero else "positive"
        raise DesignError(f"{name} must be finite and {need}, got {value}")
    return value


def exactly_one_none(**kwargs: object) -> str:
    """Name of the single argument left as None; DesignError unless exactly one is."""
    missing = [k for k, v in kwargs.items() if v is None]
    if len(missing) != 1:
        names = ", ".join(kwargs)
        raise DesignError(
            f"leave exactly one of {names} as None (it is solved for); got None for "
            f"{missing or 'none of them'}"
        )
    return missing[0]


def resolve_ratio(allocation: float | None, ratio: float | None) -> float:
    """Allocation ratio r = n_active / n_control from ``allocation`` or ``ratio`` (default 1)."""
    if allocation is not None and ratio is not None:
        raise DesignError("give allocation or ratio, not both")
    if ratio is not None:
        return check_positive("ratio", ratio)
    if allocation is None:
        return 1.0
    allocation = float(allocation)
    if not 0.0 < allocation < 1.0:
        raise DesignError(
            f"allocation (fraction in the active arm) must lie in (0, 1), got {allocation}"
        )
    return allocation / (1.0 - allocation)


def check_solve_inputs(
    *,
    effect_name: str,
    effect: float | None,
    power: float | None,
    n_per_group: float | None,
    alpha: float,
    sided: int,
    allocation: float | None,
    ratio: float | None,
) -> tuple[str, float | None, float, int, float]:
    """Validate the inputs every solve-for-one function shares.

    Exactly one of ``effect`` (named ``effect_name``), ``power`` and ``n_per_group`` is None;
    alpha, sided and power are valid; the effect is finite and non-zero; n is positive.
    Returns ``(solved_for, power, alpha, sided, ratio)`` with ``ratio = n_active / n_control``.
    """
    solved = exactly_one_none(**{effect_name: effect, "power": power, "n_per_group": n_per_group})
    sided = check_sided(sided)
    alpha = check_alpha(alpha)
    if power is not None:
        power = check_power(power, alpha)
    if effect is not None and (not math.isfinite(effect) or effect == 0):
        raise DesignError(f"{effect_name} must be finite and non-zero, got {effect}")
    if n_per_group is not None:
        check_positive("n_per_group", n_per_group)
    return solved, power, alpha, sided, resolve_ratio(allocation, ratio)


def z_alpha(alpha: float, sided: int) -> float:
    """Critical value :math:`\\Phi^{-1}(1 - \\alpha / s)`."""
    return float(stats.norm.isf(alpha / sided))


def solve_normal(
    unit_var: float,
    *,
    delta: float | None,
    n: float | None,
    power: float | None,
    alpha: float,
    sided: int,
) -> tuple[float, float, float]:
    """Fill in the one None among ``delta``, ``n`` (control arm) and ``power``.

    Returns ``(delta, n, power)``; a solved ``delta`` carries the sign +.
    """
    za = z_alpha(alpha, sided)
    if n is None and delta is not None and power is not None:
        n = (za + float(stats.norm.ppf(power))) ** 2 * unit_var / delta**2
    elif power is None and delta is not None and n is not None:
        power = float(stats.norm.cdf(abs(delta) * math.sqrt(n / unit_var) - za))
    elif delta is None and n is not None and power is not None:
        delta = (za + float(stats.norm.ppf(power))) * math.sqrt(unit_var / n)
    else:
        raise DesignError("leave exactly one of delta, n_per_group, power as None")
    return float(delta), float(n), float(power)


def find_root(
    fun: Callable[[float], float], lo: float, hi: float, what: str, *, grow: float = 2.0
) -> float:
    """Root of a monotone ``fun`` on [lo, hi], widening ``hi`` up to 60 times.

    Raises :class:`DesignError` (never returns NaN) when no sign change is found.
    """
    f_lo = fun(lo)
    f_hi = fun(hi)
    tries = 0
    while np.sign(f_lo) == np.sign(f_hi) and tries < 60:
        hi *= grow
        f_hi = fun(hi)
        tries += 1
    if not (np.isfinite(f_lo) and np.isfinite(f_hi)) or np.sign(f_lo) == np.sign(f_hi):
        raise DesignError(f"could not solve for {what}: no solution in [{lo:g}, {hi:g}]")
    try:
        return float(optimize.brentq(fun, lo, hi, xtol=1e-12, rtol=1e-13, maxiter=500))
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - brentq with a bracket
        raise DesignError(f"could not solve for {what}: {exc}") from exc
