"""alstrials: design, monitor and analyse ALS clinical trials that link MRI biomarkers to
function (ALSFRS-R) and survival.

The public API (``import alstrials as at``) follows the flow of the package:
data -> models -> design -> reporting. See README.md and docs/.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # data
    "TrialData": "alstrials.data.schema",
    "ALSFRS_ITEMS": "alstrials.data.schema",
    "ValidationReport": "alstrials.data.validate",
    "load_example": "alstrials.data.example",
    "simulate_trial": "alstrials.data.simulate",
    "Scenario": "alstrials.data.simulate",
    "scenario_from_toml": "alstrials.data.simulate",
    "read_trial": "alstrials.data.io",
    "read_proact": "alstrials.data.proact",
    "cut_at": "alstrials.data.cutoff",
    "blind": "alstrials.data.cutoff",
    "score_alsfrs": "alstrials.data.alsfrs",
    "alsfrs_total": "alstrials.data.alsfrs",
    "alsfrs_subdomains": "alstrials.data.alsfrs",
    "delta_fs": "alstrials.data.alsfrs",
    "kings_stage": "alstrials.data.alsfrs",
    "mitos_stage": "alstrials.data.alsfrs",
    # models: longitudinal
    "fit_lmm": "alstrials.models.lmm",
    "LMMResult": "alstrials.models.lmm",
    "carry_forward": "alstrials.models.covariates",
    "fit_mmrm": "alstrials.models.mmrm",
    "MMRMResult": "alstrials.models.mmrm",
    "fit_bivariate_lmm": "alstrials.models.bivariate",
    "biomarker_tracking": "alstrials.models.bivariate",
    "BivariateResult": "alstrials.models.bivariate",
    # models: survival and diagnostics
    "kaplan_meier": "alstrials.models.survival",
    "KMResult": "alstrials.models.survival",
    "logrank": "alstrials.models.survival",
    "LogrankResult": "alstrials.models.survival",
    "rmst": "alstrials.models.survival",
    "RMSTResult": "alstrials.models.survival",
    "fit_cox": "alstrials.models.survival",
    "CoxResult": "alstrials.models.survival",
    "cox_zph": "alstrials.models.survival",
    "ZPHResult": "alstrials.models.survival",
    "mri_counting_process": "alstrials.models.survival",
    "diagnostic_accuracy": "alstrials.models.accuracy",
    "cafs": "alstrials.models.cafs",
    "CAFSResult": "alstrials.models.cafs",
    "finkelstein_schoenfeld": "alstrials.models.finkelstein_schoenfeld",
    "FinkelsteinSchoenfeldResult": "alstrials.models.finkelstein_schoenfeld",
    # models: joint
    "fit_joint": "alstrials.models.joint",
    "cumulative_incidence": "alstrials.models.competing",
    "CIFResult": "alstrials.models.competing",
    "gray_test": "alstrials.models.competing",
    "fit_finegray": "alstrials.models.competing",
    "FineGrayResult": "alstrials.models.competing",
    "fit_cause_specific_cox": "alstrials.models.competing",
    "CSCResult": "alstrials.models.competing",
    "prediction_accuracy": "alstrials.models.prediction",
    "AccuracyResult": "alstrials.models.prediction",
    "impute_reference_based": "alstrials.models.imputation",
    "ReferenceImputationResult": "alstrials.models.imputation",
    "rubin_rules": "alstrials.models.imputation",
    "Estimand": "alstrials.models.estimands",
    "EstimandResults": "alstrials.models.estimands",
    "run_estimands": "alstrials.models.estimands",
    "simulate_platform": "alstrials.data.simulate.platform",
    "fit_drr": "alstrials.models.platform",
    "DRRResult": "alstrials.models.platform",
    "DRRPriors": "alstrials.models.platform",
    "JointResult": "alstrials.models.joint",
    # design
    "power": "alstrials.design",
    "group_sequential": "alstrials.design.sequential",
    "GSDesign": "alstrials.design.sequential",
    "interim_analysis": "alstrials.design.interim",
    "InterimResult": "alstrials.design.interim",
    # reporting
    "cohort_summary": "alstrials.reporting.tables",
    "plot_alsfrs_trajectories": "alstrials.reporting.figures",
    "plot_enrolment": "alstrials.reporting.figures",
    "plot_km": "alstrials.reporting.survival_plots",
    "plot_schoenfeld": "alstrials.reporting.survival_plots",
    "forest_plot": "alstrials.reporting.forest",
    # errors
    "AlstrialsError": "alstrials.errors",
    "AlstrialsWarning": "alstrials.errors",
    "ConvergenceError": "alstrials.errors",
    "ConvergenceWarning": "alstrials.errors",
    "DataValidationError": "alstrials.errors",
    "DataWarning": "alstrials.errors",
    "DesignError": "alstrials.errors",
}
"""Public name -> the module it is imported from on first use (``from MODULE import NAME``).

``import alstrials`` stays cheap (no numpy/pandas/scipy/matplotlib/dask): each name is imported
on first access through :func:`__getattr__` and then cached in the module's namespace. A new
public name is one entry here, one in ``__all__`` and one line in the ``TYPE_CHECKING`` block.
"""


def __getattr__(name: str) -> Any:
    """Import a public name on first access (PEP 562)."""
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'alstrials' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    try:
        value = getattr(module, name)
    except AttributeError:  # a submodule (``from alstrials.design import power``)
        value = importlib.import_module(f"{module_name}.{name}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
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
    from alstrials.data.simulate.platform import simulate_platform
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
    from alstrials.models.competing import (
        CIFResult,
        CSCResult,
        FineGrayResult,
        cumulative_incidence,
        fit_cause_specific_cox,
        fit_finegray,
        gray_test,
    )
    from alstrials.models.covariates import carry_forward
    from alstrials.models.estimands import Estimand, EstimandResults, run_estimands
    from alstrials.models.finkelstein_schoenfeld import (
        FinkelsteinSchoenfeldResult,
        finkelstein_schoenfeld,
    )
    from alstrials.models.imputation import (
        ReferenceImputationResult,
        impute_reference_based,
        rubin_rules,
    )
    from alstrials.models.joint import JointResult, fit_joint
    from alstrials.models.lmm import LMMResult, fit_lmm
    from alstrials.models.mmrm import MMRMResult, fit_mmrm
    from alstrials.models.platform import DRRPriors, DRRResult, fit_drr
    from alstrials.models.prediction import AccuracyResult, prediction_accuracy
    from alstrials.models.survival import (  # type: ignore[no-redef]
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
    "cumulative_incidence",
    "CIFResult",
    "gray_test",
    "fit_finegray",
    "FineGrayResult",
    "fit_cause_specific_cox",
    "CSCResult",
    "prediction_accuracy",
    "AccuracyResult",
    "impute_reference_based",
    "ReferenceImputationResult",
    "rubin_rules",
    "Estimand",
    "EstimandResults",
    "run_estimands",
    "simulate_platform",
    "fit_drr",
    "DRRResult",
    "DRRPriors",
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
