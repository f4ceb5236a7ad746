"""Power and sample size for ALS trial designs (``alstrials.power``).

Analytic formulas, each tested against an established implementation (longpower, rpact,
R's ``power.t.test``) or a Monte Carlo check; see ``docs/power.md``.

Solve-for-one functions (leave exactly one of power / n_per_group / delta as None):
:func:`lmm_slope`, :func:`mmrm`, :func:`biomarker_change`; :func:`events` solves events, power
or hr. Design helpers: :func:`survival_sample_size`, :func:`expected_events`,
:func:`time_to_events`, :func:`survival_power`, :func:`enrichment_slope`,
:func:`enrichment_events`. Hazard models: :class:`Exponential`, :class:`Weibull`,
:class:`PiecewiseExponential`. Simulation: :func:`simulate` and :func:`power_curve` (any
analysis of simulated trials, on local processes or a Dask cluster).
"""

from alstrials.design.power.biomarker import biomarker_change
from alstrials.design.power.enrichment import EnrichmentResult, enrichment_events, enrichment_slope
from alstrials.design.power.hazards import Exponential, PiecewiseExponential, Weibull
from alstrials.design.power.mmrm import ar1_cov, mmrm, mmrm_phi
from alstrials.design.power.results import EventsResult, PowerResult, SurvivalDesignResult
from alstrials.design.power.simulate import power_curve, simulate
from alstrials.design.power.simulation_result import PowerCurveResult, SimulationPowerResult
from alstrials.design.power.slope import lmm_slope, random_slope_cov, slope_variance
from alstrials.design.power.survival import events, events_power
from alstrials.design.power.survival_design import (
    expected_events,
    survival_power,
    survival_sample_size,
    time_to_events,
)

__all__ = [
    "lmm_slope",
    "slope_variance",
    "random_slope_cov",
    "mmrm",
    "mmrm_phi",
    "ar1_cov",
    "events",
    "events_power",
    "expected_events",
    "survival_sample_size",
    "survival_power",
    "time_to_events",
    "enrichment_slope",
    "enrichment_events",
    "biomarker_change",
    "Exponential",
    "Weibull",
    "PiecewiseExponential",
    "PowerResult",
    "EventsResult",
    "SurvivalDesignResult",
    "EnrichmentResult",
    "simulate",
    "power_curve",
    "SimulationPowerResult",
    "PowerCurveResult",
]
