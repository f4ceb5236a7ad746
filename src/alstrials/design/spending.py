r"""Error-spending functions for group-sequential designs.

A spending function :math:`f(t)` gives the cumulative type I error (or type II error, for
futility bounds) allowed to be used by information fraction :math:`t \in [0, 1]`, with
:math:`f(0) = 0` and :math:`f(1) = \alpha`. The families implemented (one-sided level
:math:`\alpha`):

* Lan-DeMets O'Brien-Fleming type (``"ld-obrien-fleming"``):
  :math:`f(t) = 2\,\{1 - \Phi(z_{1-\alpha/2} / \sqrt{t})\}`.
* Lan-DeMets Pocock type (``"ld-pocock"``): :math:`f(t) = \alpha \log\{1 + (e - 1) t\}`.
* Kim-DeMets power family (``"kim-demets"``, parameter :math:`\gamma > 0`):
  :math:`f(t) = \alpha\, t^{\gamma}`.
* Hwang-Shih-DeCani family (``"hsd"``, parameter :math:`\gamma \ne 0`):
  :math:`f(t) = \alpha\,(1 - e^{-\gamma t}) / (1 - e^{-\gamma})`, and :math:`\alpha t` for
  :math:`\gamma = 0`.

The same functions serve as beta-spending functions with :math:`\beta` in place of
:math:`\alpha`. Values of :math:`t` above 1 are treated as 1 (all error spent).

References
----------
Lan, K. K. G. & DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials.
Biometrika 70, 659-663.

Kim, K. & DeMets, D. L. (1987). Design and analysis of group sequential tests based on the type I
error spending rate function. Biometrika 74, 149-154.

Hwang, I. K., Shih, W. J. & DeCani, J. S. (1990). Group sequential designs using a family of
type I error probability spending functions. Statistics in Medicine 9, 1439-1445.

Jennison, C. & Turnbull, B. W. (2000). Group Sequential Methods with Applications to Clinical
Trials. Chapman & Hall/CRC, chapter 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.special import ndtr, ndtri

from alstrials.errors import DesignError

__all__ = ["SpendingFamily", "SpendingFunction", "spending_function"]


class SpendingFamily(Enum):
    """The spending-function families, by the option string users pass."""

    LD_OBRIEN_FLEMING = "ld-obrien-fleming"
    LD_POCOCK = "ld-pocock"
    KIM_DEMETS = "kim-demets"
    HSD = "hsd"


_NEEDS_GAMMA = {SpendingFamily.KIM_DEMETS, SpendingFamily.HSD}


@dataclass(frozen=True)
class SpendingFunction:
    """A spending function for a total error ``total`` (alpha or beta).

    Parameters
    ----------
    family : SpendingFamily
        The family.
    total : float
        Error spent by information fraction 1, in (0, 1).
    gamma : float or None
        Shape parameter of the Kim-DeMets and Hwang-Shih-DeCani families.
    """

    family: SpendingFamily
    total: float
    gamma: float | None = None

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        """Cumulative error spent by information fraction ``t`` (array in, array out)."""
        return np.asarray(self._spent(np.clip(np.asarray(t, dtype=float), 0.0, 1.0)), dtype=float)

    def _spent(self, t: np.ndarray) -> np.ndarray | float:
        a = self.total
        if self.family is SpendingFamily.LD_OBRIEN_FLEMING:
            with np.errstate(divide="ignore"):
                q = -ndtri(a / 2.0) / np.sqrt(t)
            return np.where(t > 0, 2.0 * ndtr(-q), 0.0)
        if self.family is SpendingFamily.LD_POCOCK:
            return a * np.log1p((np.e - 1.0) * t)
        g = float(self.gamma)  # type: ignore[arg-type]  # validated in spending_function
        if self.family is SpendingFamily.KIM_DEMETS:
            return a * t**g
        if g == 0.0:
            return a * t
        return a * np.expm1(-g * t) / np.expm1(-g)

    def __repr__(self) -> str:
        g = "" if self.gamma is None else f", gamma={self.gamma:g}"
        return f"SpendingFunction({self.family.value!r}, total={self.total:g}{g})"


def spending_function(
    family: str, total: float, gamma: float | None = None, *, what: str = "alpha"
) -> SpendingFunction:
    """Build a validated spending function from its option string.

    Parameters
    ----------
    family : {"ld-obrien-fleming", "ld-pocock", "kim-demets", "hsd"}
        Spending family.
    total : float
        Total error to spend (alpha or beta), strictly between 0 and 1.
    gamma : float, optional
        Required for "kim-demets" (gamma > 0; 1 spends linearly, 3 is close to
        O'Brien-Fleming) and "hsd" (any real; -4 is close to O'Brien-Fleming, 1 to Pocock).
    what : str
        "alpha" or "beta": only used in error messages.

    Returns
    -------
    SpendingFunction

    References
    ----------
    Lan & DeMets (1983); Kim & DeMets (1987); Hwang, Shih & DeCani (1990).

    Examples
    --------
    >>> f = spending_function("kim-demets", 0.025, gamma=2)
    >>> round(float(f(0.5)), 6)
    0.00625
    """
    try:
        fam = SpendingFamily(family)
    except ValueError:
        opts = ", ".join(repr(f.value) for f in SpendingFamily)
        raise DesignError(
            f"unknown {what}-spending function {family!r}; use one of {opts}."
        ) from None
    if not 0.0 < total < 1.0:
        raise DesignError(f"{what} must be strictly between 0 and 1, got {total!r}.")
    if fam in _NEEDS_GAMMA:
        if gamma is None:
            raise DesignError(
                f"{what}-spending function {family!r} needs a shape parameter gamma "
                f"(e.g. gamma=3 for kim-demets, gamma=-4 for hsd)."
            )
        if not np.isfinite(gamma):
            raise DesignError(f"gamma must be a finite number, got {gamma!r}.")
        if fam is SpendingFamily.KIM_DEMETS and gamma <= 0:
            raise DesignError(f"kim-demets needs gamma > 0, got {gamma!r}.")
        return SpendingFunction(fam, float(total), float(gamma))
    if gamma is not None:
        raise DesignError(
            f"{what}-spending function {family!r} takes no gamma (got {gamma!r}); "
            "gamma is only for 'kim-demets' and 'hsd'."
        )
    return SpendingFunction(fam, float(total), None)
