"""Inference on the fixed effects of a linear mixed model: Wald tests, Satterthwaite df, contrasts.

For a contrast ``c = L beta`` with ``Var(beta_hat) = C = sigma^2 A(theta)^{-1}`` (evaluated at the
estimates, as lme4 does), the Wald statistic is ``L beta_hat / sqrt(L C L')``, referred to the
standard normal ("wald", the default) or to a t distribution with Satterthwaite's degrees of freedom
("satterthwaite"), computed as in lmerTest (Kuznetsova, Brockhoff and Christensen 2017): with the
variance parameters ``phi = (theta, sigma)``, ``H`` the Hessian of the deviance in ``phi`` and
``g_k = L (dC/dphi_k) L'``,

    Var(phi_hat) ~= 2 H^{-1},   df = 2 (L C L')^2 / (g' Var(phi_hat) g).

``H`` and ``dC/dphi`` for ``theta`` are obtained by Richardson-extrapolated central differences;
``dC/dsigma = 2 C / sigma`` is exact. The answer does not depend on the parameterisation of the
variance parameters away from the boundary of the parameter space.

References
----------
Satterthwaite FE (1946). An approximate distribution of estimates of variance components.
Biometrics Bulletin 2, 110-114.
Kuznetsova A, Brockhoff PB, Christensen RHB (2017). lmerTest package: tests in linear mixed effects
models. Journal of Statistical Software 82(13).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.errors import DataValidationError
from alstrials.models.kenward_roger import KRParts
from alstrials.models.lmm.engine import Stats, deviance_full, evaluate

__all__ = ["SatterthwaiteParts", "satterthwaite_parts", "contrast_matrix", "wald_table"]


@dataclass(frozen=True, eq=False)
class SatterthwaiteParts:
    """What Satterthwaite's df needs, computed once at the estimates.

    ``jac`` has shape ``(k, p, p)``: derivatives of ``Var(beta_hat)`` in each variance parameter;
    ``vcov_varpar`` is the ``k x k`` asymptotic covariance of ``(theta, sigma)``.
    """

    jac: np.ndarray
    vcov_varpar: np.ndarray

    def df(self, L: np.ndarray, vcov: np.ndarray) -> np.ndarray:
        """Satterthwaite df of each row of ``L``."""
        var = np.einsum("ri,ij,rj->r", L, vcov, L)
        g = np.einsum("ri,kij,rj->rk", L, self.jac, L)
        denom = np.einsum("rk,kl,rl->r", g, self.vcov_varpar, g)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, 2.0 * var**2 / denom, np.inf)


def _richardson(f: Callable[[float], np.ndarray], h: float) -> np.ndarray:
    """First derivative at 0 of ``f`` by central differences, one Richardson step."""
    d1 = (f(h) - f(-h)) / (2 * h)
    d2 = (f(h / 2) - f(-h / 2)) / h
    return (4 * d2 - d1) / 3


def _hessian(fun: Callable[[np.ndarray], float], x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Hessian of ``fun`` at ``x`` by Richardson-extrapolated central second differences."""
    k = x.size
    H = np.empty((k, k))
    f0 = fun(x)

    def second(i: int, j: int, h_i: float, h_j: float) -> float:
        if i == j:
            e = np.zeros(k)
            e[i] = h_i
            return (fun(x + e) - 2 * f0 + fun(x - e)) / h_i**2
        ei = np.zeros(k)
        ej = np.zeros(k)
        ei[i] = h_i
        ej[j] = h_j
        return (fun(x + ei + ej) - fun(x + ei - ej) - fun(x - ei + ej) + fun(x - ei - ej)) / (
            4 * h_i * h_j
        )

    for i in range(k):
        for j in range(i, k):
            a = second(i, j, steps[i], steps[j])
            b = second(i, j, steps[i] / 2, steps[j] / 2)
            H[i, j] = H[j, i] = (4 * b - a) / 3
    return H


def satterthwaite_parts(
    theta: np.ndarray, sigma: float, d: Stats, reml: bool
) -> SatterthwaiteParts:
    """Jacobian of ``Var(beta_hat)`` and covariance of the variance parameters at the estimates."""
    varpar = np.r_[theta, sigma]
    steps = 1e-3 * np.maximum(np.abs(varpar), 0.1)
    H = _hessian(lambda v: deviance_full(v, d, reml), varpar, steps)
    vcov_varpar = 2.0 * np.linalg.pinv(H)

    def vcov_at(th: np.ndarray) -> np.ndarray:
        return sigma**2 * np.linalg.inv(evaluate(th, d, reml, gradient=False).A)

    k = varpar.size
    p = d.XtX.shape[0]
    jac = np.empty((k, p, p))
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = 1.0

        def along(h: float, e: np.ndarray = e) -> np.ndarray:
            return vcov_at(theta + h * e)

        jac[i] = _richardson(along, steps[i])
    jac[-1] = 2.0 * vcov_at(theta) / sigma
    return SatterthwaiteParts(jac=jac, vcov_varpar=vcov_varpar)


def contrast_matrix(
    L: Mapping[str, float]
    | Mapping[str, Mapping[str, float]]
    | np.ndarray
    | pd.DataFrame
    | list[float],
    names: list[str],
) -> tuple[np.ndarray, list[str]]:
    """Turn a user's contrast specification into a matrix with one row per contrast.

    Accepted: a dict ``{term: weight}`` (one contrast), a dict ``{label: {term: weight}}``
    (several), a 1-D sequence of length ``p`` (one), a 2-D array ``(r, p)``, or a DataFrame whose
    columns are terms and whose index labels the contrasts.
    """
    p = len(names)

    def from_dict(weights: Mapping[str, Any]) -> np.ndarray:
        unknown = [t for t in weights if t not in names]
        if unknown:
            raise DataValidationError(
                f"contrast names unknown fixed-effect term(s) {unknown}; the terms are {names}."
            )
        row = np.zeros(p)
        for t, w in weights.items():
            row[names.index(t)] = float(w)
        return row

    if isinstance(L, pd.DataFrame):
        unknown = [t for t in L.columns if t not in names]
        if unknown:
            raise DataValidationError(
                f"contrast columns {unknown} are not fixed-effect terms; the terms are {names}."
            )
        mat = np.vstack([from_dict(dict(r)) for _, r in L.iterrows()])
        return mat, [str(i) for i in L.index]
    if isinstance(L, Mapping):
        if L and all(isinstance(v, Mapping) for v in L.values()):
            return np.vstack([from_dict(v) for v in L.values()]), [str(k) for k in L]  # type: ignore[arg-type]
        return from_dict(L)[None, :], [" + ".join(f"{w:g}*{t}" for t, w in L.items())]
    arr = np.asarray(L, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != p:
        raise DataValidationError(
            f"a contrast given as numbers needs {p} weights per row (one per term {names}), got "
            f"shape {np.asarray(L).shape}."
        )
    return arr, [f"contrast {i + 1}" for i in range(arr.shape[0])]


def wald_table(
    L: np.ndarray,
    labels: list[str],
    beta: np.ndarray,
    vcov: np.ndarray,
    *,
    level: float = 0.95,
    satterthwaite: SatterthwaiteParts | None = None,
    kenward_roger: KRParts | None = None,
    kr_failed: bool = False,
) -> pd.DataFrame:
    """Estimate, SE, statistic, p and confidence interval of ``L beta`` (one row per contrast).

    Columns ``estimate se z p ci_low ci_high`` for Wald/normal inference, or
    ``estimate se df t p ci_low ci_high`` with Satterthwaite's t, or with Kenward-Roger's
    adjusted SE and df (``kenward_roger``; ``kr_failed``: KR was asked for but could not be
    computed, df are NaN).
    """
    if not 0 < level < 1:
        raise DataValidationError(f"level must be in (0, 1), got {level}.")
    est = L @ beta
    if kenward_roger is not None:
        vcov = kenward_roger.vcov_adj
    se = np.sqrt(np.einsum("ri,ij,rj->r", L, vcov, L))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    out = pd.DataFrame({"estimate": est, "se": se}, index=pd.Index(labels, name="term"))
    if kenward_roger is not None or kr_failed:
        df = kenward_roger.df(L) if kenward_roger is not None else np.full(len(est), np.nan)
        crit = stats.t.ppf(0.5 + level / 2, df)
        out["df"] = df
        out["t"] = stat
        out["p"] = 2 * stats.t.sf(np.abs(stat), df)
    elif satterthwaite is None:
        crit = stats.norm.ppf(0.5 + level / 2)
        out["z"] = stat
        out["p"] = 2 * stats.norm.sf(np.abs(stat))
    else:
        df = satterthwaite.df(L, vcov)
        crit = stats.t.ppf(0.5 + level / 2, df)
        out["df"] = df
        out["t"] = stat
        out["p"] = 2 * stats.t.sf(np.abs(stat), df)
    out["ci_low"] = est - crit * se
    out["ci_high"] = est + crit * se
    return out
