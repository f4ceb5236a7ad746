"""What the interim DMC reports are built from (filled in by
:func:`alstrials.workflows.interim.run_interim`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from alstrials.data.schema import TrialData
from alstrials.design.gsdesign import GSDesign
from alstrials.design.interim import InterimResult

__all__ = ["Projection", "ReportInputs", "ENDPOINT_TEXT"]

ENDPOINT_TEXT = {
    "slope": (
        "Rate of decline of the ALSFRS-R total score: difference in slope, active minus "
        "reference arm, in ALSFRS-R points per month (linear mixed model with random intercept "
        "and slope; a positive difference is a slower decline on the active arm)"
    ),
    "events": (
        "Time to the first of death, tracheostomy or permanent ventilation: hazard ratio, "
        "active versus reference arm (Cox model on the arm; a hazard ratio below 1 favours the "
        "active arm)"
    ),
}
"""The primary endpoint of each kind, in words."""


@dataclass(frozen=True)
class Projection:
    """Projected calendar months of the planned looks (slope endpoint) and its assumptions.

    ``looks`` has one row per analysis of the (updated) design: ``look target calendar_month
    information fraction`` (``calendar_month`` NaN when the fraction is never reached);
    ``plateau_fraction`` / ``plateau_month``: the largest fraction the projection reaches and
    when; ``assumptions``: sentences that describe the inputs of the projection.
    """

    looks: pd.DataFrame
    plateau_fraction: float
    plateau_month: float
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class ReportInputs:
    """Everything both reports need.

    ``looks`` holds one row per analysis done so far (``look cutoff n_subjects n_visits
    n_events information fraction``; the closed report's also ``estimate se z``); ``info``
    the information fractions of all analyses of the design updated to the observed ones;
    ``result`` the interim result (None for the open report).
    """

    trial_name: str
    report_version: str
    generated: dt.datetime
    cutoff: float
    cut: TrialData
    endpoint: str
    effect: float
    allocation: float
    planned: GSDesign
    updated: GSDesign
    max_information: float
    information_given: bool
    looks: pd.DataFrame
    snapshot: str
    digests: Mapping[str, str]
    versions: Mapping[str, str]
    follow_up: float
    schedule: tuple[float, ...]
    projection: Projection | None = None
    result: InterimResult | None = None
    supportive: pd.DataFrame | None = None
    screened: int | None = None
    paper: str = "a4"
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.result is not None

    @property
    def current_look(self) -> int:
        return len(self.looks)
