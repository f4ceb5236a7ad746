"""The fitted bivariate LMM: :class:`BivariateResult`, built once by :func:`fit_bivariate_lmm`.

Holds the fixed effects, the random-effects covariance and correlations, the residual
variances, the slope correlation with its interval, the log-likelihood with AIC/BIC, the data
counts and the convergence report; ``summary()`` gathers them in one DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin, convergence_note
from alstrials.models.diagnostics import annotate_summary

__all__ = ["BivariateResult"]


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
    converged : bool
        BFGS met its gradient criterion and no problem was found.
    problems : tuple of str
        Why the estimate is not usable (variance components not identified, a singular
        observed information); empty for a good fit.
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
    problems: tuple[str, ...] = ()

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
        return annotate_summary(
            pd.concat([fixed, other, slope]), self.converged, self.problems, self.message
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in self.n_obs_by_outcome.items())
        lo, hi = self.slope_correlation_ci
        return (
            f"BivariateResult({self.outcomes[0]} & {self.outcomes[1]} over {self.time}, "
            f"{'REML' if self.reml else 'ML'}; {self.n_subjects} subjects, {self.n_obs} "
            f"observations ({counts}); slope correlation {self.slope_correlation:.3f} "
            f"[{lo:.3f}, {hi:.3f}]; "
            f"{convergence_note(self.converged, self.message, self.problems)})"
        )
