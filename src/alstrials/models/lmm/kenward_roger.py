r"""Kenward-Roger pieces for the linear mixed model, per subject in padded batches.

The marginal covariance of subject :math:`i` is :math:`\Sigma_i = Z_i G Z_i^\top + \sigma^2 I`,
linear in the components :math:`\sigma_k`: the lower-triangle elements :math:`G_{ab}`
(:math:`G_k = Z_i(E_{ab} + E_{ba})Z_i^\top`, or :math:`Z_i E_{aa} Z_i^\top`) and the residual
variance (:math:`G_k = I`), exactly the components of ``pbkrtest::vcovAdj`` for an ``lmer`` fit
with one grouping factor. Subjects are stacked in arrays padded to the largest
:math:`n_i` (padding rows carry :math:`\Sigma = 1` and zero :math:`X`, :math:`Z` and
:math:`G_k`, so they contribute nothing), and with :math:`A_k = \Sigma_i^{-1}G_k` the sums of
:mod:`alstrials.models.kenward_roger` are batched products:
:math:`P_k = \sum_i X_i^\top A_k\Sigma_i^{-1}X_i`,
:math:`\operatorname{tr}(\Sigma^{-1}G_k\Sigma^{-1}G_l) = \sum_i\operatorname{tr}(A_kA_l)`,
:math:`\operatorname{tr}(\Phi Q_{kl}) = \sum_i\operatorname{tr}(A_kA_l\Sigma_i^{-1}X_i\Phi
X_i^\top)` and :math:`\sum W_{kl}Q_{kl} = \sum_i X_i^\top(\sum W_{kl}A_kA_l)\Sigma_i^{-1}X_i`.
:math:`W` is the inverse expected REML information (as ``pbkrtest``). Memory is
O(K x subjects x max(n_i)^2).
"""

from __future__ import annotations

import numpy as np

from alstrials.models.kenward_roger import KRParts, expected_information, kenward_roger
from alstrials.models.lmm.design import LMMDesign
from alstrials.models.lmm.engine import theta_index

__all__ = ["kr_lmm"]


def kr_lmm(
    d: LMMDesign, G: np.ndarray, sigma2: float, phi: np.ndarray
) -> tuple[KRParts | None, str]:
    """Kenward-Roger parts of an LMM fit; ``(None, reason)`` if the information is singular.

    Parameters
    ----------
    d : LMMDesign
        The design (rows sorted by subject).
    G : ndarray (q, q)
        Estimated random-effects covariance.
    sigma2 : float
        Estimated residual variance.
    phi : ndarray (p, p)
        Model-based covariance of the fixed effects at the estimates.
    """
    n_obs, p = d.X.shape
    q = d.Z.shape[1]
    m = d.n_groups
    sizes = np.diff(np.r_[d.starts, n_obs])
    nmax = int(sizes.max())
    pos = np.arange(n_obs) - d.starts[d.group_index]
    xp = np.zeros((m, nmax, p))
    zp = np.zeros((m, nmax, q))
    mask = np.zeros((m, nmax))
    xp[d.group_index, pos] = d.X
    zp[d.group_index, pos] = d.Z
    mask[d.group_index, pos] = 1.0

    rows, cols = theta_index(q)
    comps = []
    for a, b in zip(rows, cols, strict=True):
        outer = np.einsum("mi,mj->mij", zp[:, :, a], zp[:, :, b])
        comps.append(outer if a == b else outer + outer.transpose(0, 2, 1))
    comps.append(mask[:, :, None] * np.eye(nmax)[None])
    gk = np.stack(comps)  # (K, m, n, n)
    k = gk.shape[0]

    sigma = np.einsum("mia,ab,mjb->mij", zp, G, zp) + sigma2 * gk[-1]
    sigma += (1.0 - mask)[:, :, None] * np.eye(nmax)[None]
    sinv = np.linalg.inv(sigma)
    sinv = 0.5 * (sinv + sinv.transpose(0, 2, 1))
    vx = sinv @ xp  # (m, n, p)
    A = np.einsum("mab,kmbc->kmac", sinv, gk, optimize=True)
    P = np.einsum("mnp,kmnr,mrq->kpq", vx, gk, vx, optimize=True)
    ktrace = np.einsum("kmab,lmba->kl", A, A, optimize=True)
    sh = sinv @ np.einsum("map,pq,mbq->mab", xp, phi, xp, optimize=True)
    tr_phi_q = np.einsum("kmab,lmbc,mca->kl", A, A, sh, optimize=True)
    info = expected_information(phi, P, ktrace, tr_phi_q)
    try:
        chol = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return None, (
            "the expected information matrix of the variance components is not positive "
            "definite (variance components not identified)"
        )
    W = np.linalg.solve(chol.T, np.linalg.solve(chol, np.eye(k)))
    W = 0.5 * (W + W.T)

    def sum_q(w: np.ndarray) -> np.ndarray:
        n_mat = np.einsum("kl,kmab,lmbc->mac", w, A, A, optimize=True) @ sinv
        return np.einsum("map,mab,mbq->pq", xp, n_mat, xp, optimize=True)

    return kenward_roger(phi, P, W, sum_q, "expected"), ""
