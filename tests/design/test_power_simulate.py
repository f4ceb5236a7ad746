"""Simulation-based power: reproducible on any number of workers or a Dask cluster, resumable,
honest about failures, and in agreement with the analytic formula when its assumptions hold."""

from __future__ import annotations

import json
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.design.power.analyses import ReplicateOutcome
from alstrials.design.power.gaussian import gaussian_lmm_slope, gaussian_slope_trial
from alstrials.errors import DesignError

GAUSS = {
    "delta": 0.25,
    "t": [0, 2, 4, 6, 8, 10, 12],
    "sig2_slope": 0.36,
    "sig2_resid": 2.25,
    "sig2_int": 25.0,
    "cov_int_slope": -0.5,
}


def _gauss_run(**kwargs):  # noqa: ANN003, ANN202
    options = {
        "analysis": gaussian_lmm_slope,
        "n_per_arm": 30,
        "n_sims": 8,
        "seed": 11,
        "progress": False,
        "simulator": partial(gaussian_slope_trial, **GAUSS),
    }
    options.update(kwargs)
    return at.power.simulate(**options)


def _same(a, b) -> None:  # noqa: ANN001
    cols = ["replicate", "seed", "estimate", "se", "statistic", "p"]
    pd.testing.assert_frame_equal(a.replicates[cols], b.replicates[cols])


def test_seeds_come_from_seedsequence_spawn() -> None:
    from alstrials.design.power.simulate import replicate_seeds

    children = np.random.SeedSequence(5).spawn(3)
    assert replicate_seeds(5, 3) == [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
    assert replicate_seeds(5, 2) == replicate_seeds(5, 3)[:2]


def test_same_answer_on_one_or_two_processes() -> None:
    one = _gauss_run(workers=1)
    two = _gauss_run(workers=2, batch_size=1)
    _same(one, two)
    assert one.n_sims == 8 and one.n_failed == 0


def test_same_answer_on_a_dask_local_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        # Dask may warn about ports or versions while starting workers; not under test here.
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
        try:
            on_dask = _gauss_run(client=client)
        finally:
            client.close()
            cluster.close()
    _same(_gauss_run(workers=1), on_dask)


def test_resume_computes_only_missing_replicates(tmp_path) -> None:  # noqa: ANN001
    full = _gauss_run(workers=1, results_dir=tmp_path / "full")
    folder = tmp_path / "cut"
    _gauss_run(workers=1, n_sims=8, results_dir=folder)
    journal = folder / "replicates.jsonl"
    lines = journal.read_text().splitlines()
    # keep 3 finished replicates and a line cut short by an interruption
    journal.write_text("\n".join(lines[:3]) + "\n" + lines[3][:20] + "\n")
    resumed = _gauss_run(workers=1, results_dir=folder)
    _same(full, resumed)
    rows = [json.loads(x) for x in journal.read_text().splitlines()[:3]]
    kept = {r["replicate"] for r in rows}
    assert len(kept) == 3  # the old rows are reused, not recomputed
    assert sum(1 for line in journal.read_text().splitlines() if line.startswith("{")) >= 8


def test_resume_refuses_a_folder_of_other_settings(tmp_path) -> None:  # noqa: ANN001
    _gauss_run(workers=1, results_dir=tmp_path)
    with pytest.raises(DesignError, match="other settings"):
        _gauss_run(workers=1, results_dir=tmp_path, n_per_arm=31)


def _fails_for_some_trials(data: pd.DataFrame) -> ReplicateOutcome:
    """Fails in the replicates whose first outcome exceeds 38 (about half of them)."""
    if data["y"].iloc[0] > 38:
        raise DesignError("simulated analysis failure")
    return gaussian_lmm_slope(data)


def test_failed_replicates_are_counted_not_hidden() -> None:
    res = _gauss_run(workers=1, analysis=_fails_for_some_trials, n_sims=12)
    errors = res.replicates["error"]
    n_failed = int((errors != "").sum())
    assert res.n_failed == n_failed > 0
    assert not res.converged
    assert errors[errors != ""].str.contains("simulated analysis failure").all()
    ok = res.replicates[errors == ""]
    assert res.power == pytest.approx((ok["p"] < 0.05).mean())
    assert "failed" in res.summary().index


def test_unknown_analysis_is_refused() -> None:
    with pytest.raises(DesignError, match="unknown analysis"):
        at.power.simulate(analysis="anova", n_sims=2, progress=False)


@pytest.mark.slow
def test_simulated_power_matches_lmm_slope_formula() -> None:
    analytic = at.power.lmm_slope(**GAUSS, n_per_group=60, power=None)
    res = _gauss_run(n_per_arm=60, n_sims=400, seed=2026, workers=2, truth=GAUSS["delta"])
    assert abs(res.power - analytic.power) < 3 * res.mc_se + 0.01
    assert abs(res.bias) < 3 * res.bias_mc_se
    assert abs(res.coverage - 0.95) < 3 * res.coverage_mc_se + 0.005


def test_calibrated_simulator_with_lmm_slope_reports_truth() -> None:
    res = at.power.simulate(
        {"follow_up_months": 6, "visit_months": [0, 1, 2, 3, 4, 5, 6]},
        analysis="lmm_slope",
        n_per_arm=40,
        n_sims=4,
        seed=3,
        workers=1,
        progress=False,
    )
    assert res.truth == pytest.approx(0.25)  # slowing 25% of a 1.0 point/month decline
    assert res.n_failed == 0
    assert np.isfinite(res.bias)


def test_power_curve_rises_with_n() -> None:
    curve = at.power.power_curve(
        [{"n_per_arm": 20}, {"n_per_arm": 120}],
        analysis=gaussian_lmm_slope,
        simulator=partial(gaussian_slope_trial, **GAUSS),
        n_sims=40,
        seed=1,
        workers=1,
        progress=False,
    )
    table = curve.table
    assert list(table["n_per_arm"]) == [20, 120]
    assert table["power"].iloc[1] > table["power"].iloc[0]
    ax = curve.plot()
    assert ax.get_xlabel() == "n_per_arm"


@pytest.mark.parametrize(
    "analysis", ["lmm_slope", "mmrm", "cox", "logrank", "joint", "cafs", "finkelstein_schoenfeld"]
)
def test_every_builtin_analysis_runs_on_simulated_trials(analysis: str) -> None:
    res = at.power.simulate(
        {"follow_up_months": 12},
        analysis=analysis,
        n_per_arm=60,
        n_sims=2,
        seed=5,
        workers=1,
        progress=False,
    )
    assert res.n_failed == 0, res.replicates["error"].tolist()
    assert res.replicates["p"].between(0, 1).all()
    assert np.isfinite(res.replicates["statistic"]).all()
