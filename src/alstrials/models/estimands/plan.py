"""From an :class:`~alstrials.models.estimands.spec.Estimand` to its analysis (no data needed).

Rules (``docs/estimands.md`` gives the reasons):

* a terminal event (death, tracheostomy, permanent ventilation) under **composite**: CAFS
  (default) or Finkelstein-Schoenfeld with those events; every other terminal event stated must
  be composite too, and discontinuation treatment policy (the composite uses observed data);
* a terminal event under **while alive**: the ALSFRS-R slope while alive (LMM) or the
  time-averaged change while alive (``analysis="auc"``); the other terminal events stated must
  be while alive too;
* otherwise, with death **hypothetical** and discontinuation **hypothetical**: the MMRM under MAR;
* otherwise (discontinuation **treatment policy**, the default when it is not stated, or a
  tracheostomy / ventilation under treatment policy): reference-based multiple imputation, J2R
  by default, with the subjects whose ICE is handled hypothetically imputed under MAR.

Treatment policy for death is refused: ALSFRS-R after death does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from alstrials.errors import DataValidationError
from alstrials.models.estimands.spec import (
    TERMINAL_EVENTS,
    Estimand,
    ICEStrategy,
    IntercurrentEvent,
)

__all__ = ["AnalysisKind", "AnalysisPlan", "plan_analysis"]


class AnalysisKind(StrEnum):
    MMRM = "mmrm"
    REFERENCE_MI = "reference-based MI"
    CAFS = "cafs"
    FINKELSTEIN_SCHOENFELD = "finkelstein-schoenfeld"
    SLOPE = "slope"
    AUC = "auc"


@dataclass(frozen=True)
class AnalysisPlan:
    """What :func:`run_estimands` fits for one estimand."""

    kind: AnalysisKind
    month: float
    event_types: tuple[str, ...] = ()  # composite events / while-alive truncation events
    imputation: str = "J2R"  # reference-based strategy for treatment-policy ICEs
    mar_events: tuple[str, ...] = ()  # terminal events imputed under MAR (hypothetical)
    discontinuation_mar: bool = False  # other dropouts imputed under MAR
    options: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        m = f"month {self.month:g}"
        return {
            AnalysisKind.MMRM: f"MMRM (MAR), effect at {m}",
            AnalysisKind.REFERENCE_MI: f"MI {self.imputation} + ANCOVA at {m}",
            AnalysisKind.CAFS: f"CAFS at {m}",
            AnalysisKind.FINKELSTEIN_SCHOENFELD: f"Finkelstein-Schoenfeld to {m}",
            AnalysisKind.SLOPE: f"LMM slope while alive to {m}",
            AnalysisKind.AUC: f"time-averaged change while alive to {m}",
        }[self.kind]


_COMPOSITE_ANALYSES = {
    None: AnalysisKind.CAFS,
    "cafs": AnalysisKind.CAFS,
    "finkelstein-schoenfeld": AnalysisKind.FINKELSTEIN_SCHOENFELD,
    "fs": AnalysisKind.FINKELSTEIN_SCHOENFELD,
    "win ratio": AnalysisKind.FINKELSTEIN_SCHOENFELD,
}
_WHILE_ALIVE_ANALYSES = {
    None: AnalysisKind.SLOPE,
    "slope": AnalysisKind.SLOPE,
    "auc": AnalysisKind.AUC,
}
_IMPUTATIONS = {None: "J2R", "j2r": "J2R", "jr": "J2R", "cr": "CR", "cir": "CIR"}


def _fail(estimand: Estimand, message: str) -> DataValidationError:
    return DataValidationError(f"estimand {estimand.name!r} ({estimand.describe()}): {message}")


def plan_analysis(estimand: Estimand) -> AnalysisPlan:
    """The analysis of ``estimand`` (module docstring); raises on unsupported or inconsistent
    strategy combinations."""
    strategies = estimand.strategies
    month = float(estimand.month)  # type: ignore[arg-type]  # set in __post_init__
    terminal = {e.value: strategies[e.value] for e in TERMINAL_EVENTS if e.value in strategies}
    disc = strategies.get(IntercurrentEvent.DISCONTINUATION.value)
    analysis = None if estimand.analysis is None else str(estimand.analysis).strip().lower()
    options = dict(estimand.options)
    if disc in (ICEStrategy.COMPOSITE, ICEStrategy.WHILE_ALIVE):
        raise _fail(
            estimand,
            f"'{disc.value}' is not defined for treatment discontinuation (ALSFRS-R continues "
            "after it); use 'treatment policy' or 'hypothetical'",
        )
    kinds = set(terminal.values())
    for special in (ICEStrategy.COMPOSITE, ICEStrategy.WHILE_ALIVE):
        if special in kinds:
            others = {e: s.value for e, s in terminal.items() if s is not special}
            if others:
                raise _fail(
                    estimand,
                    f"inconsistent: {others} with other terminal events under '{special.value}'; "
                    f"state every terminal event as '{special.value}' or leave it out",
                )
    if ICEStrategy.COMPOSITE in kinds:
        if disc not in (None, ICEStrategy.TREATMENT_POLICY):
            raise _fail(
                estimand,
                "a composite of function and survival (CAFS, Finkelstein-Schoenfeld) ranks the "
                "observed ALSFRS-R whatever the treatment: discontinuation must be 'treatment "
                "policy'",
            )
        if analysis not in _COMPOSITE_ANALYSES:
            raise _fail(
                estimand,
                f"analysis={estimand.analysis!r}: a composite strategy is "
                "analysed by 'cafs' or 'finkelstein-schoenfeld'",
            )
        return AnalysisPlan(_COMPOSITE_ANALYSES[analysis], month, tuple(terminal), options=options)
    if ICEStrategy.WHILE_ALIVE in kinds:
        if analysis not in _WHILE_ALIVE_ANALYSES:
            raise _fail(
                estimand,
                f"analysis={estimand.analysis!r}: a while-alive strategy is "
                "analysed by 'slope' (LMM) or 'auc'",
            )
        return AnalysisPlan(
            _WHILE_ALIVE_ANALYSES[analysis], month, tuple(terminal), options=options
        )
    if terminal.get(IntercurrentEvent.DEATH.value) is ICEStrategy.TREATMENT_POLICY:
        raise _fail(
            estimand,
            "treatment policy is not defined for death with an ALSFRS-R variable (there is no "
            "ALSFRS-R after death); use 'composite', 'while alive' or 'hypothetical'",
        )
    disc = disc or ICEStrategy.TREATMENT_POLICY
    policy = [e for e, s in terminal.items() if s is ICEStrategy.TREATMENT_POLICY]
    if disc is ICEStrategy.HYPOTHETICAL and not policy:
        if analysis not in (None, "mmrm"):
            raise _fail(
                estimand,
                f"analysis={estimand.analysis!r}: hypothetical strategies are "
                "analysed by the MMRM under MAR ('mmrm')",
            )
        return AnalysisPlan(AnalysisKind.MMRM, month, options=options)
    if analysis not in _IMPUTATIONS:
        raise _fail(
            estimand,
            f"analysis={estimand.analysis!r}: a treatment-policy strategy with unobserved "
            "post-ICE outcomes is analysed by reference-based imputation: 'J2R' (default), 'CR' "
            "or 'CIR' (the MMRM under MAR answers the hypothetical question instead)",
        )
    mar = tuple(e for e, s in terminal.items() if s is ICEStrategy.HYPOTHETICAL)
    return AnalysisPlan(
        AnalysisKind.REFERENCE_MI,
        month,
        imputation=_IMPUTATIONS[analysis],
        mar_events=mar,
        discontinuation_mar=disc is ICEStrategy.HYPOTHETICAL,
        options=options,
    )
