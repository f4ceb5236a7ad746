r"""Imputation strategies: each subject's mean profile after an intercurrent event (ICE).

With :math:`\mu_{a,i}` the MMRM mean profile of subject :math:`i` (its covariates) had it been
in arm :math:`a` (a :math:`T`-vector over the scheduled visits), :math:`g` the subject's arm,
:math:`r` the reference arm and :math:`k` the position of the first visit after the ICE
(visits :math:`t < k` are on treatment), the mean used to impute the subject is
(Carpenter, Roger and Kenward 2013, section 4):

``MAR``   :math:`\tilde\mu_t = \mu_{g,t}` for every :math:`t` (missing at random).
``J2R``   jump to reference: :math:`\tilde\mu_t = \mu_{g,t}` for :math:`t < k`,
          :math:`\mu_{r,t}` for :math:`t \ge k`.
``CR``    copy reference: :math:`\tilde\mu_t = \mu_{r,t}` for every :math:`t` (the subject is
          imputed as if always in the reference arm, given the observed outcomes).
``CIR``   copy increments in reference: :math:`\tilde\mu_t = \mu_{g,t}` for :math:`t < k`,
          :math:`\mu_{g,k-1} + (\mu_{r,t} - \mu_{r,k-1})` for :math:`t \ge k`.

With an ICE before the first visit (:math:`k = 0`) J2R, CR and CIR all give
:math:`\mu_{r}`. The covariance is the MMRM's common :math:`\Sigma`, so the joint distribution
of the subject's outcomes is :math:`N(\tilde\mu, \Sigma)` and a reference-arm subject is imputed
under MAR whatever the strategy.

References
----------
Carpenter JR, Roger JH, Kenward MG. Analysis of longitudinal trials with protocol deviation: a
framework for relevant, accessible assumptions, and inference via multiple imputation.
J Biopharm Stat 2013;23:1352-71.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from alstrials.errors import DataValidationError

__all__ = ["Strategy", "parse_strategy", "strategy_means"]


class Strategy(StrEnum):
    """Imputation strategies (module docstring)."""

    MAR = "MAR"
    J2R = "J2R"
    CR = "CR"
    CIR = "CIR"


_ALIASES = {
    "JR": "J2R",
    "JUMP TO REFERENCE": "J2R",
    "COPY REFERENCE": "CR",
    "COPY INCREMENTS IN REFERENCE": "CIR",
    "MISSING AT RANDOM": "MAR",
}


def parse_strategy(value: object, where: str = "strategy") -> Strategy:
    """A user string (case-insensitive; ``"JR"`` is ``"J2R"``) as a :class:`Strategy`."""
    if isinstance(value, Strategy):
        return value
    key = str(value).strip().upper().replace("_", " ")
    key = _ALIASES.get(key, key)
    try:
        return Strategy(key)
    except ValueError:
        raise DataValidationError(
            f"{where}={value!r} is not an imputation strategy; use one of "
            f"{[s.value for s in Strategy]}"
        ) from None


def strategy_means(
    own: np.ndarray, ref: np.ndarray, ice_index: np.ndarray, strategy: np.ndarray
) -> np.ndarray:
    """Each subject's mean profile under its strategy (module docstring).

    Parameters
    ----------
    own, ref : ndarray (n, T)
        Mean profiles in the subject's own arm and in the reference arm.
    ice_index : ndarray (n,)
        Position of the first post-ICE visit (``T`` = no ICE).
    strategy : ndarray (n,) of Strategy
    """
    n, t = own.shape
    pos = np.arange(t)[None, :]
    post = pos >= ice_index[:, None]
    code = np.array([s.value for s in strategy], dtype=object)
    out = own.copy()
    j2r = (code == Strategy.J2R.value)[:, None] & post
    out[j2r] = ref[j2r]
    cr = code == Strategy.CR.value
    out[cr] = ref[cr]
    cir = code == Strategy.CIR.value
    last = np.clip(ice_index - 1, 0, t - 1)
    rows = np.arange(n)
    shifted = own[rows, last][:, None] + ref - ref[rows, last][:, None]
    shifted = np.where((ice_index == 0)[:, None], ref, shifted)
    use = cir[:, None] & post
    out[use] = shifted[use]
    return out
