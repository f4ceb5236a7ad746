"""The fitted joint model: a frozen result with tables, fit statistics and dynamic prediction.

Parameterisation reported: ``long_fixed`` holds ``beta``; ``surv_coef`` holds ``gamma`` (the
log hazard ratios of the baseline covariates) and the association ``alpha`` ("value": log hazard
ratio per unit of the current true biomarker value) and/or ``alpha_s`` ("slope": per unit/time
of its current slope); ``random_cov`` is ``D``; ``residual_var`` is ``sigma^2``;
``baseline_hazard`` lists the piecewise-constant ``xi`` per interval.

References
----------
Rizopoulos, D. (2010). JM: An R package for the joint modelling of longitudinal and
time-to-event data. *Journal of Statistical Software*, 35(9), 1-33.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin, convergence_note
from alstrials.models.diagnostics import annotate_summary
from alstrials.models.joint.likelihood import Layout

__all__ = ["JointResult", "JointModelSpec", "coef_table"]


def coef_table(names: list[str], estimate: np.ndarray, se: np.ndarray) -> pd.DataFrame:
    """Wald table: columns ``estimate se z p ci_low ci_high`` (95%), indexed by ``term``."""
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    crit = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
        },
        index=pd.Index(names, name="term"),
    )


@dataclass(frozen=True)
class JointModelSpec:
    """What prediction needs to rebuild designs for a new subject."""

    layout: Layout
    long_spec: Any
    random_spec: Any
    surv_spec: Any
    surv_names: tuple[str, ...]
    breaks: np.ndarray
    time: str
    group: str
    response: str
    gl_points: int


@dataclass(frozen=True, repr=False, eq=False)
class JointResult(ResultMixin):
    """Result of :func:`fit_joint`.

    Attributes
    ----------
    long_fixed : DataFrame
        Longitudinal fixed effects ``beta`` (index ``term``; ``estimate se z p ci_low ci_high``).
    surv_coef : DataFrame
        Baseline covariate log hazard ratios and the association row(s) "value"/"slope".
    random_cov : DataFrame
        Random-effects covariance ``D``.
    residual_var : float
        ``sigma^2``.
    baseline_hazard : DataFrame
        Intervals ``lower upper`` with ``xi``, its ``se`` and the number of ``events``.
    loglik, aic, bic : float
        Full marginal log-likelihood (with constants); AIC; BIC with ``log(n_subjects)``.
    converged : bool
        Whether the optimisation met its criteria and no problem was found.
    problems : tuple of str
        Why the estimate is not usable: monotone likelihood in a survival coefficient (a single
        event, all events in one arm), a non-positive-definite observed information, a baseline
        interval without events, variance components not identified. Empty for a good fit.
    theta, vcov : ndarray
        Unconstrained parameter vector and its estimated covariance.
    random_effects : DataFrame
        Posterior modes of ``b_i`` (empirical Bayes), one row per subject.
    """

    long_fixed: pd.DataFrame
    surv_coef: pd.DataFrame
    random_cov: pd.DataFrame
    residual_var: float
    baseline_hazard: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    converged: bool
    message: str
    problems: tuple[str, ...]
    n_subjects: int
    n_obs: int
    n_events: int
    association: str
    knots: np.ndarray
    theta: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    iterations: int
    gh_points: int
    random_effects: pd.DataFrame = field(repr=False)
    spec: JointModelSpec = field(repr=False)

    @property
    def sigma(self) -> float:
        """Residual standard deviation."""
        return float(np.sqrt(self.residual_var))

    def __repr__(self) -> str:
        return (
            f"JointResult(association={self.association!r}, piecewise baseline with "
            f"{len(self.knots) + 1} intervals: {self.n_subjects} subjects, {self.n_obs} "
            f"observations, {self.n_events} events; loglik={self.loglik:.4f}; "
            f"{convergence_note(self.converged, self.message, self.problems)})"
        )

    def summary(self) -> pd.DataFrame:
        """All estimates in one table indexed by (``part``, ``term``).

        Parts: "longitudinal" (``beta``), "survival" (``gamma`` and association), "variance"
        (``sigma`` and the entries of ``D``, estimates only), "baseline" (``xi``).
        """
        parts = [
            self.long_fixed.assign(part="longitudinal"),
            self.surv_coef.assign(part="survival"),
        ]
        names = list(self.random_cov.index)
        var_rows = {"sigma": self.sigma}
        for i, a in enumerate(names):
            for b in names[: i + 1]:
                var_rows[f"D[{a},{b}]"] = float(self.random_cov.loc[a, b])
        parts.append(
            pd.DataFrame(
                {"estimate": list(var_rows.values())}, index=pd.Index(list(var_rows), name="term")
            ).assign(part="variance")
        )
        bh = self.baseline_hazard
        parts.append(
            pd.DataFrame(
                {"estimate": bh["xi"].to_numpy(), "se": bh["se"].to_numpy()},
                index=pd.Index([f"xi{i}" for i in bh.index], name="term"),
            ).assign(part="baseline")
        )
        out = pd.concat(parts)
        out = out.reset_index().set_index(["part", "term"])[
            ["estimate", "se", "z", "p", "ci_low", "ci_high"]
        ]
        return annotate_summary(out, self.converged, self.problems, self.message)

    def predict_survival(
        self,
        history: pd.DataFrame,
        times: Any,
        *,
        last_time: float | None = None,
        method: str = "plugin",
        n_draws: int = 200,
        seed: int | np.random.Generator | None = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Dynamic survival prediction for one subject (Rizopoulos 2011).

        ``P(T > u | T > t0, y(s), s <= t0)`` for ``u`` in ``times``. See
        :func:`alstrials.models.joint.predict.predict_survival` for the parameters.
        """
        from alstrials.models.joint.predict import predict_survival

        return predict_survival(
            self,
            history,
            times,
            last_time=last_time,
            method=method,
            n_draws=n_draws,
            seed=seed,
            level=level,
        )
