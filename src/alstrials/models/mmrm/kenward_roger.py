r"""Kenward-Roger pieces for the MMRM, from the missingness-pattern cross-products.

For pattern :math:`s` (visits :math:`S`, :math:`n_s` subjects) put :math:`S_s =
\Sigma_S^{-1}`, :math:`J_k = \partial\Sigma_S/\partial\theta_k` (the structure's Jacobian,
:mod:`alstrials.models.covstruct`) and :math:`A_k = S_s J_k`. Every Kenward-Roger sum is a sum
over subjects of :math:`X_i^\top M X_i` or of a trace, so with the pattern's sufficient
statistic :math:`\sum_i x_{ia} x_{ib}^\top`:

.. math::

    P_k = \textstyle\sum_s X^\top A_k S_s X, \quad
    \sum_{kl} W_{kl} Q_{kl} = \sum_s X^\top\Big(\sum_{kl} W_{kl} A_k A_l\Big) S_s X, \quad
    \operatorname{tr}(\Sigma^{-1}G_k\Sigma^{-1}G_l) = \sum_s n_s \operatorname{tr}(A_k A_l),

and :math:`\operatorname{tr}(\Phi Q_{kl}) = \sum_s \operatorname{tr}(A_k A_l S_s H_s)` with
:math:`H_s = \sum_i X_i \Phi X_i^\top`. The cost is O(patterns x K^2 T^3) whatever the number of
subjects. Working with :math:`\partial\Sigma/\partial\theta` in the fitted (log-Cholesky, ...)
parameterisation and no second-derivative term gives the linear-components answer (SAS's
``TYPE=UN`` parameterisation, pbkrtest); see :mod:`alstrials.models.kenward_roger`.
"""

from __future__ import annotations

import numpy as np

from alstrials.models.kenward_roger import KRParts, expected_information, kenward_roger
from alstrials.models.mmrm.likelihood import _Objective

__all__ = ["_kr_mmrm"]


def _kr_mmrm(
    objective: _Objective,
    theta: np.ndarray,
    phi: np.ndarray,
    information: str,
    hess: np.ndarray | None,
) -> tuple[KRParts | None, str]:
    """Kenward-Roger parts at ``theta``; ``(None, reason)`` if W cannot be formed.

    ``hess`` is the observed information of theta (Hessian of the negative REML
    log-likelihood), used when ``information="observed"``.
    """
    parts = objective.pieces(theta)
    jac = objective.cov.jacobian(theta)
    k = theta.size
    p = objective.p
    P = np.zeros((k, p, p))
    ktrace = np.zeros((k, k))
    tr_phi_q = np.zeros((k, k))
    blocks = []
    for pat, sinv in zip(objective.patterns, parts.inverses, strict=True):
        m = pat.visits.size
        xxr = pat.xx.reshape(m * m, p * p)
        a = np.einsum("ab,kbc->kac", sinv, jac[:, pat.visits][:, :, pat.visits])
        P += ((a @ sinv).reshape(k, m * m) @ xxr).reshape(k, p, p)
        ktrace += pat.n * np.einsum("kab,lba->kl", a, a)
        sh = sinv @ (xxr @ phi.ravel()).reshape(m, m)
        tr_phi_q += np.einsum("kab,lba->kl", a, a @ sh)
        blocks.append((a, sinv, xxr))

    if information == "observed":
        info = hess
    else:
        info = expected_information(phi, P, ktrace, tr_phi_q)
    if info is None or not np.all(np.isfinite(info)):
        return None, "the information matrix of the covariance parameters is not available"
    info = 0.5 * (info + info.T)
    try:
        chol = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return None, (
            f"the {information} information matrix of the covariance parameters is not "
            "positive definite (a boundary or non-converged fit)"
        )
    eye = np.eye(k)
    W = np.linalg.solve(chol.T, np.linalg.solve(chol, eye))
    W = 0.5 * (W + W.T)

    def sum_q(w: np.ndarray) -> np.ndarray:
        out = np.zeros((p, p))
        for a, sinv, xxr in blocks:
            m = sinv.shape[0]
            n_mat = np.einsum("kl,kab,lbc->ac", w, a, a, optimize=True) @ sinv
            out += (n_mat.reshape(m * m) @ xxr).reshape(p, p)
        return out

    return kenward_roger(phi, P, W, sum_q, information), ""
