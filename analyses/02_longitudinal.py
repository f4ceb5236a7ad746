"""Longitudinal analyses: ALSFRS-R slope LMM by arm (primary analysis), MMRM at scheduled
visits, LMM with time-varying MRI covariates, and whether an MRI biomarker tracks function.
Parameters: ``configs/02_longitudinal.toml``. Run alone:
``python analyses/02_longitudinal.py --out DIR``."""

import pandas as pd

from alstrials.data.frames import long_frame
from alstrials.data.schema import TrialData
from alstrials.models.bivariate import biomarker_tracking
from alstrials.models.covariates import carry_forward
from alstrials.models.lmm import fit_lmm
from alstrials.models.primary import fit_slope_model, slope_term
from alstrials.reporting.lmm_plots import plot_caterpillar, plot_observed_fitted, plot_spaghetti
from alstrials.workflows import longitudinal
from alstrials.workflows.scripts import load_config, script_main, select_steps
from alstrials.workflows.step import Outputs, Step

CONFIG = load_config(
    __file__,
    {
        "lmm_slope": {"difference_at_month": "number"},
        "biomarker_tracking": {"biomarkers": "strings"},
        "lmm_time_varying_mri": {"covariates": "strings"},
    },
)


def lmm_slope_step(trial: TrialData, out: Outputs) -> None:
    month = float(CONFIG["lmm_slope"]["difference_at_month"])
    fit = fit_slope_model(trial)
    slope = slope_term(trial)
    out.table("lmm_fixed", fit.fixed)
    out.table("lmm_random_cov", fit.random_cov)
    contrasts = fit.contrast(
        {
            "slope difference (points/month)": {slope: 1.0},
            f"difference at month {month:g} (points)": {
                f"arm[T.{trial.arms[1]}]": 1.0,
                slope: month,
            },
        }
    )
    out.table("lmm_contrasts", contrasts)
    out.table("lmm_fit", fit.summary())
    out.figure("lmm_spaghetti", plot_spaghetti(fit, by="arm"))
    out.figure("lmm_observed_fitted", plot_observed_fitted(fit))
    out.figure("lmm_caterpillar", plot_caterpillar(fit, term="months"))


def biomarker_tracking_step(trial: TrialData, out: Outputs) -> None:
    rows = []
    for biomarker in CONFIG["biomarker_tracking"]["biomarkers"]:
        fit = biomarker_tracking(trial, biomarker=biomarker)
        out.table(f"tracking_{biomarker}", fit.summary())
        low, high = fit.slope_correlation_ci
        rows.append(
            {
                "biomarker": biomarker,
                "slope_correlation": fit.slope_correlation,
                "ci_low": low,
                "ci_high": high,
                "subjects": fit.n_subjects,
                "converged": fit.converged,
            }
        )
    out.table("tracking_slope_correlations", pd.DataFrame(rows), index=False)


def time_varying_mri_step(trial: TrialData, out: Outputs) -> None:
    covariates = list(CONFIG["lmm_time_varying_mri"]["covariates"])
    scans = trial.mri[["subject_id", "months", *covariates]]
    data = carry_forward(long_frame(trial), scans, columns=covariates).dropna(subset=covariates)
    formula = "alsfrs_total ~ months * arm + " + " + ".join(covariates)
    fit = fit_lmm(data, formula, group="subject_id", random="~months")
    out.table("lmm_time_varying_mri", fit.fixed)


_LIBRARY = {step.name: step for step in longitudinal.STEPS}
STEPS = select_steps(
    (
        Step("lmm_slope", _LIBRARY["lmm_slope"].description, lmm_slope_step),
        _LIBRARY["mmrm"],
        Step(
            "biomarker_tracking",
            _LIBRARY["biomarker_tracking"].description,
            biomarker_tracking_step,
            needs=("mri",),
        ),
        Step(
            "lmm_time_varying_mri",
            _LIBRARY["lmm_time_varying_mri"].description,
            time_varying_mri_step,
            needs=("mri",),
        ),
    ),
    CONFIG,
    script=__file__,
)

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS, script=__file__))
