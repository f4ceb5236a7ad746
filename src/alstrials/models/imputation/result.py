"""The result of reference-based multiple imputation: :class:`ReferenceImputationResult`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alstrials._results import ResultMixin, convergence_note
from alstrials.models.diagnostics import annotate_summary
from alstrials.models.mmrm import MMRMResult

__all__ = ["ReferenceImputationResult"]


@dataclass(frozen=True, eq=False)
class ReferenceImputationResult(ResultMixin):
    """Reference-based multiple imputation pooled by Rubin's rules (see
    :func:`alstrials.models.imputation.impute_reference_based`). Built once, never mutated.

    Attributes
    ----------
    estimate : DataFrame
        Indexed by the analysed visit(s): ``comparison`` (non-reference minus reference arm),
        ``estimate se df ci_low ci_high p`` (Rubin's rules, Barnard-Rubin df) and ``fmi``
        (fraction of missing information).
    imputations : DataFrame
        One row per imputation, visit and comparison: the completed-data ``estimate se df``.
    ice : DataFrame
        Subjects with an intercurrent event: subject, first post-ICE ``visit``, ``strategy``.
    imputation_model : MMRMResult
        The MMRM fitted to the pre-ICE outcomes (the imputation model, REML).
    strategy, reference, method, analysis : str / object
        As requested (``strategy`` is the default strategy; ``ice`` has each subject's).
    n_imputations, n_subjects, n_post_ice_removed : int
        Imputed data sets; subjects; outcomes observed after a reference-based ICE that were
        left out of the imputation model and imputed.
    seed : int
        Entropy of the ``numpy.random.SeedSequence`` used: passing it as ``seed`` reproduces the
        result.
    """

    estimate: pd.DataFrame
    imputations: pd.DataFrame
    ice: pd.DataFrame
    imputation_model: MMRMResult
    strategy: str
    reference: object
    method: str
    analysis: str
    n_imputations: int
    n_subjects: int
    n_post_ice_removed: int
    seed: int
    level: float = 0.95
    converged: bool = True
    problems: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """The pooled estimate(s) with the strategy and analysis (index: visit)."""
        out = self.estimate.copy()
        out.insert(0, "analysis", self.analysis)
        out.insert(0, "strategy", self.strategy)
        return annotate_summary(out, self.converged, self.problems, "")

    def __repr__(self) -> str:
        rows = "; ".join(
            f"{r.comparison} @ {v}: {r.estimate:.4g} ({100 * self.level:g}% CI "
            f"{r.ci_low:.4g} to {r.ci_high:.4g}, p={r.p:.3g})"
            for v, r in self.estimate.iterrows()
        )
        return (
            f"ReferenceImputationResult({self.strategy}, reference {self.reference!r}, "
            f"{self.n_imputations} imputations ({self.method}), {self.analysis}; "
            f"{self.n_subjects} subjects, {len(self.ice)} with an ICE; {rows}; "
            f"{convergence_note(self.converged, '', self.problems)})"
        )
