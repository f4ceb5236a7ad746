"""Estimands (ICH E9(R1)) for ALS trials: state them, get the analysis each one calls for.

The user states the population, the variable (an ALSFRS-R endpoint at a month), the
intercurrent events (death, tracheostomy, permanent ventilation, treatment discontinuation) and a
strategy for each (:class:`Estimand`); :func:`run_estimands` maps every estimand to its analysis
(:func:`~alstrials.models.estimands.plan.plan_analysis`) and returns one tidy table:

=================================  ===========================================================
strategy                           analysis
=================================  ===========================================================
hypothetical (death and            MMRM under MAR (:func:`alstrials.fit_mmrm`), arm difference
discontinuation)                   at the month
treatment policy (discontinuation) reference-based MI (J2R default; CR, CIR) with hypothetical
                                   ICEs under MAR, ANCOVA at the month, Rubin's rules
composite (terminal events)        CAFS (default) or Finkelstein-Schoenfeld / win ratio
while alive (terminal events)      LMM slope while alive (default) or time-averaged change
                                   while alive (``analysis="auc"``)
=================================  ===========================================================

See ``docs/estimands.md`` for the equations and the defaults.

References
----------
ICH E9(R1) addendum on estimands and sensitivity analysis in clinical trials (2019).
"""

from alstrials.models.estimands.analyses import WhileAliveAUCResult
from alstrials.models.estimands.plan import AnalysisKind, AnalysisPlan, plan_analysis
from alstrials.models.estimands.run import EstimandResults, run_estimands
from alstrials.models.estimands.spec import Estimand, ICEStrategy, IntercurrentEvent

__all__ = [
    "AnalysisKind",
    "AnalysisPlan",
    "Estimand",
    "EstimandResults",
    "ICEStrategy",
    "IntercurrentEvent",
    "WhileAliveAUCResult",
    "plan_analysis",
    "run_estimands",
]
