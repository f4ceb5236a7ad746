"""Time-dependent AUC and Brier score with inverse probability of censoring weights.

Status codes: 0 censored, 1 the cause of interest, 2 any other (competing) cause. At horizon
:math:`t`, with censoring weights from :mod:`.censoring`
(:math:`\\hat W_i = \\hat G(T_i-)` for an event at :math:`T_i \\le t`,
:math:`\\hat G(t)` for :math:`T_i > t`):

* cases: :math:`T_i \\le t` with cause 1, weight :math:`a_i = 1/\\hat G(T_i-)`;
* controls: :math:`T_j > t` (weight :math:`1/\\hat G(t)`) and :math:`T_j \\le t` with a competing
  cause (weight :math:`1/\\hat G(T_j-)`); subjects censored at or before :math:`t` get 0;

.. math::

    \\widehat{AUC}(t) = \\frac{\\sum_i \\sum_j a_i b_j \\{I(r_i > r_j) + \\tfrac12 I(r_i = r_j)\\}}
                             {\\sum_i a_i \\sum_j b_j},

the cumulative/dynamic AUC of Blanche et al. (2013) (definition 2: competing-event subjects are
controls), as riskRegression's ``Score``. The Brier score of the predicted risk :math:`r_i` of
cause 1 by :math:`t` is

.. math::

    \\widehat{BS}(t) = \\frac1n \\sum_i \\Bigl[\\frac{I(T_i \\le t, \\text{cause 1})(1 - r_i)^2
        + I(T_i \\le t, \\text{other cause}) r_i^2}{\\hat G(T_i-)}
        + \\frac{I(T_i > t) r_i^2}{\\hat G(t)}\\Bigr].

Standard errors: each estimator is a function of the subjects' frequency weights :math:`w`
(through the weights above and :math:`\\hat G`); the influence value of subject :math:`l` is
:math:`\\mathrm{IF}_l = n\\, \\partial \\hat\\theta / \\partial w_l` at :math:`w = 1`, with
:math:`\\partial \\log \\hat G / \\partial w_l` linearised through the Nelson-Aalen censoring
hazard (:mod:`.censoring`), so the censoring distribution's own variability is included; the
standard error is :math:`\\mathrm{sd}(\\mathrm{IF}) / \\sqrt n`, as riskRegression's ``Score``
reports it (the predicted risks are taken as fixed, the null model's too).

References
----------
Blanche P, Dartigues J-F, Jacqmin-Gadda H (2013). Estimating and comparing time-dependent areas
under receiver operating characteristic curves for censored event times with competing risks.
*Stat. Med.* 32:5381-5397.
Gerds TA, Schumacher M (2006). *Biometrical Journal* 48(6):1029-1040.
Gerds TA, Kattan MW (2021). *Medical Risk Prediction Models: With Ties to Machine Learning*.
Chapman and Hall/CRC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alstrials.models.prediction.censoring import CensoringKM

__all__ = ["HorizonWeights", "horizon_weights", "ipcw_auc", "ipcw_brier"]


@dataclass(frozen=True)
class HorizonWeights:
    """Case/control roles and their IPCW weights at one horizon (frequency weights included).

    ``event_before`` marks events at or before the horizon (weighted by ``G(T_i-)``),
    ``alive`` subjects with ``T_i > t`` (weighted by ``G(t)``); ``inverse`` is ``w_i / W_i``
    (0 for subjects censored at or before the horizon); ``positions`` the index into the
    censoring times at which each subject's ``G`` is evaluated (for the derivatives).
    """

    cases: np.ndarray
    controls: np.ndarray
    event_before: np.ndarray
    alive: np.ndarray
    inverse: np.ndarray
    positions: np.ndarray
    n: float


def horizon_weights(
    time: np.ndarray, status: np.ndarray, horizon: float, km: CensoringKM, weights: np.ndarray
) -> HorizonWeights:
    """IPCW roles and weights of every subject at ``horizon`` (see the module docstring)."""
    event_before = (time <= horizon) & (status != 0)
    alive = time > horizon
    g_left = km.left_limits()
    g_t = km.at(horizon)
    W = np.where(alive, g_t, np.where(event_before, g_left, 1.0))
    with np.errstate(divide="ignore"):
        inverse = np.where(event_before | alive, weights / W, 0.0)
    positions = np.where(alive, km.position(horizon), km.index - 1)
    return HorizonWeights(
        cases=event_before & (status == 1),
        controls=alive | (event_before & (status != 1)),
        event_before=event_before,
        alive=alive,
        inverse=inverse,
        positions=positions,
        n=float(weights.sum()),
    )


def _kernel_sums(risk: np.ndarray, cases: np.ndarray, a: np.ndarray, b: np.ndarray):
    """``(K b)_i`` for cases and ``(K^T a)_j`` for every subject with
    ``K_ij = I(r_i > r_j) + I(r_i = r_j) / 2`` (sort and cumulate, O(n log n))."""
    order = np.argsort(risk, kind="stable")
    r_sorted = risk[order]
    cb = np.concatenate([[0.0], np.cumsum(b[order])])
    ca = np.concatenate([[0.0], np.cumsum(a[order])])
    lo = np.searchsorted(r_sorted, risk, side="left")
    hi = np.searchsorted(r_sorted, risk, side="right")
    below_b = cb[lo] + 0.5 * (cb[hi] - cb[lo])  # controls' weight below + half of ties
    above_a = (ca[-1] - ca[hi]) + 0.5 * (ca[hi] - ca[lo])  # cases' weight above + half ties
    return np.where(cases, below_b, 0.0), above_a


def ipcw_auc(
    risk: np.ndarray, hw: HorizonWeights, km: CensoringKM, *, influence: bool = False
) -> tuple[float, np.ndarray | None]:
    """Time-dependent AUC and, with ``influence=True``, each subject's influence value
    (influence values need unit frequency weights).

    Returns ``(nan, None)`` when there are no cases or no controls.
    """
    a = np.where(hw.cases, hw.inverse, 0.0)
    b = np.where(hw.controls, hw.inverse, 0.0)
    A, B = a.sum(), b.sum()
    if A <= 0 or B <= 0:
        return float("nan"), None
    Kb, Kta = _kernel_sums(risk, hw.cases, a, b)
    N = float(a @ Kb)
    auc = N / (A * B)
    if not influence:
        return auc, None
    # influence values at unit frequency weights (a_l / w_l = a_l, b_l / w_l = b_l);
    # g[l, i]: d log G(evaluation point of subject i) / d w_l (linearised)
    g = km.log_derivative(hw.positions)
    dN = Kb * a + Kta * b - g @ (a * Kb) - g @ (b * Kta)
    dA = a - g @ a
    dB = b - g @ b
    return auc, hw.n * (dN / (A * B) - auc * (dA / A + dB / B))


def ipcw_brier(
    risk: np.ndarray,
    time: np.ndarray,
    status: np.ndarray,
    hw: HorizonWeights,
    km: CensoringKM,
    *,
    influence: bool = False,
) -> tuple[float, np.ndarray | None]:
    """Brier score of the risk of cause 1 by the horizon and, with ``influence=True``, each
    subject's influence value (influence values need unit frequency weights)."""
    outcome = hw.cases.astype(float)
    loss = (outcome - risk) ** 2
    r = hw.inverse * loss  # w_j * rho_j / W_j
    brier = float(r.sum() / hw.n)
    if not influence:
        return brier, None
    g = km.log_derivative(hw.positions)
    unit = np.where(hw.inverse > 0, loss * hw.inverse, 0.0)
    return brier, unit - brier - g @ r
