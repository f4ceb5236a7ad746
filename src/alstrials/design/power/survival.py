"""Events needed to compare two arms' hazards (log-rank / Cox test).

With allocation :math:`\\pi` to the active arm, :math:`r = \\pi / (1 - \\pi)`, hazard ratio
:math:`\\mathrm{HR}` (active / control) and :math:`z = z_{1-\\alpha/s} + z_{1-\\beta}`:

* Schoenfeld (1983): :math:`D = z^2 / (\\pi (1 - \\pi) \\log^2 \\mathrm{HR})`; power
  :math:`= \\Phi(\\sqrt{D \\pi (1-\\pi)} |\\log \\mathrm{HR}| - z_{1-\\alpha/s})`.
* Freedman (1982): :math:`D = z^2 (1 + r\\,\\mathrm{HR})^2 / (r (1 - \\mathrm{HR})^2)`; power
  :math:`= \\Phi(\\sqrt{D r} |1 - \\mathrm{HR}| / (1 + r\\,\\mathrm{HR}) - z_{1-\\alpha/s})`.

Both are the forms used by rpact's ``getSampleSizeSurvival`` (``typeOfComputation``
"Schoenfeld", "Freedman"), against which they are tested. The far rejection tail is ignored.

References
----------
Schoenfeld DA (1983). Sample-size formula for the proportional-hazards regression model.
Biometrics 39:499-503.
Freedman LS (1982). Tables of the number of patients required in clinical trials using the
logrank test. Stat Med 1:121-129.
"""

from __future__ import annotations

import math

from scipy import stats

from alstrials.design.power._solve import (
    check_alpha,
    check_positive,
    check_power,
    check_sided,
    exactly_one_none,
    z_alpha,
)
from alstrials.design.power.results import EventsResult
from alstrials.errors import DesignError

__all__ = ["events", "events_power"]

_METHODS = ("schoenfeld", "freedman")


def _check_hr(hr: float) -> float:
    hr = float(hr)
    if not (math.isfinite(hr) and hr > 0):
        raise DesignError(f"hr must be a positive hazard ratio, got {hr}")
    if hr == 1.0:
        raise DesignError("hr = 1 is no effect: no number of events detects it")
    return hr


def _check_allocation(allocation: float) -> float:
    allocation = float(allocation)
    if not 0.0 < allocation < 1.0:
        raise DesignError(f"allocation must lie in (0, 1), got {allocation}")
    return allocation


def _signal(hr: float, allocation: float, method: str) -> float:
    """Drift per sqrt(event): z-statistic mean = signal * sqrt(D)."""
    if method == "schoenfeld":
        return math.sqrt(allocation * (1 - allocation)) * abs(math.log(hr))
    r = allocation / (1 - allocation)
    return math.sqrt(r) * abs(1 - hr) / (1 + r * hr)


def events_power(
    n_events: float,
    hr: float,
    alpha: float = 0.05,
    allocation: float = 0.5,
    sided: int = 2,
    method: str = "schoenfeld",
) -> float:
    """Power of the log-rank test with ``events`` events (plain float).

    Parameters
    ----------
    n_events : float
        Number of events (both arms).
    hr, alpha, allocation, sided, method
        As in :func:`events`.

    Returns
    -------
    float

    References
    ----------
    Schoenfeld DA (1983). Biometrics 39:499.

    Examples
    --------
    >>> round(events_power(200, 0.7, alpha=0.025, sided=1), 4)
    0.713
    """
    res = events(
        hr,
        alpha=alpha,
        power=None,
        allocation=allocation,
        sided=sided,
        events=n_events,
        method=method,
    )
    return res.power


def events(
    hr: float | None,
    alpha: float = 0.05,
    power: float | None = 0.8,
    allocation: float = 0.5,
    sided: int = 2,
    *,
    events: float | None = None,
    method: str = "schoenfeld",
) -> EventsResult:
    """Events needed (default), power for given events, or the detectable hazard ratio.

    Leave exactly one of ``events`` (default None), ``power`` and ``hr`` as None.

    Parameters
    ----------
    hr : float or None
        Hazard ratio, active / control (e.g. 0.7). A solved hr is below 1.
    alpha : float, default 0.05
        Type I error; two-sided by default (``sided=2``).
    power : float or None, default 0.8
    allocation : float, default 0.5
        Fraction of subjects randomised to the active arm.
    sided : {1, 2}
    events : float or None, keyword-only
        Number of events, when solving for power or hr.
    method : {"schoenfeld", "freedman"}

    Returns
    -------
    EventsResult
        ``.events`` (unrounded; ``.events_ceil`` rounds up), ``.power``, ``.hr``;
        ``float(result)`` is the solved quantity.

    References
    ----------
    Schoenfeld DA (1983). Biometrics 39:499-503. Freedman LS (1982). Stat Med 1:121-129.

    Examples
    --------
    >>> round(events(0.7).events, 2)
    246.79
    >>> round(float(events(0.7, alpha=0.025, sided=1)), 4)
    246.7871
    """
    solved = exactly_one_none(hr=hr, power=power, events=events)
    if method not in _METHODS:
        raise DesignError(f"method must be one of {_METHODS}, got {method!r}")
    sided = check_sided(sided)
    alpha = check_alpha(alpha)
    allocation = _check_allocation(allocation)
    if power is not None:
        power = check_power(power, alpha)
    if hr is not None:
        hr = _check_hr(hr)
    if events is not None:
        events = check_positive("events", events)
    za = z_alpha(alpha, sided)
    if solved == "events" and hr is not None and power is not None:
        z = za + float(stats.norm.ppf(power))
        events = (z / _signal(hr, allocation, method)) ** 2
    elif solved == "power" and hr is not None and events is not None:
        power = float(stats.norm.cdf(_signal(hr, allocation, method) * math.sqrt(events) - za))
    elif power is not None and events is not None:
        target = (za + float(stats.norm.ppf(power))) / math.sqrt(events)
        if method == "schoenfeld":
            hr = math.exp(-target / math.sqrt(allocation * (1 - allocation)))
        else:  # solve sqrt(r)(1 - h) / (1 + r h) = target for h < 1
            r = allocation / (1 - allocation)
            hr = (math.sqrt(r) - target) / (math.sqrt(r) + r * target)
            if hr <= 0:
                raise DesignError("no hazard ratio in (0, 1) reaches that power with so few events")
    return EventsResult(
        method=method,
        solved_for=solved,
        hr=float(hr),  # type: ignore[arg-type]
        events=float(events),  # type: ignore[arg-type]
        power=float(power),  # type: ignore[arg-type]
        alpha=alpha,
        sided=sided,
        allocation=allocation,
    )
