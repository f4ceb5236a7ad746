r"""Within-subject covariance structures for MMRM: parameterisation, starting values, derivatives.

Each structure maps an unconstrained vector :math:`\theta` to a positive definite
:math:`T \times T` covariance matrix :math:`\Sigma(\theta)` of the outcomes at the :math:`T`
scheduled visits (visit positions :math:`i, j = 1, \dots, T` in sorted visit order):

``"unstructured"`` (:math:`T(T+1)/2` parameters)
    :math:`\Sigma = L L^\top`, :math:`L` lower triangular with :math:`\log L_{ii}` and
    :math:`L_{ij}` (:math:`i > j`) in :math:`\theta` (log-Cholesky; Pinheiro & Bates 1996).
``"ar1"`` (2)
    :math:`\Sigma_{ij} = \sigma^2 \rho^{|i-j|}`, :math:`\theta = (\log\sigma,
    \operatorname{atanh}\rho)`. The lag is the distance between visit *positions*, as
    ``nlme::corAR1(form = ~ k | id)`` with ``k`` the visit index.
``"ar1h"`` (:math:`T+1`)
    :math:`\Sigma_{ij} = \sigma_i \sigma_j \rho^{|i-j|}`, :math:`\theta = (\log\sigma_1, \dots,
    \log\sigma_T, \operatorname{atanh}\rho)`.
``"cs"`` (2)
    :math:`\Sigma_{ij} = \sigma^2 \{\rho + (1-\rho)\,1[i=j]\}`; :math:`\rho = \ell + (1-\ell)
    \operatorname{expit}(x)` with :math:`\ell = -1/(T-1)` so that :math:`\Sigma` stays positive
    definite; :math:`\theta = (\log\sigma, x)`.
``"csh"`` (:math:`T+1`)
    :math:`\Sigma_{ij} = \sigma_i \sigma_j \{\rho + (1-\rho)\,1[i=j]\}`.

Derivatives :math:`\partial\Sigma/\partial\theta_k` are analytic for the unstructured matrix
(:math:`d\Sigma = dL\,L^\top + L\,dL^\top`) and computed by the complex-step method (Squire &
Trapp 1998) for the others: every map above is analytic, so ``Im Sigma(theta + i h e_k) / h`` is
exact to rounding for tiny ``h``.

References
----------
Pinheiro, J. C. and Bates, D. M. (1996). Unconstrained parametrizations for variance-covariance
matrices. *Statistics and Computing* 6, 289-296.

Squire, W. and Trapp, G. (1998). Using complex variables to estimate derivatives of real
functions. *SIAM Review* 40, 110-112.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["CovarianceStructure", "CovStruct", "parse_covariance"]


class CovarianceStructure(StrEnum):
    """The within-subject covariance structures :func:`alstrials.fit_mmrm` knows."""

    UNSTRUCTURED = "unstructured"
    AR1 = "ar1"
    AR1H = "ar1h"
    CS = "cs"
    CSH = "csh"


_ALIASES = {"un": "unstructured", "us": "unstructured", "compound-symmetry": "cs"}


def parse_covariance(name: str | CovarianceStructure) -> CovarianceStructure:
    """Turn a user string into a :class:`CovarianceStructure` (raises ValueError if unknown)."""
    if isinstance(name, CovarianceStructure):
        return name
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    try:
        return CovarianceStructure(key)
    except ValueError:
        options = [c.value for c in CovarianceStructure]
        raise ValueError(
            f"covariance={name!r} is not a known structure; use one of {options}"
        ) from None


def _expit(x):  # noqa: ANN001, ANN202 - works on real and complex arrays alike
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class CovStruct:
    """A covariance structure for ``n_visits`` visits (see the module docstring)."""

    kind: CovarianceStructure
    n_visits: int

    @property
    def n_params(self) -> int:
        t = self.n_visits
        if self.kind is CovarianceStructure.UNSTRUCTURED:
            return t * (t + 1) // 2
        if self.kind in (CovarianceStructure.AR1, CovarianceStructure.CS):
            return 2 if t > 1 else 1
        return t + 1 if t > 1 else 1

    @property
    def heterogeneous(self) -> bool:
        return self.kind in (CovarianceStructure.AR1H, CovarianceStructure.CSH)

    def _sds_rho(self, theta: np.ndarray) -> tuple[np.ndarray, Any]:
        t = self.n_visits
        if self.heterogeneous:
            sds = np.exp(theta[:t])
            x = theta[t] if t > 1 else 0.0
        else:
            sds = np.exp(theta[0]) * np.ones(t)
            x = theta[1] if t > 1 else 0.0
        if self.kind in (CovarianceStructure.AR1, CovarianceStructure.AR1H):
            rho = np.tanh(x)
        else:
            low = -1.0 / (t - 1) if t > 1 else 0.0
            rho = low + (1.0 - low) * _expit(x)
        return sds, rho

    def matrix(self, theta: np.ndarray) -> np.ndarray:
        """:math:`\\Sigma(\\theta)`; works for complex ``theta`` (complex-step derivatives)."""
        t = self.n_visits
        theta = np.asarray(theta)
        if self.kind is CovarianceStructure.UNSTRUCTURED:
            return (low := self._cholesky(theta)) @ low.T
        sds, rho = self._sds_rho(theta)
        pos = np.arange(t)
        lag = np.abs(pos[:, None] - pos[None, :])
        if self.kind in (CovarianceStructure.AR1, CovarianceStructure.AR1H):
            corr = rho**lag
        else:
            corr = np.where(lag == 0, 1.0 + 0.0 * rho, rho)
        return sds[:, None] * sds[None, :] * corr

    def _cholesky(self, theta: np.ndarray) -> np.ndarray:
        rows, cols, diag = _tril(self.n_visits)
        low = np.zeros((self.n_visits, self.n_visits), dtype=theta.dtype)
        low[rows, cols] = theta
        low[rows[diag], cols[diag]] = np.exp(theta[diag])
        return low

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """:math:`\\partial\\Sigma/\\partial\\theta_k` as an ``(n_params, T, T)`` array."""
        theta = np.asarray(theta, dtype=float)
        if self.kind is CovarianceStructure.UNSTRUCTURED:  # dSigma = dL L' + L dL'
            rows, cols, diag = _tril(self.n_visits)
            low = self._cholesky(theta)
            scale = np.where(np.isin(np.arange(theta.size), diag), np.exp(theta), 1.0)
            jac = np.zeros((theta.size, self.n_visits, self.n_visits))
            jac[np.arange(theta.size), rows, :] = scale[:, None] * low[:, cols].T
            return jac + jac.transpose(0, 2, 1)
        h = 1e-30
        out = np.empty((theta.size, self.n_visits, self.n_visits))
        for k in range(theta.size):
            step = theta.astype(complex)
            step[k] += 1j * h
            out[k] = self.matrix(step).imag / h
        return out

    def start(self, sigma: np.ndarray) -> np.ndarray:
        """Starting ``theta`` from a rough positive definite covariance ``sigma`` (moments)."""
        t = self.n_visits
        sigma = np.asarray(sigma, dtype=float)
        if self.kind is CovarianceStructure.UNSTRUCTURED:
            chol = np.linalg.cholesky(sigma)
            rows, cols, diag = _tril(t)
            theta = chol[rows, cols].copy()
            theta[diag] = np.log(np.diag(chol))
            return theta
        sds = np.sqrt(np.diag(sigma))
        corr = sigma / np.outer(sds, sds)
        if t == 1:
            return np.array([np.log(sds[0])])
        if self.kind in (CovarianceStructure.AR1, CovarianceStructure.AR1H):
            rho = float(np.clip(np.mean(np.diag(corr, 1)), -0.9, 0.95))
            x = np.arctanh(rho)
        else:
            low = -1.0 / (t - 1)
            rho = float(np.mean(corr[np.triu_indices(t, 1)]))
            frac = np.clip((rho - low) / (1.0 - low), 0.02, 0.98)
            x = np.log(frac / (1.0 - frac))
        scale = np.log(sds) if self.heterogeneous else np.array([np.log(np.mean(sds))])
        return np.concatenate([scale, [x]])

    def natural(self, theta: np.ndarray) -> dict[str, float]:
        """The structure's parameters on their natural scale (sds and correlation)."""
        if self.kind is CovarianceStructure.UNSTRUCTURED:
            sigma = self.matrix(theta)
            return {f"sd[{i + 1}]": float(np.sqrt(sigma[i, i])) for i in range(self.n_visits)}
        sds, rho = self._sds_rho(np.asarray(theta, dtype=float))
        out = {"rho": float(rho)} if self.n_visits > 1 else {}
        if self.heterogeneous:
            out.update({f"sd[{i + 1}]": float(s) for i, s in enumerate(sds)})
        else:
            out["sd"] = float(sds[0])
        return out


@lru_cache(maxsize=64)
def _tril(t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-major lower-triangle indices and the positions of the diagonal among them."""
    rows, cols = np.tril_indices(t)
    return rows, cols, np.flatnonzero(rows == cols)
