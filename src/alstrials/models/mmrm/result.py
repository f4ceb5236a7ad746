"""The fitted MMRM: :class:`MMRMResult`, a frozen record built once by :func:`fit_mmrm`.

Holds the per-visit arm effects, the fixed effects, the estimated within-subject covariance, the
log-likelihood with AIC/BIC, the data counts and the convergence report; ``summary()`` puts the
fixed effects and the arm effects in one DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin, convergence_note
from alstrials.models.diagnostics import annotate_summary
from alstrials.models.lmm.inference import contrast_matrix
from alstrials.models.mmrm.inference import _MMRMInference

__all__ = ["MMRMResult"]


@dataclass(frozen=True, eq=False)
class MMRMResult(ResultMixin):
    """A fitted MMRM (see :func:`fit_mmrm`). Built once, never mutated.

    Attributes
    ----------
    effects : DataFrame
        Indexed by visit: the arm difference (``comparison`` = non-reference minus reference
        arm) with columns ``comparison estimate se df t p ci_low ci_high`` (``z`` and no ``df``
        when ``df_method="wald"``). Under ``"kenward-roger"`` ``se`` is the Kenward-Roger
        adjusted standard error and ``df`` the KR df.
    fixed : DataFrame
        Indexed by term (``Intercept``, covariates, ``visit[T.v]``, ``arm[T.a]``,
        ``visit[T.v]:arm[T.a]``), same statistic columns.
    covariance : DataFrame
        The estimated within-subject covariance, visit by visit.
    cov_params : dict
        The structure's parameters on their natural scale (sds, correlation).
    vcov : DataFrame
        Model-based covariance of the fixed effects.
    vcov_adjusted : DataFrame or None
        Kenward-Roger adjusted covariance :math:`\\Phi_A` (``df_method="kenward-roger"``).
    df_method, inference : str
        The df method (``"residual"``, ``"satterthwaite"``, ``"kenward-roger"``, ``"wald"``)
        and its older name (``"t"``, ``"satterthwaite"``, ``"kenward-roger"``, ``"z"``).
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
    df_method: str
    fixed: pd.DataFrame
    effects: pd.DataFrame
    covariance: pd.DataFrame
    cov_params: dict
    vcov: pd.DataFrame
    vcov_adjusted: pd.DataFrame | None
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
    level: float = 0.95
    visit_column: str = "visit"
    arm_column: str = "arm"
    covariate_grid: dict | None = None
    engine: _MMRMInference | None = None

    @property
    def beta(self) -> np.ndarray:
        """Fixed-effects estimates in the order of :attr:`fixed`."""
        return self.fixed["estimate"].to_numpy()

    def contrast(
        self,
        L: Mapping[str, float]
        | Mapping[str, Mapping[str, float]]
        | np.ndarray
        | pd.DataFrame
        | list[float],
        *,
        level: float | None = None,
    ) -> pd.DataFrame:
        """Estimate, SE, df, test and interval of linear combinations ``L beta``, with the
        fit's ``df_method`` (Kenward-Roger: adjusted SE and KR df).

        ``L`` as in :meth:`alstrials.models.lmm.LMMResult.contrast`: ``{term: weight}``,
        ``{label: {term: weight}}``, an array with one row per contrast, or a DataFrame with
        terms as columns.
        """
        if self.engine is None:
            raise ValueError("this MMRMResult was built without its inference engine")
        mat, labels = contrast_matrix(L, [str(t) for t in self.fixed.index])
        lvl = self.level if level is None else level
        return self.engine.table(mat, self.beta, pd.Index(labels, name="term"), lvl)

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
