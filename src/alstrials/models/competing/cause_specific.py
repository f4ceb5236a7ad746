"""Cause-specific Cox models and the absolute risks they predict: :func:`fit_cause_specific_cox`.

Model: causes :math:`k = 1..K` compete; each cause-specific hazard is proportional,

.. math::

    \\lambda_k(t \\mid x) = \\lambda_{k0}(t) \\exp(x^\\top \\beta_k),

fitted as one Cox model per cause (:func:`~alstrials.models.survival.fit_cox`) in which the
events of the other causes are censored (partial likelihood, Efron ties by default as
``survival::coxph`` and R riskRegression's ``CSC``).

Absolute risk (cumulative incidence) of cause :math:`c` for covariates :math:`x`, from the
cause-specific cumulative hazards :math:`\\hat\\Lambda_k(t \\mid x) = \\hat\\Lambda_{k0}(t)
e^{x^\\top \\hat\\beta_k}` (baseline: the Breslow estimator with Efron's adjustment at tied
event times when ``ties="efron"``, as ``survfit.coxph``) and the product-limit all-cause
survival over the distinct event times :math:`t_j` of any cause:

.. math::

    \\hat S(t \\mid x) = \\prod_{t_j \\le t} \\Big(1 - \\sum_k \\Delta\\hat\\Lambda_k(t_j \\mid x)
    \\Big), \\qquad
    \\hat F_c(t \\mid x) = \\sum_{t_j \\le t} \\hat S(t_{j-1} \\mid x)\\,
    \\Delta\\hat\\Lambda_c(t_j \\mid x),

which is what ``riskRegression::predictRisk`` computes for a ``CSC`` fit (its default
``product.limit = TRUE``). ``product_limit=False`` gives the exponential form
:math:`\\hat S(t \\mid x) = \\exp(-\\sum_k \\hat\\Lambda_k(t \\mid x))` instead
(``product.limit = FALSE``).

References
----------
Prentice RL, Kalbfleisch JD, Peterson AV, Flournoy N, Farewell VT, Breslow NE (1978). The
analysis of failure times in the presence of competing risks. Biometrics 34:541-554.
Benichou J, Gail MH (1990). Estimates of absolute cause-specific risk in cohort studies.
Biometrics 46:813-826.
Ozenne B, Sørensen AL, Scheike T, Torp-Pedersen C, Gerds TA (2017). riskRegression:
predicting the risk of an event using Cox regression models. The R Journal 9(2):440-460.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from formulaic import Formula

from alstrials._results import ResultMixin, convergence_note
from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models.competing._data import competing_data
from alstrials.models.diagnostics import annotate_summary
from alstrials.models.survival import fit_cox
from alstrials.models.survival._data import as_names, require_columns
from alstrials.models.survival.cox import CoxResult

__all__ = ["fit_cause_specific_cox", "CSCResult"]


@dataclass(frozen=True, eq=False, repr=False)
class CSCResult(ResultMixin):
    """Cause-specific Cox models, one per cause. Build with :func:`fit_cause_specific_cox`.

    Attributes
    ----------
    coef : DataFrame
        Two-level index (``cause``, ``covariate``); the columns of
        :attr:`CoxResult.coef <alstrials.models.survival.CoxResult>` (``estimate se hr hr_low
        hr_high z p``): the cause-specific log hazard ratios and hazard ratios.
    models : mapping
        The fitted :class:`~alstrials.models.survival.CoxResult` of each cause.
    causes : list
        The causes, in sorted order of their labels.
    duration, cause_column : str
        The time and cause columns of the fitted data (used by
        :func:`~alstrials.models.prediction.prediction_accuracy`).
    strata : tuple of str
        Strata columns (separate baseline hazards), empty when not stratified.
    censored : object
        The censoring code of the cause column.
    n_obs, n_censored : int
        Rows used (complete covariates) and censored among them.
    n_events : dict
        Events of each cause among the rows used.
    converged : bool
        Every cause's Cox model converged to a usable estimate.
    problems : tuple of str
        The problems of the causes' models, each prefixed with its cause.
    """

    coef: pd.DataFrame
    models: Mapping[object, CoxResult] = field(repr=False)
    causes: list[object]
    formula: str
    duration: str
    cause_column: str
    censored: object
    ties: str
    strata: tuple[str, ...]
    n_obs: int
    n_censored: int
    n_events: dict[object, int]
    converged: bool
    problems: tuple[str, ...]

    def __repr__(self) -> str:
        events = ", ".join(f"{c}: {n}" for c, n in self.n_events.items())
        return (
            f"CSCResult(~ {self.formula}, ties={self.ties}: {self.n_obs} subjects, events "
            f"{events}, {self.n_censored} censored; "
            f"{convergence_note(self.converged, '', self.problems)})"
        )

    def summary(self) -> pd.DataFrame:
        """The coefficient table (a copy of :attr:`coef`; a ``note`` column and
        ``attrs["problems"]`` when a cause's model is not usable)."""
        return annotate_summary(self.coef, self.converged, self.problems)

    @property
    def params(self) -> pd.Series:
        return self.coef["estimate"]

    def _increments(
        self, newdata: pd.DataFrame
    ) -> tuple[np.ndarray, dict[object, np.ndarray], float]:
        """The distinct event times of any cause, each cause's cumulative-hazard increments
        there (rows = newdata), and the largest follow-up time of the fitted data."""
        grids = []
        last = 0.0
        for m in self.models.values():
            base = m.baseline_cumulative_hazard()
            grids.append(base["time"].to_numpy()[base["n_event"].to_numpy() > 0])
            last = max(last, float(base["time"].max()))
        jumps = np.unique(np.concatenate(grids))
        incs = {}
        for c, m in self.models.items():
            surv = m.predict_survival(newdata, jumps.tolist()).to_numpy(dtype=float)
            with np.errstate(divide="ignore"):
                cumhaz = -np.log(surv)
            cumhaz = np.where(np.isfinite(cumhaz), cumhaz, np.inf)
            steps = np.diff(cumhaz, axis=1, prepend=0.0)
            incs[c] = np.where(np.isnan(steps), np.inf, steps)  # inf - inf once S underflows
        return jumps, incs, last

    def _check_newdata(self, newdata: pd.DataFrame, times: Sequence[float]) -> np.ndarray:
        if not isinstance(newdata, pd.DataFrame):
            raise DataValidationError(
                f"newdata must be a DataFrame, got {type(newdata).__name__}", table="newdata"
            )
        needed = sorted(Formula(self.formula).required_variables) + list(self.strata)
        missing = [c for c in needed if c not in newdata.columns]
        if missing:
            raise DataValidationError(
                f"newdata has no column(s) {missing}; the models need {needed}",
                table="newdata",
                column=missing[0],
            )
        incomplete = newdata[needed].isna().any(axis=1).to_numpy()
        if incomplete.any():
            row = newdata.index[int(np.flatnonzero(incomplete)[0])]
            raise DataValidationError(
                f"newdata row {row!r} has a missing value in the covariates {needed} "
                f"({int(incomplete.sum())} such row(s)); drop or impute them first.",
                table="newdata",
                row=row,
            )
        t = np.atleast_1d(np.asarray(times, dtype=float))
        if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise DataValidationError(
                f"times must be finite numbers >= 0, got {times!r}", column="times"
            )
        return t

    def predict_cumulative_incidence(
        self,
        newdata: pd.DataFrame,
        times: Sequence[float],
        cause: object,
        *,
        product_limit: bool = True,
    ) -> pd.DataFrame:
        """Absolute risk of ``cause`` by each of ``times`` for each row of ``newdata``.

        Parameters
        ----------
        newdata : DataFrame
            The formula's covariate columns (and the strata columns of a stratified fit).
        times : sequence of float
            Times (>= 0) at which to evaluate the cumulative incidence.
        cause : object
            One of :attr:`causes`.
        product_limit : bool
            All-cause survival by the product-limit (default, riskRegression's default) or
            as ``exp(-sum of cumulative hazards)`` (module docstring).

        Returns
        -------
        DataFrame
            Rows = ``newdata`` index, columns = ``times``; NaN at times after the largest
            follow-up time of the fitted data (as riskRegression).

        Raises
        ------
        DataValidationError
            ``cause`` is not a fitted cause, a covariate column is absent or missing in a row,
            bad ``times``.
        """
        if not any(cause == c for c in self.causes):
            raise DataValidationError(
                f"cause {cause!r} is not one of the fitted causes {self.causes}",
                column=self.cause_column,
            )
        t = self._check_newdata(newdata, times)
        key = next(c for c in self.causes if c == cause)
        jumps, incs, last = self._increments(newdata)
        total = sum(incs.values())
        if product_limit:
            with np.errstate(invalid="ignore"):
                surv = np.cumprod(1.0 - total, axis=1)
        else:
            surv = np.exp(-np.cumsum(total, axis=1))
        before = np.hstack([np.ones((len(newdata), 1)), surv[:, :-1]])
        with np.errstate(invalid="ignore"):
            cif = np.cumsum(np.where(incs[key] > 0, before * incs[key], 0.0), axis=1)
        pos = np.searchsorted(jumps, t, side="right") - 1
        out = np.where(pos >= 0, cif[:, np.maximum(pos, 0)], 0.0)
        out[:, t > last] = np.nan
        return pd.DataFrame(out, index=newdata.index, columns=t)

    def predict_survival(
        self, newdata: pd.DataFrame, times: Sequence[float], *, product_limit: bool = True
    ) -> pd.DataFrame:
        """Event-free (all-cause) survival ``S(t | x)`` (rows = ``newdata`` index, columns =
        ``times``; NaN after the largest follow-up time of the fitted data); see
        :meth:`predict_cumulative_incidence`."""
        t = self._check_newdata(newdata, times)
        jumps, incs, last = self._increments(newdata)
        total = sum(incs.values())
        if product_limit:
            surv = np.cumprod(1.0 - total, axis=1)
        else:
            surv = np.exp(-np.cumsum(total, axis=1))
        pos = np.searchsorted(jumps, t, side="right") - 1
        out = np.where(pos >= 0, surv[:, np.maximum(pos, 0)], 1.0)
        out[:, t > last] = np.nan
        return pd.DataFrame(out, index=newdata.index, columns=t)


def _rewarn(caught: list[warnings.WarningMessage], k: int, where: str) -> None:
    """Pass on the warnings of one cause's ``fit_cox`` at the user's call: the dropped rows
    once (they are the same for every cause), convergence problems naming the cause."""
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, DataWarning) and "row(s) with missing" in text and k > 1:
            continue
        if issubclass(w.category, ConvergenceWarning):
            text = f"{where}: {text}"
        warnings.warn(text, w.category, stacklevel=3)


def fit_cause_specific_cox(
    data: pd.DataFrame,
    duration: str,
    cause: str,
    formula: str,
    censored: object = "censored",
    *,
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    alpha: float = 0.05,
) -> CSCResult:
    """Fit one Cox model per cause, the other causes censored (R riskRegression ``CSC``).

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    duration : str
        Column of follow-up times.
    cause : str
        Column naming the cause of the event, or ``censored`` for censored rows (missing
        values are censored too; see :mod:`alstrials.models.competing._data`).
    formula : str
        Right-hand side, e.g. ``"active + age"``, the same for every cause (see
        :func:`~alstrials.models.survival.fit_cox`).
    censored : object
        The censoring code of column ``cause`` (``0`` for numeric codes).
    ties : {"efron", "breslow"}
        Handling of tied event times (and the matching baseline hazard).
    strata : str or list of str, optional
        Columns with separate baseline hazards (in every cause's model).
    alpha : float
        Two-sided level of the hazard ratio intervals.

    Returns
    -------
    CSCResult

    Raises
    ------
    DataValidationError
        Bad columns or times, a cause without events among the rows with complete covariates,
        collinear covariates.

    Warns
    -----
    ConvergenceWarning
        A cause's model did not converge or is not usable (``problems`` says which).

    References
    ----------
    Prentice et al. (1978), Biometrics 34:541-554; Ozenne et al. (2017), The R Journal 9(2).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ...                   "s": ["x", "y", "x", "censored", "y", "x", "censored", "x", "y", "x"],
    ...                   "z": [1.2, 0.1, 0.8, -0.3, 0.0, 0.5, -1.0, -0.2, 0.3, -0.9]})
    >>> fit = fit_cause_specific_cox(d, "t", "s", "z")
    >>> fit.coef["estimate"].round(3).tolist()
    [3.762, 1.161]
    >>> risk = fit.predict_cumulative_incidence(pd.DataFrame({"z": [0.0]}), [5.0], "x")
    >>> round(float(risk.iloc[0, 0]), 3)
    0.036
    """
    require_columns(data, [duration, cause, *as_names(strata)])
    if not data.index.is_unique:
        data = data.reset_index(drop=True)
    cd = competing_data(data, duration, cause, censored, stacklevel=3)
    if not cd.causes:
        raise DataValidationError(
            f"column '{cause}' has no events (every row is censored); a cause-specific Cox "
            "model needs events.",
            column=cause,
        )
    models: dict[object, CoxResult] = {}
    for k, c in enumerate(cd.causes, start=1):
        event = f"{cause} == {c!r}"
        frame = data.assign(**{event: cd.code == k})
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                models[c] = fit_cox(
                    frame, duration, event, formula, ties=ties, strata=strata, alpha=alpha
                )
        except DataValidationError as exc:
            raise DataValidationError(
                f"cause {c!r} of column '{cause}': {exc}", column=cause
            ) from exc
        _rewarn(caught, k, f"cause {c!r} of column '{cause}'")
    first = next(iter(models.values()))
    coef = pd.concat(
        [m.coef for m in models.values()], keys=list(models), names=["cause", "covariate"]
    )
    problems = tuple(f"{c}: {p}" for c, m in models.items() for p in m.problems) + tuple(
        f"{c}: {m.message}" for c, m in models.items() if not m.converged and not m.problems
    )
    n_events = {c: m.n_events for c, m in models.items()}
    return CSCResult(
        coef=coef,
        models=models,
        causes=list(cd.causes),
        formula=first.formula,
        duration=duration,
        cause_column=cause,
        censored=censored,
        ties=ties,
        strata=tuple(as_names(strata)),
        n_obs=first.n_obs,
        n_censored=first.n_obs - sum(n_events.values()),
        n_events=n_events,
        converged=all(m.converged for m in models.values()),
        problems=problems,
    )
