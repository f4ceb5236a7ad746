"""Composite events (death, tracheostomy, permanent ventilation), dropout and censoring.

Model
-----
With ``x_i = -(b1_i + decline_mean)`` (how much faster than average the subject's natural,
untreated slope is, in points/month), ``S_i`` the composite sign and ``A_i`` the active arm::

    h_i(t) = (k / lam) (t / lam)^(k - 1) exp(eta_i)                     (Weibull, shape k)
    eta_i  = log(sign_hr) S_i + log(slope_hr) x_i + log(treatment_hr) A_i

so ``sign_hr``, ``slope_hr`` and ``treatment_hr`` are hazard ratios *conditional on the other
terms*. Because the sign also shifts the slope (``sign_slope_shift``), the sign's marginal
hazard ratio (slope not adjusted for) is larger than ``sign_hr`` whenever slope_hr > 1 and the
shift is negative. The scale ``lam`` is solved (Gauss-Hermite quadrature over the normal slope,
exact mixture over the sign) so that the placebo population's median event time, without
dropout or censoring, equals ``median_event_months``. Event times are drawn by inversion,
``T_i = lam (E_i exp(-eta_i))^(1/k)`` with ``E_i ~ Exp(1)``. The event type (death,
tracheostomy or permanent ventilation) is drawn given ``T_i`` from a multinomial logit in the
subject's latent ALSFRS-R value and slope and latent cord area at ``T_i`` (see
:mod:`~alstrials.data.simulate.causes`), with one uniform ``U_i``; ``h_i(t)`` above is the
composite (all-cause) hazard and the cause-specific hazards are ``h_i(t) p_ik(t)``.

Dropout (informative, before any event) has cumulative hazard
``H_D(t) = 12 rho (t / 12)^kappa exp(log(dropout_slope_hr) x_i)`` (Weibull, ``rho`` =
``dropout_rate_per_month``, the mean hazard over the first year, ``kappa`` = ``dropout_shape``);
``D_i = 12 (E'_i / (12 rho exp(...)))^(1/kappa)``. Treatment does not change dropout. Administrative
censoring at ``C_i = follow_up_months`` and, with a data cut-off at calendar month ``c``, at
``min(C_i, c - enrollment_month_i)``. Observed time ``min(T_i, D_i, C_i)``; ``event = T_i`` is
the minimum.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import roots_hermite

from alstrials.data.simulate.causes import LatentCourse, cause_probabilities, draw_causes
from alstrials.data.simulate.scenario import Scenario

__all__ = [
    "weibull_scale",
    "placebo_survival",
    "simulate_event_times",
    "simulate_dropout",
    "EVENT_NAMES",
]

EVENT_NAMES: tuple[str, ...] = ("death", "tracheostomy", "permanent_ventilation")


def _placebo_linear_predictor(sc: Scenario) -> tuple[np.ndarray, np.ndarray, float]:
    """Mixture over the sign: weights, conditional means of eta, common SD of eta (placebo)."""
    p = sc.composite_prevalence
    sigma_u = np.sqrt(sc.slope_sd**2 - sc.sign_slope_shift**2 * p * (1 - p))
    s = np.array([0.0, 1.0])
    weights = np.array([1 - p, p])
    means = np.log(sc.sign_hr) * s - np.log(sc.slope_hr) * sc.sign_slope_shift * (s - p)
    return weights, means, float(abs(np.log(sc.slope_hr)) * sigma_u)


def placebo_survival(t: np.ndarray | float, lam: float, sc: Scenario) -> np.ndarray:
    """Population event-free probability at ``t`` months in the placebo arm (no dropout)."""
    nodes, w = roots_hermite(40)
    weights, means, sd = _placebo_linear_predictor(sc)
    eta = means[:, None] + np.sqrt(2.0) * sd * nodes[None, :]  # (2, 40)
    cum = (np.atleast_1d(np.asarray(t, dtype=float)) / lam) ** sc.event_shape
    surv = np.exp(-cum[:, None, None] * np.exp(eta)[None, :, :])  # (nt, 2, 40)
    return (surv @ (w / np.sqrt(np.pi))) @ weights


def weibull_scale(sc: Scenario) -> float:
    """The Weibull scale ``lam`` (months) giving the scenario's placebo median event time.

    Parameters
    ----------
    sc : Scenario
        The scenario (uses the event-hazard fields).

    Returns
    -------
    float
        ``lam`` such that the placebo population's event-free probability at
        ``median_event_months`` is 0.5.

    Examples
    --------
    >>> sc = Scenario()
    >>> round(float(placebo_survival(sc.median_event_months, weibull_scale(sc), sc)[0]), 6)
    0.5
    """
    m = sc.median_event_months

    def f(log_lam: float) -> float:
        return float(placebo_survival(m, float(np.exp(log_lam)), sc)[0]) - 0.5

    lo, hi = np.log(m) - 30.0, np.log(m) + 30.0
    return float(np.exp(brentq(f, lo, hi, xtol=1e-12, rtol=1e-12)))


def simulate_event_times(
    natural_slope: np.ndarray,
    composite: np.ndarray,
    active: np.ndarray,
    course: LatentCourse,
    sc: Scenario,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Latent event times (months from baseline) and event-type codes (0, 1, 2).

    Parameters
    ----------
    natural_slope : ndarray
        Each subject's untreated slope ``b1_i`` (points/month).
    composite : ndarray of bool
        The composite sign.
    active : ndarray of bool
        Active arm.
    course : LatentCourse
        The latent ALSFRS-R and cord-area trajectories, on which the event type depends (the
        event times do not).
    sc : Scenario
        The scenario.
    rng : numpy.random.Generator
        The event stream (two draws per subject, whatever the parameters).

    Returns
    -------
    times, types : ndarray
        ``types`` indexes :data:`EVENT_NAMES`.

    Examples
    --------
    >>> one = np.ones(4)
    >>> course = LatentCourse(38.0 * one, -1.0 * one, 0.0, 60.8 * one, -1.6 * one)
    >>> t, k = simulate_event_times(-one, np.zeros(4, bool), np.zeros(4, bool), course,
    ...                             Scenario(), np.random.default_rng(0))
    >>> t.shape, bool(np.all(t > 0)), set(k.tolist()) <= {0, 1, 2}
    ((4,), True, True)
    """
    n = len(natural_slope)
    e = rng.standard_exponential(n)
    u = rng.uniform(size=n)
    x = -(natural_slope + sc.decline_mean)
    eta = (
        np.log(sc.sign_hr) * composite + np.log(sc.slope_hr) * x + np.log(sc.treatment_hr) * active
    )
    times = weibull_scale(sc) * (e * np.exp(-eta)) ** (1.0 / sc.event_shape)
    types = draw_causes(u, cause_probabilities(course, times, sc))
    return times, types


def simulate_dropout(
    natural_slope: np.ndarray, sc: Scenario, rng: np.random.Generator
) -> np.ndarray:
    """Latent dropout times (months; ``inf`` when the dropout rate is 0).

    Examples
    --------
    >>> d = simulate_dropout(np.full(3, -1.0), Scenario(dropout_rate_per_month=0.0),
    ...                      np.random.default_rng(0))
    >>> bool(np.all(np.isinf(d)))
    True
    """
    e = rng.standard_exponential(len(natural_slope))
    if sc.dropout_rate_per_month == 0:
        return np.full(len(natural_slope), np.inf)
    x = -(natural_slope + sc.decline_mean)
    year_hazard = 12.0 * sc.dropout_rate_per_month * np.exp(np.log(sc.dropout_slope_hr) * x)
    return 12.0 * (e / year_hazard) ** (1.0 / sc.dropout_shape)
