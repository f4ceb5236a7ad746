"""Tests of alstrials.models.endpoints: CAFS, Finkelstein-Schoenfeld and the win ratio."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.data.schema import ALSFRS_ITEMS, TrialData
from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.cafs import CAFSResult, cafs
from alstrials.models.endpoints import pairwise_matrix
from alstrials.models.finkelstein_schoenfeld import (
    FinkelsteinSchoenfeldResult,
    finkelstein_schoenfeld,
)

REF = Path(__file__).parents[1] / "reference" / "endpoints"


def hand_example() -> dict[str, pd.DataFrame]:
    """Five subjects; scores worked out by hand in the tests below.

    A placebo, died at 4;       visits 0: 40, 3: 36
    B placebo, censored at 6;   visits 0: 40, 3: 38, 6: 30
    C active,  died at 10;      visits 0: 40, 3: 39, 6: 37, 9: 35
    D active,  censored at 12;  visits 0: 40, 6: 35, 12: 34
    E active,  censored at 3;   visits 0: 42, 3: 41
    """
    subjects = pd.DataFrame(
        {"subject_id": list("ABCDE"), "arm": ["placebo", "placebo", "active", "active", "active"]}
    )
    events = pd.DataFrame(
        {
            "subject_id": list("ABCDE"),
            "months": [4.0, 6, 10, 12, 3],
            "event": [True, False, True, False, False],
        }
    )
    rows = [
        ("A", 0, 40),
        ("A", 3, 36),
        ("B", 0, 40),
        ("B", 3, 38),
        ("B", 6, 30),
        ("C", 0, 40),
        ("C", 3, 39),
        ("C", 6, 37),
        ("C", 9, 35),
        ("D", 0, 40),
        ("D", 6, 35),
        ("D", 12, 34),
        ("E", 0, 42),
        ("E", 3, 41),
    ]
    alsfrs = pd.DataFrame(rows, columns=["subject_id", "months", "alsfrs_total"])
    return {"subjects": subjects, "alsfrs": alsfrs, "events": events}


def test_fs_hand_example_locf():
    # Shared follow-up s = min(t_i, t_j); survival first, then ALSFRS-R change at s (LOCF).
    # A-B s=4: A died at 4 -> A worse.  A-C s=4, A-D s=4: A worse.
    # A-E s=3: nobody died by 3; change at 3: A 36-40=-4, E 41-42=-1 -> A worse.  U_A = -4.
    # B-C s=6: C dies at 10 > 6; change at 6: B -10, C -3 -> B worse. B-D s=6: D -5 -> B worse.
    # B-E s=3: B -2, E -1 -> B worse; B beats A.  U_B = 1 - 3 = -2.
    # C-D s=10: C died at 10 -> C worse.  C-E s=3: C -1, E -1 -> tie.  U_C = 1 + 1 - 1 + 0 = 1.
    # D beats A, B, C; D-E s=3: D has only its baseline by 3 (change 0) vs E -1 -> D better.
    # U_D = 4.  E beats A, B, ties C, loses to D: U_E = 1.  Sum = 0.
    res = finkelstein_schoenfeld(hand_example())
    assert res.scores["score"].tolist() == [-4, -2, 1, 4, 1]
    # T = U_C + U_D + U_E = 6; Var = n1 n2 / (N (N-1)) * sum U^2 = 3*2/20 * 38 = 11.4.
    assert res.statistic == 6
    assert res.variance == pytest.approx(11.4)
    assert res.z == pytest.approx(6 / np.sqrt(11.4))
    # All six active-placebo pairs are active wins: win ratio infinite, no finite CI.
    assert (res.wins, res.losses, res.ties) == (6, 0, 0)
    assert res.win_ratio == np.inf and np.isnan(res.win_ratio_low)
    assert res.net_benefit == 1.0


def test_fs_hand_example_interpolate():
    # Only D at s=3 changes: interpolated between 0 (40) and 6 (35): 40 - 2.5 = 37.5 -> -2.5,
    # now worse than E (-1).  U_D = 3 - 1 = 2, U_E = 1 + 1 + 0 + 1 = 3; others unchanged.
    res = finkelstein_schoenfeld(hand_example(), change="interpolate")
    assert res.scores["score"].tolist() == [-4, -2, 1, 2, 3]


def test_cafs_hand_example_month_6():
    # Horizon 6: C's death at 10 no longer counts. C-D s=6: C 37-40=-3, D 35-40=-5 -> C better.
    # U_A = -4, U_B = -2 (as in the FS example), U_C = 1 + 1 + 1 + 0 = 3,
    # U_D = 1 + 1 - 1 + 1 = 2, U_E = 1 + 1 + 0 - 1 = 1.
    # Ranks of (-4, -2, 3, 2, 1): A 1, B 2, C 5, D 4, E 3 -> mean rank placebo 1.5, active 4.
    res = cafs(hand_example(), month=6)
    assert isinstance(res, CAFSResult)
    assert res.scores["score"].tolist() == [-4, -2, 3, 2, 1]
    assert res.scores["rank"].tolist() == [1, 2, 5, 4, 3]
    assert res.mean_rank == {"placebo": 1.5, "active": 4.0}
    # Mann-Whitney U of the active arm: every active score beats every placebo score: 3*2 = 6.
    assert res.statistic == 6
    assert res.z > 0
    # change column: at min(follow-up, 6): A -4 (at 4, LOCF from 3), B -10, C -3, D -5, E -1.
    assert res.scores["change"].tolist() == [-4, -10, -3, -5, -1]
    assert res.scores["event"].tolist() == [True, False, False, False, False]


def test_margin_turns_small_differences_into_ties():
    # With margin 1, differences of <= 1 point tie: B-E at s=3 (-2 vs -1) and D-E at s=3
    # (0 vs -1) become ties (C-E already tied).  U_B = 1 - 1 - 1 + 0 = -1,
    # U_D = 1 + 1 + 1 + 0 = 3, U_E = 1 + 0 + 0 + 0 = 1; A and C unchanged.  Sum = 0.
    res = finkelstein_schoenfeld(hand_example(), margin=1.0)
    assert res.scores["score"].tolist() == [-4, -1, 1, 3, 1]


def test_trialdata_input_equals_frames():
    frames = hand_example()
    n = len(frames["alsfrs"])
    alsfrs = frames["alsfrs"].assign(gastrostomy=[False] * n)
    for item in ALSFRS_ITEMS:
        alsfrs[item] = pd.NA
    subjects = frames["subjects"].assign(
        age=60.0,
        sex="M",
        onset_site="spinal",
        onset_to_baseline_months=12.0,
        delta_fs=0.5,
        enrollment_month=0.0,
    )
    events = frames["events"].assign(
        event_type=np.where(frames["events"]["event"], "death", "censored")
    )
    trial = TrialData.from_frames(subjects, alsfrs, None, events)
    a = finkelstein_schoenfeld(trial)
    b = finkelstein_schoenfeld(frames)
    assert a.scores["score"].tolist() == b.scores["score"].tolist()


@pytest.mark.parametrize("setting", [1, 2, 3])
def test_against_independent_r_implementation(setting):
    # tests/reference/endpoints/pairwise_reference.R: a loop-by-loop R implementation of the
    # same rule on data it simulates; wilcox.test (correct=TRUE, exact=FALSE) for CAFS.
    se = pd.read_csv(REF / "pairwise_data_subjects_events.csv")
    data = {
        "subjects": se[["subject_id", "arm"]],
        "events": se[["subject_id", "months", "event"]],
        "alsfrs": pd.read_csv(REF / "pairwise_data_alsfrs.csv"),
    }
    stats_ref = pd.read_csv(REF / "pairwise_reference_stats.csv").set_index("setting")
    ref = stats_ref.loc[setting]
    scores_ref = pd.read_csv(REF / "pairwise_reference_scores.csv")
    scores_ref = scores_ref[scores_ref["setting"] == setting]
    horizon = None if np.isinf(ref["tau"]) else float(ref["tau"])
    fs = finkelstein_schoenfeld(data, horizon, change=ref["method"])
    np.testing.assert_array_equal(fs.scores["score"], scores_ref["score"])
    assert fs.statistic == ref["T"]
    assert fs.variance == pytest.approx(ref["variance"], rel=1e-10)
    assert fs.z == pytest.approx(ref["z"], rel=1e-10)
    assert fs.p == pytest.approx(ref["p_fs"], rel=1e-8)
    assert (fs.wins, fs.losses) == (ref["wins"], ref["losses"])
    np.testing.assert_allclose(
        [fs.win_ratio, fs.win_ratio_low, fs.win_ratio_high],
        ref[["win_ratio", "wr_low", "wr_high"]].to_numpy(float),
        rtol=1e-10,
    )
    if horizon is not None:
        res = cafs(data, month=horizon, change=ref["method"])
        assert res.statistic == ref["wilcox_W"]
        assert res.p == pytest.approx(ref["p_cafs"], rel=1e-8)


def test_permutation_variance_is_exact():
    # U_i do not depend on the arm labels, so enumerating every assignment of n1 = 3 active
    # among N = 7 gives the exact permutation distribution of T; its variance must equal
    # n1 n2 / (N (N - 1)) * sum U^2 and its mean 0.
    rng = np.random.default_rng(5)
    data = simulate(7, rng, hazard_ratio=1.0, slope_ratio=1.0)
    res = finkelstein_schoenfeld(data)
    u = res.scores["score"].to_numpy(float)
    totals = [u[list(idx)].sum() for idx in combinations(range(7), 3)]
    n1, n2 = 3, 4
    assert np.mean(totals) == pytest.approx(0.0, abs=1e-12)
    assert np.var(totals) == pytest.approx(n1 * n2 / (7 * 6) * np.sum(u**2))


def test_pairwise_matrix_invariants():
    rng = np.random.default_rng(11)
    data = simulate(30, rng, hazard_ratio=0.7, slope_ratio=0.7)
    res = finkelstein_schoenfeld(data, horizon=9)
    assert res.scores["score"].sum() == 0
    assert res.scores["score"].abs().max() <= 29
    assert res.wins + res.losses + res.ties == 15 * 15
    ev = data["events"]
    visits = data["alsfrs"]
    times = np.full((30, 7), np.inf)
    values = np.full((30, 7), np.nan)
    for i, (_, g) in enumerate(visits.groupby("subject_id", sort=True)):
        times[i, : len(g)] = g["months"]
        values[i, : len(g)] = g["alsfrs_total"]
    u = pairwise_matrix(ev["months"].to_numpy(), ev["event"].to_numpy(), times, values, horizon=9)
    np.testing.assert_array_equal(u, -u.T)
    assert set(np.unique(u)) <= {-1.0, 0.0, 1.0}
    assert np.all(np.diag(u) == 0)


def simulate(
    n: int, rng: np.random.Generator, hazard_ratio: float, slope_ratio: float, follow: float = 12.0
) -> dict[str, pd.DataFrame]:
    """A small trial: 1:1 arms, exponential deaths (placebo 4%/month), uniform dropout,
    administrative censoring at ``follow``, 3-monthly ALSFRS-R visits with a linear decline
    (placebo mean 1 point/month, between-subject SD 0.4) and residual SD 1.5."""
    ids = np.array([f"S{i:03d}" for i in range(n)])
    arm = np.where(np.arange(n) % 2 == 0, "placebo", "active")
    active = arm == "active"
    death = rng.exponential(1 / (0.04 * np.where(active, hazard_ratio, 1.0)))
    dropout = rng.uniform(0, 60, n)
    fu = np.minimum.reduce([death, dropout, np.full(n, follow)])
    event = death <= np.minimum(dropout, follow)
    slope = np.where(active, slope_ratio, 1.0) + rng.normal(0, 0.4, n)
    base = rng.normal(38, 5, n).round()
    rows = []
    for i in range(n):
        t = np.arange(0.0, follow + 1e-9, 3.0)
        t = t[t <= fu[i]]
        y = np.clip(np.round(base[i] - slope[i] * t + rng.normal(0, 1.5, len(t))), 0, 48)
        rows.append(pd.DataFrame({"subject_id": ids[i], "months": t, "alsfrs_total": y}))
    return {
        "subjects": pd.DataFrame({"subject_id": ids, "arm": arm}),
        "events": pd.DataFrame({"subject_id": ids, "months": fu, "event": event}),
        "alsfrs": pd.concat(rows, ignore_index=True),
    }


def test_power_under_clear_effect():
    rng = np.random.default_rng(2024)
    rejections = {"fs": 0, "cafs": 0}
    for _ in range(40):
        data = simulate(80, rng, hazard_ratio=0.4, slope_ratio=0.4)
        fs = finkelstein_schoenfeld(data)
        cf = cafs(data, month=12)
        rejections["fs"] += fs.p < 0.05 and fs.z > 0
        rejections["cafs"] += cf.p < 0.05 and cf.z > 0
        assert fs.win_ratio > 0
    # With a 60% slower decline and HR 0.4 both tests should reject nearly always.
    assert rejections["fs"] >= 30
    assert rejections["cafs"] >= 30


@pytest.mark.slow
def test_type_one_error_near_alpha():
    # 400 null trials of 60 subjects; binomial SE of a 5% rate is 1.1%: allow 3 SE.
    rng = np.random.default_rng(99)
    n_sim = 400
    hits = {"fs": 0, "cafs": 0, "wr": 0}
    for _ in range(n_sim):
        data = simulate(60, rng, hazard_ratio=1.0, slope_ratio=1.0)
        fs = finkelstein_schoenfeld(data)
        cf = cafs(data, month=12)
        hits["fs"] += fs.p < 0.05
        hits["cafs"] += cf.p < 0.05
        hits["wr"] += not (fs.win_ratio_low <= 1 <= fs.win_ratio_high)
    tol = 3 * np.sqrt(0.05 * 0.95 / n_sim)
    for name, k in hits.items():
        assert abs(k / n_sim - 0.05) < tol, (name, k / n_sim)


def test_summary_repr_and_html():
    res = finkelstein_schoenfeld(hand_example(), horizon=12)
    assert isinstance(res, FinkelsteinSchoenfeldResult)
    s = res.summary()
    assert s.loc["T", "value"] == 6 and s.loc["n_active", "value"] == 3
    assert "horizon 12 months" in repr(res) and "5 subjects" in repr(res)
    assert "<table" in res._repr_html_()
    c = cafs(hand_example(), month=6)
    assert c.summary().loc["mean_rank_active", "value"] == 4.0
    assert "month=6" in repr(c) and "<table" in c._repr_html_()


def test_subject_without_events_is_left_out_with_warning():
    frames = hand_example()
    frames["events"] = frames["events"].iloc[:4]
    with pytest.warns(DataWarning, match="1 subject\\(s\\) left out"):
        res = finkelstein_schoenfeld(frames)
    assert "E" not in set(res.scores["subject_id"])


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda f: f.pop("events"), DataValidationError, "missing \\['events'\\]"),
        (
            lambda f: f["alsfrs"].drop(columns="alsfrs_total", inplace=True),
            DataValidationError,
            "table 'alsfrs' is missing column 'alsfrs_total'",
        ),
        (
            lambda f: f["subjects"].__setitem__("arm", ["a", "b", "c", "a", "b"]),
            DataValidationError,
            "two arms",
        ),
    ],
)
def test_bad_input(mutate, error, match):
    frames = hand_example()
    mutate(frames)
    with pytest.raises(error, match=match):
        finkelstein_schoenfeld(frames)


def test_event_flags_parsed_or_rejected():
    frames = hand_example()
    frames["events"]["event"] = ["yes", "no", "1", "0", "False"]
    assert finkelstein_schoenfeld(frames).scores["score"].tolist() == [-4, -2, 1, 4, 1]
    frames["events"]["event"] = ["yes", "no", "maybe", "0", "False"]
    with pytest.raises(DataValidationError, match="subject 'C', row 2: value 'maybe'"):
        finkelstein_schoenfeld(frames)


def test_bad_options():
    with pytest.raises(ValueError, match="month must be a positive"):
        cafs(hand_example(), month=0)
    with pytest.raises(ValueError, match="change must be"):
        cafs(hand_example(), change="mean")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="arm 'placebo' has no analysable"):
        frames = hand_example()
        frames["subjects"]["arm"] = "active"
        finkelstein_schoenfeld(frames, arms=("placebo", "active"))
