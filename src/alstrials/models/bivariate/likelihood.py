r"""Bivariate LMM likelihood: the profiled REML/ML log-likelihood and its analytic gradient.

:math:`\theta` holds the log-Cholesky factor of the 4x4 random-effects covariance :math:`D` and
the two log residual sds. Per-outcome cross-products (:func:`_cross_products`) let the Woodbury
form of :math:`V_i^{-1}` be evaluated for all subjects at once; :func:`_profile` profiles out
the fixed effects by GLS (equations in :mod:`alstrials.models.bivariate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

_LOG2PI = float(np.log(2.0 * np.pi))
_Q = 4  # random effects per subject


@dataclass(frozen=True)
class _Stats:
    """Per-outcome cross-products: per subject for Z terms, totals for X and y."""

    zz: np.ndarray  # (2, n, q, q)
    zx: np.ndarray  # (2, n, q, p)
    zy: np.ndarray  # (2, n, q)
    xx: np.ndarray  # (2, p, p)
    xy: np.ndarray  # (2, p)
    yy: np.ndarray  # (2,)
    n_k: np.ndarray  # (2,)  observations per outcome


def _cross_products(
    k: np.ndarray, subj: np.ndarray, z: np.ndarray, x: np.ndarray, y: np.ndarray, n_sub: int
) -> _Stats:
    q, p = z.shape[1], x.shape[1]
    zz = np.zeros((2, n_sub, q, q))
    zx = np.zeros((2, n_sub, q, p))
    zy = np.zeros((2, n_sub, q))
    for kk in (0, 1):
        m = k == kk
        np.add.at(zz[kk], subj[m], z[m][:, :, None] * z[m][:, None, :])
        np.add.at(zx[kk], subj[m], z[m][:, :, None] * x[m][:, None, :])
        np.add.at(zy[kk], subj[m], z[m] * y[m][:, None])
    xx = np.stack([x[k == kk].T @ x[k == kk] for kk in (0, 1)])
    xy = np.stack([x[k == kk].T @ y[k == kk] for kk in (0, 1)])
    yy = np.array([y[k == kk] @ y[k == kk] for kk in (0, 1)])
    n_k = np.array([np.sum(k == kk) for kk in (0, 1)], dtype=float)
    return _Stats(zz, zx, zy, xx, xy, yy, n_k)


def _chol_factor(theta: np.ndarray) -> np.ndarray:
    low = np.zeros((_Q, _Q))
    rows, cols = np.tril_indices(_Q)
    low[rows, cols] = theta[: rows.size]
    diag = np.arange(_Q)
    low[diag, diag] = np.exp(low[diag, diag])
    return low


def _random_cov(theta: np.ndarray) -> np.ndarray:
    low = _chol_factor(theta)
    return low @ low.T


class _Profile(NamedTuple):
    loglik: float
    beta: np.ndarray
    a: np.ndarray  # X' V^{-1} X
    gradient: np.ndarray | None


def _profile(theta: np.ndarray, st: _Stats, reml: bool, gradient: bool = False) -> _Profile:
    """Log-likelihood with beta profiled out, the GLS pieces and (optionally) the gradient.

    The gradient uses :math:`d\\ell = -\\tfrac12\\operatorname{tr}\\{(W - Wrr^\\top W -
    [\\text{REML}]\\,WXA^{-1}X^\\top W)\\,dV\\}` with :math:`W = V^{-1}`, written with the
    per-outcome cross-products (no per-observation work).
    """
    low = _chol_factor(theta)
    w = np.exp(-2.0 * theta[-2:])  # 1 / sigma_k^2
    zrz = np.einsum("k,knab->nab", w, st.zz)
    zrx = np.einsum("k,knap->nap", w, st.zx)
    zry = np.einsum("k,kna->na", w, st.zy)
    xrx = np.einsum("k,kpq->pq", w, st.xx)
    xry = w @ st.xy
    yry = float(w @ st.yy)
    m = np.eye(_Q) + np.einsum("ba,nbc,cd->nad", low, zrz, low)
    chol = np.linalg.cholesky(m)
    logdet_m = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)))
    # C_i = L M_i^{-1} L' = (D^{-1} + Z'R^{-1}Z)^{-1}
    c_mat = np.einsum("ab,nbc,dc->nad", low, np.linalg.inv(m), low)
    rhs = np.concatenate([zrx, zry[:, :, None]], axis=2)
    c_rhs = np.einsum("nab,nbc->nac", c_mat, rhs)
    corr = np.einsum("nap,naq->pq", rhs, c_rhs)  # [ZRX|ZRy]' C [ZRX|ZRy], summed
    p = xrx.shape[0]
    a = xrx - corr[:p, :p]
    b = xry - corr[:p, p]
    c = yry - corr[p, p]
    a_chol = np.linalg.cholesky(a)
    beta = np.linalg.solve(a, b)
    quad = c - b @ beta
    logdet_v = float(st.n_k @ (2.0 * theta[-2:])) + logdet_m
    n = st.n_k.sum()
    logdet_a = 2.0 * np.sum(np.log(np.diag(a_chol)))
    if reml:
        loglik = -0.5 * ((n - p) * _LOG2PI + logdet_v + quad + logdet_a)
    else:
        loglik = -0.5 * (n * _LOG2PI + logdet_v + quad)
    if not gradient:
        return _Profile(float(loglik), beta, a, None)
    a_inv = np.linalg.inv(a)
    zrr = zry - zrx @ beta  # Z'R^{-1}r per subject
    u = np.einsum("nab,nb->na", c_mat, zrr)  # BLUPs of the random effects
    g = c_rhs[:, :, :p]  # C Z'R^{-1}X
    # derivative with respect to D
    zwr = zrr - np.einsum("nab,nb->na", zrz, u)
    zwz = zrz - np.einsum("nab,nbc,ncd->nad", zrz, c_mat, zrz)
    zwx = zrx - np.einsum("nab,nbp->nap", zrz, g)
    g_d = np.einsum("na,nb->ab", zwr, zwr) - zwz.sum(axis=0)
    if reml:
        g_d += np.einsum("nap,pq,nbq->ab", zwx, a_inv, zwx)
    g_d *= 0.5
    g_low = 2.0 * g_d @ low
    rows, cols = np.tril_indices(_Q)
    grad_l = g_low[rows, cols] * np.where(rows == cols, low[rows, cols], 1.0)
    # derivatives with respect to sigma_k^2
    grad_s = np.empty(2)
    for k in (0, 1):
        zr_k = st.zy[k] - st.zx[k] @ beta
        rr_k = st.yy[k] - 2.0 * beta @ st.xy[k] + beta @ st.xx[k] @ beta
        rwer = w[k] ** 2 * (
            rr_k - 2.0 * np.sum(u * zr_k) + np.einsum("na,nab,nb->", u, st.zz[k], u)
        )
        trwe = w[k] * st.n_k[k] - w[k] ** 2 * np.einsum("nab,nba->", c_mat, st.zz[k])
        value = rwer - trwe
        if reml:
            cross = np.einsum("nap,naq->pq", g, st.zx[k])
            xwewx = st.xx[k] - cross - cross.T + np.einsum("nap,nab,nbq->pq", g, st.zz[k], g)
            value += w[k] ** 2 * np.sum(a_inv * xwewx)
        grad_s[k] = 0.5 * value * 2.0 / w[k]  # d/d log sigma_k = 2 sigma_k^2 d/d sigma_k^2
    return _Profile(float(loglik), beta, a, np.concatenate([grad_l, grad_s]))


def _negloglik(theta: np.ndarray, st: _Stats, reml: bool) -> tuple[float, np.ndarray]:
    """Negative log-likelihood and its gradient (inf and zeros where V is not positive)."""
    try:
        out = _profile(theta, st, reml, gradient=True)
    except np.linalg.LinAlgError:
        return np.inf, np.zeros_like(theta)
    if not np.isfinite(out.loglik) or out.gradient is None:
        return np.inf, np.zeros_like(theta)
    return -out.loglik, -out.gradient
