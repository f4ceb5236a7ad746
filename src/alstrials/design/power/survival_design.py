"""Subjects, expected events and calendar time for an event-driven trial.

Subjects enter over :math:`[0, a_K]` with piecewise-constant relative intensity :math:`w_k` on
:math:`[a_{k-1}, a_k)` (uniform accrual: one piece). Arm :math:`g` has hazard
:math:`\\theta_g h(t)` (:math:`\\theta_c = 1`, :math:`\\theta_a = \\mathrm{HR}`; proportional
hazards) and exponential dropout hazard :math:`\\eta_g = -\\log(1 - q_g) / t_q` (a proportion
:math:`q_g` lost by time :math:`t_q`, as rpact's ``dropoutRate``/``dropoutTime``). The
probability that a subject of arm :math:`g` has had an observed event by calendar time
:math:`T` is

.. math::

    P_g(T) = \\frac{\\sum_k w_k \\int_{a_{k-1}}^{\\min(a_k, T)} F_g(T - u)\\,du}
                   {\\sum_k w_k (a_k - a_{k-1})},

with :math:`F_g` the event-before-dropout probability of :mod:`.hazards`; the expected number
of events among :math:`N` planned subjects is
:math:`E(T) = N[\\pi P_a(T) + (1 - \\pi) P_c(T)]` (subjects not yet enrolled at :math:`T`
contribute nothing). The design solves:

* sample size with the analysis at :math:`T = a_K + f` (minimum follow-up :math:`f`):
  :math:`N = D / [\\pi P_a(T) + (1 - \\pi) P_c(T)]`, with :math:`D` from :func:`.events`;
* calendar time to the required events: :math:`T` with :math:`E(T) = D` (Brent's method);
* power for given :math:`N` and :math:`T`: :func:`.events_power` at :math:`D = E(T)`.

The inner integral is closed form for exponential and piecewise-exponential hazards (adaptive
quadrature for Weibull with dropout); the entry-time integral uses 20-point Gauss-Legendre
rules on sub-intervals split at the accrual knots, at the hazard's jump points, every month, and
geometrically towards the analysis time, so the integrand is smooth on each piece.

References
----------
Lachin JM, Foulkes MA (1986). Biometrics 42:507-519.
Schoenfeld DA (1983). Biometrics 39:499-503.
Wassmer G, Pahlke F. rpact: confirmatory adaptive clinical trial design and analysis
(R package), ``getSampleSizeSurvival``/``getPowerSurvival``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alstrials.design.power._solve import check_positive, find_root
from alstrials.design.power.hazards import HazardModel, as_hazard, dropout_hazard
from alstrials.design.power.results import SurvivalDesignResult
from alstrials.design.power.survival import _check_allocation, _check_hr, events, events_power
from alstrials.errors import DesignError

__all__ = ["expected_events", "survival_sample_size", "time_to_events", "survival_power"]


def _accrual(
    accrual_time: float | Sequence[float], accrual_intensity: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Accrual knots (starting at 0) and relative intensities, validated."""
    knots = np.atleast_1d(np.asarray(accrual_time, dtype=float))
    if knots.size == 1:
        knots = np.array([0.0, knots[0]])
    if knots[0] != 0 or np.any(np.diff(knots) <= 0) or not np.all(np.isfinite(knots)):
        raise DesignError(
            f"accrual_time must be an end time > 0 or increasing knots from 0, got {knots.tolist()}"
        )
    w = (
        np.ones(knots.size - 1)
        if accrual_intensity is None
        else np.asarray(accrual_intensity, dtype=float)
    )
    if w.shape != (knots.size - 1,) or np.any(w < 0) or w.sum() <= 0:
        raise DesignError(
            f"accrual_intensity needs {knots.size - 1} non-negative values (one per accrual "
            f"piece), not all zero; got {np.ravel(w).tolist()}"
        )
    return knots, w


def _dropouts(dropout_rate: float | Sequence[float], dropout_time: float) -> tuple[float, float]:
    """(eta_active, eta_control) from a common rate or an (active, control) pair."""
    rates = np.atleast_1d(np.asarray(dropout_rate, dtype=float))
    if rates.size == 1:
        rates = np.repeat(rates, 2)
    if rates.size != 2:
        raise DesignError("dropout_rate is one proportion or an (active, control) pair")
    return dropout_hazard(float(rates[0]), dropout_time), dropout_hazard(
        float(rates[1]), dropout_time
    )


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(20)


def _outer_cuts(lo: float, hi: float, time: float, kinks: tuple[float, ...]) -> np.ndarray:
    """Sub-interval ends for the entry-time integral: the hazard's kinks (at u = T - tau),
    steps of at most one month, and a geometric refinement towards u = T (s = 0)."""
    cuts = [lo, hi, *np.arange(lo, hi, 1.0)]
    cuts += [time - k for k in kinks if lo < time - k < hi]
    cuts += [time - 2.0**-j for j in range(1, 30) if lo < time - 2.0**-j < hi]
    return np.unique(np.asarray(cuts, dtype=float))


def _prob_event(
    time: float, hazard: HazardModel, theta: float, eta: float, knots: np.ndarray, w: np.ndarray
) -> float:
    """P_g(T): probability a planned subject has an observed event by calendar time T.

    The entry-time integral uses 20-point Gauss-Legendre rules on sub-intervals on which
    the integrand is smooth (exact to rounding for the exponential pieces).
    """
    total = 0.0
    for k in range(w.size):
        lo, hi = float(knots[k]), float(min(knots[k + 1], time))
        if hi <= lo or w[k] == 0:
            continue
        cuts = _outer_cuts(lo, hi, time, hazard.kinks())
        half = np.diff(cuts) / 2.0
        mid = (cuts[:-1] + cuts[1:]) / 2.0
        u = (mid[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
        vals = hazard.event_cdf(time - u, theta, eta).reshape(mid.size, _GL_NODES.size)
        total += w[k] * float(np.sum(half * (vals @ _GL_WEIGHTS)))
    return float(total / np.dot(w, np.diff(knots)))


def _event_fraction(
    time: float,
    hr: float,
    control: HazardModel,
    knots: np.ndarray,
    w: np.ndarray,
    etas: tuple[float, float],
    allocation: float,
) -> float:
    pa = _prob_event(time, control, hr, etas[0], knots, w)
    pc = _prob_event(time, control, 1.0, etas[1], knots, w)
    return allocation * pa + (1 - allocation) * pc


def expected_events(
    n_total: float,
    time: float,
    hr: float,
    control: HazardModel | float,
    accrual_time: float | Sequence[float],
    *,
    accrual_intensity: Sequence[float] | None = None,
    dropout_rate: float | Sequence[float] = 0.0,
    dropout_time: float = 12.0,
    allocation: float = 0.5,
) -> float:
    """Expected number of observed events by calendar time ``time``.

    Parameters
    ----------
    n_total : float
        Planned number of subjects (both arms).
    time : float
        Calendar time since the first enrolment (months).
    hr : float
        Hazard ratio active / control (1 for a pooled blinded projection).
    control : Exponential, PiecewiseExponential, Weibull or float
        Control-arm hazard (a float is an exponential rate).
    accrual_time : float or sequence of float
        End of accrual, or knots ``[0, a_1, ..., a_K]`` of piecewise accrual.
    accrual_intensity : sequence of float, optional
        Relative intensity per accrual piece (default uniform).
    dropout_rate : float or (float, float), default 0
        Proportion lost to follow-up by ``dropout_time``; a pair is (active, control).
    dropout_time : float, default 12
    allocation : float, default 0.5
        Fraction randomised to the active arm.

    Returns
    -------
    float

    References
    ----------
    Lachin JM, Foulkes MA (1986). Biometrics 42:507-519.

    Examples
    --------
    >>> from alstrials.design.power.hazards import Exponential
    >>> round(expected_events(600, 24, 0.7, Exponential.from_median(24), 12), 2)
    211.73
    """
    check_positive("n_total", n_total)
    knots, w = _accrual(accrual_time, accrual_intensity)
    etas = _dropouts(dropout_rate, dropout_time)
    frac = _event_fraction(
        float(time), float(hr), as_hazard(control), knots, w, etas, _check_allocation(allocation)
    )
    return float(n_total) * float(frac)


def survival_sample_size(
    hr: float,
    control: HazardModel | float,
    accrual_time: float | Sequence[float],
    follow_up: float,
    *,
    accrual_intensity: Sequence[float] | None = None,
    dropout_rate: float | Sequence[float] = 0.0,
    dropout_time: float = 12.0,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float = 0.5,
    sided: int = 2,
    method: str = "schoenfeld",
) -> SurvivalDesignResult:
    """Subjects needed so that the expected events at accrual end + ``follow_up`` suffice.

    Parameters
    ----------
    hr : float
        Hazard ratio active / control.
    control : hazard model or float
        Control-arm hazard (:class:`Exponential`, :class:`PiecewiseExponential`,
        :class:`Weibull`).
    accrual_time : float or sequence of float
        Accrual end, or knots from 0 for piecewise accrual.
    follow_up : float
        Minimum follow-up: time from the end of accrual to the analysis.
    accrual_intensity, dropout_rate, dropout_time
        As in :func:`expected_events`.
    alpha, power, allocation, sided, method
        As in :func:`.events`.

    Returns
    -------
    SurvivalDesignResult
        ``.n_total`` (unrounded), ``.events``, ``.prob_event``, ``.analysis_time``.

    References
    ----------
    Schoenfeld DA (1983); Lachin JM, Foulkes MA (1986); rpact ``getSampleSizeSurvival``.

    Examples
    --------
    >>> from alstrials.design.power.hazards import Exponential
    >>> res = survival_sample_size(0.7, Exponential.from_median(24), 12, 12,
    ...                            dropout_rate=0.1, alpha=0.025, sided=1)
    >>> round(res.n_total, 2), round(res.events, 2)
    (752.81, 246.79)
    """
    hr = _check_hr(hr)
    follow_up = check_positive("follow_up", follow_up, allow_zero=True)
    need = events(hr, alpha=alpha, power=power, allocation=allocation, sided=sided, method=method)
    knots, w = _accrual(accrual_time, accrual_intensity)
    etas = _dropouts(dropout_rate, dropout_time)
    hz = as_hazard(control)
    t_end = float(knots[-1]) + follow_up
    frac = _event_fraction(t_end, hr, hz, knots, w, etas, need.allocation)
    if frac <= 0:
        raise DesignError("no events are expected by the analysis time: lengthen follow-up")
    return SurvivalDesignResult(
        events=need.events,
        n_total=need.events / frac,
        allocation=need.allocation,
        prob_event=frac,
        analysis_time=t_end,
        accrual_end=float(knots[-1]),
        power=need.power,
        alpha=need.alpha,
        sided=need.sided,
        hr=hr,
        method=method,
        inputs=_inputs(hz, knots, w, dropout_rate, dropout_time),
    )


def time_to_events(
    events_needed: float,
    n_total: float,
    hr: float,
    control: HazardModel | float,
    accrual_time: float | Sequence[float],
    *,
    accrual_intensity: Sequence[float] | None = None,
    dropout_rate: float | Sequence[float] = 0.0,
    dropout_time: float = 12.0,
    allocation: float = 0.5,
) -> float:
    """Calendar time at which the expected number of events reaches ``events_needed``.

    Parameters
    ----------
    events_needed : float
        Target number of events (e.g. ``events(0.7).events``).
    n_total, hr, control, accrual_time, accrual_intensity, dropout_rate, dropout_time, allocation
        As in :func:`expected_events`.

    Returns
    -------
    float
        Months since the first enrolment; DesignError if the target is never reached
        (more events than subjects who can have one).

    References
    ----------
    Lachin JM, Foulkes MA (1986). Biometrics 42:507-519.

    Examples
    --------
    >>> from alstrials.design.power.hazards import Exponential
    >>> round(time_to_events(200, 600, 0.7, Exponential.from_median(24), 12,
    ...                      dropout_rate=0.1), 3)
    24.414
    """
    target = check_positive("events_needed", events_needed)
    check_positive("n_total", n_total)
    knots, w = _accrual(accrual_time, accrual_intensity)
    etas = _dropouts(dropout_rate, dropout_time)
    hz = as_hazard(control)
    alloc = _check_allocation(allocation)
    hr = check_positive("hr", hr)

    def gap(t: float) -> float:
        return float(n_total) * _event_fraction(t, hr, hz, knots, w, etas, alloc) - target

    horizon = float(knots[-1]) + 1000.0 * max(hz.median(), 1.0)
    if gap(horizon) < 0:
        raise DesignError(
            f"{target:g} events are never expected from {n_total:g} subjects "
            "(dropout and censoring): enrol more subjects or require fewer events"
        )
    return find_root(gap, 1e-9, horizon, "the calendar time to reach the events")


def survival_power(
    n_total: float,
    hr: float,
    control: HazardModel | float,
    accrual_time: float | Sequence[float],
    follow_up: float,
    *,
    accrual_intensity: Sequence[float] | None = None,
    dropout_rate: float | Sequence[float] = 0.0,
    dropout_time: float = 12.0,
    alpha: float = 0.05,
    allocation: float = 0.5,
    sided: int = 2,
    method: str = "schoenfeld",
) -> SurvivalDesignResult:
    """Power of a trial of ``n_total`` subjects analysed at accrual end + ``follow_up``.

    The expected events :math:`E(T)` are plugged into :func:`.events_power`.

    Parameters
    ----------
    n_total : float
    hr, control, accrual_time, follow_up, accrual_intensity, dropout_rate, dropout_time
        As in :func:`survival_sample_size`.
    alpha, allocation, sided, method
        As in :func:`.events`.

    Returns
    -------
    SurvivalDesignResult

    References
    ----------
    Schoenfeld DA (1983). Biometrics 39:499-503.

    Examples
    --------
    >>> from alstrials.design.power.hazards import Exponential
    >>> res = survival_power(600, 0.7, Exponential.from_median(24), 12, 12, dropout_rate=0.1,
    ...                      alpha=0.025, sided=1)
    >>> round(res.events, 2), round(res.power, 3)
    (196.69, 0.706)
    """
    d = expected_events(
        n_total,
        float(np.atleast_1d(accrual_time)[-1]) + follow_up,
        hr,
        control,
        accrual_time,
        accrual_intensity=accrual_intensity,
        dropout_rate=dropout_rate,
        dropout_time=dropout_time,
        allocation=allocation,
    )
    pw = events_power(d, hr, alpha=alpha, allocation=allocation, sided=sided, method=method)
    knots, w = _accrual(accrual_time, accrual_intensity)
    return SurvivalDesignResult(
        events=d,
        n_total=float(n_total),
        allocation=float(allocation),
        prob_event=d / float(n_total),
        analysis_time=float(knots[-1]) + follow_up,
        accrual_end=float(knots[-1]),
        power=pw,
        alpha=float(alpha),
        sided=int(sided),
        hr=float(hr),
        method=method,
        inputs=_inputs(as_hazard(control), knots, w, dropout_rate, dropout_time),
    )


def _inputs(
    hz: HazardModel, knots: np.ndarray, w: np.ndarray, dropout_rate: object, dropout_time: float
) -> tuple[tuple[str, object], ...]:
    return (
        ("control", repr(hz)),
        ("control_median", hz.median()),
        ("accrual_time", tuple(float(v) for v in knots)),
        ("accrual_intensity", tuple(float(v) for v in w)),
        ("dropout_rate", tuple(float(v) for v in np.atleast_1d(np.asarray(dropout_rate)))),
        ("dropout_time", float(dropout_time)),
    )
