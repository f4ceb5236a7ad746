"""Dynamic prediction (Rizopoulos 2011) from the aids joint model.

The plug-in estimate is checked against an independent computation from the published
estimate tables: the posterior mode by Nelder-Mead on a log posterior written out here and
the cumulative hazard by adaptive quadrature (scipy.integrate.quad).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from alstrials.errors import DataValidationError
from alstrials.models.joint import fit_joint


@pytest.fixture(scope="module")
def aids(reference_dir):
    return pd.read_csv(reference_dir / "aids_long.csv")


@pytest.fixture(scope="module")
def fit(aids, r_reference):
    surv = aids.drop_duplicates("patient")[["patient", "Time", "death", "drug"]]
    return fit_joint(
        aids,
        surv,
        "CD4 ~ obstime + obstime:drug",
        "~ obstime",
        "patient",
        "obstime",
        "~ drug",
        "Time",
        "death",
        knots=r_reference["JM_aids"]["knots"],
    )


def _history(aids, patient, upto):
    return aids[(aids.patient == patient) & (aids.obstime <= upto)]


def _direct_plugin(fit, hist, t0, times):
    beta = fit.long_fixed["estimate"].to_numpy()
    gamma = fit.surv_coef.loc["drug[T.ddI]", "estimate"]
    alpha = fit.surv_coef.loc["value", "estimate"]
    D = fit.random_cov.to_numpy()
    sigma = fit.sigma
    bh = fit.baseline_hazard
    ddi = float(hist["drug"].iloc[0] == "ddI")

    def m(s, b):
        return beta[0] + b[0] + (beta[1] + b[1] + beta[2] * ddi) * s

    def cumhaz(t, b):
        total = 0.0
        for lo, up, xi in zip(bh["lower"], bh["upper"], bh["xi"], strict=True):
            if lo >= t:
                break
            total += (
                xi
                * integrate.quad(
                    lambda s: np.exp(gamma * ddi + alpha * m(s, b)),
                    lo,
                    min(up, t),
                    epsabs=1e-13,
                    epsrel=1e-12,
                )[0]
            )
        return total

    tt = hist["obstime"].to_numpy(float)
    y = hist["CD4"].to_numpy(float)

    def neg_log_post(b):
        mu = np.array([m(s, b) for s in tt])
        return -(
            stats.norm.logpdf(y, mu, sigma).sum()
            + stats.multivariate_normal.logpdf(b, np.zeros(2), D)
            - cumhaz(t0, b)
        )

    b_hat = optimize.minimize(
        neg_log_post,
        np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000},
    ).x
    return np.array([np.exp(-(cumhaz(u, b_hat) - cumhaz(t0, b_hat))) for u in times])


@pytest.mark.parametrize(("patient", "upto"), [(2, 6.0), (5, 12.0)])
def test_plugin_matches_direct_computation(fit, aids, patient, upto):
    hist = _history(aids, patient, upto)
    times = [upto + 1.0, upto + 3.5, upto + 7.0]
    pred = fit.predict_survival(hist, times)
    expected = _direct_plugin(fit, hist, upto, times)
    np.testing.assert_allclose(pred["survival"].to_numpy()[1:], expected, rtol=1e-6)


def test_invariants(fit, aids):
    hist = _history(aids, 2, 6.0)
    times = np.linspace(6.0, 20.0, 15)
    pred = fit.predict_survival(hist, times, last_time=6.0)
    s = pred["survival"].to_numpy()
    assert pred["time"].iloc[0] == 6.0 and s[0] == 1.0
    assert np.all(np.diff(s) <= 1e-12)
    assert np.all((s >= 0) & (s <= 1))


def test_worse_history_gives_lower_survival(fit, aids):
    assert fit.surv_coef.loc["value", "estimate"] < 0
    hist = _history(aids, 2, 6.0)
    worse = hist.assign(CD4=hist["CD4"] - 3.0)
    times = [8.0, 12.0, 16.0]
    good = fit.predict_survival(hist, times)["survival"].to_numpy()[1:]
    bad = fit.predict_survival(worse, times)["survival"].to_numpy()[1:]
    assert np.all(bad < good)


def test_later_last_time_conditions_on_survival(fit, aids):
    hist = _history(aids, 2, 6.0)
    p6 = fit.predict_survival(hist, [10.0], last_time=6.0)["survival"].iloc[1]
    p8 = fit.predict_survival(hist, [10.0], last_time=8.0)["survival"].iloc[1]
    assert p8 > p6  # surviving to 8 leaves a shorter horizon to 10


def test_montecarlo_is_seeded_and_brackets_plugin(fit, aids):
    hist = _history(aids, 2, 6.0)
    times = [8.0, 12.0, 16.0]
    a = fit.predict_survival(hist, times, method="montecarlo", n_draws=300, seed=7)
    b = fit.predict_survival(hist, times, method="montecarlo", n_draws=300, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["time", "survival", "mean", "lower", "upper"]
    assert np.all(a["lower"] <= a["survival"]) and np.all(a["survival"] <= a["upper"])
    plug = fit.predict_survival(hist, times)["survival"]
    assert np.all(np.abs(a["survival"] - plug) < 0.03)
    assert np.all(a["lower"].iloc[1:] < plug.iloc[1:])
    assert np.all(plug.iloc[1:] < a["upper"].iloc[1:])


def test_prediction_errors(fit, aids):
    hist = _history(aids, 2, 6.0)
    with pytest.raises(DataValidationError, match="times must be finite and >= t0"):
        fit.predict_survival(hist, [3.0])
    with pytest.raises(DataValidationError, match="one subject"):
        fit.predict_survival(aids[aids.patient.isin([1, 2])], [30.0])
    with pytest.raises(DataValidationError, match="no column 'CD4'"):
        fit.predict_survival(hist.drop(columns="CD4"), [8.0])
    with pytest.raises(DataValidationError, match="method must be"):
        fit.predict_survival(hist, [8.0], method="exact")
    with pytest.raises(DataValidationError, match="before the last measurement"):
        fit.predict_survival(hist, [8.0], last_time=2.0)


def test_history_without_survival_covariate(fit, aids):
    hist = _history(aids, 2, 6.0).drop(columns="drug")
    with pytest.raises(DataValidationError, match="cannot build the design for history"):
        fit.predict_survival(hist, [8.0])
