"""Information for ALS endpoints: the closed-form GLS information against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alstrials.design.information import (
    events_information,
    planned_visits,
    project_looks,
    slope_information,
    slope_information_path,
)
from alstrials.errors import DesignError

PARS = {"sig2_int": 20.0, "sig2_slope": 0.3, "cov_int_slope": 0.8, "sig2_resid": 4.0}


def _trial(n: int = 24, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    subjects = pd.DataFrame(
        {
            "subject_id": [f"S{i:03d}" for i in range(n)],
            "arm": np.where(np.arange(n) % 3 == 0, "placebo", "active"),  # unbalanced 1:2
            "enrollment_month": np.sort(rng.uniform(0, 12, n)),
            "dropout": np.where(rng.random(n) < 0.3, rng.uniform(0, 12, n), np.nan),
        }
    )
    visits = planned_visits(subjects, [0, 1.5, 3, 6, 9, 12])
    visits["months"] += rng.normal(0, 0.2, len(visits)).clip(-0.2, 0.2) * (visits["months"] > 0)
    return subjects, visits.sample(frac=1.0, random_state=1)  # order must not matter


def _brute(subjects, visits, cutoff, common=True, dropout="dropout"):  # type: ignore[no-untyped-def]
    """Stack every observed visit, build the block-diagonal V and invert X'V^-1X directly."""
    G = np.array(
        [[PARS["sig2_int"], PARS["cov_int_slope"]], [PARS["cov_int_slope"], PARS["sig2_slope"]]]
    )
    X_rows, blocks = [], []
    for _, s in subjects.iterrows():
        t = np.sort(visits.loc[visits["subject_id"] == s["subject_id"], "months"].to_numpy())
        t = t[s["enrollment_month"] + t <= cutoff]
        if dropout is not None and np.isfinite(s[dropout]):
            t = t[t <= s[dropout]]
        if t.size == 0:
            continue
        a = float(s["arm"] == "active")
        Z = np.column_stack([np.ones_like(t), t])
        if common:
            X_rows.append(np.column_stack([np.ones_like(t), t, a * t]))
        else:
            X_rows.append(
                np.column_stack([np.full_like(t, 1 - a), np.full_like(t, a), (1 - a) * t, a * t])
            )
        blocks.append(Z @ G @ Z.T + PARS["sig2_resid"] * np.eye(t.size))
    X = np.vstack(X_rows)
    n = X.shape[0]
    V = np.zeros((n, n))
    i = 0
    for b in blocks:
        V[i : i + len(b), i : i + len(b)] = b
        i += len(b)
    cov = np.linalg.inv(X.T @ np.linalg.solve(V, X))
    c = np.array([0, 0, 1.0]) if common else np.array([0, 0, -1.0, 1.0])
    return 1 / (c @ cov @ c), X, V, c


@pytest.mark.parametrize("cutoff", [6.0, 14.0, 30.0])
@pytest.mark.parametrize("common", [True, False])
def test_slope_information_matches_brute_force_gls(cutoff: float, common: bool) -> None:
    subjects, visits = _trial()
    expect, *_ = _brute(subjects, visits, cutoff, common)
    got = slope_information(
        subjects, visits, cutoff=cutoff, common_intercept=common, dropout_col="dropout", **PARS
    )
    assert got.information == pytest.approx(expect, rel=1e-10)
    assert got.se == pytest.approx(expect**-0.5, rel=1e-10)


def test_counts_summary_and_repr() -> None:
    subjects, visits = _trial()
    got = slope_information(subjects, visits, cutoff=14.0, dropout_col="dropout", **PARS)
    _, X, _, _ = _brute(subjects, visits, 14.0)
    assert sum(got.n_visits.values()) == X.shape[0]
    assert set(got.n_subjects) == {"placebo", "active"}
    assert list(got.summary().columns[:3]) == ["cutoff", "information", "se"]
    assert repr(got).startswith("SlopeInformation(cutoff=14")


def test_gls_variance_matches_simulation() -> None:
    """Empirical variance of the GLS estimate over 400 simulated data sets (known V)."""
    subjects, visits = _trial(n=30)
    info, X, V, c = _brute(subjects, visits, 40.0)
    rng = np.random.default_rng(11)
    L = np.linalg.cholesky(V)
    Y = L @ rng.standard_normal((X.shape[0], 400))
    H = np.linalg.solve(X.T @ np.linalg.solve(V, X), X.T @ np.linalg.inv(V))
    est = c @ H @ Y
    got = slope_information(
        subjects, visits, cutoff=40.0, dropout_col="dropout", **PARS
    ).information
    # var of a sample variance from 400 normals: relative SD sqrt(2/399) = 7%; allow 4 SD
    assert np.var(est, ddof=1) * got == pytest.approx(1.0, abs=0.28)


def test_expected_information_with_exponential_dropout() -> None:
    """E[M] = sum_n P(N = n) M(n) with P(N >= j) = exp(-rate * t_j)."""
    subjects, _ = _trial(n=12)
    subjects = subjects.drop(columns="dropout")
    sched = np.array([0, 3, 6, 9, 12.0])
    visits = planned_visits(subjects, sched)
    rate = 0.05
    G = np.array([[20.0, 0.8], [0.8, 0.3]])
    M = np.zeros((3, 3))
    surv = np.exp(-rate * sched)
    p_n = surv - np.r_[surv[1:], 0.0]
    for _, s in subjects.iterrows():
        a = float(s["arm"] == "active")
        for n, p in zip(range(1, 6), p_n, strict=True):
            t = sched[:n]
            X = np.column_stack([np.ones(n), t, a * t])
            Z = X[:, :2]
            V = Z @ G @ Z.T + 4.0 * np.eye(n)
            M += p * X.T @ np.linalg.solve(V, X)
    expect = 1 / np.linalg.inv(M)[2, 2]
    got = slope_information(subjects, visits, dropout_rate=rate, **PARS).information
    assert got == pytest.approx(expect, rel=1e-10)


def test_path_is_monotone_matches_pointwise_and_projects_looks() -> None:
    subjects, visits = _trial()
    path = slope_information_path(subjects, visits, dropout_col="dropout", **PARS)
    assert np.all(np.diff(path["information"]) >= -1e-9)
    assert np.all(np.diff(path["calendar_month"]) > 0)
    assert path["fraction"].iloc[-1] == pytest.approx(1.0)
    for i in (10, 40, len(path) - 1):
        c = path["calendar_month"].iloc[i]
        point = slope_information(subjects, visits, cutoff=c, dropout_col="dropout", **PARS)
        assert path["information"].iloc[i] == pytest.approx(point.information, rel=1e-9)
    looks = project_looks(path, [1 / 3, 2 / 3, 1.0])
    assert np.all(looks["fraction"] >= looks["target"] - 1e-12)
    for _, row in looks.iterrows():  # the month before the projected one falls short
        earlier = path[path["calendar_month"] < row["calendar_month"]]
        assert earlier.empty or earlier["fraction"].iloc[-1] < row["target"]
    planned = project_looks(path, [0.5, 1.2])
    assert np.isnan(planned["calendar_month"].iloc[1])  # never reached


def test_events_information() -> None:
    np.testing.assert_allclose(
        events_information([80, 160], allocation=2 / 3), [80 * 2 / 9, 160 * 2 / 9]
    )
    with pytest.raises(DesignError, match="allocation"):
        events_information(10, allocation=1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sig2_resid": 0.0}, "sig2_resid > 0"),
        ({"cov_int_slope": 10.0}, "positive semi-definite"),
        ({"active": "drug"}, "active='drug'"),
        ({"dropout_col": "nope"}, "no dropout column"),
        ({"dropout_rate": -1.0}, "dropout_rate"),
    ],
)
def test_validation(change: dict, message: str) -> None:
    subjects, visits = _trial()
    kw = {**PARS, **change}
    with pytest.raises(DesignError, match=message):
        slope_information(subjects, visits, **kw)


def test_unknown_subject_in_visits() -> None:
    subjects, visits = _trial()
    bad = pd.concat([visits, pd.DataFrame({"subject_id": ["X1"], "months": [0.0]})])
    with pytest.raises(DesignError, match="'X1' is not in subjects"):
        slope_information(subjects, bad, **PARS)
