"""Posterior modes of the random effects, all subjects at once (vectorised Newton).

For subject ``i`` the log posterior of ``b`` (up to a constant) is

    f_i(b) = sum_j [e_j z_j'b - (z_j'b)^2 / 2] / sigma_{m_j}^2 - b'D^{-1}b / 2
             + sum_c d_ic v_ic'b - sum_c sum_g exp(l_cg + v_cg'b),

with ``e_j = y_j - x_j'beta``, ``v_ic = sum_t alpha_ct z^t(T_i)`` and ``v_cg``, ``l_cg`` the
same at the cumulative-hazard nodes. It is concave, so Newton with step halving converges; the
inverse negative Hessian at the mode gives the adaptive Gauss-Hermite scale.
"""

from __future__ import annotations

import numpy as np

from alstrials.models.joint.design import JointDesign
from alstrials.models.joint.likelihood import Layout, Params, starts

__all__ = ["posterior_cholesky", "posterior_modes"]


def posterior_modes(
    theta: np.ndarray,
    design: JointDesign,
    layout: Layout,
    start: np.ndarray,
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """Modes of the log posterior of ``b`` for all subjects.

    Returns
    -------
    modes : ndarray, shape (n, q)
    chols : ndarray, shape (n, q, q)
        Cholesky factors of the inverse negative Hessians at the modes.
    """
    par = Params.unpack(theta, layout)
    n = design.n_subjects
    obs_st = starts(design.obs_subject)
    node_st = starts(design.node_subject)
    Dinv = np.linalg.pinv(par.D, hermitian=True)
    w = 1.0 / (par.sigma**2)[design.obs_marker]
    e = design.y - design.X @ par.beta
    ZtZ = np.add.reduceat(np.einsum("ja,jb->jab", design.Z * w[:, None], design.Z), obs_st, axis=0)
    Zte = np.add.reduceat(design.Z * (w * e)[:, None], obs_st, axis=0)
    ev = np.zeros((n, layout.q))
    lins, Vs = [], []
    for c in range(len(layout.r)):
        idx = [design.term_index(t) for t in design.spec.causes[c].terms]
        eta = design.W[c] @ par.gamma[c] if layout.r[c] else np.zeros(n)
        _, _, hs, _ = design.baselines[c].evaluate(par.base[c])
        lin = hs + eta[design.node_subject] + design.log_node_weight
        V = np.zeros((len(lin), layout.q))
        for a, j in zip(par.alpha[c], idx, strict=True):
            lin = lin + a * (design.XS[j] @ par.beta)
            V += a * design.ZS[j]
            ev += design.d[:, c : c + 1] * (a * design.ZT[j])
        lins.append(lin)
        Vs.append(V)

    def at(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        bs = b[design.node_subject]
        f = (
            np.einsum("ia,ia->i", Zte + ev, b)
            - 0.5 * np.einsum("ia,iab,ib->i", b, ZtZ, b)
            - 0.5 * np.einsum("ia,ab,ib->i", b, Dinv, b)
        )
        grad = Zte + ev - np.einsum("iab,ib->ia", ZtZ, b) - b @ Dinv
        hess = -ZtZ - Dinv[None]
        for lin, V in zip(lins, Vs, strict=True):
            with np.errstate(over="ignore"):
                Eg = np.exp(np.minimum(lin + np.sum(V * bs, axis=1), 700.0))
            f = f - np.add.reduceat(Eg, node_st)
            grad = grad - np.add.reduceat(Eg[:, None] * V, node_st, axis=0)
            hess = hess - np.add.reduceat(
                Eg[:, None, None] * V[:, :, None] * V[:, None, :], node_st, axis=0
            )
        return f, grad, hess

    b = np.array(start, dtype=float, copy=True)
    f, grad, hess = at(b)
    eye = np.eye(layout.q)[None]
    for _ in range(max_iter):
        step = np.linalg.solve(-hess + 1e-12 * eye, grad[:, :, None])[:, :, 0]
        step[~np.isfinite(step)] = 0.0
        t = np.ones(n)
        for _ in range(30):
            fn, gn, hn = at(b + t[:, None] * step)
            worse = ~(fn >= f - 1e-12 * np.abs(f))
            if not worse.any():
                break
            t = np.where(worse, t / 2, t)
        else:
            t = np.where(worse, 0.0, t)
            fn, gn, hn = at(b + t[:, None] * step)
        b = b + t[:, None] * step
        f, grad, hess = fn, gn, hn
        if np.max(np.abs(t[:, None] * step)) < tol:
            break
    cov = np.linalg.inv(-hess)
    cov = 0.5 * (cov + np.transpose(cov, (0, 2, 1)))
    return b, posterior_cholesky(cov)


def posterior_cholesky(cov: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of the subjects' posterior covariances; a covariance that is not
    numerically positive definite (a random-effects covariance ``D`` near singular, as when the
    optimiser approaches a boundary) has its eigenvalues floored at ``1e-10`` of the largest,
    so the quadrature stays defined and the fit can report the boundary instead of failing."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        out = np.empty_like(cov)
        for i, c in enumerate(cov):
            if not np.all(np.isfinite(c)):
                out[i] = 1e-8 * np.eye(len(c))
                continue
            w, V = np.linalg.eigh(c)
            floor = 1e-10 * max(float(w.max()), 1e-300)
            out[i] = np.linalg.cholesky((V * np.maximum(w, floor)) @ V.T)
        return out
