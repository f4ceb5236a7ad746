"""The simulator recovers its own truth within sampling error (|estimate - truth| < 3 SE).

Slope recovery uses a scenario with mild floor and ceiling effects (6 months of monthly visits,
baseline total 36 +/- 4), because floors bend the mean trajectory of the bounded total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from alstrials.data.simulate import Scenario, simulate_with_truth
from alstrials.data.simulate.events import placebo_survival, weibull_scale


def _per_subject_slopes(alsfrs: pd.DataFrame) -> pd.Series:
    """OLS slope of alsfrs_total on months per subject (subjects with >= 2 visits)."""
    d = pd.DataFrame(
        {
            "s": alsfrs["subject_id"],
            "t": alsfrs["months"],
            "y": alsfrs["alsfrs_total"].astype(float),
        }
    )
    d["ty"], d["tt"] = d["t"] * d["y"], d["t"] ** 2
    g = d.groupby("s").agg(
        n=("t", "size"), t=("t", "sum"), y=("y", "sum"), ty=("ty", "sum"), tt=("tt", "sum")
    )
    g = g[g["n"] >= 2]
    sxx = g["tt"] - g["t"] ** 2 / g["n"]
    return (g["ty"] - g["t"] * g["y"] / g["n"]) / sxx


def _within(est: float, truth: float, se: float, k: float = 3.0) -> None:
    assert abs(est - truth) < k * se, f"estimate {est:.4f} vs truth {truth:.4f} (SE {se:.4f})"


@pytest.fixture(scope="module")
def slope_trial():
    return simulate_with_truth(
        1500,
        seed=101,
        follow_up_months=6.0,
        visit_months=range(0, 7),
        mri_months=(0, 6),
        baseline_mean=36.0,
        baseline_sd=4.0,
    )


def test_mean_slope_and_arm_difference_are_recovered(slope_trial):
    trial, _ = slope_trial
    slopes = _per_subject_slopes(trial.alsfrs).rename("slope").reset_index()
    slopes = slopes.merge(trial.subjects[["subject_id", "arm"]], left_on="s", right_on="subject_id")
    stats = slopes.groupby("arm")["slope"].agg(["mean", "std", "count"])
    se = stats["std"] / np.sqrt(stats["count"])
    truth = trial.metadata["truth"]
    _within(stats.loc["placebo", "mean"], truth["placebo_mean_slope"], se["placebo"])
    _within(stats.loc["active", "mean"], truth["active_mean_slope"], se["active"])
    diff = stats.loc["active", "mean"] - stats.loc["placebo", "mean"]
    _within(diff, truth["slope_difference"], float(np.hypot(se["active"], se["placebo"])))


def test_residual_sd_is_recovered(slope_trial):
    """Residuals of the observed total around each subject's true latent line."""
    trial, truth = slope_trial
    a = trial.alsfrs.merge(truth[["subject_id", "intercept", "slope"]])
    resid = a["alsfrs_total"].astype(float) - (a["intercept"] + a["slope"] * a["months"])
    inside = (a["alsfrs_total"] > 0) & (a["alsfrs_total"] < 48)
    sd = float(resid[inside].std())
    assert sd == pytest.approx(Scenario().residual_sd, rel=0.03)


@pytest.fixture(scope="module")
def survival_trial():
    return simulate_with_truth(
        3000,
        seed=202,
        follow_up_months=36.0,
        visit_months=(0, 6, 12, 18, 24, 30, 36),
        mri_months=(0, 12),
    )


def test_conditional_hazard_ratios_are_recovered(survival_trial):
    """Cox on sign + arm + the true natural slope: the hazard's own terms."""
    trial, truth = survival_trial
    sc = Scenario()
    d = pd.DataFrame(
        {
            "months": trial.events["months"].to_numpy(),
            "event": trial.events["event"].to_numpy(),
            "composite_sign": truth["composite_sign"].astype(float).to_numpy(),
            "active": (truth["arm"] == "active").astype(float).to_numpy(),
            "faster": -(truth["natural_slope"] + sc.decline_mean).to_numpy(),
        }
    )
    assert d["event"].sum() > 1000
    fit = CoxPHFitter().fit(d, duration_col="months", event_col="event")
    meta = trial.metadata["truth"]
    for term, key in (
        ("composite_sign", "log_sign_hr"),
        ("active", "log_treatment_hr"),
        ("faster", "log_slope_hr"),
    ):
        _within(fit.params_[term], meta[key], fit.standard_errors_[term])


def test_sign_hr_is_marginal_when_sign_is_independent_of_slope():
    """With no slope shift and no slope effect on the hazard, Cox on sign + arm suffices."""
    trial, _ = simulate_with_truth(
        1500,
        seed=303,
        sign_slope_shift=0.0,
        slope_hr=1.0,
        follow_up_months=36.0,
        visit_months=(0, 12, 24, 36),
        mri_months=(0,),
    )
    d = trial.events.merge(trial.subjects[["subject_id", "arm"]])
    sign = trial.mri[trial.mri["months"] == 0].set_index("subject_id")["composite_sign"]
    d = pd.DataFrame(
        {
            "months": d["months"],
            "event": d["event"],
            "composite_sign": sign.loc[d["subject_id"]].astype(float).to_numpy(),
            "active": (d["arm"] == "active").astype(float),
        }
    )
    fit = CoxPHFitter().fit(d, duration_col="months", event_col="event")
    _within(fit.params_["composite_sign"], np.log(6.56), fit.standard_errors_["composite_sign"])
    _within(fit.params_["active"], np.log(0.56), fit.standard_errors_["active"])


def test_placebo_median_event_time_matches_calibration():
    sc = Scenario()
    _, truth = simulate_with_truth(10000, seed=404, mri_months=(0,))
    times = truth.loc[truth["arm"] == "placebo", "event_time"].to_numpy()
    lam = weibull_scale(sc)
    h = 1e-3
    m = sc.median_event_months
    density = float(placebo_survival(m - h, lam, sc)[0] - placebo_survival(m + h, lam, sc)[0])
    density /= 2 * h
    se = 1.0 / (2.0 * density * np.sqrt(len(times)))
    _within(float(np.median(times)), m, se)


def test_sign_prevalences_and_fa_correlation(survival_trial):
    trial, truth = survival_trial
    sc = Scenario()
    first = trial.mri[trial.mri["months"] == 0]
    n = len(first)
    for col, p in (
        ("composite_sign", sc.composite_prevalence),
        ("cst_flair_hyperintensity", sc.flair_prevalence),
        ("motor_cortex_swi_hypointensity", sc.swi_prevalence),
    ):
        _within(first[col].astype(float).mean(), p, np.sqrt(p * (1 - p) / n))
    fa = first.merge(truth[["subject_id", "slope_z"]])
    r = float(np.corrcoef(fa["cst_fa"], fa["slope_z"])[0, 1])
    reliability = sc.cst_fa_sd / np.hypot(sc.cst_fa_sd, sc.cst_fa_noise_sd)
    expected = sc.cst_fa_slope_corr * reliability
    _within(r, expected, (1 - expected**2) / np.sqrt(n))


def test_cord_area_declines_at_calibrated_rate():
    """Without events or dropout (survivors are slower progressors, and cord-area change is
    correlated with the functional slope, so completers decline less than the population)."""
    trial, _ = simulate_with_truth(
        3000,
        seed=505,
        dropout_rate_per_month=0.0,
        median_event_months=1e4,
        visit_months=(0, 12),
        mri_months=(0, 12),
        mri_miss_prob=0.0,
    )
    mri = trial.mri
    wide = mri.pivot_table(
        index="subject_id", columns=mri["months"].round(), values=["cord_csa_mm2", "months"]
    ).dropna()
    change = wide[("cord_csa_mm2", 12.0)] - wide[("cord_csa_mm2", 0.0)]
    rate = change / (wide[("months", 12.0)] / 12.0)
    assert len(rate) == trial.n_subjects
    _within(
        float(rate.mean()),
        Scenario().cord_csa_change_per_year_mm2,
        float(rate.std() / np.sqrt(len(rate))),
    )
