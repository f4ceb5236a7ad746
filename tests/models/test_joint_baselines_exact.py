"""Weibull and B-spline baselines: the fit is the maximum of the exact likelihood.

The reference is a brute-force computation written here, independent of the package's
integration nodes and quadrature: for each subject, a 15-point product Gauss-Hermite rule over
the two random effects centred at a mode found by scipy (scale from a finite-difference
Hessian), and cumulative hazards by a 64-point Gauss-Legendre rule over (0, T) after the
substitution ``t = T u^(1/kappa)`` that removes the Weibull's singularity at 0, or over each
spline knot interval (the package integrates on its own knots with 7 points).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from scipy import optimize, stats
from scipy.interpolate import BSpline

from alstrials.models.joint import fit_joint
from alstrials.models.joint.simulate import simulate_joint

KNOTS = [4.0, 6.5]


@pytest.fixture(scope="module")
def data():
    return simulate_joint(n=100, seed=4)


def _fit(data, baseline, **kw):
    long, surv = data
    if baseline == "spline":
        kw.update(knots=KNOTS, boundary_knots=(0.0, float(surv["T"].max())))
    return fit_joint(
        long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event",
        baseline=baseline, **kw,
    )  # fmt: skip


@pytest.fixture(scope="module", params=["weibull", "spline"])
def case(request, data):
    return request.param, _fit(data, request.param)


def _log_h0_and_H(baseline, zeta, T, boundary):
    """``log h0`` at T and a callable giving ``int_0^T h0(t) exp(a + s t) dt`` per point."""
    u, w = leggauss(64)
    u, w = 0.5 * (u + 1.0), 0.5 * w
    if baseline == "weibull":
        phi, kappa = zeta[0], np.exp(zeta[1])
        log_h0 = phi + np.log(kappa) + (kappa - 1.0) * np.log(T)
        # int_0^T kappa t^(kappa-1) e^phi f(t) dt = e^phi T^kappa int_0^1 f(T v^(1/kappa)) dv
        t = T * u ** (1.0 / kappa)
        weight = np.exp(phi) * T**kappa * w
    else:
        spline = BSpline(np.r_[[boundary[0]] * 4, KNOTS, [boundary[1]] * 4], zeta, 3)
        log_h0 = float(spline(T))
        edges = np.r_[0.0, [k for k in KNOTS if k < T], T]
        t = np.concatenate([lo + (hi - lo) * u for lo, hi in itertools.pairwise(edges)])
        weight = np.concatenate([(hi - lo) * w for lo, hi in itertools.pairwise(edges)])
        weight = weight * np.exp(spline(t))

    def H(a, s):
        return np.exp(a[:, None] + s[:, None] * t[None, :]) @ weight

    return log_h0, H


def _brute_loglik(data, fit, baseline, shift=None, centres=None):
    long, surv = data
    beta = fit.long_fixed["estimate"].to_numpy()
    s2, D = float(fit.residual_var), fit.random_cov.to_numpy()
    gamma = fit.surv_coef.loc["x", "estimate"]
    alpha = fit.surv_coef.loc["value", "estimate"]
    zeta = fit.baseline_coef["estimate"].to_numpy().copy()
    if shift is not None:
        name, h = shift
        if name == "x":
            gamma += h
        elif name == "value":
            alpha += h
        else:
            zeta[list(fit.baseline_coef.index).index(name)] += h
    boundary = (0.0, float(surv["T"].max()))
    x, w = hermegauss(15)
    grid = np.array(list(itertools.product(x, repeat=2)))
    logw = np.array([np.sum(np.log(c)) for c in itertools.product(w, repeat=2)])
    logw += 0.5 * np.sum(grid**2, axis=1)
    prior = stats.multivariate_normal(np.zeros(2), D)
    total = 0.0
    for _, row in surv.iterrows():
        obs = long[long.id == row["id"]]
        tt, yy = obs["time"].to_numpy(), obs["y"].to_numpy()
        T = row["T"]
        log_h0, H = _log_h0_and_H(baseline, zeta, T, boundary)

        def logf(b, tt=tt, yy=yy, T=T, row=row, log_h0=log_h0, H=H):
            b = np.atleast_2d(b)
            out = prior.logpdf(b).reshape(len(b))
            mu = (beta[0] + b[:, [0]]) + (beta[1] + b[:, [1]]) * tt
            out += stats.norm.logpdf(yy, mu, np.sqrt(s2)).sum(axis=1)
            a = gamma * row["x"] + alpha * (beta[0] + b[:, 0])
            s = alpha * (beta[1] + b[:, 1])
            out -= H(a, s)
            if row["event"] == 1:
                out += log_h0 + a + s * T
            return out

        if centres is not None and row["id"] in centres:
            mode, L = centres[row["id"]]
        else:
            mode = optimize.minimize(lambda b, f=logf: -f(b)[0], np.zeros(2), method="BFGS").x
            h, E = 1e-4, np.eye(2) * 1e-4
            Hs = np.array(
                [
                    [
                        (logf(mode + E[i] + E[j]) - logf(mode + E[i] - E[j])
                         - logf(mode - E[i] + E[j]) + logf(mode - E[i] - E[j]))[0] / (4 * h * h)
                        for j in range(2)
                    ]
                    for i in range(2)
                ]
            )  # fmt: skip
            L = np.linalg.cholesky(np.linalg.inv(-0.5 * (Hs + Hs.T)))
            if centres is not None:
                centres[row["id"]] = (mode, L)
        a = logw + np.log(abs(np.linalg.det(L))) + logf(mode + grid @ L.T)
        total += float(np.log(np.sum(np.exp(a - a.max()))) + a.max())
    return total


def test_loglik_equals_brute_force(data, case):
    baseline, fit = case
    assert fit.converged
    assert fit.loglik == pytest.approx(_brute_loglik(data, fit, baseline), abs=1e-3)


def test_estimate_is_the_brute_force_maximum(data, case):
    baseline, fit = case
    centres: dict = {}
    at = _brute_loglik(data, fit, baseline, centres=centres)
    names = ["x", "value", *fit.baseline_coef.index]
    ses = [*fit.surv_coef["se"], *fit.baseline_coef["se"]]
    for name, se in zip(names, ses, strict=True):
        h = 0.1 * se
        down, up = (_brute_loglik(data, fit, baseline, (name, s * h), centres) for s in (-1, 1))
        curvature = (2 * at - down - up) / h**2
        offset = (up - down) / (2 * h) / curvature  # Newton step to the brute-force maximum
        assert curvature > 0, name
        assert abs(offset) < 0.02 * se, (name, offset / se)


def test_loglik_is_stable_as_points_grow(data, case):
    baseline, fit = case
    more = _fit(data, baseline, gh_points=11)
    assert more.loglik == pytest.approx(fit.loglik, abs=1e-4)
    np.testing.assert_allclose(
        more.surv_coef["estimate"], fit.surv_coef["estimate"], atol=0.01 * fit.surv_coef["se"].min()
    )
    assert abs(fit.quadrature_error) < 1e-4
