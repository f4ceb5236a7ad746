"""Longitudinal steps: the ALSFRS-R slope model (primary analysis of most ALS trials), MMRM at
the scheduled visits, an LMM with a time-varying MRI covariate, and the bivariate model asking
whether an MRI biomarker tracks function."""

from __future__ import annotations

import pandas as pd

from alstrials.data.frames import long_frame
from alstrials.data.schema import TrialData
from alstrials.models.bivariate import biomarker_tracking
from alstrials.models.covariates import carry_forward
from alstrials.models.lmm import fit_lmm
from alstrials.models.primary import fit_change_mmrm, fit_slope_model, slope_term
from alstrials.reporting.lmm_plots import plot_caterpillar, plot_observed_fitted, plot_spaghetti
from alstrials.workflows.step import Outputs, Step


def lmm_slope_step(trial: TrialData, out: Outputs) -> None:
    fit = fit_slope_model(trial)
    active = trial.arms[1]
    slope = slope_term(trial)
    out.table("lmm_fixed", fit.fixed)
    out.table("lmm_random_cov", fit.random_cov)
    contrasts = fit.contrast(
        {
            "slope difference (points/month)": {slope: 1.0},
            "difference at month 12 (points)": {f"arm[T.{active}]": 1.0, slope: 12.0},
        }
    )
    out.table("lmm_contrasts", contrasts)
    out.table("lmm_fit", fit.summary())
    out.figure("lmm_spaghetti", plot_spaghetti(fit, by="arm"))
    out.figure("lmm_observed_fitted", plot_observed_fitted(fit))
    out.figure("lmm_caterpillar", plot_caterpillar(fit, term="months"))


def mmrm_step(trial: TrialData, out: Outputs) -> None:
    fit = fit_change_mmrm(trial)
    out.table("mmrm_effects", fit.effects)
    out.table("mmrm_fixed", fit.fixed)
    out.table("mmrm_covariance", fit.covariance)


def biomarker_tracking_step(trial: TrialData, out: Outputs) -> None:
    rows = []
    for biomarker in ("cord_csa_mm2", "cst_fa"):
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
    visits = long_frame(trial)
    scans = trial.mri[["subject_id", "months", "cord_csa_mm2", "cst_fa"]]
    data = carry_forward(visits, scans, columns=["cord_csa_mm2", "cst_fa"])
    data = data.dropna(subset=["cord_csa_mm2", "cst_fa"])
    fit = fit_lmm(
        data,
        "alsfrs_total ~ months * arm + cord_csa_mm2 + cst_fa",
        group="subject_id",
        random="~months",
    )
    out.table("lmm_time_varying_mri", fit.fixed)


STEPS = (
    Step("lmm_slope", "ALSFRS-R slope LMM by arm, contrasts and figures", lmm_slope_step),
    Step("mmrm", "MMRM of change from baseline at scheduled visits", mmrm_step),
    Step(
        "biomarker_tracking",
        "bivariate model: do MRI biomarker slopes track ALSFRS-R?",
        biomarker_tracking_step,
        needs=("mri",),
    ),
    Step(
        "lmm_time_varying_mri",
        "ALSFRS-R LMM with last-observed MRI covariates",
        time_varying_mri_step,
        needs=("mri",),
    ),
)
