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
from alstrials.errors import (
    AlstrialsWarning,
    ConvergenceWarning,
    DataWarning,
    DesignError,
    JournalError,
    SimulationError,
)

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
    journal.write_text("\n".join(lines[:3]) + "\n")  # 3 finished replicates
    resumed = _gauss_run(workers=1, results_dir=folder)
    _same(full, resumed)
    after = journal.read_text().splitlines()
    assert after[:3] == lines[:3]  # the old rows are reused, not recomputed
    assert len(after) == 8 and all(json.loads(x) for x in after)


def _cut_journal(tmp_path, tail):  # noqa: ANN001, ANN202
    """A journal of 3 whole rows followed by ``tail(line 4)``, and the uninterrupted run."""
    full = _gauss_run(workers=1, results_dir=tmp_path / "full")
    folder = tmp_path / "cut"
    _gauss_run(workers=1, results_dir=folder)
    journal = folder / "replicates.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:3]) + "\n" + tail(lines[3]))
    return full, folder, journal, lines


def test_resume_repairs_a_last_line_cut_in_half(tmp_path) -> None:  # noqa: ANN001
    full, folder, journal, lines = _cut_journal(tmp_path, lambda line: line[:20])
    cut = lines[3][:20]
    with pytest.warns(DataWarning, match=r"replicates.jsonl: the last line \(line 4\) was cut"):
        resumed = _gauss_run(workers=1, results_dir=folder)
    _same(full, resumed)
    after = journal.read_text().splitlines()
    assert cut not in after and after[:3] == lines[:3]
    assert len(after) == 8  # the cut replicate was recomputed once, nothing glued onto it
    assert sorted(json.loads(x)["replicate"] for x in after) == list(range(8))
    # a second resume finds nothing to repair and nothing to compute
    _same(full, _gauss_run(workers=1, results_dir=folder))
    assert journal.read_text().splitlines() == after


def test_resume_keeps_a_whole_last_line_that_lost_its_newline(tmp_path) -> None:  # noqa: ANN001
    full, folder, journal, lines = _cut_journal(tmp_path, lambda line: line)
    resumed = _gauss_run(workers=1, results_dir=folder)  # no warning: nothing was lost
    _same(full, resumed)
    after = journal.read_text().splitlines()
    assert after[:4] == lines[:4] and len(after) == 8


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"seed": 1, "estimate": 0.1}', r"line 2 has no 'replicate'"),
        ("not json at all", r"line 2 is not valid JSON"),
        ("[1, 2]", r"line 2 holds list"),
    ],
)
def test_a_corrupt_journal_line_names_file_and_line(tmp_path, bad: str, message: str) -> None:  # noqa: ANN001
    _gauss_run(workers=1, results_dir=tmp_path)
    journal = tmp_path / "replicates.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([lines[0], bad, *lines[1:3]]) + "\n")
    with pytest.raises(JournalError, match=r"replicates\.jsonl: " + message):
        _gauss_run(workers=1, results_dir=tmp_path)


def test_a_journal_row_of_another_run_is_refused(tmp_path) -> None:  # noqa: ANN001
    _gauss_run(workers=1, results_dir=tmp_path)
    journal = tmp_path / "replicates.jsonl"
    lines = journal.read_text().splitlines()
    row = json.loads(lines[1])
    row["seed"] += 1
    journal.write_text("\n".join([lines[0], json.dumps(row)]) + "\n")
    with pytest.raises(JournalError, match=r"line 2 has seed .*\(a row of another run\)"):
        _gauss_run(workers=1, results_dir=tmp_path)


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
    assert res.n_used == 12 - n_failed and res.n_not_converged == 0
    assert not res.converged
    assert errors[errors != ""].str.contains("simulated analysis failure").all()
    ok = res.replicates[errors == ""]
    assert res.power == pytest.approx((ok["p"] < 0.05).mean())
    assert res.power_lower == pytest.approx((ok["p"] < 0.05).sum() / 12)
    assert "failed" in res.summary().index
    assert f"{n_failed} of 12 replicates failed" in res.note
    assert res.failures()["n"].tolist() == [n_failed]


def _not_converged_when_high(data: pd.DataFrame) -> ReplicateOutcome:
    """Like a diverging Cox fit (estimate -31.2, SE 2.3e6) in the replicates whose first outcome
    exceeds 38; the others are the ordinary LMM test."""
    if data["y"].iloc[0] > 38:
        return ReplicateOutcome(-31.2, 2.3e6, -1.4e-5, 0.99999, converged=False)
    return gaussian_lmm_slope(data)


def test_non_converged_replicates_are_left_out_of_bias_coverage_and_power() -> None:
    res = _gauss_run(workers=1, analysis=_not_converged_when_high, n_sims=12, truth=0.25)
    table = res.replicates
    used = table[table["converged"]]
    assert 0 < res.n_not_converged == (~table["converged"]).sum() < 12
    assert res.n_failed == 0 and res.n_used == len(used)
    assert res.bias == pytest.approx(used["estimate"].mean() - 0.25)
    assert res.bias > -1  # the -31.2 estimates would drag it far below
    assert res.power == pytest.approx((used["p"] < 0.05).mean())
    assert res.power_lower == pytest.approx((used["p"] < 0.05).sum() / 12)
    summary = res.summary()["value"]
    assert summary["not converged"] == res.n_not_converged
    assert summary["used (ran and converged)"] == res.n_used
    html = res._repr_html_()
    assert f"{res.n_not_converged} did not converge" in html
    assert f"use the {res.n_used} that ran and converged" in html
    assert "not converged" in repr(res)


def _warns_when_high(data: pd.DataFrame) -> ReplicateOutcome:
    """The LMM test, with a ConvergenceWarning in the replicates whose first outcome exceeds 38
    (the fit's own flag still says converged)."""
    if data["y"].iloc[0] > 38:
        warnings.warn("optimiser stopped early (test)", ConvergenceWarning, stacklevel=2)
    return gaussian_lmm_slope(data)


def test_a_convergence_warning_marks_the_replicate_not_converged() -> None:
    res = _gauss_run(workers=1, analysis=_warns_when_high, n_sims=12)
    table = res.replicates
    warned = table["warnings"].str.contains("ConvergenceWarning: optimiser stopped early")
    assert warned.any() and not warned.all()
    assert (~table.loc[warned, "converged"]).all() and table.loc[~warned, "converged"].all()
    assert res.n_not_converged == warned.sum()
    assert res.failures()["problem"].iloc[0].startswith("not converged: ConvergenceWarning")


def test_builtin_cox_flags_a_diverging_fit_and_bias_ignores_it() -> None:
    res = at.power.simulate(
        {"treatment_hr": 0.25, "follow_up_months": 12},
        analysis="cox",
        n_per_arm=50,
        n_sims=10,
        seed=3,
        workers=1,
        progress=False,
    )
    table = res.replicates
    bad = table[~table["converged"]]
    assert res.n_not_converged == len(bad) == 1
    assert bad["estimate"].iloc[0] < -20  # the monotone likelihood: no events in one arm
    assert bad["warnings"].iloc[0].startswith("ConvergenceWarning: ")
    assert "did not converge" in bad["warnings"].iloc[0]
    used = table[table["converged"]]
    assert res.bias == pytest.approx(used["estimate"].mean() - res.truth)
    assert abs(res.bias) < 1


def _always_fails(data: pd.DataFrame) -> ReplicateOutcome:
    raise DesignError("this analysis never works")


def _type_error(data: pd.DataFrame) -> ReplicateOutcome:
    return data["no such column"]  # KeyError: a bug, in every replicate


def _bug_when_high(data: pd.DataFrame) -> ReplicateOutcome:
    if data["y"].iloc[0] > 38:
        raise TypeError("unsupported operand (a bug)")
    return gaussian_lmm_slope(data)


def test_a_run_where_every_replicate_fails_raises(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(SimulationError, match=r"none of the 4 replicates .* \(4 failed, 0 did"):
        _gauss_run(workers=1, analysis=_always_fails, n_sims=4, results_dir=tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "replicates.jsonl").read_text().splitlines()]
    assert [r["error"] for r in rows] == ["DesignError: this analysis never works"] * 4


def test_an_unexpected_exception_is_recorded_not_fatal() -> None:
    with pytest.warns(AlstrialsWarning, match="failed with an unexpected error.*TypeError"):
        res = _gauss_run(workers=1, analysis=_bug_when_high, n_sims=12)
    table = res.replicates
    bugs = table["error"].str.startswith("TypeError: unsupported operand (a bug) (in _bug_when")
    assert 0 < res.n_failed == bugs.sum() < 12
    assert table.loc[bugs, "unexpected"].all()
    assert res.n_used == 12 - res.n_failed


def test_a_bug_failing_every_replicate_does_not_pass_silently() -> None:
    with pytest.raises(SimulationError, match="KeyError: 'no such column'"):
        _gauss_run(workers=1, analysis=_type_error, n_sims=3)


def test_a_misspelt_scenario_key_is_refused_before_any_replicate(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(DesignError, match="(?i)did you mean 'treatment_slowing'"):
        at.power.simulate(
            {"treatment_slowng": 0.3}, n_sims=2, progress=False, results_dir=tmp_path / "r"
        )
    assert not (tmp_path / "r").exists()
    with pytest.raises(DesignError, match="scenario field 'treatment_slowing' .* fraction"):
        at.power.simulate({"treatment_slowing": 3.0}, n_sims=2, progress=False)
    with pytest.raises(DesignError, match="(?i)did you mean 'delta'"):
        _gauss_run(scenario={"deltaa": 0.3})


def _gauss_curve(grid, tmp_path):  # noqa: ANN001, ANN202
    return at.power.power_curve(
        grid,
        analysis=gaussian_lmm_slope,
        simulator=partial(gaussian_slope_trial, **GAUSS),
        n_sims=3,
        workers=1,
        progress=False,
        results_dir=tmp_path,
    )


def test_a_misspelt_grid_key_is_refused_before_the_first_point(tmp_path) -> None:  # noqa: ANN001
    grid = [{"n_per_arm": 20}, {"n_per_arm": 20, "sig2_slop": 0.5}]
    with pytest.raises(DesignError, match="grid point 1 .*(?i:did you mean 'sig2_slope')"):
        _gauss_curve(grid, tmp_path)
    assert not list(tmp_path.iterdir())  # point 0 did not run either
    with pytest.raises(DesignError, match="grid point 0: n_per_arm must be an integer"):
        _gauss_curve([{"n_per_arm": "ten"}], tmp_path)


def test_power_curve_table_counts_failures_per_row(tmp_path) -> None:  # noqa: ANN001
    curve = at.power.power_curve(
        [{"n_per_arm": 20}, {"n_per_arm": 30}],
        analysis=_not_converged_when_high,
        simulator=partial(gaussian_slope_trial, **GAUSS),
        n_sims=12,
        workers=1,
        progress=False,
        truth=0.25,
    )
    table = curve.table
    for column in ("n_sims", "n_used", "n_failed", "n_not_converged", "power_lower"):
        assert column in table
    assert (table["n_used"] + table["n_failed"] + table["n_not_converged"] == 12).all()
    assert (table["n_not_converged"] > 0).all()
    assert (table["bias"] > -1).all()
    assert "did not converge" in curve._repr_html_()


def test_an_unreachable_scheduler_is_one_clear_error() -> None:
    with pytest.raises(SimulationError, match=r"cannot connect to the Dask scheduler at 'tcp://"):
        _gauss_run(scheduler="tcp://127.0.0.1:1", connect_timeout=1)


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
