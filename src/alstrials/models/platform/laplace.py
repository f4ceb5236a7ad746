"""Fast mode: posterior mode and Laplace approximation, with a grid over the borrowing SD.

For "concurrent" and "pooled" borrowing the posterior of the unconstrained vector ``theta`` is
approximated by ``N(theta_hat, H^-1)``, ``theta_hat`` the posterior mode (BFGS on the exact
gradient, then Newton polishing) and ``H`` the Hessian of minus the log posterior there.

For "hierarchical" borrowing the joint mode of the offsets and their SD ``s`` is degenerate (it
sits at ``s = 0``), so ``log s`` is integrated numerically, as in INLA (Rue, Martino & Chopin
2009): on an equally spaced grid ``g`` of ``log s`` values the conditional mode ``theta_g`` and
Hessian ``H_g`` give ``log p(log s_g | y) ~ log p(theta_g, log s_g, y) - 0.5 log det H_g``,
normalised over the grid; the posterior is the mixture ``sum_g w_g N(theta_g, H_g^-1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from alstrials.models.platform.data import PlatformArrays
from alstrials.models.platform.likelihood import compiled, data_tuple, hessian, offset_hyper
from alstrials.models.platform.spec import Borrowing, DRRPriors, Layout

__all__ = ["LaplaceFit", "fit_laplace", "initial_values", "S_GRID_MULTIPLIERS"]

S_GRID_MULTIPLIERS = np.exp(np.linspace(np.log(0.02), np.log(4.0), 9))
"""Grid of the hierarchical SD ``s`` as multiples of ``priors.offset_scale``."""


@dataclass(frozen=True, eq=False)
class LaplaceFit:
    """Modes, covariances and weights of the Gaussian (mixture) approximation."""

    modes: np.ndarray  # (G, P)
    covariances: np.ndarray  # (G, P, P)
    weights: np.ndarray  # (G,)
    hypers: np.ndarray  # (G, 2): (s, hierarchical) of each component
    gradient_norm: float
    hessian_pd: bool
    messages: tuple[str, ...]


def initial_values(arrays: PlatformArrays, layout: Layout, priors: DRRPriors) -> np.ndarray:
    """Crude starting values from the data (per-subject least-squares slopes, event rate)."""
    theta = np.zeros(layout.size)
    real = arrays.row > 0
    m = arrays.mask[real]
    t, y = arrays.t[real], arrays.y[real]
    n_i = m.sum(axis=1)
    tbar = (t * m).sum(axis=1) / n_i
    ybar = (y * m).sum(axis=1) / n_i
    sxx = (((t - tbar[:, None]) ** 2) * m).sum(axis=1)
    sxy = ((t - tbar[:, None]) * (y - ybar[:, None]) * m).sum(axis=1)
    ok = (n_i >= 3) & (sxx > 0) & (arrays.active[real] == 0)
    rate = float(np.clip(-np.mean(sxy[ok] / sxx[ok]), 0.05, 5.0)) if ok.any() else priors.rate_mean
    theta[layout.slice("alpha")] = float(np.mean(y[:, 0]))
    theta[layout.slice("beta0")] = rate
    theta[layout.slice("log_sd_intercept")] = np.log(max(float(np.std(y[:, 0])), 1.0))
    theta[layout.slice("log_sd_rate")] = np.log(0.5)
    theta[layout.slice("log_sd_residual")] = np.log(1.5)
    events = float(arrays.event[real].sum())
    exposure = float(arrays.time[real].sum())
    theta[layout.slice("log_weibull_scale")] = np.log(np.clip(exposure / max(events, 1.0), 6, 600))
    if layout.has("log_s"):
        theta[layout.slice("log_s")] = np.log(priors.offset_scale)
    return theta


def _newton(
    fun: object, theta: np.ndarray, hess: np.ndarray, steps: int, tol: float
) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Newton-type steps with a fixed matrix ``hess`` and step halving; converged flag."""
    value, grad = fun(theta)  # type: ignore[operator]
    for _ in range(steps):
        if np.max(np.abs(grad)) < tol:
            return theta, value, grad, True
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return theta, value, grad, False
        for _half in range(20):
            new_value, new_grad = fun(theta - step)  # type: ignore[operator]
            if np.isfinite(new_value) and new_value <= value + 1e-9:
                break
            step = step / 2
        else:
            return theta, value, grad, False
        theta, value, grad = theta - step, new_value, new_grad
    return theta, value, grad, bool(np.max(np.abs(grad)) < tol)


def _optimise(
    vg: object,
    theta0: np.ndarray,
    data: tuple,
    hyper: np.ndarray,
    hess0: np.ndarray | None = None,
    tol: float = 1e-6,
) -> tuple[np.ndarray, float, np.ndarray, float, str]:
    """Mode, minus log posterior there, Hessian, max |gradient|, optimiser message.

    From a neighbouring mode with its Hessian ``hess0`` (the grid over ``log s``), a few
    Newton-type steps with that matrix usually converge; otherwise (and without ``hess0``)
    BFGS runs first. The Hessian is then recomputed at the mode and Newton steps polish it.
    """

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = vg(theta, data, hyper)  # type: ignore[operator]
        return float(value), np.asarray(grad)

    message = ""
    theta, done = np.asarray(theta0, dtype=float), False
    if hess0 is not None:
        theta, _, _, done = _newton(fun, theta, hess0, 15, tol)
    if not done:
        res = minimize(fun, theta, jac=True, method="BFGS", options={"maxiter": 3000, "gtol": tol})
        theta = np.asarray(res.x)
        message = "" if res.success else f"BFGS: {res.message}"
    hess = hessian(vg, theta, data, hyper)
    theta, value, grad, done = _newton(fun, theta, hess, 10, tol)
    if not done:
        hess = hessian(vg, theta, data, hyper)
        theta, value, grad, done = _newton(fun, theta, hess, 10, tol)
    if done:
        message = ""
    return theta, value, hess, float(np.max(np.abs(grad))), message


def fit_laplace(
    arrays: PlatformArrays,
    layout: Layout,
    priors: DRRPriors,
    borrowing: Borrowing,
    theta0: np.ndarray | None = None,
) -> LaplaceFit:
    """Posterior mode(s) and Laplace approximation (see the module docstring)."""
    vg = compiled(layout, priors)
    data = data_tuple(arrays)
    theta = initial_values(arrays, layout, priors) if theta0 is None else np.array(theta0)
    if borrowing is Borrowing.HIERARCHICAL:
        log_grid = np.log(priors.offset_scale * S_GRID_MULTIPLIERS)
        hypers = np.array([offset_hyper(borrowing, priors, g) for g in log_grid])
        order = np.argsort(-log_grid)  # from wide to narrow, warm-started
    else:
        hypers = offset_hyper(borrowing, priors)[None, :]
        order = np.arange(1)
    g_count, p = len(hypers), layout.size
    modes, covs = np.zeros((g_count, p)), np.full((g_count, p, p), np.nan)
    log_w = np.full(g_count, -np.inf)
    grad_max, pd, messages = 0.0, True, []
    hess = None
    for g in order:
        theta, value, hess, gnorm, message = _optimise(vg, theta, data, hypers[g], hess)
        modes[g] = theta
        grad_max = max(grad_max, gnorm)
        if message:
            messages.append(message)
        try:
            chol = np.linalg.cholesky(hess)
        except np.linalg.LinAlgError:
            pd = False
            messages.append(f"Hessian not positive definite (offset SD {hypers[g][0]:.3g})")
            continue
        inv_chol = np.linalg.inv(chol)
        covs[g] = inv_chol.T @ inv_chol
        log_w[g] = -value - float(np.sum(np.log(np.diag(chol))))
    if np.isfinite(log_w).any():
        weights = np.exp(log_w - np.max(log_w))
        weights /= weights.sum()
    else:
        weights = np.full(g_count, 1.0 / g_count)
    if g_count > 1 and max(weights[0], weights[-1]) > 0.05:
        edge = "smallest" if weights[0] > weights[-1] else "largest"
        messages.append(
            f"the posterior of the borrowing SD puts {max(weights[0], weights[-1]):.0%} on the "
            f"{edge} grid value; change priors.offset_scale or use method='nuts'"
        )
    return LaplaceFit(
        modes=modes,
        covariances=covs,
        weights=weights,
        hypers=hypers,
        gradient_norm=grad_max,
        hessian_pd=pd,
        messages=tuple(messages),
    )
