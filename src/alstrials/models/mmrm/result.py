"""The fitted MMRM: :class:`MMRMResult`, a frozen record built once by :func:`fit_mmrm`.

Holds the per-visit arm effects, the fixed effects, the estimated within-subject covariance, the
log-likelihood with AIC/BIC, the data counts and the convergence report; ``summary()`` puts the
fixed effects and the arm effects in one DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alstrials._results import ResultMixin, convergence_note
from alstrials.models.diagnostics import annotate_summary

__all__ = ["MMRMResult"]


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
    converged : bool
        BFGS met its gradient criterion and no problem was found.
    problems : tuple of str
        Why the estimate is not usable: covariance parameters not identified (a visit pair
        never observed together under an unstructured covariance, a singular information
        matrix). Empty for a good fit.
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
    problems: tuple[str, ...] = ()

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
        return annotate_summary(
            pd.concat([fixed, eff]), self.converged, self.problems, self.message
        )

    def __repr__(self) -> str:
        method = "REML" if self.reml else "ML"
        return (
            f"MMRMResult({self.outcome}, {self.structure} covariance, {method}; "
            f"{self.n_subjects} subjects, {self.n_obs} observations, {len(self.visits)} visits, "
            f"{self.n_dropped} rows dropped; loglik {self.loglik:.4f}; "
            f"{convergence_note(self.converged, self.message, self.problems)})"
        )
