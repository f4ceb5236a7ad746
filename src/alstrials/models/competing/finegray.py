"""Fine-Gray subdistribution hazards regression: :func:`fit_finegray`, :class:`FineGrayResult`.

:func:`fit_fine_gray` is the earlier spelling (``status`` column, keyword ``cause=`` for the
cause of interest), kept for existing callers; it returns the same fit.

Model: the subdistribution hazard of the cause of interest,
:math:`\\lambda_1(t \\mid x) = -\\frac{d}{dt}\\log(1 - F_1(t \\mid x))`, is proportional,
:math:`\\lambda_1(t \\mid x) = \\lambda_{10}(t) \\exp(x^\\top\\beta)`, so that
:math:`F_1(t \\mid x) = 1 - \\exp(-\\Lambda_{10}(t) e^{x^\\top\\beta})`. Subjects who had another
cause stay in the risk set after their event with the inverse-probability-of-censoring weight
:math:`\\hat G(t-)/\\hat G(T_i-)` (Kaplan-Meier of the censoring distribution, optionally per
censoring group); :math:`\\beta` maximises the weighted Breslow partial likelihood (tied event
times: Breslow, as ``cmprsk::crr``) by Newton-Raphson with step halving. Covariates are
centred internally (the estimates do not change). The engine, with the equations of the
weights, the likelihood and the variance, is :mod:`alstrials.models.competing.fg_engine`.

Variance: the robust sandwich of Fine & Gray (1999), including the term for the estimated
censoring distribution, exactly as ``crr`` reports it (``se``); ``naive_se`` is the inverse
information. ``survival::finegray`` + ``coxph(weights = fgwt)`` gives the same estimates
(with ``ties = "breslow"``) but its robust SE omits the censoring term.

Baseline: the Breslow increments :math:`d_k / S_0(u_k)` give
:math:`\\hat F_1(t \\mid x) = 1 - \\exp(-\\sum_{u_k \\le t} e^{x^\\top\\hat\\beta} d_k / S_0(u_k))`
(``predict.crr``), see :meth:`FineGrayResult.predict_cif`.

References
----------
Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a competing
risk. JASA 94:496-509.
Gray RJ (2022). cmprsk: Subdistribution Analysis of Competing Risks. R package (``crr``).
Geskus RB (2011). Cause-specific cumulative incidence estimation and the Fine and Gray model
under both left truncation and right censoring. Biometrics 67:39-49 (``survival::finegray``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from formulaic import model_matrix
from scipy import stats

from alstrials._results import ResultMixin, convergence_note
from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.competing import fg_engine as engine
from alstrials.models.competing._data import competing_data
from alstrials.models.diagnostics import (
    annotate_summary,
    check_full_rank,
    information_problems,
    monotone_directions,
)
from alstrials.models.formula import check_formula
from alstrials.models.survival._data import drop_incomplete_rows, group_codes, require_columns

__all__ = ["fit_finegray", "fit_fine_gray", "FineGrayResult"]


@dataclass(frozen=True, eq=False, repr=False)
class FineGrayResult(ResultMixin):
    """A fitted Fine-Gray model. Build with :func:`fit_finegray`.

    Attributes
    ----------
    coef : DataFrame
        Indexed by covariate; columns ``estimate se z p ci_low ci_high hr hr_low hr_high
        naive_se``: ``se`` the robust (Fine-Gray sandwich) SE as ``crr``, ``ci_low``/``ci_high``
        the Wald interval of the coefficient, ``hr`` the subdistribution hazard ratio
        ``exp(estimate)`` with its interval, ``naive_se`` from the inverse information.
    vcov, naive_vcov : DataFrame
        Robust and model-based covariance of the estimates.
    loglik, loglik_null : float
        Log pseudo partial likelihood at the estimate and at beta = 0.
    cause : object
        The cause of interest; ``causes`` all causes in the data.
    converged : bool
        Newton-Raphson met its criterion and no problem was found.
    problems : tuple of str
        What makes the estimate unusable (no events of the cause, monotone likelihood,
        singular information). Empty for a good fit.
    """

    coef: pd.DataFrame
    vcov: pd.DataFrame
    naive_vcov: pd.DataFrame
    loglik: float
    loglik_null: float
    cause: object
    causes: list[object]
    formula: str
    n_obs: int
    n_events: int
    n_competing: int
    n_censored: int
    converged: bool
    iterations: int
    message: str
    problems: tuple[str, ...]
    _baseline: pd.DataFrame = field(repr=False)
    _means: np.ndarray = field(repr=False)
    _model_spec: Any = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"FineGrayResult(~ {self.formula}, cause={self.cause!r}: {self.n_obs} subjects, "
            f"{self.n_events} events of the cause, {self.n_competing} competing, "
            f"{self.n_censored} censored; "
            f"{convergence_note(self.converged, self.message, self.problems)})"
        )

    def summary(self) -> pd.DataFrame:
        """The coefficient table (a copy of :attr:`coef`; a ``note`` column and
        ``attrs["problems"]`` when the fit is not usable)."""
        return annotate_summary(self.coef, self.converged, self.problems, self.message)

    @property
    def params(self) -> pd.Series:
        return self.coef["estimate"]

    @property
    def baseline(self) -> pd.DataFrame:
        """Breslow increments of the baseline subdistribution hazard at the covariate means:
        columns ``time n_event hazard cumhaz``."""
        return self._baseline.copy()

    def predict_cif(self, newdata: pd.DataFrame, times: Sequence[float]) -> pd.DataFrame:
        """Cumulative incidence of the cause ``1 - exp(-Lambda_10(t) exp(x'beta))`` for each
        row of ``newdata`` (the formula's covariate columns) at ``times`` (rows = newdata
        index, columns = times), as ``predict.crr``."""
        x = pd.DataFrame(self._model_spec.get_model_matrix(newdata))
        x = x.drop(columns=[c for c in x.columns if c == "Intercept"]).to_numpy(dtype=float)
        lp = (x - self._means) @ self.coef["estimate"].to_numpy()
        t = np.asarray(times, dtype=float)
        base = self._baseline
        pos = np.searchsorted(base["time"].to_numpy(), t, side="right") - 1
        ch = np.where(pos >= 0, base["cumhaz"].to_numpy()[np.maximum(pos, 0)], 0.0)
        return pd.DataFrame(1 - np.exp(-np.outer(np.exp(lp), ch)), index=newdata.index, columns=t)


def _design(data: pd.DataFrame, formula: str) -> tuple[pd.DataFrame, Any, str]:
    check_formula(formula)
    rhs = (formula.split("~", 1)[1] if "~" in formula else formula).strip()
    if not rhs:
        raise ValueError("formula has no covariates; give e.g. 'active + age'")
    mm = model_matrix(rhs, data)
    x = pd.DataFrame(mm)
    x = x.drop(columns=[c for c in x.columns if c == "Intercept"])
    if x.shape[1] == 0:
        raise ValueError(f"formula {formula!r} produced no covariate columns")
    return x, mm.model_spec, rhs


def fit_finegray(
    data: pd.DataFrame,
    duration: str,
    cause: str,
    formula: str,
    cause_of_interest: object,
    censored: object = "censored",
    *,
    cengroup: str | None = None,
    alpha: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> FineGrayResult:
    """Fit a Fine-Gray subdistribution hazards model (R ``cmprsk::crr``).

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration : str
        Column of follow-up times.
    cause : str
        Column naming the cause of each event, or the censoring code ``censored`` (missing
        values are censored too; see :mod:`alstrials.models.competing._data`).
    formula : str
        Right-hand side, e.g. ``"active + age"`` (formulaic syntax restricted as in
        :func:`~alstrials.models.survival.fit_cox`; no intercept).
    cause_of_interest : object
        The cause whose subdistribution hazard is modelled (a value of column ``cause``);
        every other cause competes.
    censored : object
        The censoring code of column ``cause`` (``0`` for cmprsk-style codes).
    cengroup : str, optional
        Column of groups with separate censoring distributions (crr's ``cengroup``).
    alpha : float
        Two-sided level of the intervals.
    max_iter, tol : int, float
        Newton-Raphson limits (see :func:`alstrials.models.competing.fg_engine.newton`).

    Returns
    -------
    FineGrayResult

    Raises
    ------
    DataValidationError
        Bad columns or times, a ``cause`` that is not a value of ``status``, collinear or
        constant covariates.

    Warns
    -----
    ConvergenceWarning
        No events of the cause (estimates NaN), Newton-Raphson did not converge, monotone
        likelihood or a singular information: ``converged`` is False and ``problems`` says why.

    References
    ----------
    Fine & Gray (1999), JASA 94:496-509; R ``cmprsk::crr``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ...                   "s": ["x", "y", "x", "censored", "y", "x", "censored", "x", "y", "x"],
    ...                   "z": [1.2, 0.1, 0.8, -0.3, 0.0, 0.5, -1.0, -0.2, 0.3, -0.9]})
    >>> fit = fit_finegray(d, "t", "s", "z", cause_of_interest="x")
    >>> fit.coef.loc["z", ["estimate", "se"]].round(4).tolist()
    [1.7112, 1.2908]
    """
    return _fit(
        data, duration, cause, formula, cause_of_interest, censored, cengroup, alpha, max_iter,
        tol, "fit_finegray",
    )  # fmt: skip


def fit_fine_gray(
    data: pd.DataFrame,
    duration: str,
    status: str,
    formula: str,
    *,
    cause: object,
    censored: object = "censored",
    cengroup: str | None = None,
    alpha: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> FineGrayResult:
    """:func:`fit_finegray` under its earlier spelling: the cause column is ``status`` and
    the cause of interest the keyword ``cause``. Kept for existing callers (the survival
    workflow, the benchmark); new code should call :func:`fit_finegray`."""
    return _fit(
        data, duration, status, formula, cause, censored, cengroup, alpha, max_iter, tol,
        "fit_fine_gray",
    )  # fmt: skip


def _fit(
    data: pd.DataFrame,
    duration: str,
    status: str,
    formula: str,
    cause: object,
    censored: object,
    cengroup: str | None,
    alpha: float,
    max_iter: int,
    tol: float,
    name: str,
) -> FineGrayResult:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    require_columns(data, [duration, status, *([cengroup] if cengroup else [])])
    if not data.index.is_unique:
        data = data.reset_index(drop=True)
    raw_status = data[status]
    known = set(raw_status.dropna().unique().tolist())
    if isinstance(raw_status.dtype, pd.CategoricalDtype):
        known |= set(raw_status.cat.categories.tolist())
    if cause not in known or cause == censored:
        raise DataValidationError(
            f"cause {cause!r} is not a cause in column '{status}' (values: "
            f"{sorted(map(str, known))}, censoring code {censored!r}); pass one of the causes.",
            column=status,
        )
    x_frame, spec, rhs = _design(data, formula)
    kept, x_frame = drop_incomplete_rows(
        data, x_frame, [duration, *([cengroup] if cengroup else [])]
    )
    cd = competing_data(kept, duration, status, censored, stacklevel=4)
    cause_code = next((k + 1 for k, c in enumerate(cd.causes) if c == cause), 0)
    kind = np.where(cd.code == 0, 0, np.where(cd.code == cause_code, 1, 2))
    cg, _ = group_codes(kept, [cengroup] if cengroup else [])
    names = [str(c) for c in x_frame.columns]
    x_raw = x_frame.to_numpy(dtype=float)
    means = x_raw.mean(axis=0)
    x = x_raw - means
    check_full_rank(
        x,
        names,
        what=f"the Fine-Gray design of {rhs!r} (covariates centred)",
        hint="Drop a constant covariate or one of the collinear ones.",
    )
    order = np.argsort(cd.time, kind="stable")
    idx = engine.build_index(cd.time[order], kind[order], cg[order])
    xs = x[order]
    p = len(names)
    counts = {
        "n_obs": len(kept),
        "n_events": int((kind == 1).sum()),
        "n_competing": int((kind == 2).sum()),
        "n_censored": int((kind == 0).sum()),
    }
    if counts["n_events"] == 0:
        problem = (
            f"no events of cause {cause!r} in the data used (after dropping missing values): "
            "the subdistribution hazard ratios are not estimable"
        )
        warnings.warn(f"{name}: {problem}; estimates are NaN.", ConvergenceWarning, stacklevel=3)
        nan = np.full(p, np.nan)
        return _result(
            nan, np.full((p, p), np.nan), np.full((p, p), np.nan), names, alpha, float("nan"),
            float("nan"), cause, cd.causes, rhs, counts, False, 0, "", (problem,),
            pd.DataFrame(columns=["time", "n_event", "hazard", "cumhaz"]), means, spec,
        )  # fmt: skip
    fit = engine.newton(idx, xs, max_iter=max_iter, tol=tol)
    ev = fit.evaluation
    try:
        naive = np.linalg.inv(ev.information)
    except np.linalg.LinAlgError:
        naive = np.full((p, p), np.nan)
    if np.all(np.isfinite(naive)):
        infl = engine.sandwich(idx, xs, ev)
        meat = infl.T @ infl
        vcov = naive @ meat @ naive
    else:
        vcov = np.full((p, p), np.nan)
    problems = information_problems(ev.information, "Fine-Gray information")
    problems += monotone_directions(
        lambda b: engine.evaluate(idx, xs, b, second=False).loglik,
        fit.beta,
        np.sqrt(np.abs(np.diag(naive))),
        range(p),
        names,
        at_theta=ev.loglik,
    )
    converged = fit.converged and not problems
    if not converged:
        warnings.warn(
            f"{name} did not converge to a usable estimate ("
            + "; ".join([*([fit.message] if fit.message else []), *problems])
            + "); estimates are unreliable. Check for covariates that perfectly predict events "
            "of the cause, too few events, or raise max_iter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    hazard = idx.d / ev.s0 * np.exp(-ev.shift)
    baseline = pd.DataFrame(
        {
            "time": idx.u,
            "n_event": idx.d.astype(np.int64),
            "hazard": hazard,
            "cumhaz": np.cumsum(hazard),
        }
    )
    return _result(
        fit.beta, vcov, naive, names, alpha, ev.loglik, fit.loglik_null, cause, cd.causes, rhs,
        counts, converged, fit.iterations, fit.message, tuple(problems), baseline, means, spec,
    )  # fmt: skip


def _result(
    beta: np.ndarray,
    vcov: np.ndarray,
    naive: np.ndarray,
    names: list[str],
    alpha: float,
    loglik: float,
    loglik_null: float,
    cause: object,
    causes: list[object],
    rhs: str,
    counts: dict[str, int],
    converged: bool,
    iterations: int,
    message: str,
    problems: tuple[str, ...],
    baseline: pd.DataFrame,
    means: np.ndarray,
    spec: Any,
) -> FineGrayResult:
    se = np.sqrt(np.diag(vcov))
    zq = float(stats.norm.ppf(1 - alpha / 2))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = beta / se
        coef = pd.DataFrame(
            {
                "estimate": beta,
                "se": se,
                "z": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
                "ci_low": beta - zq * se,
                "ci_high": beta + zq * se,
                "hr": np.exp(beta),
                "hr_low": np.exp(beta - zq * se),
                "hr_high": np.exp(beta + zq * se),
                "naive_se": np.sqrt(np.diag(naive)),
            },
            index=pd.Index(names, name="covariate"),
        )
    return FineGrayResult(
        coef=coef,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        naive_vcov=pd.DataFrame(naive, index=names, columns=names),
        loglik=loglik,
        loglik_null=loglik_null,
        cause=cause,
        causes=list(causes),
        formula=rhs,
        converged=converged,
        iterations=iterations,
        message=message,
        problems=problems,
        _baseline=baseline,
        _means=means,
        _model_spec=spec,
        **counts,
    )
