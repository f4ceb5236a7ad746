"""Result objects of the analytic power functions.

Each is a frozen dataclass built once, complete: every quantity (the solved one and the given
ones) is filled in. ``float(result)`` returns the solved quantity; ``summary()`` returns a
one-column DataFrame (index ``quantity``), and ``_repr_html_`` comes from
:class:`~alstrials._results.ResultMixin`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from alstrials._results import ResultMixin

__all__ = ["PowerResult", "EventsResult", "SurvivalDesignResult"]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return repr(value)


def _frame(rows: dict[str, object], solved: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"value": list(rows.values()), "solved": [k == solved for k in rows]},
        index=pd.Index(list(rows), name="quantity"),
    )
    return frame


@dataclass(frozen=True, repr=False)
class PowerResult(ResultMixin):
    """Power, sample size and effect of a two-arm comparison of a continuous endpoint.

    Attributes
    ----------
    method : str
        The formula used (e.g. ``"diggle"``).
    solved_for : str
        ``"power"``, ``"n_per_group"`` or ``"delta"`` (the argument left as None).
    delta : float
        Difference between arms on the endpoint's scale (a solved delta is positive).
    power, alpha : float
    sided : int
    n_per_group : float
        Subjects in the control (reference) arm, unrounded; with equal allocation, in each arm.
    n_active, n_total : float
        Subjects in the active arm (``ratio * n_per_group``) and in both arms.
    ratio : float
        Allocation ratio n_active / n_control.
    se : float
        Standard error of the estimated difference at ``n_per_group``.
    inputs : tuple of (name, value)
        The design inputs, for the record.
    """

    method: str
    solved_for: str
    delta: float
    power: float
    alpha: float
    sided: int
    n_per_group: float
    ratio: float
    se: float
    inputs: tuple[tuple[str, object], ...] = field(default=())
    converged: bool = True

    @property
    def n_active(self) -> float:
        return self.ratio * self.n_per_group

    @property
    def n_total(self) -> float:
        return self.n_per_group + self.n_active

    @property
    def n_per_group_ceil(self) -> int:
        """``n_per_group`` rounded up (round up the active arm with ``math.ceil(n_active)``)."""
        return math.ceil(self.n_per_group - 1e-9)

    def __float__(self) -> float:
        return float(getattr(self, self.solved_for))

    def summary(self) -> pd.DataFrame:
        rows: dict[str, object] = {
            "delta": self.delta,
            "power": self.power,
            "alpha": self.alpha,
            "sided": self.sided,
            "n_per_group": self.n_per_group,
            "n_active": self.n_active,
            "n_total": self.n_total,
            "ratio": self.ratio,
            "se": self.se,
        }
        rows.update({k: _fmt(v) for k, v in self.inputs})
        return _frame(rows, self.solved_for)

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={_fmt(v)}" for k, v in self.inputs)
        return (
            f"PowerResult(method={self.method!r}, solved {self.solved_for}: "
            f"n_per_group={self.n_per_group:.4f}, n_total={self.n_total:.4f}, "
            f"delta={self.delta:.6g}, power={self.power:.4f}, alpha={self.alpha}, "
            f"sided={self.sided}, ratio={self.ratio:g}; {given})"
        )


@dataclass(frozen=True, repr=False)
class EventsResult(ResultMixin):
    """Events needed (or power) for a log-rank / Cox comparison of two arms.

    ``float(result)`` is the solved quantity (``events``, ``power`` or ``hr``).
    """

    method: str
    solved_for: str
    hr: float
    events: float
    power: float
    alpha: float
    sided: int
    allocation: float
    converged: bool = True

    @property
    def events_ceil(self) -> int:
        """Events rounded up to a whole number."""
        return math.ceil(self.events - 1e-9)

    def __float__(self) -> float:
        return float(getattr(self, self.solved_for))

    def summary(self) -> pd.DataFrame:
        rows: dict[str, object] = {
            "hr": self.hr,
            "events": self.events,
            "power": self.power,
            "alpha": self.alpha,
            "sided": self.sided,
            "allocation": self.allocation,
        }
        return _frame(rows, self.solved_for)

    def __repr__(self) -> str:
        return (
            f"EventsResult(method={self.method!r}, solved {self.solved_for}: "
            f"events={self.events:.4f}, hr={self.hr:.6g}, power={self.power:.4f}, "
            f"alpha={self.alpha}, sided={self.sided}, allocation={self.allocation:g})"
        )


@dataclass(frozen=True, repr=False)
class SurvivalDesignResult(ResultMixin):
    """Subjects, events and timing of a time-to-event trial with accrual and dropout.

    ``float(result)`` is ``n_total``.
    """

    events: float
    n_total: float
    allocation: float
    prob_event: float
    analysis_time: float
    accrual_end: float
    power: float
    alpha: float
    sided: int
    hr: float
    method: str
    inputs: tuple[tuple[str, object], ...] = field(default=())
    converged: bool = True

    @property
    def n_active(self) -> float:
        return self.allocation * self.n_total

    @property
    def n_control(self) -> float:
        return (1.0 - self.allocation) * self.n_total

    @property
    def follow_up(self) -> float:
        """Time from the end of accrual to the analysis."""
        return self.analysis_time - self.accrual_end

    def __float__(self) -> float:
        return float(self.n_total)

    def summary(self) -> pd.DataFrame:
        rows: dict[str, object] = {
            "events": self.events,
            "n_total": self.n_total,
            "n_active": self.n_active,
            "n_control": self.n_control,
            "prob_event": self.prob_event,
            "analysis_time": self.analysis_time,
            "follow_up": self.follow_up,
            "hr": self.hr,
            "power": self.power,
            "alpha": self.alpha,
            "sided": self.sided,
        }
        rows.update({k: _fmt(v) for k, v in self.inputs})
        return _frame(rows, "n_total")

    def __repr__(self) -> str:
        return (
            f"SurvivalDesignResult(method={self.method!r}: n_total={self.n_total:.4f}, "
            f"events={self.events:.4f}, analysis_time={self.analysis_time:.4f}, "
            f"hr={self.hr:g}, power={self.power:.4f}, alpha={self.alpha}, sided={self.sided})"
        )
