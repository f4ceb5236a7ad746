"""Cox proportional hazards regression: :func:`fit_cox` and :class:`CoxResult`.

Model: the hazard of row ``i`` in stratum ``s`` at time ``t`` is
:math:`\\lambda_i(t) = \\lambda_{0s}(t)\\exp(x_i^\\top\\beta)`, with :math:`\\lambda_{0s}` left
unspecified. :math:`\\beta` maximises the partial likelihood (Efron or Breslow handling of tied
event times; see :mod:`alstrials.models.survival.cox_engine`). With ``start`` the data are in
counting-process form: row ``i`` is at risk on ``(start_i, stop_i]`` and covariates may change
between a subject's rows (time-varying covariates, delayed entry).

Variance: model-based :math:`\\mathcal I(\\hat\\beta)^{-1}`; robust (``robust=True`` or
``cluster=``) the Lin-Wei sandwich :math:`D^\\top D` with :math:`D` the dfbeta residuals
(score residuals times :math:`\\mathcal I^{-1}`), summed within clusters first.
Baseline cumulative hazard (R ``survfit.coxph`` default): at the covariate means, Efron-adjusted
increments :math:`\\sum_l 1/(R_k - f_l E_k)` (Breslow: :math:`d_k/R_k`); survival
:math:`S_0(t) = \\exp(-\\Lambda_0(t))`.

References
----------
Cox DR (1972). Regression models and life-tables. JRSS B 34:187-220.
Lin DY, Wei LJ (1989). The robust inference for the Cox proportional hazards model. JASA 84.
Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin, convergence_note
from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.diagnostics import (
    annotate_summary,
    check_full_rank,
    information_problems,
    monotone_directions,
)
from alstrials.models.formula import check_formula
from alstrials.models.survival import cox_engine as engine
from alstrials.models.survival._data import (
    as_events,
    as_names,
    as_times,
    drop_incomplete_rows,
    group_codes,
    require_columns,
)
from alstrials.models.survival.concordance import harrell_c
from alstrials.models.survival.cox_design import covariate_frame
from alstrials.models.ties import merge_close_times, score_tolerance

__all__ = ["fit_cox", "CoxResult", "CoxDesign"]

_TIES = ("efron", "breslow")


@dataclass(frozen=True, eq=False)
class CoxDesign:
    """The data as the engine saw them (rows after dropping missing values)."""

    x: np.ndarray  # centred at ``means``
    means: np.ndarray
    reference: np.ndarray  # default covariate profile: means, 0 for 0/1 columns (as R)
    stop: np.ndarray
    start: np.ndarray | None
    event: np.ndarray
    strata: np.ndarray
    strata_labels: list[str]
    strata_columns: list[str]
    index: Any  # RiskSetIndex
    model_spec: Any  # LazyModelSpec: the formulaic spec, to build newdata rows
    row_labels: pd.Index
    group_hazard: np.ndarray  # baseline hazard increment of every event-time group (at x = 0)


@dataclass(frozen=True, eq=False, repr=False)
class CoxResult(ResultMixin):
    """A fitted Cox model. Build with :func:`fit_cox`.

    Attributes
    ----------
    coef : DataFrame
        Indexed by covariate; columns ``estimate se hr hr_low hr_high z p`` (``se`` is the robust
        SE when the fit is robust, then ``naive_se`` holds the model-based one).
    vcov : DataFrame
        Covariance of the estimates (robust when robust).
    loglik, loglik_null : float
        Log partial likelihood at the estimate and at beta = 0.
    tests : DataFrame
        Likelihood-ratio, Wald and score tests of beta = 0 (``statistic df p``).
    converged : bool
        Newton-Raphson met its criterion and no problem below was found.
    problems : tuple of str
        What makes the estimate unusable: monotone likelihood (separation: a coefficient whose
        true estimate is infinite), a singular information matrix
        (:mod:`alstrials.models.diagnostics`). Empty for a good fit.
    """

    coef: pd.DataFrame
    vcov: pd.DataFrame
    naive_vcov: pd.DataFrame
    loglik: float
    loglik_null: float
    tests: pd.DataFrame
    ties: str
    robust: bool
    formula: str
    n_obs: int
    n_subjects: int
    n_events: int
    converged: bool
    iterations: int
    message: str
    problems: tuple[str, ...]
    _design: CoxDesign = field(repr=False)

    @cached_property
    def _baseline(self) -> pd.DataFrame:
        """Baseline cumulative hazard at the centring means, built on first use."""
        return _baseline_table(self._design)

    def __repr__(self) -> str:
        rob = ", robust SE" if self.robust else ""
        return (
            f"CoxResult(~ {self.formula}, ties={self.ties}{rob}: {self.n_subjects} subjects, "
            f"{self.n_obs} observations, {self.n_events} events; "
            f"{convergence_note(self.converged, self.message, self.problems)})"
        )

    def summary(self) -> pd.DataFrame:
        """The coefficient table (a copy of :attr:`coef`; with a ``note`` column saying "not
        converged" and ``attrs["problems"]`` when the fit is not usable)."""
        return annotate_summary(self.coef, self.converged, self.problems, self.message)

    @property
    def params(self) -> pd.Series:
        return self.coef["estimate"]

    @cached_property
    def concordance(self) -> float:
        """Harrell's C as R's ``coxph`` reports it (ties in the predictor count 1/2)."""
        d = self._design
        beta = self.coef["estimate"].to_numpy()
        # identical covariate rows get the identical score (a BLAS product need not give them
        # one: its rounding depends on the kernel and on the row's position), and scores equal
        # up to the rounding of x'beta tie (see alstrials.models.ties)
        rows, inverse = np.unique(d.x, axis=0, return_inverse=True)
        eta = (rows @ beta)[inverse.ravel()]
        scale = float(np.max(np.abs(rows) @ np.abs(beta), initial=0.0))
        return harrell_c(
            d.stop, d.event, eta, strata=d.strata, start=d.start, tol=score_tolerance(eta, scale)
        )

    def baseline_cumulative_hazard(
        self, at: Mapping[str, Any] | pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Cumulative hazard at each distinct time (R ``survfit.coxph`` defaults).

        Parameters
        ----------
        at : mapping or one-row DataFrame, optional
            Covariate values (raw data columns, as in the formula). Default: the covariate
            means of the fitted data, except 0 for 0/1 indicator columns (dummy variables,
            binary covariates), exactly as R's ``survfit(fit)`` uses ``fit$means``.

        Returns
        -------
        DataFrame
            Columns ``stratum time n_risk n_event cumhaz survival``.
        """
        out = self._baseline.copy()
        d = self._design
        if at is None:
            shift = float((d.reference - d.means) @ self.coef["estimate"].to_numpy())
        else:
            frame = pd.DataFrame([at]) if isinstance(at, Mapping) else at
            shift = float(self._linear_predictor(frame)[0])
        out["cumhaz"] = out["cumhaz"] * np.exp(shift)
        out["survival"] = np.exp(-out["cumhaz"])
        return out

    def baseline_survival(self, at: Mapping[str, Any] | pd.DataFrame | None = None) -> pd.DataFrame:
        """Survival exp(-cumulative hazard) at each distinct time; see
        :meth:`baseline_cumulative_hazard`."""
        return self.baseline_cumulative_hazard(at)

    def _linear_predictor(self, newdata: pd.DataFrame) -> np.ndarray:
        """(x - means) beta for raw covariate rows."""
        x = self._design.model_spec.get_model_matrix(newdata)
        x = _drop_intercept(pd.DataFrame(x)).to_numpy(dtype=float)
        return (x - self._design.means) @ self.coef["estimate"].to_numpy()

    def predict_survival(self, newdata: pd.DataFrame, times: Sequence[float]) -> pd.DataFrame:
        """Survival probabilities ``S(t | x) = exp(-Lambda_0s(t) exp((x - mean) beta))``.

        Parameters
        ----------
        newdata : DataFrame
            One row per profile, with the formula's covariate columns (and the strata columns
            when the model is stratified).
        times : sequence of float
            Times at which to evaluate the survival curve.

        Returns
        -------
        DataFrame
            Rows = ``newdata`` index, columns = ``times``.
        """
        d = self._design
        t_eval = np.asarray(times, dtype=float)
        lp = self._linear_predictor(newdata)
        if d.strata_columns:
            require_columns(newdata, d.strata_columns, "newdata")
            keys = newdata[d.strata_columns].astype(str).agg(", ".join, axis=1).to_numpy()
        else:
            keys = np.array(["all"] * len(newdata))
        base = self._baseline
        out = np.empty((len(newdata), t_eval.shape[0]))
        for s in np.unique(keys):
            if s not in d.strata_labels:
                raise DataValidationError(
                    f"newdata stratum {s!r} was not in the fitted data; strata are "
                    f"{d.strata_labels}."
                )
            b = base[base["stratum"] == s]
            pos = np.searchsorted(b["time"].to_numpy(), t_eval, side="right") - 1
            ch = np.where(pos >= 0, b["cumhaz"].to_numpy()[np.maximum(pos, 0)], 0.0)
            rows = keys == s
            out[rows] = np.exp(-np.outer(np.exp(lp[rows]), ch))
        return pd.DataFrame(out, index=newdata.index, columns=t_eval)


def _drop_intercept(x: pd.DataFrame) -> pd.DataFrame:
    return x.drop(columns=[c for c in x.columns if c == "Intercept"])


def _rank_equivalent(x: np.ndarray) -> np.ndarray:
    """A p x p matrix with the column norms and singular values of the tall ``x``: the R of
    its QR decomposition (``x = QR``, ``Q`` orthonormal), so that the rank check costs one QR
    instead of the SVD of an n x p matrix."""
    n, p = x.shape
    if n <= 4 * p:
        return x
    return np.asarray(np.linalg.qr(x, mode="r"))


def fit_cox(
    data: pd.DataFrame,
    duration: str,
    event: str,
    formula: str,
    start: str | None = None,
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    robust: bool = False,
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
    max_iter: int = 30,
    tol: float = 1e-10,
) -> CoxResult:
    """Fit a Cox proportional hazards model by Newton-Raphson.

    Parameters
    ----------
    data : DataFrame
        One row per subject, or per (start, stop] interval when ``start`` is given.
    duration : str
        Column of follow-up (stop) times.
    event : str
        Column of event indicators (True/1 = event at ``duration``).
    formula : str
        Right-hand side, e.g. ``"age + sex"`` or ``"~ age + C(ph_ecog)"`` (formulaic syntax,
        restricted to the grammar of :func:`alstrials.models.formula.check_formula`; no
        intercept is fitted).
    start : str, optional
        Column of interval start times (counting-process data).
    ties : {"efron", "breslow"}
        Handling of tied event times.
    strata : str or list of str, optional
        Columns defining strata with separate baseline hazards.
    robust : bool
        Lin-Wei robust (sandwich) variance, one cluster per row unless ``cluster`` is given.
    cluster : str, optional
        Column of cluster ids (e.g. subject id for counting-process rows); implies robust.
    alpha : float
        Two-sided level of the hazard ratio intervals.
    max_iter, tol : int, float
        Newton-Raphson limits (see :func:`~alstrials.models.survival.cox_engine.newton_raphson`).

    Returns
    -------
    CoxResult

    Raises
    ------
    DataValidationError
        Bad columns or times, no events, collinear or constant covariates;
        :class:`~alstrials.errors.FormulaError` for a formula outside the restricted grammar.

    Warns
    -----
    ConvergenceWarning
        Newton-Raphson did not converge, or the estimate is not usable (``problems``: monotone
        likelihood / separation, singular information); ``converged`` is then False.

    References
    ----------
    Cox (1972); Efron (1977); Lin & Wei (1989); Therneau & Grambsch (2000).

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.models.survival import fit_cox
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10], "e": [1, 1, 0, 1, 0, 1, 1, 0],
    ...                   "x": [0.2, -1.0, 0.5, -0.3, -1.2, 1.0, 0.1, -0.8]})
    >>> fit = fit_cox(d, "t", "e", "x")
    >>> round(float(fit.coef.loc["x", "estimate"]), 4)
    3.1845
    """
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    strata_cols = as_names(strata)
    needed = [
        duration,
        event,
        *([start] if start else []),
        *strata_cols,
        *([cluster] if cluster else []),
    ]
    require_columns(data, needed)
    if not data.index.is_unique:
        data = data.reset_index(drop=True)  # rows are then named by position in messages
    check_formula(formula)  # formulaic evaluates Python: only the restricted grammar
    rhs = formula.split("~", 1)[1] if "~" in formula else formula
    rhs = rhs.strip()
    if not rhs:
        raise ValueError("formula has no covariates; give e.g. 'age + sex'")
    x_frame, model_spec = covariate_frame(rhs, data)
    if x_frame.shape[1] == 0:
        raise ValueError(f"formula {formula!r} produced no covariate columns")
    kept, x_frame = drop_incomplete_rows(data, x_frame, needed)
    stop = as_times(kept, duration, allow_negative=start is not None)
    ev = as_events(kept, event)
    # times equal up to rounding are one time (R's timefix; alstrials.models.ties)
    start_v = None
    if start is None:
        (stop,) = merge_close_times(stop)
    else:
        stop, start_v = merge_close_times(stop, as_times(kept, start, allow_negative=True))
        bad = start_v >= stop
        if bad.any():
            row = kept.index[int(np.flatnonzero(bad)[0])]
            raise DataValidationError(
                f"column '{start}', row {row!r}: start must be before stop ('{duration}') "
                f"({int(bad.sum())} such row(s)); drop zero-length intervals.",
                column=start,
                row=row,
            )
    if not ev.any():
        raise DataValidationError(f"column '{event}' has no events; a Cox model needs events.")
    s_codes, s_labels = group_codes(kept, strata_cols)
    x_raw = x_frame.to_numpy(dtype=float)
    means = x_raw.mean(axis=0)
    binary = np.all((x_raw == 0) | (x_raw == 1), axis=0)
    x = x_raw - means
    names = list(x_frame.columns)
    p = len(names)
    check_full_rank(
        _rank_equivalent(x),
        names,
        what=f"the Cox design of {rhs!r} (covariates centred; the baseline hazard absorbs "
        "constants)",
        hint="Drop a constant covariate or one of the collinear ones, or merge factor levels "
        "with no rows.",
    )
    idx = engine.build_index(stop, ev, s_codes, start_v, ties)
    fit = engine.newton_raphson(idx, x, max_iter=max_iter, tol=tol)
    try:
        naive = np.linalg.inv(fit.evaluation.information)
    except np.linalg.LinAlgError:
        naive = np.full((p, p), np.nan)
    robust = robust or cluster is not None
    vcov = naive
    if robust:
        dfbeta = engine.score_residuals(idx, x, fit.beta, fit.evaluation) @ naive
        if cluster is not None:
            ccodes, _ = pd.factorize(kept[cluster])
            summed = np.zeros((int(ccodes.max()) + 1, p))
            np.add.at(summed, ccodes, dfbeta)
            dfbeta = summed
        vcov = dfbeta.T @ dfbeta
    se = np.sqrt(np.diag(vcov))
    problems = information_problems(fit.evaluation.information, "Cox information")
    problems += monotone_directions(
        fit.layout.loglik,
        fit.beta,
        np.sqrt(np.abs(np.diag(naive))),
        range(p),
        names,
        at_theta=fit.evaluation.loglik,
    )
    converged = fit.converged and not problems
    if not converged:
        warnings.warn(
            "fit_cox did not converge to a usable estimate ("
            + "; ".join([*([fit.message] if fit.message else []), *problems])
            + "); estimates are unreliable. Check for covariates that perfectly predict "
            "events, rescale covariates, or raise max_iter.",
            ConvergenceWarning,
            stacklevel=2,
        )
    z = fit.beta / se
    zq = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(over="ignore"):  # a diverging fit gives infinite limits, honestly
        hr_low, hr_high = np.exp(fit.beta - zq * se), np.exp(fit.beta + zq * se)
    coef = pd.DataFrame(
        {
            "estimate": fit.beta,
            "se": se,
            "hr": np.exp(fit.beta),
            "hr_low": hr_low,
            "hr_high": hr_high,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
        },
        index=pd.Index(names, name="covariate"),
    )
    if robust:
        coef.insert(2, "naive_se", np.sqrt(np.diag(naive)))
        coef.insert(3, "robust_se", se)
    lr = 2 * (fit.evaluation.loglik - fit.loglik_null)
    wald = (
        float(fit.beta @ np.linalg.solve(vcov, fit.beta))
        if np.all(np.isfinite(vcov))
        else float("nan")
    )
    tests = pd.DataFrame(
        {"statistic": [lr, wald, fit.score_test], "df": [p, p, p]},
        index=pd.Index(["likelihood_ratio", "wald", "score"], name="test"),
    )
    tests["p"] = stats.chi2.sf(tests["statistic"], tests["df"])
    design = CoxDesign(
        x=x,
        means=means,
        reference=np.where(binary, 0.0, means),
        stop=stop,
        start=start_v,
        event=ev,
        strata=s_codes,
        strata_labels=s_labels,
        strata_columns=strata_cols,
        index=idx,
        model_spec=model_spec,
        row_labels=kept.index,
        group_hazard=engine.group_hazard(idx, fit.evaluation)[0],
    )
    n_subjects = int(kept[cluster].nunique()) if cluster is not None else len(kept)
    return CoxResult(
        coef=coef,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        naive_vcov=pd.DataFrame(naive, index=names, columns=names),
        loglik=fit.evaluation.loglik,
        loglik_null=fit.loglik_null,
        tests=tests,
        ties=ties,
        robust=robust,
        formula=rhs,
        n_obs=len(kept),
        n_subjects=n_subjects,
        n_events=int(ev.sum()),
        converged=converged,
        iterations=fit.iterations,
        message=fit.message,
        problems=tuple(problems),
        _design=design,
    )


def _baseline_table(d: CoxDesign) -> pd.DataFrame:
    """Baseline cumulative hazard at the covariate means, at every distinct stop time."""
    idx = d.index
    h = d.group_hazard
    single = len(d.strata_labels) == 1
    order = np.argsort(d.stop, kind="stable") if single else np.lexsort((d.stop, d.strata))
    stop_sorted = d.stop[order]
    bounds = np.searchsorted(d.strata[order], np.arange(len(d.strata_labels) + 1))
    frames = []
    for code, label in enumerate(d.strata_labels):
        stops = stop_sorted[bounds[code] : bounds[code + 1]]
        first = np.ones(stops.shape[0], dtype=bool)
        first[1:] = stops[1:] != stops[:-1]
        times = stops[first]
        n_risk = stops.shape[0] - np.flatnonzero(first)
        if d.start is not None:
            starts = np.sort(d.start[d.strata == code] if not single else d.start)
            n_risk = n_risk - (starts.shape[0] - np.searchsorted(starts, times, side="left"))
        g = idx.group_stratum == code
        gt, gh, gn = idx.group_time[g], h[g], idx.group_size[g]
        pos = np.searchsorted(times, gt)
        inc = np.zeros(times.shape[0])
        n_event = np.zeros(times.shape[0], dtype=np.int64)
        inc[pos], n_event[pos] = gh, gn
        cumhaz = np.cumsum(inc)
        frames.append(
            pd.DataFrame(
                {
                    "stratum": label,
                    "time": times,
                    "n_risk": n_risk,
                    "n_event": n_event,
                    "cumhaz": cumhaz,
                    "survival": np.exp(-cumhaz),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
