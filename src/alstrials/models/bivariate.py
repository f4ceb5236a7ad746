r"""Bivariate linear mixed model: does an MRI biomarker track function over time?

Model
-----
Two outcomes (index :math:`k = 1, 2`, e.g. cord cross-sectional area and ALSFRS-R total) are
measured on subject :math:`i` at their own times :math:`t_{ikj}` (scans and clinic visits need not
coincide). With outcome-specific fixed intercepts and slopes,

.. math::

    y_{ikj} = (\beta_{0k} + b_{0ik}) + (\beta_{1k} + b_{1ik})\, t_{ikj} + x_{ikj}^\top\gamma_k
        + \varepsilon_{ikj}, \qquad \varepsilon_{ikj} \sim N(0, \sigma_k^2),

    b_i = (b_{0i1}, b_{0i2}, b_{1i1}, b_{1i2})^\top \sim N(0, D),

with :math:`D` an unstructured :math:`4\times 4` covariance (order: intercept 1, intercept 2,
slope 1, slope 2) and independent residuals. Optional terms :math:`x^\top\gamma_k`: numeric
covariates, and with ``arm=`` an arm effect on each outcome's intercept and slope. In ``nlme``
this is ``lme(y ~ 0 + outcome + outcome:time, random = ~ 0 + outcome + outcome:time | id,
weights = varIdent(form = ~ 1 | outcome))`` on the stacked data.

The question "does the biomarker track function?" is answered by the correlation of the
subject-level slopes, :math:`\rho_{slope} = D_{34} / \sqrt{D_{33} D_{44}}`: the correlation of
the true (error-free) rates of change of the two outcomes across subjects.

Estimation
----------
:math:`\theta` = (log-Cholesky factor of :math:`D`, :math:`\log\sigma_1`, :math:`\log\sigma_2`);
:math:`\beta` is profiled out by GLS and :math:`\theta` maximises the REML (or ML) log-likelihood
in the ``nlme``/``lme4`` convention (no :math:`\log|X^\top X|` term). With
:math:`D = LL^\top` and :math:`M_i = I + L^\top Z_i^\top R_i^{-1} Z_i L`, the Woodbury identity
gives :math:`\log|V_i| = \log|R_i| + \log|M_i|` and
:math:`V_i^{-1} = R_i^{-1} - R_i^{-1}Z_iLM_i^{-1}L^\top Z_i^\top R_i^{-1}`; because :math:`R_i` is
diagonal with one variance per outcome, all per-subject cross-products are precomputed per
outcome and the likelihood is evaluated for all subjects at once (batched 4x4 algebra). BFGS with
central-difference gradients from moment starting values (per-subject least-squares lines).

Slope-correlation interval
--------------------------
Wald interval on Fisher's :math:`z = \operatorname{atanh}\rho_{slope}`: its standard error comes
from the delta method with the inverse observed information (numerical Hessian of the REML/ML
log-likelihood in :math:`\theta`), and the interval is back-transformed with :math:`\tanh`. This is
the construction of ``nlme::intervals`` for random-effect correlations.

References
----------
Fieuws, S. and Verbeke, G. (2004). Joint modelling of multivariate longitudinal profiles:
pitfalls of the random-effects approach. *Statistics in Medicine* 23, 3093-3104.

Pinheiro, J. C. and Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*. Springer.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, stats

from alstrials._results import ResultMixin, convergence_note
from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning

if TYPE_CHECKING:
    from alstrials.data.schema import TrialData

__all__ = ["BivariateResult", "fit_bivariate_lmm", "biomarker_tracking"]

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


def _grad(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:  # noqa: ANN001
    """Central differences of a scalar function."""
    g = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        g[j] = (fun(theta + e) - fun(theta - e)) / (2.0 * h)
    return g


def _hessian(fun, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:  # noqa: ANN001
    """Central differences of the analytic gradient (``fun`` returns value and gradient)."""
    n = theta.size
    hess = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        hess[:, j] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2.0 * h)
    return 0.5 * (hess + hess.T)


def _slope_z(theta: np.ndarray) -> float:
    d = _random_cov(theta)
    return float(np.arctanh(d[2, 3] / np.sqrt(d[2, 2] * d[3, 3])))


@dataclass(frozen=True, eq=False)
class BivariateResult(ResultMixin):
    """A fitted bivariate biomarker-function mixed model (see :func:`fit_bivariate_lmm`).

    Attributes
    ----------
    fixed : DataFrame
        Indexed by term (``"<outcome>"`` intercept, ``"<outcome>:<time>"`` slope, then
        ``"<outcome>:<covariate>"``), columns ``estimate se z p ci_low ci_high``.
    random_cov : DataFrame
        The 4x4 covariance of (intercept 1, intercept 2, slope 1, slope 2).
    random_corr : DataFrame
        The same as correlations.
    residual_var : Series
        Residual variance of each outcome.
    slope_correlation : float
        Correlation of the subject-level slopes of the two outcomes.
    slope_correlation_ci : tuple of float
        Fisher-z Wald interval (delta method, observed information); NaN if the information
        matrix is not positive definite.
    """

    outcomes: tuple
    time: str
    reml: bool
    fixed: pd.DataFrame
    random_cov: pd.DataFrame
    random_corr: pd.DataFrame
    residual_var: pd.Series
    slope_correlation: float
    slope_correlation_ci: tuple
    level: float
    loglik: float
    aic: float
    bic: float
    df_loglik: int
    n_subjects: int
    n_obs: int
    n_obs_by_outcome: dict
    n_dropped: int
    converged: bool
    n_iter: int
    message: str

    def summary(self) -> pd.DataFrame:
        """Fixed effects, variance components and the slope correlation (index: section, term)."""
        fixed = self.fixed.copy()
        fixed.index = pd.MultiIndex.from_product(
            [["fixed"], fixed.index], names=["section", "term"]
        )
        names = list(self.random_cov.index)
        rows, index = [], []
        for i, name in enumerate(names):
            rows.append(np.sqrt(self.random_cov.iloc[i, i]))
            index.append(("random", f"sd({name})"))
        for i in range(len(names)):
            for j in range(i):
                rows.append(self.random_corr.iloc[i, j])
                index.append(("random", f"cor({names[j]}, {names[i]})"))
        for out, var in self.residual_var.items():
            rows.append(np.sqrt(var))
            index.append(("residual", f"sd({out})"))
        other = pd.DataFrame(
            {"estimate": rows}, index=pd.MultiIndex.from_tuples(index, names=["section", "term"])
        )
        slope = pd.DataFrame(
            {
                "estimate": [self.slope_correlation],
                "ci_low": [self.slope_correlation_ci[0]],
                "ci_high": [self.slope_correlation_ci[1]],
            },
            index=pd.MultiIndex.from_tuples(
                [("tracking", "slope_correlation")], names=["section", "term"]
            ),
        )
        return pd.concat([fixed, other, slope])

    def __repr__(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in self.n_obs_by_outcome.items())
        lo, hi = self.slope_correlation_ci
        return (
            f"BivariateResult({self.outcomes[0]} & {self.outcomes[1]} over {self.time}, "
            f"{'REML' if self.reml else 'ML'}; {self.n_subjects} subjects, {self.n_obs} "
            f"observations ({counts}); slope correlation {self.slope_correlation:.3f} "
            f"[{lo:.3f}, {hi:.3f}]; {convergence_note(self.converged, self.message)})"
        )


def _stack(
    data: pd.DataFrame, outcomes: tuple[str, str], time: str, group: str, columns: list[str]
) -> tuple[pd.DataFrame, int]:
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    needed = list(dict.fromkeys([*outcomes, time, group, *columns]))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} not found in data (columns: {list(data.columns)})",
            column=missing[0],
        )
    frame = data[needed].copy()
    for c in [*outcomes, time]:
        values = pd.to_numeric(frame[c], errors="coerce")
        bad = values.isna() & frame[c].notna()
        if bad.any():
            row = frame.index[bad.to_numpy()][0]
            raise DataValidationError(
                f"column '{c}', subject {frame.loc[row, group]!r}, row {row!r}: value "
                f"{frame.loc[row, c]!r} is not a number",
                column=c,
                row=row,
                subject=frame.loc[row, group],
            )
        frame[c] = values.astype(float)
    keys = [time, group, *[c for c in columns if c != group]]
    unusable = frame[keys].isna().any(axis=1) | frame[list(outcomes)].isna().all(axis=1)
    n_dropped = int(unusable.sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} row(s) were dropped: missing {keys} or both outcomes missing (first at "
            f"row {frame.index[unusable.to_numpy()][0]!r}); inspect them with "
            f"data[data[{keys}].isna().any(axis=1) | data[{list(outcomes)}].isna().all(axis=1)]",
            DataWarning,
            stacklevel=3,
        )
    frame = frame.loc[~unusable]
    parts = []
    for k, out in enumerate(outcomes):
        part = frame.loc[frame[out].notna(), [group, time, *columns]].copy()
        part = part.loc[:, ~part.columns.duplicated()]
        part["_k"] = k
        part["_y"] = frame.loc[frame[out].notna(), out].to_numpy()
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    for k, out in enumerate(outcomes):
        if (long["_k"] == k).sum() < 3:
            raise DataValidationError(
                f"outcome '{out}' has fewer than 3 observations; the model needs both outcomes"
            )
    return long, n_dropped


def fit_bivariate_lmm(
    data: pd.DataFrame,
    outcomes: tuple[str, str] = ("cord_csa_mm2", "alsfrs_total"),
    time: str = "months",
    group: str = "subject_id",
    covariates: tuple[str, ...] | list[str] = (),
    reml: bool = True,
    *,
    arm: str | None = None,
    arm_reference: object = None,
    level: float = 0.95,
    maxiter: int = 1000,
) -> BivariateResult:
    """Fit a bivariate LMM with correlated random intercepts and slopes for two outcomes.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and time; a row may hold one or both outcomes (NaN in
        one outcome means only the other was measured at that time).
    outcomes : pair of str, default ("cord_csa_mm2", "alsfrs_total")
        The two outcome columns (biomarker first, function second, by convention).
    time, group : str
        Time (numeric, e.g. months since baseline) and subject columns.
    covariates : sequence of str, default ()
        Numeric columns given an outcome-specific effect each (``"<outcome>:<covariate>"``).
    reml : bool, default True
        REML (True) or maximum likelihood.
    arm : str, optional
        Arm column: adds outcome-specific arm effects on intercept and slope
        (``"<outcome>:arm[T.a]"``, ``"<outcome>:<time>:arm[T.a]"``).
    arm_reference : optional
        Reference arm (default ``"placebo"`` if present, else the first sorted level).
    level : float, default 0.95
        Confidence level for the fixed effects and the slope correlation.
    maxiter : int, default 1000
        BFGS iteration limit.

    Returns
    -------
    BivariateResult
        ``slope_correlation`` and ``slope_correlation_ci`` answer "does the biomarker track
        function?"; also ``fixed``, ``random_cov``, ``residual_var``, ``loglik``.

    References
    ----------
    Fieuws and Verbeke (2004), *Statistics in Medicine* 23, 3093-3104. Pinheiro and Bates
    (2000), *Mixed-Effects Models in S and S-PLUS*, Springer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> n, t = 40, np.array([0.0, 4.0, 8.0, 12.0])
    >>> slopes = rng.multivariate_normal([-0.4, -1.0], [[0.04, 0.08], [0.08, 0.25]], size=n)
    >>> rows = [(i, m, 70 + slopes[i, 0] * m + rng.normal(0, 1), 38 + slopes[i, 1] * m
    ...          + rng.normal(0, 1)) for i in range(n) for m in t]
    >>> frame = pd.DataFrame(rows, columns=["subject_id", "months", "cord_csa_mm2",
    ...                                     "alsfrs_total"])
    >>> fit = fit_bivariate_lmm(frame)
    >>> bool(fit.converged), fit.slope_correlation > 0
    (True, True)
    """
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level!r} must be strictly between 0 and 1, e.g. 0.95")
    if len(outcomes) != 2 or outcomes[0] == outcomes[1]:
        raise ValueError(f"outcomes={outcomes!r}: give exactly two different outcome columns")
    outcomes = (outcomes[0], outcomes[1])
    extra = [*covariates, *([arm] if arm is not None else [])]
    long, n_dropped = _stack(data, outcomes, time, group, extra)
    k = long["_k"].to_numpy()
    t = long[time].to_numpy(float)
    y = long["_y"].to_numpy(float)
    subj, _ = pd.factorize(long[group])
    n_sub = int(subj.max()) + 1
    ind = np.column_stack([k == 0, k == 1]).astype(float)
    z = np.column_stack([ind, ind * t[:, None]])
    cols, names = [z], [outcomes[0], outcomes[1], f"{outcomes[0]}:{time}", f"{outcomes[1]}:{time}"]
    for c in covariates:
        values = pd.to_numeric(long[c], errors="coerce")
        if values.isna().any():
            raise DataValidationError(f"covariate '{c}' must be numeric", column=c)
        cols.append(ind * values.to_numpy(float)[:, None])
        names += [f"{o}:{c}" for o in outcomes]
    if arm is not None:
        levels = sorted(pd.unique(long[arm]), key=str)
        if len(levels) < 2:
            raise DataValidationError(f"column '{arm}' has a single level {levels}", column=arm)
        ref = (
            arm_reference
            if arm_reference is not None
            else ("placebo" if "placebo" in levels else levels[0])
        )
        if ref not in levels:
            raise DataValidationError(f"arm_reference={ref!r} is not a level of '{arm}'")
        for a in [lv for lv in levels if lv != ref]:
            d = (long[arm] == a).to_numpy(float)[:, None]
            cols += [ind * d, ind * t[:, None] * d]
            names += [f"{o}:arm[T.{a}]" for o in outcomes]
            names += [f"{o}:{time}:arm[T.{a}]" for o in outcomes]
    x = np.column_stack(cols)
    if np.linalg.matrix_rank(x.T @ x) < x.shape[1]:
        raise DataValidationError(
            "the fixed-effects design is rank deficient: a covariate is constant or collinear "
            "with time; drop it"
        )
    # centring each outcome only shifts its intercept (columns 0 and 1 are the outcome
    # indicators) and avoids cancellation in y'V^{-1}y - b'beta at large outcome levels
    centre = np.array([y[k == 0].mean(), y[k == 1].mean()])
    st = _cross_products(k, subj, z, x, y - centre[k], n_sub)
    theta0 = _start(long, k, t, y, subj, n_sub)

    def fun(th: np.ndarray) -> tuple[float, np.ndarray]:
        return _negloglik(th, st, reml)

    res = optimize.minimize(
        fun, theta0, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-6}
    )
    theta, hess = _newton_polish(fun, res.x)
    grad_norm = float(np.max(np.abs(fun(theta)[1])))
    converged = bool(np.isfinite(res.fun) and grad_norm < 1e-3 and res.nit < maxiter)
    message = (
        ""
        if converged
        else (
            f"BFGS stopped after {res.nit} iterations with max |gradient| {grad_norm:.3g} "
            f"({res.message}); a variance may be at its boundary (zero), e.g. too few scans per "
            "subject to separate random slopes from residual error"
        )
    )
    if not converged:
        warnings.warn(
            f"fit_bivariate_lmm did not converge: {message}", ConvergenceWarning, stacklevel=2
        )
    parts = _profile(theta, st, reml)
    beta = parts.beta.copy()
    beta[:2] += centre
    se = np.sqrt(np.diag(np.linalg.inv(parts.a)))
    q = stats.norm.ppf(0.5 + level / 2.0)
    fixed = pd.DataFrame(
        {
            "estimate": beta,
            "se": se,
            "z": beta / se,
            "p": 2.0 * stats.norm.sf(np.abs(beta / se)),
            "ci_low": beta - q * se,
            "ci_high": beta + q * se,
        },
        index=pd.Index(names, name="term"),
    )
    d = _random_cov(theta)
    sd = np.sqrt(np.diag(d))
    re_names = names[:4]
    rho = float(d[2, 3] / (sd[2] * sd[3]))
    ci = _fisher_ci(hess, theta, q)
    n_obs = int(y.size)
    df_loglik = x.shape[1] + theta.size
    loglik = parts.loglik
    n_bic = n_obs - x.shape[1] if reml else n_obs
    return BivariateResult(
        outcomes=outcomes,
        time=time,
        reml=reml,
        fixed=fixed,
        random_cov=pd.DataFrame(d, index=re_names, columns=re_names),
        random_corr=pd.DataFrame(d / np.outer(sd, sd), index=re_names, columns=re_names),
        residual_var=pd.Series(np.exp(2.0 * theta[-2:]), index=list(outcomes), name="variance"),
        slope_correlation=rho,
        slope_correlation_ci=ci,
        level=level,
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * df_loglik,
        bic=-2.0 * loglik + np.log(n_bic) * df_loglik,
        df_loglik=df_loglik,
        n_subjects=n_sub,
        n_obs=n_obs,
        n_obs_by_outcome={o: int(np.sum(k == i)) for i, o in enumerate(outcomes)},
        n_dropped=n_dropped,
        converged=converged,
        n_iter=int(res.nit),
        message=message,
    )


def _newton_polish(fun, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Up to three Newton steps from the BFGS solution, each kept only if it helps.

    BFGS stops when its line search can no longer resolve decreases of the objective (about
    1e-10 relative); Newton steps with the numerical Hessian recover the last digits. A step is
    kept if it lowers the gradient without raising the objective beyond that resolution.
    Returns the point and the Hessian of the negative log-likelihood (observed information).
    """
    hess = _hessian(fun, theta)
    for _ in range(3):
        try:
            np.linalg.cholesky(hess)
        except np.linalg.LinAlgError:
            break
        value, grad = fun(theta)
        new = theta - np.linalg.solve(hess, grad)
        new_value, new_grad = fun(new)
        tolerance = 1e-9 * max(1.0, abs(value))
        if not (new_value <= value + tolerance and np.abs(new_grad).max() < np.abs(grad).max()):
            break
        theta = new
        hess = _hessian(fun, theta)
        if np.abs(new_grad).max() < 1e-6:
            break
    return theta, hess


def _fisher_ci(hess: np.ndarray, theta: np.ndarray, q: float) -> tuple[float, float]:
    """Wald interval for the slope correlation on Fisher's z scale (delta method)."""
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return (np.nan, np.nan)
    g = _grad(_slope_z, theta, h=1e-6)
    se = float(np.sqrt(g @ np.linalg.solve(hess, g)))
    z = _slope_z(theta)
    return (float(np.tanh(z - q * se)), float(np.tanh(z + q * se)))


def _start(
    long: pd.DataFrame, k: np.ndarray, t: np.ndarray, y: np.ndarray, subj: np.ndarray, n_sub: int
) -> np.ndarray:
    """Moment starting values: covariance of per-subject least-squares lines, pooled residuals."""
    coef = np.full((n_sub, 4), np.nan)
    resid_var = np.zeros(2)
    for kk in (0, 1):
        m = k == kk
        frame = pd.DataFrame({"s": subj[m], "t": t[m], "y": y[m]})
        g = frame.groupby("s")
        tc = frame["t"].to_numpy() - g["t"].transform("mean").to_numpy()
        yc = frame["y"].to_numpy() - g["y"].transform("mean").to_numpy()
        sxx = pd.Series(tc * tc).groupby(frame["s"].to_numpy()).sum()
        sxy = pd.Series(tc * yc).groupby(frame["s"].to_numpy()).sum()
        ok = (sxx > 1e-8) & (g.size() >= 2).to_numpy()
        slope = (sxy / sxx.where(ok)).to_numpy()
        ids = sxx.index.to_numpy()
        means = g[["t", "y"]].mean()
        coef[ids, 2 + kk] = slope
        coef[ids, kk] = (means["y"] - slope * means["t"]).to_numpy()
        fitted_res = yc - np.nan_to_num(slope[np.searchsorted(ids, frame["s"].to_numpy())]) * tc
        dof = float(m.sum() - np.minimum(g.size().to_numpy(), 2).sum())
        resid_var[kk] = max(
            float(np.sum(fitted_res**2)) / max(dof, 1.0), 1e-3 * float(np.var(y[m]) + 1e-12)
        )
    cov = pd.DataFrame(coef).cov(min_periods=3).to_numpy()
    fallback = np.nanvar(coef, axis=0)
    fallback = np.where(np.isfinite(fallback) & (fallback > 0), fallback, 1.0)
    cov = np.where(np.isfinite(cov), cov, 0.0)
    diag = np.diag(cov).copy()
    np.fill_diagonal(cov, np.where(diag > 0, diag, fallback))
    vals, vecs = np.linalg.eigh(cov)
    vals = np.maximum(vals, 1e-3 * vals.max())
    cov = (vecs * vals) @ vecs.T
    low = np.linalg.cholesky(cov)
    rows, cols = np.tril_indices(_Q)
    theta = low[rows, cols].copy()
    theta[rows == cols] = np.log(np.diag(low))
    return np.concatenate([theta, 0.5 * np.log(resid_var)])


def biomarker_tracking(
    trial: TrialData,
    biomarker: str = "cord_csa_mm2",
    *,
    function: str = "alsfrs_total",
    by_arm: bool = False,
    reml: bool = True,
    level: float = 0.95,
) -> BivariateResult:
    """Does an MRI biomarker track ALSFRS-R? Fit the bivariate LMM to a :class:`TrialData`.

    Stacks ``trial.mri[biomarker]`` and ``trial.alsfrs[function]`` (each at its own times, in
    months since baseline) and calls :func:`fit_bivariate_lmm`.

    Parameters
    ----------
    trial : TrialData
        The trial (its ``mri`` and ``alsfrs`` tables).
    biomarker : str, default "cord_csa_mm2"
        MRI column: ``"cst_fa"``, ``"precentral_thickness_mm"`` or ``"cord_csa_mm2"``.
    function : str, default "alsfrs_total"
        ALSFRS-R column (the total, or an item).
    by_arm : bool, default False
        Add arm effects on intercept and slope of both outcomes (reference: the trial's first
        declared arm).
    reml : bool, default True
        REML (True) or maximum likelihood.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    BivariateResult
        See :func:`fit_bivariate_lmm`; ``slope_correlation`` answers the question.

    References
    ----------
    Fieuws and Verbeke (2004), *Statistics in Medicine* 23, 3093-3104.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import alstrials as at
    >>> rng = np.random.default_rng(5)
    >>> ids = [f"s{i}" for i in range(30)]
    >>> subjects = pd.DataFrame({"subject_id": ids, "arm": ["placebo", "active"] * 15,
    ...     "age": 60.0, "sex": "F", "onset_site": "spinal", "onset_to_baseline_months": 12.0,
    ...     "delta_fs": 0.5, "enrollment_month": 0.0})
    >>> slope, level = rng.normal(-1.0, 0.4, (2, 30)), rng.normal(0.0, 3.0, (2, 30))
    >>> alsfrs = pd.DataFrame([{"subject_id": s, "months": m,
    ...     "alsfrs_total": round(38 + level[0, i] + slope[0, i] * m + rng.normal(0, 1))}
    ...     for i, s in enumerate(ids) for m in (0.0, 3.0, 6.0, 9.0)])
    >>> for item in at.data.schema.ALSFRS_ITEMS:
    ...     alsfrs[item] = pd.NA
    >>> alsfrs["gastrostomy"] = False
    >>> mri = pd.DataFrame([{"subject_id": s, "months": m + 0.4,
    ...     "cord_csa_mm2": 70 + level[1, i] + (slope[0, i] + slope[1, i]) * m / 4
    ...     + rng.normal(0, 0.8), "cst_fa": 0.5,
    ...     "precentral_thickness_mm": 2.5, "cst_flair_hyperintensity": False,
    ...     "motor_cortex_swi_hypointensity": False, "composite_sign": False}
    ...     for i, s in enumerate(ids) for m in (0.0, 4.0, 8.0)])
    >>> trial = at.TrialData.from_frames(subjects, alsfrs, mri)
    >>> fit = biomarker_tracking(trial)
    >>> fit.n_subjects, fit.n_obs
    (30, 210)
    """
    for table, column in (("mri", biomarker), ("alsfrs", function)):
        if column not in trial.table(table).columns:
            raise DataValidationError(
                f"table '{table}' has no column '{column}'; choose one of "
                f"{list(trial.table(table).columns)}",
                table=table,
                column=column,
            )
    mri = trial.mri[["subject_id", "months", biomarker]].copy()
    fun = trial.alsfrs[["subject_id", "months", function]].copy()
    mri[biomarker] = pd.to_numeric(mri[biomarker], errors="coerce").astype(float)
    fun[function] = pd.to_numeric(fun[function], errors="coerce").astype(float)
    mri, fun = mri.dropna(subset=[biomarker]), fun.dropna(subset=[function])
    long = pd.concat([mri, fun], ignore_index=True)
    arm = None
    if by_arm:
        arms = trial.subjects.set_index("subject_id")["arm"]
        long["arm"] = long["subject_id"].map(arms)
        arm = "arm"
    return fit_bivariate_lmm(
        long,
        outcomes=(biomarker, function),
        time="months",
        group="subject_id",
        reml=reml,
        arm=arm,
        arm_reference=trial.arms[0] if by_arm else None,
        level=level,
    )
