"""``run_estimands``: every estimand to its analysis, one tidy table (:class:`EstimandResults`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin
from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError
from alstrials.models.estimands.analyses import run_plan
from alstrials.models.estimands.plan import AnalysisPlan, plan_analysis
from alstrials.models.estimands.spec import Estimand

__all__ = ["EstimandResults", "run_estimands", "TABLE_COLUMNS"]

TABLE_COLUMNS = [
    "population",
    "variable",
    "strategy",
    "analysis",
    "measure",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "converged",
]


@dataclass(frozen=True, eq=False)
class EstimandResults(ResultMixin):
    """The estimands of one trial and their estimates (see :func:`run_estimands`).

    Attributes
    ----------
    table : DataFrame
        Indexed by estimand name: ``population variable strategy`` (the ICE strategies as
        stated), ``analysis`` (what was fitted), ``measure`` (what ``estimate`` is),
        ``estimate se ci_low ci_high p`` and ``converged``. ``se`` and the interval are NaN
        for the CAFS rank test, which has no effect estimate with a standard error.
    results : mapping
        Estimand name to the fitted result (MMRMResult, ReferenceImputationResult,
        CAFSResult, FinkelsteinSchoenfeldResult, LMMResult, WhileAliveAUCResult).
    plans : mapping
        Estimand name to its :class:`~alstrials.models.estimands.plan.AnalysisPlan`.
    """

    table: pd.DataFrame
    results: Mapping[str, object]
    plans: Mapping[str, AnalysisPlan]
    level: float = 0.95

    @property
    def converged(self) -> bool:
        return bool(self.table["converged"].all())

    def summary(self) -> pd.DataFrame:
        """The estimands table (a copy)."""
        return self.table.copy()

    def __repr__(self) -> str:
        lines = "; ".join(
            f"{name}: {row.analysis} {row.estimate:.4g} (p={row.p:.3g})"
            for name, row in self.table.iterrows()
        )
        return f"EstimandResults({len(self.table)} estimand(s); {lines})"


def run_estimands(
    trial: TrialData,
    estimands: Sequence[Estimand] | Estimand,
    *,
    level: float = 0.95,
    n_imputations: int = 100,
    seed: int | None = None,
    progress: bool | None = None,
) -> EstimandResults:
    """Analyse each estimand of a two-arm ALS trial by the analysis its strategies call for.

    Parameters
    ----------
    trial : TrialData
    estimands : Estimand or sequence of Estimand
        Names must be unique. Every plan is checked before anything is fitted, so an
        unsupported or inconsistent estimand fails at once.
    level : float, default 0.95
        Confidence level of every interval.
    n_imputations : int, default 100
        Imputations of the treatment-policy (reference-based) analyses.
    seed : int, optional
        Seed of the imputations (each estimand gets its own child of
        ``numpy.random.SeedSequence(seed)``); an estimand's ``options={"seed": ...}`` wins.
    progress : bool, optional
        Progress bar of the imputations.

    Returns
    -------
    EstimandResults
        ``.table`` (one row per estimand), ``.results``, ``.plans``.

    Raises
    ------
    DataValidationError
        Not a TrialData, duplicate names, an unsupported strategy or an inconsistent
        combination (e.g. treatment policy for death, composite discontinuation), a month that
        is not a nominal visit.

    References
    ----------
    ICH E9(R1) addendum on estimands and sensitivity analysis in clinical trials (2019).

    Examples
    --------
    >>> import alstrials as at
    >>> from alstrials.models.estimands import Estimand, run_estimands
    >>> trial = at.simulate_trial(n_per_arm=60, seed=1, visit_months=(0.0, 3.0, 6.0, 12.0))
    >>> res = run_estimands(trial, [
    ...     Estimand("composite", intercurrent={"death": "composite"}),
    ...     Estimand("hypothetical", intercurrent={"death": "hypothetical",
    ...                                            "discontinuation": "hypothetical"})])
    >>> res.table["analysis"].tolist()
    ['CAFS at month 12', 'MMRM (MAR), effect at month 12']
    """
    if not isinstance(trial, TrialData):
        raise DataValidationError(
            f"run_estimands needs a TrialData, got {type(trial).__name__} (read or simulate one)"
        )
    items = [estimands] if isinstance(estimands, Estimand) else list(estimands)
    if not items:
        raise DataValidationError("no estimand given")
    for e in items:
        if not isinstance(e, Estimand):
            raise DataValidationError(f"estimands must be Estimand objects, got {type(e).__name__}")
    names = [e.name for e in items]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise DataValidationError(f"estimand name(s) {dups} are used twice; names must be unique")
    if not 0.0 < level < 1.0:
        raise DataValidationError(f"level={level!r} must be strictly between 0 and 1")
    trial.two_arms("run_estimands")
    plans = {e.name: plan_analysis(e) for e in items}
    children = np.random.SeedSequence(seed).spawn(len(items))
    rows, results = [], {}
    for e, child in zip(items, children, strict=True):
        child_seed = int(child.generate_state(1)[0])
        row, res = run_plan(
            trial,
            plans[e.name],
            level=level,
            n_imputations=n_imputations,
            seed=child_seed,
            progress=progress,
        )
        rows.append(
            {
                "population": e.population,
                "variable": e.variable,
                "strategy": e.describe(),
                "analysis": plans[e.name].label,
                **row,
            }
        )
        results[e.name] = res
    table = pd.DataFrame(rows, index=pd.Index(names, name="estimand"))[TABLE_COLUMNS]
    table["converged"] = table["converged"].astype(bool)
    return EstimandResults(table, MappingProxyType(results), MappingProxyType(plans), level)
