"""Bivariate LMM optimisation helpers: starting values, Newton polish, numerical Hessian.

BFGS starts from the moment covariance of per-subject least-squares lines (:func:`_start`);
:func:`_newton_polish` then takes Newton steps with the central-difference Hessian of the
analytic gradient (:func:`_hessian`), which is also the observed information used for the
slope-correlation interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.models.bivariate.likelihood import _Q


def _hessian(fun, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:  # noqa: ANN001
    """Central differences of the analytic gradient (``fun`` returns value and gradient)."""
    n = theta.size
    hess = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        hess[:, j] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2.0 * h)
    return 0.5 * (hess + hess.T)


def _newton_polish(fun, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Up to three Newton steps from the BFGS solution, each kept only if it helps.

    BFGS stops when its line search can no longer resolve decreases of the objective (about
    1e-10 relative); Newton steps with the numerical Hessian recover the last digits. A step is
    kept if it lowers the gradient without raising the objective beyond that resolution.
    Returns the point and the Hessian of the negative log-likelihood (observed information).
    """
    hess = _hessian(fun, theta)
    for _ in range(3):
        try:
            np.linalg.cholesky(hess)
        except np.linalg.LinAlgError:
            break
        value, grad = fun(theta)
        new = theta - np.linalg.solve(hess, grad)
        new_value, new_grad = fun(new)
        tolerance = 1e-9 * max(1.0, abs(value))
        if not (new_value <= value + tolerance and np.abs(new_grad).max() < np.abs(grad).max()):
            break
        theta = new
        hess = _hessian(fun, theta)
        if np.abs(new_grad).max() < 1e-6:
            break
    return theta, hess


def _start(
    long: pd.DataFrame, k: np.ndarray, t: np.ndarray, y: np.ndarray, subj: np.ndarray, n_sub: int
) -> np.ndarray:
    """Moment starting values: covariance of per-subject least-squares lines, pooled residuals."""
    coef = np.full((n_sub, 4), np.nan)
    resid_var = np.zeros(2)
    for kk in (0, 1):
        m = k == kk
        frame = pd.DataFrame({"s": subj[m], "t": t[m], "y": y[m]})
        g = frame.groupby("s")
        tc = frame["t"].to_numpy() - g["t"].transform("mean").to_numpy()
        yc = frame["y"].to_numpy() - g["y"].transform("mean").to_numpy()
        sxx = pd.Series(tc * tc).groupby(frame["s"].to_numpy()).sum()
        sxy = pd.Series(tc * yc).groupby(frame["s"].to_numpy()).sum()
        ok = (sxx > 1e-8) & (g.size() >= 2).to_numpy()
        slope = (sxy / sxx.where(ok)).to_numpy()
        ids = sxx.index.to_numpy()
        means = g[["t", "y"]].mean()
        coef[ids, 2 + kk] = slope
        coef[ids, kk] = (means["y"] - slope * means["t"]).to_numpy()
        fitted_res = yc - np.nan_to_num(slope[np.searchsorted(ids, frame["s"].to_numpy())]) * tc
        dof = float(m.sum() - np.minimum(g.size().to_numpy(), 2).sum())
        resid_var[kk] = max(
            float(np.sum(fitted_res**2)) / max(dof, 1.0), 1e-3 * float(np.var(y[m]) + 1e-12)
        )
    cov = pd.DataFrame(coef).cov(min_periods=3).to_numpy()
    fallback = np.nanvar(coef, axis=0)
    fallback = np.where(np.isfinite(fallback) & (fallback > 0), fallback, 1.0)
    cov = np.where(np.isfinite(cov), cov, 0.0)
    diag = np.diag(cov).copy()
    np.fill_diagonal(cov, np.where(diag > 0, diag, fallback))
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, 1e-3 * vals.max())
    cov = (vecs * vals) @ vecs.T
    low = np.linalg.cholesky(cov)
    rows, cols = np.tril_indices(_Q)
    theta = low[rows, cols].copy()
    theta[rows == cols] = np.log(np.diag(low))
    return np.concatenate([theta, 0.5 * np.log(resid_var)])
