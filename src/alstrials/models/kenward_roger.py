r"""Kenward-Roger inference for Gaussian models with a linear covariance: the shared algebra.

Model and notation
------------------
:math:`y \sim N(X\beta, \Sigma(\sigma))`, :math:`\Sigma = \sum_k \sigma_k G_k` in the variance
components :math:`\sigma_1, \dots, \sigma_K` (the elements of an unstructured covariance, the
random-effects (co)variances and the residual variance of an LMM, ...). With
:math:`\Phi = (X^\top\Sigma^{-1}X)^{-1}` at the REML estimates (the model-based covariance of
:math:`\hat\beta`),

.. math::

    P_k = X^\top\Sigma^{-1}G_k\Sigma^{-1}X, \qquad
    Q_{kl} = X^\top\Sigma^{-1}G_k\Sigma^{-1}G_l\Sigma^{-1}X,

and :math:`W` the asymptotic covariance of :math:`\hat\sigma`, Kenward and Roger (1997) inflate
:math:`\Phi` to

.. math::

    \Phi_A = \Phi + 2\,\Phi\Big\{\sum_{k,l} W_{kl}\,(Q_{kl} - P_k\Phi P_l)\Big\}\Phi

(the term :math:`-\tfrac14 R_{kl}` with :math:`R_{kl} = X^\top\Sigma^{-1}
\partial^2\Sigma/\partial\sigma_k\partial\sigma_l\,\Sigma^{-1}X` vanishes because
:math:`\Sigma` is linear in :math:`\sigma`; for a covariance that is not linear in its
parameters this is SAS's ``DDFM=KR(LINEAR)``/``FIRSTORDER``). Under a reparameterisation
:math:`\sigma = \sigma(\theta)` the sums :math:`\sum W_{kl} P_k \cdot P_l` and
:math:`\sum W_{kl} Q_{kl}` are unchanged when :math:`P_k` and :math:`Q_{kl}` are built from
:math:`\partial\Sigma/\partial\theta_k` and :math:`W` is the covariance of :math:`\hat\theta`
(expected information, or observed information at a stationary point), so the callers may work
in any parameterisation (log-Cholesky, ...) and still obtain the linear-components answer of
``pbkrtest`` and SAS.

:math:`W` is the inverse of either the expected REML information
:math:`\mathcal I_{kl} = \tfrac12\{\operatorname{tr}(\Sigma^{-1}G_k\Sigma^{-1}G_l)
- 2\operatorname{tr}(\Phi Q_{kl}) + \operatorname{tr}(\Phi P_k \Phi P_l)\}` (``pbkrtest``) or the
observed information (SAS ``PROC MIXED``'s default).

For a hypothesis :math:`L\beta = 0` with :math:`q` = rank of :math:`L`, put
:math:`\Theta = L^\top(L\Phi L^\top)^{-1}L`, :math:`A_1 = \sum W_{kl}\operatorname{tr}(\Theta\Phi
P_k\Phi)\operatorname{tr}(\Theta\Phi P_l\Phi)` and :math:`A_2 = \sum W_{kl}\operatorname{tr}(
\Theta\Phi P_k\Phi\Theta\Phi P_l\Phi)`; the F statistic
:math:`F = \lambda\,(L\hat\beta)^\top(L\Phi_A L^\top)^{-1}(L\hat\beta)/q` is referred to
:math:`F(q, m)` with :math:`m = 4 + (q+2)/(q\rho - 1)` and :math:`\lambda = m(1 - A_2/q)/(m-2)`,
:math:`\rho` as in Kenward and Roger (1997, section 4). For one contrast (:math:`q = 1`) this is
a t test with :math:`t = l^\top\hat\beta/\sqrt{l^\top\Phi_A l}` and
:math:`m = 2(l^\top\Phi l)^2/\sum_{kl} W_{kl}(l^\top\Phi P_k\Phi l)(l^\top\Phi P_l\Phi l)`
(:math:`\lambda = 1`), which is Satterthwaite's df computed with :math:`W`.

References
----------
Kenward, M. G. and Roger, J. H. (1997). Small sample inference for fixed effects from restricted
maximum likelihood. *Biometrics* 53, 983-997.

Halekoh, U. and Hojsgaard, S. (2014). A Kenward-Roger approximation and parametric bootstrap
methods for tests in linear mixed models - the R package pbkrtest. *Journal of Statistical
Software* 59(9).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["KRParts", "expected_information", "kenward_roger"]


@dataclass(frozen=True, eq=False)
class KRParts:
    """The Kenward-Roger pieces of one fit, computed once at the estimates.

    Attributes
    ----------
    vcov : ndarray (p, p)
        Model-based :math:`\\Phi`.
    vcov_adj : ndarray (p, p)
        Kenward-Roger adjusted :math:`\\Phi_A`.
    P : ndarray (K, p, p)
        :math:`P_k` (any sign convention: it enters in pairs).
    W : ndarray (K, K)
        Covariance of the covariance-parameter estimates used.
    information : str
        ``"expected"`` or ``"observed"``.
    """

    vcov: np.ndarray
    vcov_adj: np.ndarray
    P: np.ndarray
    W: np.ndarray
    information: str

    def df(self, L: np.ndarray) -> np.ndarray:
        """Kenward-Roger df of each row of ``L`` taken as a single contrast (the t df)."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        var = np.einsum("ri,ij,rj->r", L, self.vcov, L)
        lp = L @ self.vcov  # rows l'Phi
        g = np.einsum("ri,kij,rj->rk", lp, self.P, lp)  # l'Phi P_k Phi l
        a1 = np.einsum("rk,kl,rl->r", g, self.W, g) / np.where(var > 0, var, 1.0) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a1 > 0, 2.0 / a1, np.inf)

    def ftest(self, L: np.ndarray, beta: np.ndarray) -> dict[str, float]:
        """Kenward-Roger F test of ``L beta = 0`` (rows of ``L`` linearly independent).

        Returns ``F`` (scaled), ``ndf``, ``ddf``, ``scale`` (:math:`\\lambda`) and ``p``, as
        ``pbkrtest::KRmodcomp``.
        """
        from scipy import stats

        L = np.atleast_2d(np.asarray(L, dtype=float))
        q = int(np.linalg.matrix_rank(L))
        phi = self.vcov
        theta = L.T @ np.linalg.solve(L @ phi @ L.T, L)
        u = np.einsum("ij,kjl,lm->kim", theta @ phi, self.P, phi)  # Theta Phi P_k Phi
        tr = np.einsum("kii->k", u)
        a1 = float(tr @ self.W @ tr)
        a2 = float(np.einsum("kl,kij,lji->", self.W, u, u))
        b = (a1 + 6.0 * a2) / (2.0 * q)
        g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
        den = 3 * q + 2 * (1 - g)
        c1, c2, c3 = g / den, (q - g) / den, (q + 2 - g) / den
        v0 = 1.0 + c1 * b
        v0 = 0.0 if abs(v0) < 1e-10 else v0
        v1, v2 = 1.0 - c2 * b, 1.0 - c3 * b
        rho = ((1.0 - a2 / q) / v1) ** 2 * v0 / v2 / q
        ddf = 4.0 + (q + 2) / (q * rho - 1.0)
        scale = 1.0 if abs(ddf - 2.0) < 1e-2 else ddf * (1.0 - a2 / q) / (ddf - 2.0)
        lb = L @ beta
        wald = float(lb @ np.linalg.solve(L @ self.vcov_adj @ L.T, lb))
        fstat = scale * wald / q
        return {
            "F": fstat,
            "ndf": float(q),
            "ddf": float(ddf),
            "scale": float(scale),
            "p": float(stats.f.sf(fstat, q, ddf)),
        }


def expected_information(
    phi: np.ndarray, P: np.ndarray, ktrace: np.ndarray, tr_phi_q: np.ndarray
) -> np.ndarray:
    """Expected REML information of the covariance parameters,
    ``0.5 (tr(S G_k S G_l) - 2 tr(Phi Q_kl) + tr(Phi P_k Phi P_l))``."""
    pp = np.einsum("ij,kjl->kil", phi, P)  # Phi P_k
    tr_pp = np.einsum("kij,lji->kl", pp, pp)
    info = 0.5 * (ktrace - 2.0 * tr_phi_q + tr_pp)
    return 0.5 * (info + info.T)


def kenward_roger(
    phi: np.ndarray,
    P: np.ndarray,
    W: np.ndarray,
    sum_q: Callable[[np.ndarray], np.ndarray],
    information: str,
) -> KRParts:
    """Adjusted covariance :math:`\\Phi_A` from the pieces of one fit.

    Parameters
    ----------
    phi : ndarray (p, p)
        Model-based covariance of the fixed effects.
    P : ndarray (K, p, p)
        :math:`X^\\top\\Sigma^{-1}G_k\\Sigma^{-1}X`.
    W : ndarray (K, K)
        Covariance of the covariance-parameter estimates.
    sum_q : callable
        ``sum_q(W)`` returns :math:`\\sum_{kl} W_{kl} Q_{kl}` (p, p).
    information : str
        Label stored on the result (``"expected"`` or ``"observed"``).
    """
    pphi = np.einsum("kij,jl->kil", P, phi)  # P_k Phi
    ppp = np.einsum("kl,kij,ljm->im", W, pphi, P)  # sum W_kl P_k Phi P_l
    u = sum_q(W) - ppp
    u = 0.5 * (u + u.T)
    adj = phi + 2.0 * phi @ u @ phi
    return KRParts(vcov=phi, vcov_adj=0.5 * (adj + adj.T), P=P, W=W, information=information)
