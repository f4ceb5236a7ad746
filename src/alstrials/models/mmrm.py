r"""Mixed model for repeated measures (MMRM): visit-by-arm means, a within-subject covariance.

Model
-----
For subject :math:`i` observed at the visits :math:`S_i \subseteq \{1, \dots, T\}`,

.. math::

    y_i = X_i \beta + \varepsilon_i, \qquad \varepsilon_i \sim N(0, \Sigma_{S_i}),

where row :math:`t` of :math:`X_i` codes ``outcome ~ covariates + visit * arm`` (treatment
contrasts: reference visit = first visit in sorted order, reference arm = ``"placebo"`` if
present else the first sorted level) and :math:`\Sigma_{S_i}` is the sub-matrix of the
:math:`T \times T` within-subject covariance :math:`\Sigma(\theta)` for the visits the subject has
(see :mod:`alstrials.models.covstruct`). Subjects contribute the visits they have: the likelihood
is valid when missingness is at random (MAR) given the observed outcomes and covariates.

Estimation
----------
:math:`\beta` is profiled out by generalised least squares,
:math:`\hat\beta(\theta) = (\sum_i X_i^\top \Sigma_{S_i}^{-1} X_i)^{-1}
\sum_i X_i^\top \Sigma_{S_i}^{-1} y_i`, and :math:`\theta` maximises (with
:math:`N` observations, :math:`p` fixed effects, :math:`A = \sum_i X_i^\top\Sigma_{S_i}^{-1}X_i`,
:math:`r_i = y_i - X_i\hat\beta`)

.. math::

    \ell_{ML}(\theta) = -\tfrac12\{N\log 2\pi + \textstyle\sum_i \log|\Sigma_{S_i}|
        + \sum_i r_i^\top\Sigma_{S_i}^{-1} r_i\},

    \ell_{REML}(\theta) = -\tfrac12\{(N-p)\log 2\pi + \textstyle\sum_i \log|\Sigma_{S_i}|
        + \sum_i r_i^\top\Sigma_{S_i}^{-1} r_i + \log|A|\},

the conventions of ``nlme::gls`` (the REML value has no :math:`\log|X^\top X|` term). All
subjects sharing a missingness pattern are processed together: one Cholesky factor per pattern
and precomputed cross-products, so an evaluation costs O(patterns x T^2 p^2) whatever the number
of subjects. The analytic gradient
:math:`\partial\ell/\partial\Sigma_{S} = -\tfrac12\sum_i(\Sigma_S^{-1} - \Sigma_S^{-1} r_i r_i^\top
\Sigma_S^{-1} - [\text{REML}]\,\Sigma_S^{-1}X_i A^{-1}X_i^\top\Sigma_S^{-1})` is chained to
:math:`\theta` with analytic (unstructured) or complex-step Jacobians. BFGS starts from the
moment covariance of OLS residuals.

Inference
---------
:math:`\widehat{\mathrm{Var}}(\hat\beta) = A^{-1}` (model based, as ``nlme``). By default Wald
t statistics with the residual degrees of freedom :math:`N - p` (as ``nlme::gls``);
``inference="satterthwaite"`` uses, for each contrast :math:`l`, the df
:math:`2 (l^\top A^{-1} l)^2 / (g^\top H^{-1} g)` with :math:`g = \partial (l^\top A^{-1}
l)/\partial\theta` and :math:`H` the observed information of :math:`\theta` (Satterthwaite
1946; as ``lmerTest``); ``inference="z"`` gives normal-theory Wald tests. The arm effect at
visit :math:`v` is :math:`\beta_{arm} + \beta_{v:arm}` (non-reference minus reference arm).

References
----------
Mallinckrodt, C. H., Lane, P. W., Schnell, D. and others (2008). Recommendations for the primary
analysis of continuous endpoints in longitudinal clinical trials. *Drug Information Journal* 42,
303-319.

Pinheiro, J. C. and Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*. Springer.
(``gls``, REML criterion.)

Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance components.
*Biometrics Bulletin* 2, 110-114.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from alstrials._results import ResultMixin, convergence_note
from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models.covstruct import CovStruct, parse_covariance

__all__ = ["MMRMResult", "fit_mmrm"]

_LOG2PI = float(np.log(2.0 * np.pi))


# --------------------------------------------------------------------------------------------
# Data checks and the design matrix
# --------------------------------------------------------------------------------------------


def _prepare_frame(
    data: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...],
    stacklevel: int = 3,
) -> tuple[pd.DataFrame, int]:
    """Check the columns, drop (and count, and warn about) incomplete rows."""
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame in long format, got {type(data).__name__}"
        )
    needed = [outcome, visit, group, arm, *covariates]
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} not found in data (columns: {list(data.columns)}); "
            "pass the names of the outcome, visit, subject and arm columns",
            column=missing[0],
        )
    values = pd.to_numeric(data[outcome], errors="coerce")
    bad = values.isna() & data[outcome].notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        row, subject = _py(data.index[pos]), _py(data[group].iloc[pos])
        raise DataValidationError(
            f"column '{outcome}', subject {subject!r}, row {row!r}: value "
            f"{_py(data[outcome].iloc[pos])!r} is not a number; the outcome must be numeric",
            column=outcome,
            subject=subject,
            row=row,
        )
    frame = data[list(dict.fromkeys(needed))].copy()
    frame[outcome] = values.astype(float)
    incomplete = frame.isna().any(axis=1).to_numpy()
    n_dropped = int(incomplete.sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} row(s) with a missing value in {list(dict.fromkeys(needed))} were "
            f"dropped (first at row {_py(frame.index[incomplete][0])!r}); inspect them with "
            f"data[data[{list(dict.fromkeys(needed))}].isna().any(axis=1)]",
            DataWarning,
            stacklevel=stacklevel,
        )
        frame = frame.loc[~incomplete]
    if frame.empty:
        raise DataValidationError("no complete rows left to fit; check the outcome column")
    dup = frame.duplicated([group, visit], keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        row, subject = _py(frame.index[pos]), _py(frame[group].iloc[pos])
        raise DataValidationError(
            f"column '{visit}', subject {subject!r}, row {row!r}: the subject has two rows at "
            f"visit {_py(frame[visit].iloc[pos])!r}; keep one row per subject and visit",
            column=visit,
            subject=subject,
            row=row,
        )
    n_arms = frame.groupby(group, sort=False)[arm].nunique()
    if (n_arms > 1).any():
        subject = _py(n_arms.index[(n_arms > 1).to_numpy()][0])
        raise DataValidationError(
            f"column '{arm}', subject {subject!r}: the subject appears in more than one arm; "
            "each subject must have a single arm",
            column=arm,
            subject=subject,
        )
    return frame, n_dropped


def _py(value: object) -> object:
    """A numpy scalar as the Python value (so messages read 3, not np.int64(3))."""
    return value.item() if isinstance(value, np.generic) else value


def _arm_reference(values: pd.Series, requested: object, arm: str) -> object:
    levels: list[Any] = sorted((_py(v) for v in pd.unique(values)), key=str)
    if len(levels) < 2:
        raise DataValidationError(
            f"column '{arm}' has a single level {levels}; an MMRM needs at least two arms",
            column=arm,
        )
    if requested is not None:
        if requested not in levels:
            raise DataValidationError(
                f"arm_reference={requested!r} is not a level of '{arm}' (levels: {levels})",
                column=arm,
            )
        return requested
    if "placebo" in levels:
        return "placebo"
    return sorted(levels)[0] if _sortable(levels) else levels[0]


def _sortable(levels: list) -> bool:
    try:
        sorted(levels)
    except TypeError:
        return False
    return True


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna())
        return [c for c in series.cat.categories if c in present]
    found = [_py(v) for v in pd.unique(series)]
    return sorted(found) if _sortable(found) else sorted(found, key=str)


@dataclass(frozen=True)
class _Design:
    """Numeric pieces of ``outcome ~ covariates + visit * arm`` for one data set."""

    centre: float  # subtracted from y; added back to the intercept
    y: np.ndarray
    x: np.ndarray
    names: list
    subject_codes: np.ndarray
    visit_pos: np.ndarray
    visit_levels: list
    arm_levels: list  # reference first

    @property
    def n_visits(self) -> int:
        return len(self.visit_levels)

    @property
    def n_subjects(self) -> int:
        return int(np.unique(self.subject_codes).size)

    def arm_contrasts(self) -> tuple[np.ndarray, list, list]:
        """Rows L with L @ beta = arm difference at each visit, their visit labels, names."""
        ref, others = self.arm_levels[0], self.arm_levels[1:]
        rows, labels, comps = [], [], []
        for a in others:
            for j, v in enumerate(self.visit_levels):
                row = np.zeros(len(self.names))
                row[self.names.index(f"arm[T.{a}]")] = 1.0
                if j > 0:
                    row[self.names.index(f"visit[T.{v}]:arm[T.{a}]")] = 1.0
                rows.append(row)
                labels.append(v)
                comps.append(f"{a} - {ref}")
        return np.array(rows), labels, comps


def _build_design(
    frame: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...],
    reference: object,
) -> _Design:
    visit_levels = _levels(frame[visit])
    others = [a for a in _levels(frame[arm]) if a != reference]
    arm_levels = [reference, *others]
    visit_pos = frame[visit].map({v: i for i, v in enumerate(visit_levels)}).to_numpy(int)
    cols: list[np.ndarray] = [np.ones(len(frame))]
    names: list = ["Intercept"]
    for c in covariates:
        numeric = pd.to_numeric(frame[c], errors="coerce")
        if pd.api.types.is_bool_dtype(frame[c]) or numeric.isna().any():
            for lvl in _levels(frame[c])[1:]:
                cols.append((frame[c] == lvl).to_numpy(float))
                names.append(f"{c}[T.{lvl}]")
        else:
            cols.append(numeric.to_numpy(float))
            names.append(c)
    vis = {v: (visit_pos == j).astype(float) for j, v in enumerate(visit_levels)}
    arms = {a: (frame[arm] == a).to_numpy(float) for a in others}
    for v in visit_levels[1:]:
        cols.append(vis[v])
        names.append(f"visit[T.{v}]")
    for a in others:
        cols.append(arms[a])
        names.append(f"arm[T.{a}]")
    for a in others:
        for v in visit_levels[1:]:
            cols.append(vis[v] * arms[a])
            names.append(f"visit[T.{v}]:arm[T.{a}]")
    x = np.column_stack(cols)
    if np.linalg.matrix_rank(x.T @ x) < x.shape[1]:
        cells = pd.crosstab(frame[visit], frame[arm])
        empty = [(v, a) for v in cells.index for a in cells.columns if cells.loc[v, a] == 0]
        hint = (
            f"visit x arm cell(s) {empty} have no observations; drop or merge those visits"
            if empty
            else "a covariate is constant or collinear with visit/arm; drop it"
        )
        raise DataValidationError(f"the MMRM design matrix is rank deficient: {hint}")
    codes = pd.factorize(frame[group])[0]
    centre = float(frame[outcome].mean())  # shifts only the intercept; avoids cancellation
    return _Design(
        centre=centre,
        y=frame[outcome].to_numpy(float) - centre,
        x=x,
        names=names,
        subject_codes=codes,
        visit_pos=visit_pos,
        visit_levels=visit_levels,
        arm_levels=arm_levels,
    )


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


@dataclass(frozen=True, eq=False)
class MMRMResult(ResultMixin):
    """A fitted MMRM (see :func:`fit_mmrm`). Built once, never mutated.

    Attributes
    ----------
    effects : DataFrame
        Indexed by visit: the arm difference (``comparison`` = non-reference minus reference
        arm) with columns ``comparison estimate se df t p ci_low ci_high`` (``z`` and no ``df``
        when ``inference="z"``).
    fixed : DataFrame
        Indexed by term (``Intercept``, covariates, ``visit[T.v]``, ``arm[T.a]``,
        ``visit[T.v]:arm[T.a]``), same statistic columns.
    covariance : DataFrame
        The estimated within-subject covariance, visit by visit.
    cov_params : dict
        The structure's parameters on their natural scale (sds, correlation).
    vcov : DataFrame
        Model-based covariance of the fixed effects.
    loglik, aic, bic : float
        REML or ML log-likelihood as fitted (``nlme`` conventions; BIC uses :math:`N-p`
        observations under REML), and the criteria with ``df_loglik`` parameters.
    """

    outcome: str
    structure: str
    reml: bool
    inference: str
    fixed: pd.DataFrame
    effects: pd.DataFrame
    covariance: pd.DataFrame
    cov_params: dict
    vcov: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    df_loglik: int
    df_residual: int
    n_subjects: int
    n_obs: int
    n_dropped: int
    n_patterns: int
    visits: tuple
    arms: tuple
    arm_reference: object
    converged: bool
    n_iter: int
    message: str

    def summary(self) -> pd.DataFrame:
        """Fixed effects and per-visit arm effects in one table (index: section, term)."""
        cols = [c for c in self.fixed.columns]
        fixed = self.fixed[cols].copy()
        fixed.index = pd.MultiIndex.from_product(
            [["fixed"], fixed.index], names=["section", "term"]
        )
        eff = self.effects.copy()
        labels = [f"{c} @ {v}" for v, c in zip(eff.index, eff["comparison"], strict=True)]
        eff = eff[cols]
        eff.index = pd.MultiIndex.from_product([["effect"], labels], names=["section", "term"])
        return pd.concat([fixed, eff])

    def __repr__(self) -> str:
        method = "REML" if self.reml else "ML"
        return (
            f"MMRMResult({self.outcome}, {self.structure} covariance, {method}; "
            f"{self.n_subjects} subjects, {self.n_obs} observations, {len(self.visits)} visits, "
            f"{self.n_dropped} rows dropped; loglik {self.loglik:.4f}; "
            f"{convergence_note(self.converged, self.message)})"
        )


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


def _satterthwaite(
    objective: _Objective, theta: np.ndarray, contrasts: np.ndarray, vcov: np.ndarray
) -> np.ndarray:
    """Satterthwaite df of each contrast row ``l``: ``2 (l'Cl)^2 / (g' H^{-1} g)``.

    ``C = A(theta)^{-1}``, ``g_k = d(l'Cl)/d theta_k = -l'C (dA/d theta_k) C l`` and ``H`` the
    Hessian of the negative log-likelihood (central differences of the analytic gradient).
    Returns NaN for every row when ``H`` is not positive definite.
    """
    k = theta.size
    h = 1e-5
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        hess[:, j] = (objective.value_grad(theta + e)[1] - objective.value_grad(theta - e)[1]) / (
            2.0 * h
        )
    hess = 0.5 * (hess + hess.T)
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return np.full(contrasts.shape[0], np.nan)
    parts = objective.pieces(theta)
    jac = objective.cov.jacobian(theta)
    p = objective.p
    d_a = np.zeros((k, p, p))
    for pat, sinv in zip(objective.patterns, parts.inverses, strict=True):
        m = pat.visits.size
        d_sigma = jac[:, pat.visits][:, :, pat.visits]  # (k, m, m)
        q = -np.einsum("ab,kbc,cd->kad", sinv, d_sigma, sinv)
        d_a += (q.reshape(k, m * m) @ pat.xx.reshape(m * m, p * p)).reshape(k, p, p)
    v = contrasts @ vcov  # rows l'C
    grad = -np.einsum("ci,kij,cj->ck", v, d_a, v)
    var = np.einsum("ck,kl,cl->c", grad, np.linalg.inv(hess), grad)
    return 2.0 * np.einsum("ci,ij,cj->c", contrasts, vcov, contrasts) ** 2 / var


def fit_mmrm(
    data: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...] | list[str] = (),
    covariance: str = "unstructured",
    reml: bool = True,
    *,
    arm_reference: object = None,
    inference: str = "t",
    level: float = 0.95,
    maxiter: int = 500,
) -> MMRMResult:
    """Fit a mixed model for repeated measures, ``outcome ~ covariates + visit * arm``.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and visit.
    outcome, visit, group, arm : str
        Column names: the response, the scheduled visit (treated as categories, sorted; a
        pandas Categorical keeps its category order), the subject identifier and the arm.
    covariates : sequence of str, default ()
        Extra columns in the mean model (numeric, or categorical: treatment-coded).
    covariance : {"unstructured", "ar1", "ar1h", "cs", "csh"}, default "unstructured"
        Within-subject covariance across visits (see :mod:`alstrials.models.covstruct`).
    reml : bool, default True
        REML (True) or maximum likelihood.
    arm_reference : optional
        Reference arm; default ``"placebo"`` if present, else the first sorted level.
    inference : {"t", "satterthwaite", "z"}, default "t"
        Wald t tests with the residual df :math:`N - p` (as ``nlme::gls``), t tests with
        Satterthwaite df per coefficient and contrast (as ``lmerTest``), or z tests.
    level : float, default 0.95
        Confidence level of the intervals.
    maxiter : int, default 500
        BFGS iteration limit.

    Returns
    -------
    MMRMResult
        With ``effects`` (arm difference per visit), ``fixed``, ``covariance``, ``loglik``.

    Raises
    ------
    DataValidationError
        Missing columns, a subject with two rows at one visit or in two arms, a single arm, or a
        design that cannot be estimated (e.g. a visit with no subject in an arm).

    Warns
    -----
    DataWarning
        Rows with a missing outcome, visit, arm or covariate were dropped (counted in
        ``n_dropped``).
    ConvergenceWarning
        The optimiser stopped before the gradient vanished (``converged`` is False).

    References
    ----------
    Mallinckrodt et al. (2008), *Drug Information Journal* 42, 303-319. Pinheiro and Bates
    (2000), *Mixed-Effects Models in S and S-PLUS*, Springer.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> n = 60
    >>> frame = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "visit": np.tile([3, 6, 12], n),
    ...                       "arm": np.repeat(rng.permutation(["placebo", "active"] * 30), 3)})
    >>> frame["y"] = -frame["visit"] * (1 - 0.3 * (frame["arm"] == "active")) + np.repeat(
    ...     rng.normal(0, 2, n), 3) + rng.normal(0, 1, 3 * n)
    >>> fit = fit_mmrm(frame, "y", "visit", "id", "arm")
    >>> fit.effects.index.tolist()
    [3, 6, 12]
    >>> bool(fit.converged)
    True
    """
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    kind = parse_covariance(covariance)
    if inference not in ("t", "satterthwaite", "z"):
        raise ValueError(
            f"inference={inference!r}: use 't' (residual df, as nlme), 'satterthwaite' or 'z'"
        )
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level!r} must be strictly between 0 and 1, e.g. 0.95")
    frame, n_dropped = _prepare_frame(data, outcome, visit, group, arm, tuple(covariates))
    reference = _arm_reference(frame[arm], arm_reference, arm)
    design = _build_design(frame, outcome, visit, group, arm, tuple(covariates), reference)
    cov = CovStruct(kind, design.n_visits)
    patterns = _patterns(design)
    n_obs = design.y.size
    p = design.x.shape[1]
    objective = _Objective(patterns, cov, reml, n_obs)

    theta0 = cov.start(_start_covariance(design))
    res = optimize.minimize(
        objective.value_grad,
        theta0,
        jac=True,
        method="BFGS",
        options={"maxiter": maxiter, "gtol": 1e-7},
    )
    theta = res.x
    _, grad = objective.value_grad(theta)
    grad_norm = float(np.max(np.abs(grad))) if grad.size else 0.0
    converged = bool(np.isfinite(res.fun) and grad_norm < 1e-3 and res.nit < maxiter)
    message = (
        ""
        if converged
        else (
            f"BFGS stopped after {res.nit} iterations with max |gradient| {grad_norm:.3g} "
            f"({res.message}); try a simpler covariance structure or check the data"
        )
    )
    if not converged:
        warnings.warn(f"fit_mmrm did not converge: {message}", ConvergenceWarning, stacklevel=2)

    parts = objective.pieces(theta)
    beta = parts.beta.copy()
    beta[0] += design.centre  # column 0 is the intercept
    vcov = linalg.cho_solve(parts.a_factor, np.eye(p))
    se = np.sqrt(np.diag(vcov))
    df_res = n_obs - p
    names = pd.Index(design.names, name="term")
    contrasts, labels, comps = design.arm_contrasts()
    df_fixed: object = df_res
    df_effects: object = df_res
    if inference == "satterthwaite":
        df_all = _satterthwaite(objective, theta, np.vstack([np.eye(p), contrasts]), vcov)
        if np.isnan(df_all).any():
            warnings.warn(
                "Satterthwaite df unavailable: the information matrix of the covariance "
                "parameters is not positive definite (a boundary or non-converged fit); df are "
                "NaN. Use inference='t' or 'z', or a simpler covariance structure.",
                ConvergenceWarning,
                stacklevel=2,
            )
        df_fixed, df_effects = df_all[:p], df_all[p:]
    fixed = _table(beta, se, names, inference, df_fixed, level)
    eff_est = contrasts @ beta
    eff_se = np.sqrt(np.einsum("ik,kl,il->i", contrasts, vcov, contrasts))
    effects = _table(eff_est, eff_se, pd.Index(labels, name=visit), inference, df_effects, level)
    effects.insert(0, "comparison", comps)

    n_cov = cov.n_params
    df_loglik = p + n_cov
    n_bic = n_obs - p if reml else n_obs
    loglik = parts.loglik
    visit_index = pd.Index(list(design.visit_levels), name=visit)
    return MMRMResult(
        outcome=outcome,
        structure=kind.value,
        reml=reml,
        inference=inference,
        fixed=fixed,
        effects=effects,
        covariance=pd.DataFrame(parts.sigma, index=visit_index, columns=visit_index),
        cov_params=cov.natural(theta),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * df_loglik,
        bic=-2.0 * loglik + np.log(n_bic) * df_loglik,
        df_loglik=df_loglik,
        df_residual=df_res,
        n_subjects=design.n_subjects,
        n_obs=n_obs,
        n_dropped=n_dropped,
        n_patterns=len(patterns),
        visits=tuple(design.visit_levels),
        arms=tuple(design.arm_levels),
        arm_reference=reference,
        converged=converged,
        n_iter=int(res.nit),
        message=message,
    )
