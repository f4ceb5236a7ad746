"""Marginal log-likelihood of the joint model and its analytic score.

For subject ``i`` with longitudinal vector ``y_i`` and observed survival ``(T_i, d_i)``

    log L_i = log int p(y_i | b) p(T_i, d_i | b) p(b) db,

    p(y_i | b)   = prod_j N(y_ij; x_ij' beta + z_ij' b, sigma^2),
    p(b)         = N(b; 0, D),
    p(T, d | b)  = h_i(T)^d exp(-H_i(T)),   H_i(T) = int_0^T h_i(s) ds,
    h_i(s)       = xi_{q(s)} exp(w_i' gamma + alpha m_i(s) + alpha_s m_i'(s)).

``H_i`` is computed with Gauss-Legendre nodes inside each piecewise interval and the integral
over ``b`` with an adaptive Gauss-Hermite rule (:mod:`.quadrature`) whose centres ``b_i`` and
scales ``L_i`` are held fixed while the parameters move (the pseudo-adaptive scheme of
Rizopoulos 2012, sec. 4.3); :func:`posterior_modes` recomputes them.

Parameter vector ``theta`` (unconstrained):
``[beta, log sigma, chol(D) (lower triangle by rows, log of the diagonal), gamma,
alpha (if "value"), alpha_s (if "slope"), log xi]``.

References
----------
Rizopoulos, D. (2010). JM: An R package for the joint modelling of longitudinal and
time-to-event data. *Journal of Statistical Software*, 35(9), 1-33.
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*. Chapman & Hall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from alstrials.models.joint.design import JointDesign

__all__ = ["Layout", "Params", "QuadState", "loglik_and_score", "posterior_modes", "make_state"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Layout:
    """Sizes of the parameter blocks and which associations are in the model."""

    p: int
    q: int
    r: int
    n_intervals: int
    value: bool
    slope: bool

    @property
    def size(self) -> int:
        return (
            self.p
            + 1
            + self.q * (self.q + 1) // 2
            + self.r
            + self.value
            + self.slope
            + (self.n_intervals)
        )


@dataclass(frozen=True)
class Params:
    """Natural-scale parameters."""

    beta: np.ndarray
    sigma: float
    D: np.ndarray
    gamma: np.ndarray
    alpha: float
    alpha_s: float
    xi: np.ndarray

    def pack(self, layout: Layout) -> np.ndarray:
        L = np.linalg.cholesky(self.D)
        rows, cols = np.tril_indices(layout.q)
        chol = L[rows, cols].copy()
        chol[rows == cols] = np.log(np.diag(L))
        assoc = [self.alpha] * layout.value + [self.alpha_s] * layout.slope
        return np.concatenate(
            [self.beta, [np.log(self.sigma)], chol, self.gamma, assoc, np.log(self.xi)]
        )

    @staticmethod
    def unpack(theta: np.ndarray, layout: Layout) -> Params:
        theta = np.asarray(theta, dtype=float)
        p, q, r = layout.p, layout.q, layout.r
        i = 0
        beta = theta[i : i + p]
        i += p
        sigma = float(np.exp(theta[i]))
        i += 1
        m = q * (q + 1) // 2
        L = _chol_from_vec(theta[i : i + m], q)
        i += m
        gamma = theta[i : i + r]
        i += r
        alpha = float(theta[i]) if layout.value else 0.0
        i += layout.value
        alpha_s = float(theta[i]) if layout.slope else 0.0
        i += layout.slope
        xi = np.exp(theta[i:])
        return Params(beta, sigma, L @ L.T, gamma, alpha, alpha_s, xi)


def _chol_from_vec(v: np.ndarray, q: int) -> np.ndarray:
    rows, cols = np.tril_indices(q)
    L = np.zeros((q, q))
    L[rows, cols] = v
    L[np.diag_indices(q)] = np.exp(np.diag(L))
    return L


@dataclass(frozen=True)
class QuadState:
    """Fixed quadrature points ``b[i, k]`` and the products with ``b`` the likelihood reuses."""

    b: np.ndarray  # (n, K, q)
    logw: np.ndarray  # (n, K): log GH weight + log|L_i|
    Zb_obs: np.ndarray  # (N, K)
    Zb_T: np.ndarray  # (n, K)
    Zdb_T: np.ndarray  # (n, K)
    Zb_s: np.ndarray  # (M, K)
    Zdb_s: np.ndarray  # (M, K)


def make_state(
    design: JointDesign, modes: np.ndarray, chols: np.ndarray, nodes: np.ndarray, logw: np.ndarray
) -> QuadState:
    """Quadrature points ``b_ik = mode_i + L_i x_k`` and their products with the Z designs."""
    b = modes[:, None, :] + np.einsum("iab,kb->ika", chols, nodes)
    logdet = np.sum(np.log(np.abs(np.diagonal(chols, axis1=1, axis2=2))), axis=1)
    bo = b[design.obs_subject]
    bs = b[design.node_subject]
    return QuadState(
        b=b,
        logw=logw[None, :] + logdet[:, None],
        Zb_obs=np.einsum("jq,jkq->jk", design.Z, bo),
        Zb_T=np.einsum("iq,ikq->ik", design.Zt, b),
        Zdb_T=np.einsum("iq,ikq->ik", design.Zt_d, b),
        Zb_s=np.einsum("gq,gkq->gk", design.Zs, bs),
        Zdb_s=np.einsum("gq,gkq->gk", design.Zs_d, bs),
    )


def _starts(index: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, index[1:] != index[:-1]])


def loglik_and_score(
    theta: np.ndarray,
    design: JointDesign,
    layout: Layout,
    state: QuadState,
    *,
    per_subject: bool = False,
) -> tuple[float | np.ndarray, np.ndarray]:
    """Marginal log-likelihood (full, with constants) and its gradient in ``theta``.

    Parameters
    ----------
    theta : ndarray
        Unconstrained parameter vector (see module docstring).
    design : JointDesign
        Design arrays.
    layout : Layout
        Parameter block sizes.
    state : QuadState
        Fixed quadrature points.
    per_subject : bool
        Return the vector of subject contributions instead of their sum.

    Returns
    -------
    loglik : float or ndarray
        Total (or per-subject) log-likelihood; ``-inf`` if not finite.
    score : ndarray
        Gradient of the total log-likelihood.

    References
    ----------
    Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*, ch. 4.
    """
    par = Params.unpack(theta, layout)
    q = layout.q
    n = design.n_subjects
    obs_st = _starts(design.obs_subject)
    node_st = _starts(design.node_subject)
    n_i = np.diff(np.r_[obs_st, len(design.y)])

    # longitudinal part
    e = design.y - design.X @ par.beta
    R = e[:, None] - state.Zb_obs
    s2 = par.sigma**2
    ssr = np.add.reduceat(R**2, obs_st, axis=0)  # (n, K)
    ll = -0.5 * n_i[:, None] * (_LOG2PI + np.log(s2)) - 0.5 * ssr / s2

    # random effects
    Dinv = np.linalg.inv(par.D)
    _, logdetD = np.linalg.slogdet(par.D)
    quad = np.einsum("ika,ab,ikb->ik", state.b, Dinv, state.b)
    ll += -0.5 * (q * _LOG2PI + logdetD) - 0.5 * quad

    # survival part
    eta = design.W @ par.gamma if layout.r else np.zeros(n)
    mT = (design.Xt @ par.beta)[:, None] + state.Zb_T
    mdT = (design.Xt_d @ par.beta)[:, None] + state.Zdb_T
    log_xi = np.log(par.xi)
    ll += (design.d * (log_xi[design.event_interval] + eta))[:, None]
    ll += design.d[:, None] * (par.alpha * mT + par.alpha_s * mdT)
    ms = (design.Xs @ par.beta)[:, None] + state.Zb_s
    mds = (design.Xs_d @ par.beta)[:, None] + state.Zdb_s
    base = log_xi[design.node_interval] + eta[design.node_subject] + np.log(design.node_weight)
    with np.errstate(over="ignore", invalid="ignore"):
        E = np.exp(base[:, None] + par.alpha * ms + par.alpha_s * mds)  # (M, K)
        H = np.add.reduceat(E, node_st, axis=0)
        ll -= H
        a = ll + state.logw
        li = logsumexp(a, axis=1)
    if not np.all(np.isfinite(li)):
        out = np.full(n, -np.inf) if per_subject else -np.inf
        return out, np.zeros_like(theta)
    pi = np.exp(a - li[:, None])  # posterior weights (n, K)

    # score
    pi_obs = pi[design.obs_subject]
    pi_s = pi[design.node_subject]
    A = np.sum(pi_s * E, axis=1)  # expected hazard contribution per node
    g_beta = design.X.T @ np.sum(pi_obs * R, axis=1) / s2
    g_beta += design.Xt.T @ (design.d * par.alpha) + design.Xt_d.T @ (design.d * par.alpha_s)
    g_beta -= design.Xs.T @ (A * par.alpha) + design.Xs_d.T @ (A * par.alpha_s)
    g_logsig = -len(design.y) + np.sum(pi_obs * R**2) / s2
    S = np.einsum("ik,ika,ikb->ab", pi, state.b, state.b)
    G = -0.5 * n * Dinv + 0.5 * Dinv @ S @ Dinv
    L = np.linalg.cholesky(par.D)
    GL = 2 * G @ L
    rows, cols = np.tril_indices(q)
    g_chol = GL[rows, cols] * np.where(rows == cols, L[rows, cols], 1.0)
    EH = np.sum(pi * H, axis=1)
    g_gamma = design.W.T @ (design.d - EH)
    assoc = []
    if layout.value:
        assoc.append(np.sum(design.d * np.sum(pi * mT, axis=1)) - np.sum(pi_s * E * ms))
    if layout.slope:
        assoc.append(np.sum(design.d * np.sum(pi * mdT, axis=1)) - np.sum(pi_s * E * mds))
    Q = layout.n_intervals
    g_xi = np.bincount(design.event_interval, weights=design.d, minlength=Q)
    g_xi -= np.bincount(design.node_interval, weights=A, minlength=Q)
    score = np.concatenate([g_beta, [g_logsig], g_chol, g_gamma, assoc, g_xi])
    return (li if per_subject else float(np.sum(li))), score


def posterior_modes(
    theta: np.ndarray,
    design: JointDesign,
    layout: Layout,
    start: np.ndarray,
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """Modes of ``log p(y_i, T_i, d_i, b)`` in ``b`` for all subjects, by vectorised Newton.

    Returns
    -------
    modes : ndarray, shape (n, q)
    chols : ndarray, shape (n, q, q)
        Cholesky factors of the inverse negative Hessians at the modes (the GH scales).
    """
    par = Params.unpack(theta, layout)
    n = design.n_subjects
    obs_st = _starts(design.obs_subject)
    node_st = _starts(design.node_subject)
    Dinv = np.linalg.inv(par.D)
    e = design.y - design.X @ par.beta
    eta = design.W @ par.gamma if layout.r else np.zeros(n)
    s2 = par.sigma**2
    ZtZ = np.add.reduceat(np.einsum("ja,jb->jab", design.Z, design.Z), obs_st, axis=0) / s2
    Zte = np.add.reduceat(design.Z * e[:, None], obs_st, axis=0) / s2
    V = par.alpha * design.Zs + par.alpha_s * design.Zs_d  # (M, q)
    lin0 = (
        np.log(par.xi)[design.node_interval]
        + eta[design.node_subject]
        + np.log(design.node_weight)
        + design.Xs @ (par.alpha * par.beta)
        + design.Xs_d @ (par.alpha_s * par.beta)
    )
    ev = design.d[:, None] * (par.alpha * design.Zt + par.alpha_s * design.Zt_d)
    VV = np.einsum("ga,gb->gab", V, V)

    def evaluate(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with np.errstate(over="ignore"):
            Eg = np.exp(lin0 + np.sum(V * b[design.node_subject], axis=1))
        f = (
            np.einsum("ia,ia->i", Zte, b)
            - 0.5 * np.einsum("ia,iab,ib->i", b, ZtZ, b)
            - 0.5 * np.einsum("ia,ab,ib->i", b, Dinv, b)
            + np.sum(ev * b, axis=1)
            - np.add.reduceat(Eg, node_st)
        )
        grad = Zte - np.einsum("iab,ib->ia", ZtZ, b) - b @ Dinv + ev
        grad -= np.add.reduceat(Eg[:, None] * V, node_st, axis=0)
        hess = -ZtZ - Dinv[None] - np.add.reduceat(Eg[:, None, None] * VV, node_st, axis=0)
        return f, grad, hess

    b = np.array(start, dtype=float, copy=True)
    f, grad, hess = evaluate(b)
    for _ in range(max_iter):
        step = np.linalg.solve(-hess, grad[:, :, None])[:, :, 0]
        t = np.ones(n)
        for _ in range(30):
            fn, gn, hn = evaluate(b + t[:, None] * step)
            worse = ~(fn >= f - 1e-12 * np.abs(f))
            if not worse.any():
                break
            t = np.where(worse, t / 2, t)
        else:
            t = np.where(worse, 0.0, t)
            fn, gn, hn = evaluate(b + t[:, None] * step)
        b = b + t[:, None] * step
        f, grad, hess = fn, gn, hn
        if np.max(np.abs(t[:, None] * step)) < tol:
            break
    cov = np.linalg.inv(-hess)
    cov = 0.5 * (cov + np.transpose(cov, (0, 2, 1)))
    return b, np.linalg.cholesky(cov)
