"""The estimand layer: strategy -> analysis mapping, its errors, and that each row of the table is
the analysis it names (the analyses themselves are validated in their own test files)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.data.frames import change_frame, long_frame
from alstrials.errors import DataValidationError
from alstrials.models.cafs import cafs
from alstrials.models.estimands import (
    AnalysisKind,
    Estimand,
    EstimandResults,
    plan_analysis,
    run_estimands,
)
from alstrials.models.finkelstein_schoenfeld import finkelstein_schoenfeld


@pytest.fixture(scope="module")
def trial() -> at.TrialData:
    return at.simulate_trial(n_per_arm=60, seed=1, visit_months=(0.0, 3.0, 6.0, 12.0))


ESTIMANDS = [
    Estimand(
        "composite",
        intercurrent={
            "death": "composite",
            "tracheostomy": "composite",
            "discontinuation": "treatment policy",
        },
    ),
    Estimand("win ratio", intercurrent={"death": "composite"}, analysis="finkelstein-schoenfeld"),
    Estimand(
        "hypothetical", intercurrent={"death": "hypothetical", "discontinuation": "hypothetical"}
    ),
    Estimand(
        "policy", intercurrent={"death": "hypothetical", "discontinuation": "treatment policy"}
    ),
    Estimand("slope", intercurrent={"death": "while alive"}),
    Estimand(
        "auc",
        intercurrent={"death": "while alive", "permanent ventilation": "while alive"},
        analysis="auc",
    ),
]


@pytest.fixture(scope="module")
def results(trial) -> EstimandResults:
    return run_estimands(trial, ESTIMANDS, n_imputations=10, seed=3)


@pytest.mark.parametrize(
    ("intercurrent", "analysis", "kind"),
    [
        ({"death": "composite"}, None, AnalysisKind.CAFS),
        (
            {"death": "composite", "permanent_ventilation": "composite"},
            "fs",
            AnalysisKind.FINKELSTEIN_SCHOENFELD,
        ),
        ({"death": "while alive"}, None, AnalysisKind.SLOPE),
        ({"death": "while alive"}, "auc", AnalysisKind.AUC),
        ({"death": "hypothetical", "discontinuation": "hypothetical"}, None, AnalysisKind.MMRM),
        ({"discontinuation": "hypothetical"}, None, AnalysisKind.MMRM),
        ({"death": "hypothetical"}, None, AnalysisKind.REFERENCE_MI),
        ({}, "CIR", AnalysisKind.REFERENCE_MI),
        (
            {"tracheostomy": "treatment policy", "discontinuation": "hypothetical"},
            None,
            AnalysisKind.REFERENCE_MI,
        ),
    ],
)
def test_plan_maps_strategies_to_analyses(intercurrent, analysis, kind):
    plan = plan_analysis(Estimand("e", intercurrent=intercurrent, analysis=analysis))
    assert plan.kind is kind


def test_plan_details_for_mixed_treatment_policy():
    plan = plan_analysis(
        Estimand(
            "e",
            intercurrent={"death": "hypothetical", "discontinuation": "treatment policy"},
            analysis="cr",
        )
    )
    assert plan.imputation == "CR" and plan.mar_events == ("death",)
    assert not plan.discontinuation_mar
    assert plan.label == "MI CR + ANCOVA at month 12"
    assert Estimand("m", variable="ALSFRS-R total change, month 6").month == 6.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"intercurrent": {"death": "treatment policy"}}, "not defined for death"),
        (
            {"intercurrent": {"death": "composite", "discontinuation": "hypothetical"}},
            "must be 'treatment policy'",
        ),
        ({"intercurrent": {"death": "composite", "tracheostomy": "hypothetical"}}, "inconsistent"),
        ({"intercurrent": {"death": "while alive", "tracheostomy": "composite"}}, "inconsistent"),
        ({"intercurrent": {"discontinuation": "composite"}}, "not defined for treatment disc"),
        ({"intercurrent": {"death": "composite"}, "analysis": "mmrm"}, "analysed by 'cafs'"),
        ({"intercurrent": {"death": "while alive"}, "analysis": "cafs"}, "'slope' .LMM. or 'auc'"),
        (
            {"intercurrent": {"discontinuation": "treatment policy"}, "analysis": "mmrm"},
            "answers the hypothetical question",
        ),
        (
            {"intercurrent": {"discontinuation": "hypothetical"}, "analysis": "J2R"},
            "analysed by the MMRM",
        ),
    ],
)
def test_inconsistent_or_unsupported_plans(kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        plan_analysis(Estimand("bad", **kwargs))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"intercurrent": {"death": "principal stratum"}}, "principal stratum"),
        ({"intercurrent": {"discontinuation": "while on treatment"}}, "exposure dates"),
        ({"intercurrent": {"death": "ignore"}}, "strategy 'ignore' for death is not supported"),
        ({"intercurrent": {"stroke": "hypothetical"}}, "intercurrent event 'stroke'"),
        ({"population": "per protocol"}, "population 'per protocol' is not supported"),
        ({"variable": "FVC at month 12"}, "not an ALSFRS-R variable"),
        ({"variable": "ALSFRS-R slope"}, "names no month"),
        ({"intercurrent": ["death"]}, "must be a mapping"),
    ],
)
def test_estimand_spec_errors(kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        Estimand("bad", **kwargs)


def test_run_errors(trial):
    with pytest.raises(DataValidationError, match="used twice"):
        run_estimands(trial, [Estimand("a"), Estimand("a")])
    with pytest.raises(DataValidationError, match="needs a TrialData"):
        run_estimands(change_frame(trial), [Estimand("a")])
    with pytest.raises(DataValidationError, match="month 9 is not a nominal"):
        run_estimands(
            trial,
            Estimand(
                "m9",
                variable="ALSFRS-R change at month 9",
                intercurrent={"discontinuation": "hypothetical"},
            ),
        )


def test_table_shape_and_views(results):
    table = results.table
    assert table.index.tolist() == [e.name for e in ESTIMANDS]
    assert table.columns.tolist() == [
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
    assert table["p"].between(0, 1).all()
    finite = table.dropna(subset=["ci_low"])
    assert (finite["ci_low"] <= finite["estimate"]).all()
    assert (finite["estimate"] <= finite["ci_high"]).all()
    assert "<table" in results._repr_html_() and "EstimandResults(6" in repr(results)
    assert results.converged


def test_rows_are_the_named_analyses(trial, results):
    t = results.table
    direct = at.fit_mmrm(
        change_frame(trial).assign(arm=lambda d: d["arm"].astype(str)),
        "change",
        "visit",
        "subject_id",
        "arm",
        ["base"],
    ).effects.loc[12.0]
    assert t.loc["hypothetical", "estimate"] == pytest.approx(direct["estimate"], rel=1e-8)
    assert t.loc["hypothetical", "ci_high"] == pytest.approx(direct["ci_high"], rel=1e-8)
    c = cafs(trial, 12, event_types=["death", "tracheostomy"])
    assert t.loc["composite", "p"] == pytest.approx(c.p, rel=1e-12)
    assert t.loc["composite", "estimate"] == pytest.approx(
        c.mean_rank["active"] - c.mean_rank["placebo"]
    )
    fs = finkelstein_schoenfeld(trial, 12, event_types=["death"])
    assert t.loc["win ratio", "estimate"] == pytest.approx(fs.win_ratio)
    lmm = at.fit_lmm(
        long_frame(trial).query("months <= 12"),
        "alsfrs_total ~ months * arm",
        group="subject_id",
        random="~months",
    )
    assert t.loc["slope", "estimate"] == pytest.approx(
        lmm.fixed.loc["months:arm[T.active]", "estimate"], rel=1e-6
    )
    mi = results.results["policy"]
    assert t.loc["policy", "estimate"] == mi.estimate["estimate"].iloc[0]


def test_treatment_policy_imputes_hypothetical_deaths_under_mar(trial, results):
    ice = results.results["policy"].ice.set_index("subject_id")
    events = trial.events.set_index("subject_id")
    died = [
        s
        for s in ice.index
        if events.at[s, "event"]
        and events.at[s, "event_type"] == "death"
        and events.at[s, "months"] <= ice.at[s, "visit"]
    ]
    assert died, "the simulated trial should have deaths before a missed visit"
    assert (ice.loc[died, "strategy"] == "MAR").all()
    others = ice.index.difference(died)
    deaths_or_not = events.loc[others]
    dropouts = others[
        ~(
            deaths_or_not["event"]
            & (deaths_or_not["event_type"] != "censored")
            & (deaths_or_not["months"] <= ice.loc[others, "visit"])
        ).to_numpy()
    ]
    assert (ice.loc[dropouts, "strategy"] == "J2R").all()


def test_while_alive_auc_matches_trapezoid(trial, results):
    res = results.results["auc"]
    data = long_frame(trial).query("months <= 12")
    stops = trial.events.query("event and event_type in ['death', 'permanent_ventilation']")
    for sid in res.subjects["subject_id"].iloc[:15]:
        d = data[data["subject_id"] == sid]
        if sid in set(stops["subject_id"]):
            d = d[d["months"] <= float(stops.set_index("subject_id").at[sid, "months"])]
        t, y = d["months"].to_numpy(), d["alsfrs_total"].to_numpy()
        expected = np.trapezoid(y - y[0], t) / (t[-1] - t[0])
        got = res.subjects.set_index("subject_id").at[sid, "mean_change"]
        assert got == pytest.approx(expected, rel=1e-12)
    assert res.n_excluded + len(res.subjects) == trial.alsfrs["subject_id"].nunique()
    assert isinstance(res.summary(), pd.DataFrame)
