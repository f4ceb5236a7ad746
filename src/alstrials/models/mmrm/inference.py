r"""MMRM inference: Wald tables of estimates, Satterthwaite and Kenward-Roger df.

:func:`_table` turns estimates and standard errors into ``estimate se (df) t|z p ci_low
ci_high`` columns; :func:`_satterthwaite` gives each contrast the df
:math:`2 (l^\top A^{-1} l)^2 / (g^\top H^{-1} g)` of Satterthwaite (1946), as ``lmerTest``;
:class:`_MMRMInference` holds what any later contrast (LS means, differences) needs under the
fit's df method (residual, Satterthwaite, Kenward-Roger with the adjusted covariance, or z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.models.kenward_roger import KRParts
from alstrials.models.mmrm.likelihood import _Objective

DF_METHODS = ("residual", "satterthwaite", "kenward-roger", "wald")
_LEGACY = {"t": "residual", "satterthwaite": "satterthwaite", "z": "wald"}


def _table(
    est: np.ndarray, se: np.ndarray, index: pd.Index, inference: str, df: object, level: float
) -> pd.DataFrame:
    stat = est / se
    if inference == "z":
        q = stats.norm.ppf(0.5 + level / 2.0)
        p = 2.0 * stats.norm.sf(np.abs(stat))
        data = {"estimate": est, "se": se, "z": stat, "p": p}
    else:
        dfs = np.broadcast_to(np.asarray(df, dtype=float), est.shape)
        q = stats.t.ppf(0.5 + level / 2.0, dfs)
        p = 2.0 * stats.t.sf(np.abs(stat), dfs)
        data = {"estimate": est, "se": se, "df": dfs, "t": stat, "p": p}
    data.update({"ci_low": est - q * se, "ci_high": est + q * se})
    return pd.DataFrame(data, index=index)


def _information(objective: _Objective, theta: np.ndarray) -> np.ndarray:
    """Observed information of theta: the Hessian of the negative log-likelihood by central
    differences of the analytic gradient."""
    k = theta.size
    h = 1e-5
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        hess[:, j] = (objective.value_grad(theta + e)[1] - objective.value_grad(theta - e)[1]) / (
            2.0 * h
        )
    return 0.5 * (hess + hess.T)


def _satterthwaite_parts(
    objective: _Objective, theta: np.ndarray, hess: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(dA/dtheta, H^{-1})`` for Satterthwaite df; None when ``H`` is not positive definite."""
    k = theta.size
    if hess is None:
        hess = _information(objective, theta)
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return None
    parts = objective.pieces(theta)
    jac = objective.cov.jacobian(theta)
    p = objective.p
    d_a = np.zeros((k, p, p))
    for pat, sinv in zip(objective.patterns, parts.inverses, strict=True):
        m = pat.visits.size
        d_sigma = jac[:, pat.visits][:, :, pat.visits]  # (k, m, m)
        q = -np.einsum("ab,kbc,cd->kad", sinv, d_sigma, sinv)
        d_a += (q.reshape(k, m * m) @ pat.xx.reshape(m * m, p * p)).reshape(k, p, p)
    return d_a, np.linalg.inv(hess)


def _satterthwaite_df(
    parts: tuple[np.ndarray, np.ndarray] | None, contrasts: np.ndarray, vcov: np.ndarray
) -> np.ndarray:
    if parts is None:
        return np.full(contrasts.shape[0], np.nan)
    d_a, h_inv = parts
    v = contrasts @ vcov  # rows l'C
    grad = -np.einsum("ci,kij,cj->ck", v, d_a, v)
    var = np.einsum("ck,kl,cl->c", grad, h_inv, grad)
    return 2.0 * np.einsum("ci,ij,cj->c", contrasts, vcov, contrasts) ** 2 / var


def _satterthwaite(
    objective: _Objective,
    theta: np.ndarray,
    contrasts: np.ndarray,
    vcov: np.ndarray,
    hess: np.ndarray | None = None,
) -> np.ndarray:
    """Satterthwaite df of each contrast row ``l``: ``2 (l'Cl)^2 / (g' H^{-1} g)``.

    ``C = A(theta)^{-1}``, ``g_k = d(l'Cl)/d theta_k = -l'C (dA/d theta_k) C l`` and ``H`` the
    Hessian of the negative log-likelihood (:func:`_information` unless given).
    Returns NaN for every row when ``H`` is not positive definite.
    """
    return _satterthwaite_df(_satterthwaite_parts(objective, theta, hess), contrasts, vcov)


@dataclass(frozen=True, eq=False)
class _MMRMInference:
    """Inference for any contrast ``L beta`` under the df method of the fit.

    ``method`` is one of :data:`DF_METHODS`; ``satt`` holds Satterthwaite's pieces and ``kr``
    the Kenward-Roger pieces (``None`` when not requested or not computable: df are then NaN).
    """

    method: str
    vcov: np.ndarray
    df_residual: int
    satt: tuple[np.ndarray, np.ndarray] | None = None
    kr: KRParts | None = None

    def se_df(self, L: np.ndarray) -> tuple[np.ndarray, object]:
        """Standard errors and df of the rows of ``L``."""
        if self.method == "kenward-roger":
            if self.kr is None:
                se = np.sqrt(np.einsum("ik,kl,il->i", L, self.vcov, L))
                return se, np.full(L.shape[0], np.nan)
            se = np.sqrt(np.einsum("ik,kl,il->i", L, self.kr.vcov_adj, L))
            return se, self.kr.df(L)
        se = np.sqrt(np.einsum("ik,kl,il->i", L, self.vcov, L))
        if self.method == "satterthwaite":
            return se, _satterthwaite_df(self.satt, L, self.vcov)
        return se, self.df_residual

    def table(self, L: np.ndarray, beta: np.ndarray, index: pd.Index, level: float) -> pd.DataFrame:
        se, df = self.se_df(L)
        kind = "z" if self.method == "wald" else "t"
        return _table(L @ beta, se, index, kind, df, level)
