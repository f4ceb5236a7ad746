"""MMRM likelihood: the profiled REML/ML log-likelihood of the covariance parameters.

Subjects sharing a missingness pattern are reduced to cross-products (:class:`_Pattern`), so an
evaluation costs one Cholesky factor per pattern; :class:`_Objective` profiles out the fixed
effects by GLS and returns the negative log-likelihood with its analytic gradient, and
:func:`_start_covariance` gives BFGS its starting covariance (equations in
:mod:`alstrials.models.mmrm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import linalg

from alstrials.models.covstruct import CovStruct
from alstrials.models.mmrm.design import _Design

_LOG2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class _Pattern:
    """Sufficient statistics of the subjects sharing one set of observed visits.

    With ``m`` visits and ``p`` fixed effects: ``xx[a, b] = sum_i x_ia x_ib'`` (m, m, p, p),
    ``xy[a, b] = sum_i x_ia y_ib`` (m, m, p) and ``yy[a, b] = sum_i y_ia y_ib`` (m, m), so the
    likelihood costs O(m^2 p^2) per pattern whatever the number of subjects.
    """

    visits: np.ndarray  # positions (0..T-1) of the observed visits
    n: int
    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray

    def residual_cross(self, beta: np.ndarray) -> np.ndarray:
        """``sum_i r_i r_i'`` for residuals ``r_i = y_i - X_i beta``."""
        xy_b = self.xy @ beta
        return self.yy - xy_b - xy_b.T + np.einsum("abkl,k,l->ab", self.xx, beta, beta)


def _patterns(design: _Design) -> list[_Pattern]:
    order = np.lexsort((design.visit_pos, design.subject_codes))
    subj = design.subject_codes[order]
    pos = design.visit_pos[order]
    y = design.y[order]
    x = design.x[order]
    starts = np.flatnonzero(np.r_[True, subj[1:] != subj[:-1]])
    ends = np.r_[starts[1:], subj.size]
    keys: dict[tuple[int, ...], list[int]] = {}
    for s, e in zip(starts, ends, strict=True):
        keys.setdefault(tuple(pos[s:e].tolist()), []).append(int(s))
    out = []
    for key, first in keys.items():
        m = len(key)
        rows = (np.asarray(first)[:, None] + np.arange(m)[None, :]).ravel()
        yp = y[rows].reshape(-1, m)
        xp = x[rows].reshape(-1, m, x.shape[1])
        out.append(
            _Pattern(
                visits=np.asarray(key),
                n=yp.shape[0],
                xx=np.einsum("nak,nbl->abkl", xp, xp, optimize=True),
                xy=np.einsum("nak,nb->abk", xp, yp, optimize=True),
                yy=yp.T @ yp,
            )
        )
    return out


class _Pieces(NamedTuple):
    """The profiled fit at one theta."""

    sigma: np.ndarray  # T x T covariance
    a_factor: tuple  # Cholesky factor of A = X' V^{-1} X (scipy cho_factor)
    beta: np.ndarray
    loglik: float
    inverses: list  # Sigma_S^{-1} for each pattern


class _Objective:
    """REML/ML log-likelihood of theta with beta profiled out, and its gradient."""

    def __init__(self, patterns: list[_Pattern], cov: CovStruct, reml: bool, n_obs: int):
        self.patterns = patterns
        self.cov = cov
        self.reml = reml
        self.n_obs = n_obs
        self.p = patterns[0].xx.shape[2]

    def pieces(self, theta: np.ndarray) -> _Pieces:
        sigma = self.cov.matrix(theta)
        p = self.p
        a = np.zeros((p, p))
        b = np.zeros(p)
        logdet = 0.0
        inverses = []
        for pat in self.patterns:
            m = pat.visits.size
            sub = sigma[np.ix_(pat.visits, pat.visits)]
            factor = linalg.cho_factor(sub, lower=True)
            sinv = linalg.cho_solve(factor, np.eye(m))
            inverses.append(sinv)
            logdet += pat.n * 2.0 * np.sum(np.log(np.diag(factor[0])))
            a += (sinv.ravel() @ pat.xx.reshape(m * m, p * p)).reshape(p, p)
            b += sinv.ravel() @ pat.xy.reshape(m * m, p)
        a_factor = linalg.cho_factor(a, lower=True)
        beta = linalg.cho_solve(a_factor, b)
        quad = sum(
            float(np.sum(sinv * pat.residual_cross(beta)))
            for pat, sinv in zip(self.patterns, inverses, strict=True)
        )
        logdet_a = 2.0 * np.sum(np.log(np.diag(a_factor[0])))
        if self.reml:
            loglik = -0.5 * ((self.n_obs - p) * _LOG2PI + logdet + quad + logdet_a)
        else:
            loglik = -0.5 * (self.n_obs * _LOG2PI + logdet + quad)
        return _Pieces(sigma, a_factor, beta, float(loglik), inverses)

    def value_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log-likelihood and its gradient (for minimisation)."""
        try:
            parts = self.pieces(theta)
        except (linalg.LinAlgError, ValueError):
            return np.inf, np.zeros_like(theta)
        t = self.cov.n_visits
        g_sigma = np.zeros((t, t))
        a_inv = linalg.cho_solve(parts.a_factor, np.eye(self.p))
        for pat, sinv in zip(self.patterns, parts.inverses, strict=True):
            inner = pat.residual_cross(parts.beta)
            if self.reml:  # sum_i X_i A^{-1} X_i'
                m = pat.visits.size
                inner = inner + (pat.xx.reshape(m * m, -1) @ a_inv.ravel()).reshape(m, m)
            block = pat.n * sinv - sinv @ inner @ sinv
            g_sigma[np.ix_(pat.visits, pat.visits)] += -0.5 * block
        jac = self.cov.jacobian(theta)
        grad = np.einsum("kab,ab->k", jac, g_sigma)
        return -parts.loglik, -grad


def _start_covariance(design: _Design) -> np.ndarray:
    """Pairwise moment covariance of OLS residuals by visit, made positive definite."""
    beta, *_ = np.linalg.lstsq(design.x, design.y, rcond=None)
    resid = design.y - design.x @ beta
    wide = pd.DataFrame({"s": design.subject_codes, "v": design.visit_pos, "r": resid}).pivot(
        index="s", columns="v", values="r"
    )
    wide = wide.reindex(columns=range(design.n_visits))
    pooled = float(np.nanvar(resid)) or 1.0
    cov = wide.cov(min_periods=2).to_numpy()
    cov = np.where(np.isfinite(cov), cov, 0.0)
    diag = np.diag(cov).copy()
    diag[~(diag > 0)] = pooled
    np.fill_diagonal(cov, diag)
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, 0.05 * max(float(vals.max()), pooled))
    return (vecs * vals) @ vecs.T
