"""alstrials: design, monitor and analyse ALS clinical trials that link MRI biomarkers to
function (ALSFRS-R) and survival.

The public API (``import alstrials as at``) follows the flow of the package:
data -> models -> design -> reporting. See README.md and docs/.
"""

from alstrials.data.alsfrs import (
    alsfrs_subdomains,
    alsfrs_total,
    delta_fs,
    kings_stage,
    mitos_stage,
    score_alsfrs,
)
from alstrials.data.cutoff import blind, cut_at
from alstrials.data.example import load_example
from alstrials.data.io import read_trial
from alstrials.data.proact import read_proact
from alstrials.data.schema import ALSFRS_ITEMS, TrialData
from alstrials.data.simulate import Scenario, scenario_from_toml, simulate_trial
from alstrials.data.validate import ValidationReport
from alstrials.design import power
from alstrials.design.interim import InterimResult, interim_analysis
from alstrials.design.sequential import GSDesign, group_sequential
from alstrials.errors import (
    AlstrialsError,
    AlstrialsWarning,
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    DesignError,
)
from alstrials.models.accuracy import diagnostic_accuracy
from alstrials.models.bivariate import BivariateResult, biomarker_tracking, fit_bivariate_lmm
from alstrials.models.cafs import CAFSResult, cafs
from alstrials.models.covariates import carry_forward
from alstrials.models.finkelstein_schoenfeld import (
    FinkelsteinSchoenfeldResult,
    finkelstein_schoenfeld,
)
from alstrials.models.joint import JointResult, fit_joint
from alstrials.models.lmm import LMMResult, fit_lmm
from alstrials.models.mmrm import MMRMResult, fit_mmrm
from alstrials.models.survival import (
    CoxResult,
    KMResult,
    LogrankResult,
    RMSTResult,
    ZPHResult,
    cox_zph,
    fit_cox,
    kaplan_meier,
    logrank,
    mri_counting_process,
    rmst,
)
from alstrials.reporting.figures import plot_alsfrs_trajectories, plot_enrolment
from alstrials.reporting.forest import forest_plot
from alstrials.reporting.survival_plots import plot_km, plot_schoenfeld
from alstrials.reporting.tables import cohort_summary

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # data
    "TrialData",
    "ALSFRS_ITEMS",
    "ValidationReport",
    "load_example",
    "simulate_trial",
    "Scenario",
    "scenario_from_toml",
    "read_trial",
    "read_proact",
    "cut_at",
    "blind",
    "score_alsfrs",
    "alsfrs_total",
    "alsfrs_subdomains",
    "delta_fs",
    "kings_stage",
    "mitos_stage",
    # models: longitudinal
    "fit_lmm",
    "LMMResult",
    "carry_forward",
    "fit_mmrm",
    "MMRMResult",
    "fit_bivariate_lmm",
    "biomarker_tracking",
    "BivariateResult",
    # models: survival and diagnostics
    "kaplan_meier",
    "KMResult",
    "logrank",
    "LogrankResult",
    "rmst",
    "RMSTResult",
    "fit_cox",
    "CoxResult",
    "cox_zph",
    "ZPHResult",
    "mri_counting_process",
    "diagnostic_accuracy",
    "cafs",
    "CAFSResult",
    "finkelstein_schoenfeld",
    "FinkelsteinSchoenfeldResult",
    # models: joint
    "fit_joint",
    "JointResult",
    # design
    "power",
    "group_sequential",
    "GSDesign",
    "interim_analysis",
    "InterimResult",
    # reporting
    "cohort_summary",
    "plot_alsfrs_trajectories",
    "plot_enrolment",
    "plot_km",
    "plot_schoenfeld",
    "forest_plot",
    # errors
    "AlstrialsError",
    "AlstrialsWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataValidationError",
    "DataWarning",
    "DesignError",
]
