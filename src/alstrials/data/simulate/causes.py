"""Competing causes of the composite event: death, tracheostomy or permanent ventilation.

Model
-----
The composite event time ``T_i`` is drawn from the hazard ``h_i(t)`` of :mod:`.events`, which
this module does not change. Given an event at ``t``, its cause is drawn from a multinomial
logit in the subject's *latent* state at ``t`` (``A_i`` the active arm, ``b0_i``, ``b1_i`` the
random intercept and natural slope, ``a0_i``, ``a1_i`` the cord-area intercept and annual
change of :mod:`.mri`)::

    L_i(t)  = b0_i + (1 - slowing A_i) b1_i t + c t^2       latent ALSFRS-R total (points)
    L'_i(t) = (1 - slowing A_i) b1_i + 2 c t                 its slope (points/month)
    C_i(t)  = a0_i + a1_i t / 12                             latent cord area (mm^2)

    m_i(t)  = (L_i(t) - baseline_mean, L'_i(t) + decline_mean, C_i(t) - cord_csa_mean_mm2)

    p_ik(t) = pi_k exp(beta_k . m_i(t)) / sum_j pi_j exp(beta_j . m_i(t))     k = 0, 1, 2

with causes ``k`` = 0 death (the reference, ``beta_0 = 0``), 1 tracheostomy, 2 permanent
ventilation; ``pi`` = ``event_type_probs``; ``beta_k`` = (``cause_alsfrs_log_or[k-1]``,
``cause_alsfrs_slope_log_or[k-1]``, ``cause_cord_csa_log_or[k-1]``). The latent values are those
of the trajectories, before measurement error, rounding and the 0-48 (ALSFRS-R) or plausible-range
(area) bounds. ``pi`` is thus the cause distribution of a subject whose state at the event is the
reference state (mean baseline total, mean placebo slope, mean baseline cord area); each
``beta`` is a log odds ratio of that cause against death per point, per point/month or per mm^2.

Cause-specific hazards. Since ``T_i`` has hazard ``h_i(t)`` and the cause given ``T_i = t`` has
probabilities ``p_ik(t)``, the cause-specific hazards are ``h_ik(t) = h_i(t) p_ik(t)``::

    log h_ik(t) - log h_i0(t) = log(pi_k / pi_0) + beta_k . m_i(t)                     (k = 1, 2)
    h_i0(t) = h_i(t) pi_0 / sum_j pi_j exp(beta_j . m_i(t))

so, relative to death, each respiratory cause-specific hazard is log-linear in the current value
and slope of the latent ALSFRS-R total and the current value of the latent cord area, and the
hazards sum to the unchanged composite hazard. With every ``beta`` zero, ``p_ik(t) = pi_k`` and
the causes are those of the fixed-probability draw, bit for bit.

Draw: one uniform ``U_i`` per subject from the events stream (drawn whatever the parameters); the
cause is the number of cumulative probabilities ``p_i0(T_i)``, ``p_i0 + p_i1`` that are ``<= U_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alstrials.data.simulate.scenario import Scenario

__all__ = ["LatentCourse", "cause_coefficients", "cause_probabilities", "draw_causes"]

CAUSE_COVARIATES: tuple[str, ...] = ("alsfrs_value", "alsfrs_slope", "cord_csa_value")
"""The latent quantities of ``m_i(t)``, in the order of a row of :func:`cause_coefficients`."""


@dataclass(frozen=True)
class LatentCourse:
    """Each subject's latent marker trajectories (arrays of shape (n,)).

    Attributes
    ----------
    alsfrs_intercept : ndarray
        ``b0_i``, latent total at baseline (points).
    alsfrs_slope : ndarray
        ``(1 - slowing A_i) b1_i``, the slope in the subject's arm (points/month).
    curvature : float
        ``c`` (points/month^2).
    cord_intercept : ndarray
        ``a0_i``, latent cord area at baseline (mm^2).
    cord_slope_per_year : ndarray
        ``a1_i`` (mm^2/year).
    """

    alsfrs_intercept: np.ndarray
    alsfrs_slope: np.ndarray
    curvature: float
    cord_intercept: np.ndarray
    cord_slope_per_year: np.ndarray

    def alsfrs(self, months: np.ndarray) -> np.ndarray:
        """``L_i(t)`` at each subject's own time ``months[i]``."""
        return self.alsfrs_intercept + self.alsfrs_slope * months + self.curvature * months**2

    def alsfrs_rate(self, months: np.ndarray) -> np.ndarray:
        """``L'_i(t)`` (points/month) at each subject's own time."""
        return self.alsfrs_slope + 2.0 * self.curvature * months

    def cord(self, months: np.ndarray) -> np.ndarray:
        """``C_i(t)`` (mm^2) at each subject's own time."""
        return self.cord_intercept + self.cord_slope_per_year * months / 12.0


def cause_coefficients(sc: Scenario) -> np.ndarray:
    """The log odds ratios ``beta`` as a (3 causes, 3 covariates) array; row 0 (death) is 0.

    Examples
    --------
    >>> cause_coefficients(Scenario(cause_alsfrs_log_or=(0.0, -0.1))).tolist()
    [[0.0, 0.0, 0.0], [0.0, -1.5, -0.1], [-0.1, -1.5, -0.1]]
    """
    beta = np.zeros((3, len(CAUSE_COVARIATES)))
    beta[1:, 0] = sc.cause_alsfrs_log_or
    beta[1:, 1] = sc.cause_alsfrs_slope_log_or
    beta[1:, 2] = sc.cause_cord_csa_log_or
    return beta


def cause_probabilities(course: LatentCourse, months: np.ndarray, sc: Scenario) -> np.ndarray:
    """``p_ik(t)`` at each subject's time ``months[i]``: an (n, 3) array whose rows sum to 1.

    Parameters
    ----------
    course : LatentCourse
        The subjects' latent trajectories.
    months : ndarray, shape (n,)
        One time per subject (months from baseline), e.g. the latent event times.
    sc : Scenario
        Uses ``event_type_probs``, the three ``cause_*_log_or`` fields and the reference values
        ``baseline_mean``, ``decline_mean`` and ``cord_csa_mean_mm2``.

    Returns
    -------
    ndarray, shape (n, 3)
        Columns death, tracheostomy, permanent ventilation. With every coefficient zero each row
        is ``event_type_probs`` exactly.

    Examples
    --------
    >>> one = np.ones(1)
    >>> course = LatentCourse(38.0 * one, -1.0 * one, 0.0, 60.8 * one, -1.6 * one)
    >>> cause_probabilities(course, np.zeros(1), Scenario()).round(2).tolist()
    [[0.75, 0.1, 0.15]]
    """
    months = np.asarray(months, dtype=float)
    pi = np.asarray(sc.event_type_probs, dtype=float)
    beta = cause_coefficients(sc)
    if not beta.any():
        return np.broadcast_to(pi, (len(months), 3)).copy()
    m = np.column_stack(
        [
            course.alsfrs(months) - sc.baseline_mean,
            course.alsfrs_rate(months) + sc.decline_mean,
            course.cord(months) - sc.cord_csa_mean_mm2,
        ]
    )
    with np.errstate(divide="ignore"):
        logits = np.log(pi)[None, :] + m @ beta.T  # log pi_k = -inf: cause k never occurs
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def draw_causes(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Cause codes (0, 1, 2) by inversion: the number of cumulative probabilities ``<= u``.

    Examples
    --------
    >>> draw_causes(np.array([0.1, 0.8, 0.95]), np.tile([0.75, 0.1, 0.15], (3, 1))).tolist()
    [0, 1, 2]
    """
    cum = np.cumsum(probs, axis=1)
    return np.minimum((cum[:, :2] <= u[:, None]).sum(axis=1), 2)
