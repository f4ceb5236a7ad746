"""The estimand as the user states it (ICH E9(R1)): population, variable, intercurrent events
(ICEs) and a strategy for each.

:class:`Estimand` is a small frozen record; strings are normalised to the enums
:class:`IntercurrentEvent` and :class:`ICEStrategy` when it is built, so a typo fails at once
with the list of accepted words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from alstrials.errors import DataValidationError

__all__ = ["Estimand", "ICEStrategy", "IntercurrentEvent", "TERMINAL_EVENTS"]


class IntercurrentEvent(StrEnum):
    """Intercurrent events of an ALS trial (the terminal ones are the trial's event types)."""

    DEATH = "death"
    TRACHEOSTOMY = "tracheostomy"
    PERMANENT_VENTILATION = "permanent_ventilation"
    DISCONTINUATION = "discontinuation"


TERMINAL_EVENTS = (
    IntercurrentEvent.DEATH,
    IntercurrentEvent.TRACHEOSTOMY,
    IntercurrentEvent.PERMANENT_VENTILATION,
)


class ICEStrategy(StrEnum):
    """ICH E9(R1) strategies that :func:`run_estimands` can analyse."""

    TREATMENT_POLICY = "treatment policy"
    HYPOTHETICAL = "hypothetical"
    COMPOSITE = "composite"
    WHILE_ALIVE = "while alive"


_EVENT_ALIASES = {
    "permanent ventilation": "permanent_ventilation",
    "ventilation": "permanent_ventilation",
    "niv": "permanent_ventilation",
    "treatment discontinuation": "discontinuation",
    "dropout": "discontinuation",
    "trach": "tracheostomy",
}
_STRATEGY_ALIASES = {
    "treatment-policy": "treatment policy",
    "treatment_policy": "treatment policy",
    "while-alive": "while alive",
    "while_alive": "while alive",
}
_UNSUPPORTED = {
    "principal stratum": "principal stratum estimands need a model of the strata (not provided)",
    "principal stratification": "principal stratum estimands need a model of the strata (not "
    "provided)",
    "while on treatment": "while-on-treatment estimands need treatment exposure dates, which "
    "TrialData does not hold; for death use 'while alive'",
}
_POPULATIONS = (
    "itt",
    "intention-to-treat",
    "intention to treat",
    "all randomised",
    "all randomized",
    "full analysis set",
    "fas",
)


def _event(name: object) -> IntercurrentEvent:
    key = str(name).strip().lower()
    key = _EVENT_ALIASES.get(key, key)
    try:
        return IntercurrentEvent(key)
    except ValueError:
        raise DataValidationError(
            f"intercurrent event {name!r} is not known; use one of "
            f"{[e.value for e in IntercurrentEvent]}"
        ) from None


def _strategy(event: IntercurrentEvent, name: object) -> ICEStrategy:
    key = str(name).strip().lower()
    if key in _UNSUPPORTED:
        raise DataValidationError(f"strategy {name!r} for {event.value}: {_UNSUPPORTED[key]}")
    key = _STRATEGY_ALIASES.get(key, key)
    try:
        return ICEStrategy(key)
    except ValueError:
        raise DataValidationError(
            f"strategy {name!r} for {event.value} is not supported; use one of "
            f"{[s.value for s in ICEStrategy]}"
        ) from None


@dataclass(frozen=True, eq=False)
class Estimand:
    """An estimand: population, variable, intercurrent events and their strategies.

    Parameters
    ----------
    name : str
        Label of the estimand in the results table.
    population : str, default "ITT"
        Only the randomised population is supported here (``"ITT"``, ``"all randomised"``,
        ``"FAS"``); for a subset, subset the trial first.
    variable : str, default "ALSFRS-R change at month 12"
        The endpoint; must be an ALSFRS-R variable and name its month (``"... month 12"``)
        unless ``month`` is given.
    intercurrent : mapping of str to str
        Event (``death``, ``tracheostomy``, ``permanent_ventilation``, ``discontinuation``) to
        strategy (``treatment policy``, ``hypothetical``, ``composite``, ``while alive``).
    month : float, optional
        The analysis month (default: parsed from ``variable``).
    analysis : str, optional
        A non-default analysis for the strategy: ``"finkelstein-schoenfeld"`` (composite),
        ``"auc"`` (while alive), ``"CR"`` or ``"CIR"`` (treatment policy imputation), ``"mmrm"``.
    options : mapping, optional
        Extra keyword arguments of the analysis (e.g. ``{"margin": 1}`` for CAFS).

    Examples
    --------
    >>> e = Estimand("primary", intercurrent={"death": "composite"})
    >>> e.month, e.strategies["death"].value
    (12.0, 'composite')
    """

    name: str
    population: str = "ITT"
    variable: str = "ALSFRS-R change at month 12"
    intercurrent: Mapping[str, str] = field(default_factory=dict)
    month: float | None = None
    analysis: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DataValidationError(
                f"Estimand name must be a non-empty string, got {self.name!r}"
            )
        if str(self.population).strip().lower() not in _POPULATIONS:
            raise DataValidationError(
                f"estimand {self.name!r}: population {self.population!r} is not supported; only "
                "the randomised population ('ITT') is: subset the trial (e.g. "
                "trial.select_arms or trial.replace) and state population='ITT'"
            )
        if "alsfrs" not in str(self.variable).lower():
            raise DataValidationError(
                f"estimand {self.name!r}: variable {self.variable!r} is not an ALSFRS-R "
                "variable; the estimand layer analyses ALSFRS-R (e.g. 'ALSFRS-R change at "
                "month 12')"
            )
        month = self.month
        if month is None:
            found = re.search(r"month\s*(\d+(?:\.\d+)?)", str(self.variable).lower())
            if not found:
                raise DataValidationError(
                    f"estimand {self.name!r}: variable {self.variable!r} names no month; write "
                    "'... at month 12' or pass month="
                )
            month = float(found.group(1))
        if not (float(month) > 0):
            raise DataValidationError(f"estimand {self.name!r}: month={month!r} must be positive")
        object.__setattr__(self, "month", float(month))
        if not isinstance(self.intercurrent, Mapping):
            raise DataValidationError(
                f"estimand {self.name!r}: intercurrent must be a mapping event -> strategy, got "
                f"{type(self.intercurrent).__name__}"
            )
        parsed: dict[str, ICEStrategy] = {}
        for event, strategy in self.intercurrent.items():
            ev = _event(event)
            if ev.value in parsed:
                raise DataValidationError(f"estimand {self.name!r}: {ev.value} is listed twice")
            parsed[ev.value] = _strategy(ev, strategy)
        object.__setattr__(self, "_strategies", MappingProxyType(parsed))
        object.__setattr__(self, "intercurrent", MappingProxyType(dict(self.intercurrent)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def strategies(self) -> Mapping[str, ICEStrategy]:
        """The normalised event -> strategy mapping."""
        return self._strategies  # type: ignore[attr-defined, no-any-return]

    def describe(self) -> str:
        """The strategies in one line, e.g. ``"death: composite; discontinuation: treatment
        policy"``."""
        if not self.strategies:
            return "none stated"
        return "; ".join(f"{e}: {s.value}" for e, s in self.strategies.items())
