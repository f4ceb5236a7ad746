"""Analyses a simulated trial can be put through, each reduced to one test of the arm effect.

Every analysis takes a :class:`~alstrials.data.schema.TrialData` and returns a
:class:`ReplicateOutcome`: the estimate of the treatment effect on its natural scale, its
standard error, the test statistic, the two-sided p-value and the fitted model's ``converged``
flag. The reference arm is
``trial.arms[0]``; effects are "second arm minus reference" (slopes, differences) or "second arm
versus reference" (log hazard ratios).

=========================  ==============================================================
name                       test
=========================  ==============================================================
``lmm_slope``              LMM ``alsfrs_total ~ months * arm``, random intercept and slope;
                           Wald test of the ``months:arm`` coefficient (slope difference)
``mmrm``                   MMRM of the change from baseline at nominal visits with the
                           baseline total as covariate; difference at the last visit
``cox``                    Cox model ``~ arm``; Wald test of the log hazard ratio
``logrank``                log-rank test; estimate = Cox log hazard ratio
``joint``                  joint model of ALSFRS-R (current value) and survival; arm effect on
                           the slope in the longitudinal submodel
``cafs``                   CAFS at the last scheduled month; rank-sum test
``finkelstein_schoenfeld`` Finkelstein-Schoenfeld test (survival, then ALSFRS-R change)
=========================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.data.frames import survival_frame
from alstrials.data.schema import TrialData
from alstrials.errors import DesignError

__all__ = [
    "ReplicateOutcome",
    "ANALYSES",
    "TRUTH",
    "get_analysis",
    "register_analysis",
    "true_effect",
]


@dataclass(frozen=True)
class ReplicateOutcome:
    """One simulated trial's test of the arm effect.

    ``converged`` is the fitted model's own flag (``fit.converged``); simulation also counts a
    replicate as not converged when a :class:`~alstrials.errors.ConvergenceWarning` was issued
    while it ran or its estimate or p-value is not finite
    (:mod:`alstrials.design.power.simulate`).
    """

    estimate: float
    se: float
    statistic: float
    p: float
    converged: bool = True


def _wald(estimate: float, se: float, converged: bool = True) -> ReplicateOutcome:
    """Wald z and two-sided p; a non-finite estimate or SE (or SE <= 0) is "not converged"."""
    usable = bool(np.isfinite(estimate) and np.isfinite(se) and se > 0)
    z = estimate / se if usable else np.nan
    return ReplicateOutcome(
        float(estimate),
        float(se),
        float(z),
        float(2 * stats.norm.sf(abs(z))),
        bool(converged) and usable,
    )


def _arm_term(index: pd.Index, prefix: str = "") -> str:
    matches = [t for t in index if t.startswith(prefix) and "arm" in t]
    if len(matches) != 1:
        raise DesignError(f"could not find the arm term among {list(index)}")
    return matches[0]


def lmm_slope(trial: TrialData) -> ReplicateOutcome:
    from alstrials.models.primary import fit_slope_model, slope_term

    fit = fit_slope_model(trial)
    row = fit.fixed.loc[slope_term(trial)]
    return _wald(row["estimate"], row["se"], fit.converged)


def cox(trial: TrialData) -> ReplicateOutcome:
    from alstrials.models.primary import fit_arm_cox

    fit = fit_arm_cox(trial)
    row = fit.coef.loc["active"]
    return _wald(row["estimate"], row["se"], fit.converged)


def logrank(trial: TrialData) -> ReplicateOutcome:
    from alstrials.models.primary import fit_arm_cox
    from alstrials.models.survival import logrank as logrank_test

    test = logrank_test(survival_frame(trial), duration="months", event="event", by="arm")
    fit = fit_arm_cox(trial)
    row = fit.coef.loc["active"]
    return ReplicateOutcome(
        float(row["estimate"]),
        float(row["se"]),
        float(test.statistic),
        float(test.p),
        fit.converged,
    )


def mmrm(trial: TrialData) -> ReplicateOutcome:
    from alstrials.models.primary import fit_change_mmrm

    fit = fit_change_mmrm(trial)
    last = fit.effects.iloc[-1]
    return _wald(last["estimate"], last["se"], fit.converged)


def _last_month(trial: TrialData) -> float:
    scenario = trial.metadata.get("scenario") or {}
    months = scenario.get("visit_months") if isinstance(scenario, dict) else None
    return float(max(months)) if months else float(trial.alsfrs["months"].max())


def cafs(trial: TrialData) -> ReplicateOutcome:
    """CAFS at the last scheduled month: estimate = difference in mean CAFS rank (active minus
    reference, as a share of the number of subjects), statistic = the rank-sum z."""
    from alstrials.models.cafs import cafs as cafs_test

    res = cafs_test(trial, month=_last_month(trial))
    ranks = res.mean_rank
    diff = (float(ranks[trial.arms[1]]) - float(ranks[trial.arms[0]])) / len(res.scores)
    return ReplicateOutcome(diff, float("nan"), float(res.z), float(res.p), res.converged)


def finkelstein_schoenfeld(trial: TrialData) -> ReplicateOutcome:
    """Finkelstein-Schoenfeld test over full follow-up: estimate = log win ratio, SE from its
    confidence interval, statistic = the FS z."""
    from alstrials.models.finkelstein_schoenfeld import finkelstein_schoenfeld as fs_test

    res = fs_test(trial)
    log_wr = float(np.log(res.win_ratio))
    se = float(
        (np.log(res.win_ratio_high) - np.log(res.win_ratio_low))
        / (2 * stats.norm.ppf(0.5 + res.level / 2))
    )
    return ReplicateOutcome(log_wr, se, float(res.z), float(res.p), res.converged)


def joint(trial: TrialData) -> ReplicateOutcome:
    """Joint model (ALSFRS-R current value and the composite endpoint): Wald test of the arm
    effect on the ALSFRS-R slope in the longitudinal submodel."""
    from alstrials.models.primary import fit_arm_joint

    fit = fit_arm_joint(trial)
    row = fit.long_fixed.loc["months:active"]
    return _wald(row["estimate"], row["se"], fit.converged)


ANALYSES: dict[str, Callable[[TrialData], ReplicateOutcome]] = {
    "lmm_slope": lmm_slope,
    "mmrm": mmrm,
    "cox": cox,
    "logrank": logrank,
    "joint": joint,
    "cafs": cafs,
    "finkelstein_schoenfeld": finkelstein_schoenfeld,
}
"""Built-in analyses by name (more are registered by :func:`register_analysis`)."""


def _last_visit_difference(truth: dict, scenario: dict) -> float:
    return float(truth["slope_difference"]) * float(max(scenario["visit_months"]))


TRUTH: dict[str, Callable[[dict, dict], float]] = {
    "lmm_slope": lambda truth, scenario: float(truth["slope_difference"]),
    "joint": lambda truth, scenario: float(truth["slope_difference"]),
    "mmrm": _last_visit_difference,
    "cox": lambda truth, scenario: float(truth["log_treatment_hr"]),
    "logrank": lambda truth, scenario: float(truth["log_treatment_hr"]),
}
"""The true effect each built-in analysis estimates, from the simulator's ``metadata``
(``truth`` and ``scenario``). Cox/log-rank: the hazard ratio conditional on the other terms of
the simulated hazard; the marginal HR a trial estimates is closer to 1 (non-collapsibility), so
their "bias" also measures that gap. MMRM: slope difference times the last scheduled month,
ignoring floor effects."""


def true_effect(analysis: str | Callable, metadata: dict) -> float | None:
    """The true effect of ``analysis`` in a simulated trial's metadata, when known."""
    rule = TRUTH.get(analysis) if isinstance(analysis, str) else None
    if rule is None or "truth" not in metadata:
        return None
    try:
        return rule(dict(metadata["truth"]), dict(metadata.get("scenario", {})))
    except (KeyError, TypeError, ValueError):
        return None


def register_analysis(
    name: str,
    function: Callable[[TrialData], ReplicateOutcome],
    truth: Callable[[dict, dict], float] | None = None,
) -> None:
    """Add an analysis under ``name`` (for use with ``at.power.simulate(analysis=name)``),
    optionally with the rule giving its true effect from a simulated trial's metadata."""
    ANALYSES[name] = function
    if truth is not None:
        TRUTH[name] = truth


def get_analysis(
    analysis: str | Callable[[TrialData], ReplicateOutcome],
) -> Callable[[TrialData], ReplicateOutcome]:
    """The analysis function for a name or a callable."""
    if callable(analysis):
        return analysis
    try:
        return ANALYSES[analysis]
    except KeyError:
        raise DesignError(
            f"unknown analysis {analysis!r}; choose one of {sorted(ANALYSES)} "
            "or pass a function trial -> ReplicateOutcome"
        ) from None
