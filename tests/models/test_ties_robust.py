"""Tie decisions do not depend on rounding: perturbing scores, covariates or times by 1e-15
(relative), or reordering rows (which changes how BLAS rounds X @ beta), leaves every statistic
unchanged, and still equal to R (survival 3.5-3; tests/reference/survival/make_reference.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.models.cafs import cafs
from alstrials.models.finkelstein_schoenfeld import finkelstein_schoenfeld
from alstrials.models.joint.fit import prepare_design
from alstrials.models.joint.simulate import simulate_joint
from alstrials.models.survival import fit_cox, harrell_c, kaplan_meier, logrank, rmst
from alstrials.models.ties import merge_close_times, tie_ranks

REF = Path(__file__).parents[1] / "reference"
FORMULA = "age + sex + `ph.ecog`"


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "survival" / "values.json").read_text())


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REF / "lung.csv")


def _jitter(values, seed, rel=1e-15):
    """``values * (1 + rel * u)``, u uniform in (-1, 1): rounding-level noise."""
    v = np.asarray(values, dtype=float)
    u = np.random.default_rng(seed).uniform(-1, 1, v.shape)
    return v * (1 + rel * u)


def test_rounding_differences_in_scores_do_not_change_c():
    # scores that should tie but differ by 5.55e-17, as X @ beta from an AVX-512 kernel gives
    stop = np.array([1.0, 2, 3, 4, 5, 6])
    event = np.array([1, 1, 1, 0, 1, 0], dtype=bool)
    score = np.array([0.3, 0.1, 0.1, 0.2, 0.3, 0.0])
    nudged = score.copy()
    nudged[2] += 5.55e-17
    nudged[4] = np.nextafter(nudged[4], 1)
    assert harrell_c(stop, event, nudged) == harrell_c(stop, event, score)
    # a real difference still counts
    assert harrell_c(stop, event, nudged + np.r_[0, 0, 1e-3, 0, 0, 0]) != harrell_c(
        stop, event, score
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cox_unchanged_by_perturbed_covariates_and_row_order(lung, ref, ties, seed):
    base = fit_cox(lung, "time", "status", FORMULA, ties=ties)
    d = lung.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # new row positions
    for col in ("age", "sex", "ph.ecog"):
        d[col] = _jitter(d[col], seed)
    d["time"] = _jitter(d["time"], seed + 10)
    fit = fit_cox(d, "time", "status", FORMULA, ties=ties)
    r = ref[f"cox_{ties}"]
    assert fit.concordance == base.concordance
    assert fit.concordance == pytest.approx(r["concordance"], rel=1e-10)
    np.testing.assert_allclose(fit.coef["estimate"], base.coef["estimate"], rtol=1e-9)
    np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=1e-6)
    assert fit.loglik == pytest.approx(base.loglik, rel=1e-12)
    assert fit.loglik == pytest.approx(r["loglik"][1], rel=1e-10)
    assert fit.converged and not fit.problems
    b, f = base.baseline_survival(), fit.baseline_survival()
    np.testing.assert_array_equal(f["n_event"], b["n_event"])
    np.testing.assert_array_equal(f["n_risk"], b["n_risk"])


def test_km_logrank_rmst_unchanged_by_perturbed_times(lung, ref, r_reference):
    d = lung.assign(time=_jitter(lung["time"], 7))
    km0, km1 = kaplan_meier(lung, "time", "status"), kaplan_meier(d, "time", "status")
    for col in ("n_risk", "n_event", "n_censor", "survival", "ci_low", "ci_high"):
        np.testing.assert_array_equal(km1.table[col], km0.table[col])
    r_km = r_reference["survival_lung"]["survfit_km"]
    np.testing.assert_array_equal(km1.table["n_risk"], r_km["n_risk"])
    lr0, lr1 = logrank(lung, "time", "status", by="sex"), logrank(d, "time", "status", by="sex")
    assert lr1.statistic == pytest.approx(lr0.statistic, rel=1e-13)
    assert lr1.df == lr0.df == 1
    assert lr1.statistic == pytest.approx(ref["survdiff_sex"]["chisq"], rel=1e-6)
    rm0 = rmst(lung, "time", "status", by="sex", tau=365)
    rm1 = rmst(d, "time", "status", by="sex", tau=365)
    np.testing.assert_allclose(rm1.table["rmst"], rm0.table["rmst"], rtol=1e-13)
    np.testing.assert_allclose(rm1.table["rmst"], ref["rmst_365"]["rmean"], rtol=1e-6)


def _pairwise_trial(seed=0, n=40):
    rng = np.random.default_rng(seed)
    ids = [f"s{i}" for i in range(n)]
    subjects = pd.DataFrame({"subject_id": ids, "arm": ["placebo", "active"] * (n // 2)})
    follow = rng.choice([6.0, 9.0, 12.0], size=n)
    events = pd.DataFrame({"subject_id": ids, "months": follow, "event": rng.random(n) < 0.3})
    rows = []
    for i, sid in enumerate(ids):
        for m in (0.0, 3.0, 6.0, 9.0, 12.0):
            if m <= follow[i]:
                rows.append((sid, m / 3.0 * 3.0, float(40 - rng.integers(0, 3) * m / 3)))
    alsfrs = pd.DataFrame(rows, columns=["subject_id", "months", "alsfrs_total"])
    return {"subjects": subjects, "alsfrs": alsfrs, "events": events}


@pytest.mark.parametrize("change", ["locf", "interpolate"])
def test_cafs_and_fs_unchanged_by_rounding_noise(change):
    data = _pairwise_trial()
    noisy = {
        "subjects": data["subjects"],
        "events": data["events"].assign(months=_jitter(data["events"]["months"], 3)),
        "alsfrs": data["alsfrs"].assign(
            months=_jitter(data["alsfrs"]["months"], 4),
            alsfrs_total=_jitter(data["alsfrs"]["alsfrs_total"], 5),
        ),
    }
    for month in (7.5, 12.0 * (1 + 1e-15)):
        a, b = cafs(data, month, change=change), cafs(noisy, month, change=change)
        np.testing.assert_array_equal(b.scores["score"], a.scores["score"])
        assert (b.z, b.p) == (a.z, a.p)
    a = finkelstein_schoenfeld(data, 9.0, change=change)
    b = finkelstein_schoenfeld(noisy, 9.0 * (1 - 1e-15), change=change)
    assert (b.statistic, b.wins, b.losses, b.ties) == (a.statistic, a.wins, a.losses, a.ties)


def test_joint_knot_at_an_event_time_up_to_rounding():
    long, surv = simulate_joint(n=30, seed=2)
    t_event = float(surv.loc[surv["event"] == 1, "T"].iloc[0])

    def design(knot):
        return prepare_design(
            long,
            surv,
            "y ~ time",
            "~ time",
            "id",
            "time",
            "~ x",
            "T",
            "event",
            knots=np.array([knot]),
            gl_points=3,
        )

    exact = design(t_event)
    for knot in (t_event * (1 - 1e-15), t_event * (1 + 1e-15)):
        near = design(knot)
        spec_near, spec_exact = near.baselines[0].spec, exact.baselines[0].spec
        np.testing.assert_array_equal(spec_near.interval(near.T), spec_exact.interval(exact.T))
        np.testing.assert_array_equal(near.baselines[0].basis_s, exact.baselines[0].basis_s)


def test_tie_helpers():
    a, b = merge_close_times(np.array([3.0, 1.0, 1.0 + 1e-13]), np.array([3.0 - 1e-14]))
    assert a.tolist() == [3.0 - 1e-14, 1.0, 1.0] and b.tolist() == [3.0 - 1e-14]
    same = np.array([2.0, 5.0])
    assert merge_close_times(same)[0].tolist() == [2.0, 5.0]
    assert tie_ranks(np.array([1.0, np.nan, 1.0 + 1e-18]), 1e-12).tolist()[0] == 0


def test_logrank_degenerate_variance_rank_is_stable():
    # the third group has no events; the df and statistic must not depend on rounding noise
    d = pd.DataFrame(
        {
            "t": [1.0, 2, 3, 4, 5, 6, 7, 8, 20, 21],
            "e": [1, 1, 0, 1, 1, 0, 1, 1, 0, 0],
            "g": ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c"],
        }
    )
    base = logrank(d, "t", "e", by="g")
    noisy = logrank(d.assign(t=_jitter(d["t"], 9)), "t", "e", by="g")
    assert base.df == noisy.df
    assert noisy.statistic == pytest.approx(base.statistic, rel=1e-12)
