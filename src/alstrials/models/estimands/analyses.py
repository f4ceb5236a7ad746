r"""The analysis behind each estimand strategy, run on a :class:`~alstrials.data.schema.TrialData`.

Every function returns ``(row, result)``: one row of the estimands table (``measure estimate se
ci_low ci_high p converged``) and the fitted result it came from.

``mmrm``          :func:`alstrials.fit_mmrm` of the change from baseline at the nominal visits,
                  adjusted for the baseline total (unstructured, REML): the arm difference at
                  the month (hypothetical: as if no ICE had happened, under MAR).
``reference_mi``  :func:`~alstrials.models.imputation.impute_reference_based`: subjects whose
                  ALSFRS-R stops early have an ICE at the next visit; it is the terminal event
                  when one (death, tracheostomy, permanent ventilation) happened by that visit,
                  else a discontinuation; hypothetical ICEs are imputed under MAR, treatment-
                  policy ICEs by J2R/CR/CIR; ANCOVA at the month, Rubin's rules.
``cafs``          :func:`~alstrials.models.cafs.cafs` at the month with the composite events:
                  the difference in mean CAFS rank (active minus reference) and the rank test.
``fs``            :func:`~alstrials.models.finkelstein_schoenfeld.finkelstein_schoenfeld` to the
                  month: the win ratio with its interval and the Finkelstein-Schoenfeld p.
``slope``         :func:`alstrials.fit_lmm` ``alsfrs_total ~ months * arm``, random intercept and
                  slope, on the visits up to the month and before each subject's while-alive
                  event: the slope difference (points per month).
``auc``           per subject the time-averaged change while alive,
                  :math:`\bar c_i = \frac{1}{t_i}\int_0^{t_i} (y_i(s) - y_i(0))\,ds`
                  (trapezoid rule over the visits up to :math:`t_i = \min(\text{month},
                  \text{last visit before the event})`), compared by OLS
                  :math:`\bar c_i \sim \text{arm} + y_i(0)` with t inference; subjects without
                  a post-baseline visit are left out (counted in the result).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.data.frames import change_frame, long_frame
from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError
from alstrials.models.cafs import cafs
from alstrials.models.estimands.plan import AnalysisKind, AnalysisPlan
from alstrials.models.finkelstein_schoenfeld import finkelstein_schoenfeld
from alstrials.models.imputation import impute_reference_based, trial_long_frame
from alstrials.models.lmm import fit_lmm
from alstrials.models.mmrm import fit_mmrm

__all__ = ["run_plan", "WhileAliveAUCResult"]

Row = dict[str, Any]


def run_plan(
    trial: TrialData,
    plan: AnalysisPlan,
    *,
    level: float,
    n_imputations: int,
    seed: int | None,
    progress: bool | None,
) -> tuple[Row, object]:
    """Run ``plan`` on ``trial``."""
    if plan.kind is AnalysisKind.MMRM:
        return _mmrm(trial, plan, level)
    if plan.kind is AnalysisKind.REFERENCE_MI:
        return _reference_mi(trial, plan, level, n_imputations, seed, progress)
    if plan.kind is AnalysisKind.CAFS:
        return _cafs(trial, plan)
    if plan.kind is AnalysisKind.FINKELSTEIN_SCHOENFELD:
        return _fs(trial, plan, level)
    if plan.kind is AnalysisKind.SLOPE:
        return _slope(trial, plan, level)
    return _auc(trial, plan, level)


def _visit_at(month: float, visits: list, what: str) -> object:
    match = [v for v in visits if np.isclose(float(v), month)]
    if not match:
        raise DataValidationError(
            f"{what}: month {month:g} is not a nominal post-baseline visit of the trial "
            f"({[float(v) for v in visits]}); state the variable at one of them",
            table="alsfrs",
        )
    return match[0]


def _mmrm(trial: TrialData, plan: AnalysisPlan, level: float) -> tuple[Row, object]:
    reference, active = trial.two_arms("an MMRM estimand")
    data = change_frame(trial)
    data["arm"] = data["arm"].astype(str)
    fit = fit_mmrm(
        data,
        "change",
        "visit",
        "subject_id",
        "arm",
        ("base",),
        plan.options.get("covariance", "unstructured"),
        arm_reference=reference,
        level=level,
    )
    visit = _visit_at(plan.month, list(fit.effects.index), "MMRM")
    eff = fit.effects.loc[visit]
    row = {
        "measure": f"difference in mean ALSFRS-R change ({active} - {reference})",
        "estimate": eff["estimate"],
        "se": eff["se"],
        "ci_low": eff["ci_low"],
        "ci_high": eff["ci_high"],
        "p": eff["p"],
        "converged": fit.converged,
    }
    return row, fit


def _reference_mi(
    trial: TrialData,
    plan: AnalysisPlan,
    level: float,
    n_imputations: int,
    seed: int | None,
    progress: bool | None,
) -> tuple[Row, object]:
    reference, active = trial.two_arms("a reference-based imputation estimand")
    frame = trial_long_frame(trial)
    visits = list(frame["visit"].cat.categories)
    visit = _visit_at(plan.month, visits, "reference-based imputation")
    table = _ice_table(trial, frame, visits, plan)
    options = dict(plan.options)
    res = impute_reference_based(
        trial,
        strategy=plan.imputation,
        reference=reference,
        intercurrent=table,
        n_imputations=int(options.pop("n_imputations", n_imputations)),
        seed=options.pop("seed", seed),
        analysis_visit=visit,
        level=level,
        progress=progress,
        **options,
    )
    est = res.estimate.iloc[0]
    row = {
        "measure": f"difference in mean ALSFRS-R change ({active} - {reference})",
        "estimate": est["estimate"],
        "se": est["se"],
        "ci_low": est["ci_low"],
        "ci_high": est["ci_high"],
        "p": est["p"],
        "converged": res.converged,
    }
    return row, res


def _ice_table(
    trial: TrialData, frame: pd.DataFrame, visits: list, plan: AnalysisPlan
) -> pd.DataFrame:
    """Each subject whose ALSFRS-R stops early: ICE visit and its imputation strategy."""
    wide = frame.pivot(index="subject_id", columns="visit", values="change")
    wide = wide.reindex(columns=visits)
    seen = wide.notna().to_numpy()
    t = len(visits)
    last = np.where(seen.any(axis=1), t - 1 - np.argmax(seen[:, ::-1], axis=1), -1)
    early = last < t - 1
    subjects = wide.index.to_numpy()[early]
    ice_visit = np.asarray(visits, dtype=float)[last[early] + 1]
    events = trial.events.set_index("subject_id")
    strategies = []
    for sid, month in zip(subjects, ice_visit, strict=True):
        kind = None
        if sid in events.index and bool(events.at[sid, "event"]):
            if float(events.at[sid, "months"]) <= month:
                kind = str(events.at[sid, "event_type"])
        if kind is not None and kind in plan.mar_events:
            strategies.append("MAR")
        elif kind is None or kind not in ("death", "tracheostomy", "permanent_ventilation"):
            strategies.append("MAR" if plan.discontinuation_mar else plan.imputation)
        else:
            strategies.append(plan.imputation)
    return pd.DataFrame(
        {
            "subject_id": subjects,
            "visit": np.asarray(visits, dtype=object)[last[early] + 1],
            "strategy": strategies,
        }
    )


def _cafs(trial: TrialData, plan: AnalysisPlan) -> tuple[Row, object]:
    arms = trial.two_arms("a composite (CAFS) estimand")
    res = cafs(trial, plan.month, arms=arms, event_types=list(plan.event_types), **plan.options)
    ref, act = arms
    row = {
        "measure": f"difference in mean CAFS rank ({act} - {ref})",
        "estimate": res.mean_rank[act] - res.mean_rank[ref],
        "se": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p": res.p,
        "converged": True,
    }
    return row, res


def _fs(trial: TrialData, plan: AnalysisPlan, level: float) -> tuple[Row, object]:
    arms = trial.two_arms("a composite (Finkelstein-Schoenfeld) estimand")
    res = finkelstein_schoenfeld(
        trial,
        plan.month,
        arms=arms,
        event_types=list(plan.event_types),
        level=level,
        **plan.options,
    )
    row = {
        "measure": f"win ratio ({arms[1]} vs {arms[0]})",
        "estimate": res.win_ratio,
        "se": np.nan,
        "ci_low": res.win_ratio_low,
        "ci_high": res.win_ratio_high,
        "p": res.p,
        "converged": True,
    }
    return row, res


def _while_alive_frame(trial: TrialData, plan: AnalysisPlan) -> pd.DataFrame:
    data = long_frame(trial)
    data = data[data["months"] <= plan.month + 1e-9]
    ev = trial.events
    hit = ev[ev["event"].astype(bool) & ev["event_type"].isin(list(plan.event_types))]
    stop = data["subject_id"].map(hit.set_index("subject_id")["months"])
    keep = stop.isna() | (data["months"] <= stop)
    return data[keep.to_numpy()].reset_index(drop=True)


def _slope(trial: TrialData, plan: AnalysisPlan, level: float) -> tuple[Row, object]:
    ref, act = trial.two_arms("a while-alive slope estimand")
    data = _while_alive_frame(trial, plan)
    fit = fit_lmm(
        data,
        "alsfrs_total ~ months * arm",
        group="subject_id",
        random="~months",
        level=level,
        **plan.options,
    )
    term = f"months:arm[T.{act}]"
    r = fit.fixed.loc[term]
    row = {
        "measure": f"difference in ALSFRS-R slope while alive, points/month ({act} - {ref})",
        "estimate": r["estimate"],
        "se": r["se"],
        "ci_low": r["ci_low"],
        "ci_high": r["ci_high"],
        "p": r["p"],
        "converged": fit.converged,
    }
    return row, fit


@dataclass(frozen=True, eq=False)
class WhileAliveAUCResult(ResultMixin):
    """Time-averaged ALSFRS-R change while alive, compared between arms (module docstring).

    ``subjects``: one row per subject analysed (``subject_id arm base follow_up
    mean_change``); ``effect``: arm difference adjusted for the baseline total (``estimate se
    df t p ci_low ci_high``); ``n_excluded``: subjects without a post-baseline visit."""

    subjects: pd.DataFrame
    effect: pd.Series
    month: float
    n_excluded: int
    converged: bool = True

    def summary(self) -> pd.DataFrame:
        return self.effect.to_frame().T

    def __repr__(self) -> str:
        return (
            f"WhileAliveAUCResult(month {self.month:g}; {len(self.subjects)} subjects, "
            f"{self.n_excluded} without a post-baseline visit; difference "
            f"{self.effect['estimate']:.4g}, p={self.effect['p']:.3g})"
        )


def _auc(trial: TrialData, plan: AnalysisPlan, level: float) -> tuple[Row, object]:
    ref, act = trial.two_arms("a while-alive AUC estimand")
    data = _while_alive_frame(trial, plan).sort_values(["subject_id", "months"])
    rows = []
    n_excluded = 0
    for sid, g in data.groupby("subject_id", sort=True, observed=True):
        t = g["months"].to_numpy(dtype=float)
        y = g["alsfrs_total"].to_numpy(dtype=float)
        if t.size < 2 or t[-1] <= t[0]:
            n_excluded += 1
            continue
        change = y - y[0]
        area = float(np.sum(np.diff(t) * (change[1:] + change[:-1]) / 2.0))
        rows.append((sid, str(g["arm"].iloc[0]), y[0], t[-1] - t[0], area / (t[-1] - t[0])))
    subjects = pd.DataFrame(rows, columns=["subject_id", "arm", "base", "follow_up", "mean_change"])
    x = np.column_stack([np.ones(len(subjects)), subjects["base"], subjects["arm"] == act])
    df = len(subjects) - 3
    if df <= 0 or np.linalg.matrix_rank(x) < 3:
        raise DataValidationError(
            "too few subjects with post-baseline ALSFRS-R in both arms for the while-alive AUC",
            table="alsfrs",
        )
    coef, *_ = np.linalg.lstsq(x, subjects["mean_change"].to_numpy(), rcond=None)
    resid = subjects["mean_change"].to_numpy() - x @ coef
    cov = np.linalg.inv(x.T @ x) * float(resid @ resid) / df
    est, se = float(coef[2]), float(np.sqrt(cov[2, 2]))
    crit = float(stats.t.ppf(0.5 + level / 2.0, df))
    effect = pd.Series(
        {
            "estimate": est,
            "se": se,
            "df": float(df),
            "t": est / se,
            "p": float(2 * stats.t.sf(abs(est / se), df)),
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
        },
        name=f"{act} - {ref}",
    )
    res = WhileAliveAUCResult(subjects, effect, plan.month, n_excluded)
    row = {
        "measure": f"difference in time-averaged ALSFRS-R change while alive ({act} - {ref})",
        "estimate": est,
        "se": se,
        "ci_low": effect["ci_low"],
        "ci_high": effect["ci_high"],
        "p": effect["p"],
        "converged": True,
    }
    return row, res
