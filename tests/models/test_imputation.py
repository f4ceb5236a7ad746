"""Reference-based multiple imputation (impute_reference_based).

No R reference: rbmi is not installed, and its published vignette numbers use rbmi's
antidepressant data, which is not available here. The checks are (i) MAR imputation agrees with
the direct MMRM, (ii) each strategy's pooled estimate agrees with its conditional-mean estimate
computed independently in this file (a per-subject loop from the fitted MMRM's coefficients and
covariance), (iii) the published ordering MAR >= CR >= J2R and J2R's shrinkage as dropout grows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.imputation import (
    impute_reference_based,
    intercurrent_from_events,
    trial_long_frame,
)
from alstrials.models.imputation.strategies import Strategy, strategy_means

VISITS = (1, 2, 3, 4)
PLACEBO = np.array([-1.0, -2.0, -3.0, -4.0])
ACTIVE = np.array([-0.5, -1.0, -1.5, -2.0])


def gaussian_trial(n: int, drop: float, seed: int, mar: bool = False) -> pd.DataFrame:
    """Two arms, four visits, AR(1)-like covariance (sd 1.5, rho 0.7); a fraction ``drop`` of
    subjects stop after a uniformly chosen visit (MCAR), or with ``mar`` after a low value."""
    rng = np.random.default_rng(seed)
    arm = np.repeat(["placebo", "active"], n // 2)
    lag = np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    sigma = 2.25 * 0.7**lag
    mean = np.where((arm == "active")[:, None], ACTIVE, PLACEBO)
    y = mean + rng.multivariate_normal(np.zeros(4), sigma, size=n)
    base = rng.normal(30, 5, n)
    y = y + 0.1 * (base - 30)[:, None]
    for i in range(n):
        if mar:
            for t in range(1, 4):
                if rng.random() < drop * (1.5 if y[i, t - 1] < mean[i, t - 1] else 0.5):
                    y[i, t:] = np.nan
                    break
        elif rng.random() < drop:
            y[i, rng.integers(1, 4) :] = np.nan
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 4),
            "visit": np.tile(VISITS, n),
            "arm": np.repeat(arm, 4),
            "base": np.repeat(base, 4),
            "y": y.ravel(),
        }
    )


def run(frame: pd.DataFrame, **kw) -> at.models.imputation.ReferenceImputationResult:
    kw.setdefault("n_imputations", 40)
    kw.setdefault("seed", 11)
    return impute_reference_based(frame, "y", "visit", "id", "arm", ["base"], **kw)


def mc_error(res) -> float:
    est = res.imputations["estimate"].to_numpy()
    return float(np.std(est, ddof=1) / np.sqrt(est.size))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return gaussian_trial(240, 0.35, seed=5)


@pytest.fixture(scope="module")
def results(frame) -> dict:
    return {s: run(frame, strategy=s) for s in ("MAR", "J2R", "CR", "CIR")}


def test_mar_agrees_with_direct_mmrm():
    data = gaussian_trial(240, 0.3, seed=8, mar=True)
    res = run(data, strategy="MAR", n_imputations=60)
    direct = at.fit_mmrm(data.dropna(), "y", "visit", "id", "arm", ["base"]).effects.iloc[-1]
    row = res.estimate.iloc[0]
    # MC error of the mean of 60 imputations, plus a small allowance for the ANCOVA's
    # visit-specific base coefficient (the MMRM's is common to all visits)
    assert abs(row["estimate"] - direct["estimate"]) < 4 * mc_error(res) + 0.05 * direct["se"]
    assert row["se"] == pytest.approx(direct["se"], rel=0.15)
    assert row["df"] < 240 - 3


def test_mar_mmrm_analysis_agrees_with_direct_mmrm():
    data = gaussian_trial(160, 0.3, seed=9, mar=True)
    res = run(data, strategy="MAR", analysis="mmrm", n_imputations=8)
    direct = at.fit_mmrm(data.dropna(), "y", "visit", "id", "arm", ["base"]).effects.iloc[-1]
    row = res.estimate.iloc[0]
    assert abs(row["estimate"] - direct["estimate"]) < 4 * mc_error(res) + 1e-9
    assert row["se"] == pytest.approx(direct["se"], rel=0.2)


def _conditional_mean_estimate(frame: pd.DataFrame, res, strategy: str) -> float:
    """The strategy's estimate with every missing value replaced by its conditional mean at the
    fitted MMRM (beta-hat, Sigma-hat), computed subject by subject."""
    fit = res.imputation_model
    b = fit.fixed["estimate"]
    sigma = fit.covariance.to_numpy()
    wide = frame.pivot(index="id", columns="visit", values="y").loc[:, list(VISITS)]
    info = frame.groupby("id").first()
    completed = []
    for sid, row in wide.iterrows():
        y = row.to_numpy(dtype=float)
        obs = np.isfinite(y)
        base = info.loc[sid, "base"]
        ref = np.array(
            [
                b["Intercept"] + b["base"] * base + (b[f"visit[T.{v}]"] if v != 1 else 0.0)
                for v in VISITS
            ]
        )
        own = ref.copy()
        if info.loc[sid, "arm"] == "active":
            own += b["arm[T.active]"] + np.array(
                [b[f"visit[T.{v}]:arm[T.active]"] if v != 1 else 0.0 for v in VISITS]
            )
        k = int(obs.sum()) if not obs.all() else 4  # monotone dropout: first missing visit
        mu = own.copy()
        if k < 4 and strategy == "J2R":
            mu[k:] = ref[k:]
        elif k < 4 and strategy == "CR":
            mu = ref
        elif k < 4 and strategy == "CIR":
            mu[k:] = own[k - 1] + ref[k:] - ref[k - 1] if k > 0 else ref[k:]
        if not obs.all():
            so = sigma[np.ix_(obs, obs)]
            smo = sigma[np.ix_(~obs, obs)]
            y[~obs] = mu[~obs] + smo @ np.linalg.solve(so, y[obs] - mu[obs])
        completed.append(y[-1])
    last = pd.Series(completed, index=wide.index)
    x = np.column_stack([np.ones(len(info)), info["base"], (info["arm"] == "active")])
    coef, *_ = np.linalg.lstsq(x, last.loc[info.index].to_numpy(), rcond=None)
    return float(coef[2])


@pytest.mark.parametrize("strategy", ["MAR", "J2R", "CR", "CIR"])
def test_pooled_estimate_matches_independent_conditional_mean(frame, results, strategy):
    res = results[strategy]
    expected = _conditional_mean_estimate(frame, res, strategy)
    assert abs(res.estimate["estimate"].iloc[0] - expected) < 4 * mc_error(res)


def test_cr_between_mar_and_j2r_and_cir_below_mar(results):
    est = {s: r.estimate["estimate"].iloc[0] for s, r in results.items()}
    assert est["J2R"] < est["CR"] < est["MAR"]
    assert est["J2R"] < est["CIR"] < est["MAR"]


def test_j2r_shrinks_toward_zero_as_dropout_grows():
    ratios = []
    for drop in (0.1, 0.35, 0.6):
        data = gaussian_trial(300, drop, seed=21)
        mar = run(data, strategy="MAR", n_imputations=20).estimate["estimate"].iloc[0]
        j2r = run(data, strategy="J2R", n_imputations=20).estimate["estimate"].iloc[0]
        ratios.append(j2r / mar)
    assert ratios[0] > ratios[1] > ratios[2] > 0
    assert ratios[0] < 1


def test_same_seed_same_result_and_seed_recorded(frame):
    a = run(frame, strategy="J2R", n_imputations=5, seed=3)
    b = run(frame, strategy="J2R", n_imputations=5, seed=3)
    c = run(frame, strategy="J2R", n_imputations=5, seed=4)
    pd.testing.assert_frame_equal(a.estimate, b.estimate)
    assert not np.isclose(a.estimate["estimate"].iloc[0], c.estimate["estimate"].iloc[0])
    again = run(frame, strategy="J2R", n_imputations=5, seed=None)
    replay = run(frame, strategy="J2R", n_imputations=5, seed=again.seed)
    pd.testing.assert_frame_equal(again.estimate, replay.estimate)


def test_result_tables_and_views(results):
    res = results["J2R"]
    assert res.estimate.columns.tolist() == [
        "comparison",
        "estimate",
        "se",
        "df",
        "ci_low",
        "ci_high",
        "p",
        "fmi",
    ]
    assert res.estimate.index.tolist() == [4]
    assert len(res.imputations) == res.n_imputations
    assert set(res.ice["strategy"]) == {"J2R"}
    assert "J2R" in repr(res) and "<table" in res._repr_html_()
    assert res.summary()["strategy"].iloc[0] == "J2R"
    with pytest.raises(AttributeError):
        res.strategy = "MAR"  # type: ignore[misc]
    every = run(
        results_frame := gaussian_trial(80, 0.3, seed=2),
        strategy="J2R",
        n_imputations=3,
        analysis_visit="all",
    )
    assert every.estimate.index.tolist() == list(VISITS)
    assert len(results_frame) == 320


def test_bootstrap_draws(frame):
    res = run(frame, strategy="J2R", method="bootstrap", n_imputations=6)
    approx = run(frame, strategy="J2R", n_imputations=40)
    assert res.method == "bootstrap"
    diff = abs(res.estimate["estimate"].iloc[0] - approx.estimate["estimate"].iloc[0])
    assert diff < 3 * approx.estimate["se"].iloc[0] / np.sqrt(6)


def test_strategy_means_rules():
    own = np.array([[1.0, 2.0, 3.0, 4.0]] * 4)
    ref = np.array([[0.0, 1.0, 1.5, 2.0]] * 4)
    ice = np.array([2, 2, 0, 4])
    out = strategy_means(
        own,
        ref,
        ice,
        np.array([Strategy.J2R, Strategy.CIR, Strategy.CIR, Strategy.CR], dtype=object),
    )
    np.testing.assert_allclose(out[0], [1, 2, 1.5, 2])  # jump to reference at visit 3
    np.testing.assert_allclose(out[1], [1, 2, 2.5, 3])  # own visit 2 plus reference increments
    np.testing.assert_allclose(out[2], ref[2])  # ICE before the first visit: reference
    np.testing.assert_allclose(out[3], ref[3])  # CR applies to subjects with an ICE only
    # (a subject without an ICE has strategy MAR from prepare_wide; CR on ice=T is still ref)


def test_explicit_intercurrent_table_with_per_subject_strategy(frame):
    table = pd.DataFrame({"id": [0, 1, 200], "visit": [3, 2, 4], "strategy": ["CR", "J2R", "MAR"]})
    full = frame.copy()
    with pytest.warns(DataWarning, match="left out of the imputation model"):
        res = impute_reference_based(
            full, "y", "visit", "id", "arm", ["base"], intercurrent=table, n_imputations=3, seed=1
        )
    assert res.ice.set_index("id")["strategy"].to_dict() == {0: "CR", 1: "J2R", 200: "MAR"}
    assert res.n_post_ice_removed > 0


def test_trial_input_and_ice_from_events():
    trial = at.simulate_trial(n_per_arm=40, seed=2)
    frame = trial_long_frame(trial)
    assert frame["base"].notna().all()
    res = impute_reference_based(
        trial, strategy="J2R", n_imputations=3, seed=1, analysis_visit=[6.0, 12.0]
    )
    assert res.estimate.index.tolist() == [6.0, 12.0]
    assert res.n_subjects == frame["subject_id"].nunique()
    ice = intercurrent_from_events(trial, ("death",), strategy="jr")
    assert set(ice.columns) == {"subject_id", "visit", "strategy"}
    assert (ice["strategy"] == "J2R").all()


def test_user_errors(frame):
    with pytest.raises(DataValidationError, match="not an imputation strategy"):
        run(frame, strategy="LOCF")
    with pytest.raises(DataValidationError, match="not found in data"):
        impute_reference_based(frame, "score", "visit", "id", "arm")
    with pytest.raises(DataValidationError, match="needed with a DataFrame"):
        impute_reference_based(frame)
    with pytest.raises(DataValidationError, match="arm_reference='drug'"):
        run(frame, reference="drug")
    with pytest.raises(DataValidationError, match="analysis_visit=9"):
        run(frame, analysis_visit=9)
    with pytest.raises(DataValidationError, match="at least 2"):
        run(frame, n_imputations=1)
    with pytest.raises(DataValidationError, match="method='mcmc'"):
        run(frame, method="mcmc")
    with pytest.raises(DataValidationError, match="analysis='glm'"):
        run(frame, analysis="glm")
    with pytest.raises(DataValidationError, match="needs 'id' and 'visit'"):
        run(frame, intercurrent=pd.DataFrame({"id": [1]}))
    with pytest.raises(DataValidationError, match="not a scheduled visit"):
        run(frame, intercurrent=pd.DataFrame({"id": [1], "visit": [7]}))
    varying = frame.assign(base=frame["base"] + frame["visit"])
    with pytest.raises(DataValidationError, match="column 'base', subject 0: the value changes"):
        run(varying)
    with pytest.raises(DataValidationError, match="apply to a long DataFrame"):
        impute_reference_based(at.simulate_trial(n_per_arm=5, seed=1), outcome="change")


def test_intercurrent_as_a_flag_column(frame):
    table = pd.DataFrame({"id": [0, 1, 5], "visit": [3, 2, 4]})
    pos = frame.merge(table, on="id", how="left", suffixes=("", "_ice"))
    flagged = frame.assign(after_ice=(pos["visit"] >= pos["visit_ice"]).to_numpy())
    with pytest.warns(DataWarning, match="left out of the imputation model"):
        by_flag = impute_reference_based(
            flagged,
            "y",
            "visit",
            "id",
            "arm",
            ["base"],
            intercurrent="after_ice",
            n_imputations=3,
            seed=2,
        )
    with pytest.warns(DataWarning, match="left out of the imputation model"):
        by_table = impute_reference_based(
            frame, "y", "visit", "id", "arm", ["base"], intercurrent=table, n_imputations=3, seed=2
        )
    pd.testing.assert_frame_equal(by_flag.ice, by_table.ice)
    pd.testing.assert_frame_equal(by_flag.estimate, by_table.estimate)
    with pytest.raises(DataValidationError, match="intercurrent='gone': no such column"):
        run(frame, intercurrent="gone")
    with pytest.raises(DataValidationError, match="must be boolean"):
        run(frame.assign(flag="yes"), intercurrent="flag")
