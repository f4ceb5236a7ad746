"""Every user error on the command line ends in one clear line and a non-zero exit code.

Each case runs ``main([...])`` and checks the exit code, that no traceback was printed, and that
the message names the flag, file or key at fault. A few run in a subprocess (the real
``alstrials`` process, stderr and exit status included).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from alstrials.cli import main

ROOT = Path(__file__).resolve().parents[1]

QUICK_SCENARIO = (
    'analysis = "lmm_slope"\nseed = 4\nn_per_arm = 15\n\n[scenario]\nfollow_up_months = 6\n'
    "visit_months = [0, 2, 4, 6]\n"
)


def _fails(argv: list[str], capsys, *, code: int = 2) -> str:  # noqa: ANN001
    """Run ``main(argv)``; check the exit code and the absence of a traceback; return stderr."""
    try:
        result = main(argv)
    except SystemExit as exc:  # argparse errors
        result = exc.code
    out, err = capsys.readouterr()
    assert result == code, (out, err)
    assert "Traceback" not in out + err
    return err


def _error_line(err: str) -> str:
    """The one error line (argparse prints its usage lines before it)."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 1, err
    assert lines[-1] == errors[0], err  # nothing after the error line
    return errors[0]


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module")
def trial_folder(tmp_path_factory) -> Path:  # noqa: ANN001
    from alstrials.data.simulate import simulate_trial

    folder = tmp_path_factory.mktemp("trial") / "t"
    simulate_trial(n_per_arm=20, seed=2, follow_up_months=6).write(folder)
    return folder


# -- --out naming an existing file ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["demo"],
        ["run", str(ROOT / "analyses")],
        ["simulate", "--n-per-arm", "5", "--seed", "1"],
        ["interim", "--data", "x", "--design", "{design}", "--cutoff", "3"],
        ["power", "simulate", "--scenario", "{design}", "--n-sims", "2"],
    ],
    ids=["demo", "run", "simulate", "interim", "power simulate"],
)
def test_out_naming_an_existing_file(argv, tmp_path, capsys) -> None:  # noqa: ANN001
    existing = _write(tmp_path / "results.txt", "not a folder")
    design = _write(tmp_path / "design.toml", "[design]\nk = 2\n")
    argv = [a.replace("{design}", design) for a in argv]
    line = _error_line(_fails([*argv, "--out", existing], capsys))
    assert "argument --out" in line and "results.txt" in line and "is an existing file" in line


def test_out_below_a_file(tmp_path, capsys) -> None:  # noqa: ANN001
    existing = _write(tmp_path / "results.txt", "")
    line = _error_line(_fails(["demo", "--out", f"{existing}/demo"], capsys))
    assert "argument --out" in line and "is a file, not a folder" in line


# -- validate --------------------------------------------------------------------------------


def test_validate_exclusions_into_a_missing_folder(trial_folder, tmp_path, capsys) -> None:  # noqa: ANN001
    target = tmp_path / "no" / "such" / "log.csv"
    line = _error_line(_fails(["validate", str(trial_folder), "--exclusions", str(target)], capsys))
    assert "argument --exclusions" in line and "does not exist" in line


def test_validate_exclusions_naming_a_folder(trial_folder, tmp_path, capsys) -> None:  # noqa: ANN001
    line = _error_line(
        _fails(["validate", str(trial_folder), "--exclusions", str(tmp_path)], capsys)
    )
    assert "argument --exclusions" in line and "is a folder" in line


# -- simulate --scenario ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "argument --scenario: file"),
        ("[scenario\n", "is not valid TOML"),
        ("[scenario]\ntreatment_slowng = 0.3\n", "Did you mean 'treatment_slowing'"),
        ("[scenario]\nfollow_up_months = 'ten'\n", "'follow_up_months' must be a number"),
        ("[scenario]\nvisit_months = 'monthly'\n", "'visit_months' must be a sequence of numbers"),
        ("[senario]\nfollow_up_months = 6\n", "unknown key 'senario'. Did you mean 'scenario'"),
        ("seed = 3\n", "no [scenario] table"),
    ],
    ids=["missing", "malformed", "typo", "type", "list type", "table typo", "no table"],
)
def test_simulate_scenario_file_errors(text, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "scenario.toml"
    if text is not None:
        path.write_text(text)
    argv = ["simulate", "--n-per-arm", "5", "--seed", "1", "--out", str(tmp_path / "o")]
    line = _error_line(_fails([*argv, "--scenario", str(path)], capsys))
    assert expected in line and "scenario.toml" in line
    assert not (tmp_path / "o").exists()  # nothing was simulated


# -- power: analytic arguments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["slope", "--t", "abc", "--sig2-slope", ".36", "--sig2-resid", "2.25"], "--t"),
        (["slope", "--t", "0,3", "--sig2-slope", ".36", "--sig2-resid", "2.25",
          "--retention", "1,x"], "--retention"),
        (["mmrm", "--sd", "1,2,three", "--rho", ".5"], "--sd"),
        (["mmrm", "--sd", "1,2", "--rho", ".5", "--times", "a,b"], "--times"),
        (["slope", "--t", "0,3", "--sig2-slope", "high", "--sig2-resid", "2"], "--sig2-slope"),
    ],
)  # fmt: skip
def test_power_arguments_are_argparse_errors(argv, flag, capsys) -> None:  # noqa: ANN001
    line = _error_line(_fails(["power", *argv], capsys))
    assert line.startswith("alstrials power ") and f"argument {flag}" in line


def test_power_impossible_inputs_are_one_line(capsys) -> None:  # noqa: ANN001
    err = _fails(
        ["power", "slope", "--t", "0,3,6", "--sig2-slope", ".36", "--sig2-resid", "2"], capsys
    )
    assert _error_line(err).startswith("alstrials power slope: error: ")


# -- power simulate: the scenario file -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('n_per_arm = "ten"\n', "n_per_arm must be an integer, got 'ten'"),
        ("seed = 1.5\n", "seed must be an integer"),
        ('alpha = "5%"\n', "alpha must be a number"),
        ("alpah = 0.05\n", "unknown key 'alpah'. Did you mean 'alpha'"),
        ('analysis = "lmm_slop"\n', "unknown analysis 'lmm_slop'. Did you mean 'lmm_slope'"),
        ("[scenario]\ntreatment_slowng = 0.3\n", "[scenario] unknown scenario parameter"),
        ("[grid]\ntreatment_slowng = [0.2, 0.3]\n", "[grid] unknown key 'treatment_slowng'"),
        ("[grid]\nn_per_arm = [10, 'x']\n", "[grid] n_per_arm must be an integer"),
        ("[grid]\ntreatment_slowing = [0.2, 5.0]\n", "[grid] point {'treatment_slowing': 5.0}"),
        ("[grid]\nfollow_up_months = []\n", "must be a value or a non-empty list"),
        ("[scenario]\nfollow_up_months = 6\n[[grid]]\nn = 1\n", "grid must be a table"),
    ],
)
def test_power_simulate_file_errors_before_any_replicate(text, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    scenario = _write(tmp_path / "power.toml", text)
    out = tmp_path / "out"
    err = _fails(
        ["power", "simulate", "--scenario", scenario, "--n-sims", "2", "--out", str(out)], capsys
    )
    line = _error_line(err)
    assert line.startswith("alstrials power simulate: error: ") and "power.toml" in line
    assert expected in line
    if "did you mean" in expected.lower():
        assert "treatment_slowing" in line or "alpha" in line or "lmm_slope" in line
    assert not out.exists()  # nothing ran


def test_power_simulate_where_nothing_succeeds_exits_non_zero(tmp_path, capsys) -> None:  # noqa: ANN001
    text = (
        'analysis = "cox"\nn_per_arm = 20\n[scenario]\ntreatment_hr = 1e-9\nfollow_up_months = 12\n'
    )
    scenario = _write(tmp_path / "power.toml", text)
    argv = ["power", "simulate", "--scenario", scenario, "--n-sims", "2", "--workers", "1"]
    err = _fails([*argv, "--out", str(tmp_path / "o"), "--quiet"], capsys)
    line = _error_line(err)
    assert "none of the 2 replicates of cox could be used" in line
    assert "not converged: ConvergenceWarning" in line  # the fit's own warning, shown


def test_power_simulate_reports_failures_beside_power(tmp_path, capsys) -> None:  # noqa: ANN001
    text = 'analysis = "cox"\nseed = 2\nn_per_arm = 50\n[scenario]\ntreatment_hr = 0.25\n'
    text += "follow_up_months = 12\n"
    scenario = _write(tmp_path / "power.toml", text)
    out = tmp_path / "o"
    argv = ["power", "simulate", "--scenario", scenario, "--n-sims", "10", "--workers", "1"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "note: 0 of 10 replicates failed and 1 did not converge" in printed
    table = pd.read_csv(out / "power.csv")
    row = table.iloc[0]
    assert (row["n_sims"], row["n_used"], row["n_failed"], row["n_not_converged"]) == (10, 9, 0, 1)
    assert abs(row["bias"]) < 1  # the diverging replicate (log HR about -31) is left out


def test_unreachable_scheduler_is_one_line(tmp_path, capsys) -> None:  # noqa: ANN001
    scenario = _write(tmp_path / "power.toml", QUICK_SCENARIO)
    argv = ["power", "simulate", "--scenario", scenario, "--n-sims", "2", "--quiet"]
    argv += ["--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1"]
    line = _error_line(_fails([*argv, "--connect-timeout", "1"], capsys))
    assert "cannot connect to the Dask scheduler at 'tcp://127.0.0.1:1' within 1 s" in line


# -- interim: the design file ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[design]\nk = 'three'\n", "[design] k must be an integer, got 'three'"),
        ("[design]\nk = 2\ninfo = ['a', 'b']\n", "[design] info must be a list of numbers"),
        ("[design]\nk = 2\nbeta = 0.2\nbondary = 'pocock'\n", "Did you mean 'boundary'"),
        (
            "[design]\nk = 2\n[endpoint]\ndelta = 0.2\ndropout = 0.1\n",
            "Did you mean 'dropout_rate'",
        ),
        ("[design]\nk = 2\n[endpoint]\ndelta = 0.2\nlooks = [3.0, 6.0, 9.0]\n", "k = 2 allows"),
        ("[design]\nk = 2\ninfo = [0.25, 0.5, 0.75, 1.0]\n[endpoint]\ndelta = 0.2\n", "k = 2"),
        ("[design]\nk = 2\nboundary = 'fast'\n[endpoint]\ndelta = 0.2\n", "unknown boundary"),
    ],
)
def test_interim_design_file_errors(text, expected, trial_folder, tmp_path, capsys) -> None:  # noqa: ANN001
    design = _write(tmp_path / "design.toml", text)
    argv = ["interim", "--data", str(trial_folder), "--design", design, "--cutoff", "12"]
    line = _error_line(_fails([*argv, "--out", str(tmp_path / "o")], capsys))
    assert line.startswith("alstrials interim: error: ") and "design.toml" in line
    assert expected in line


def test_interim_missing_design_file(trial_folder, tmp_path, capsys) -> None:  # noqa: ANN001
    argv = ["interim", "--data", str(trial_folder), "--design", str(tmp_path / "nope.toml")]
    line = _error_line(_fails([*argv, "--cutoff", "3", "--out", str(tmp_path / "o")], capsys))
    assert "argument --design" in line and "nope.toml" in line


def test_interim_missing_trial_folder(tmp_path, capsys) -> None:  # noqa: ANN001
    design = _write(tmp_path / "design.toml", "[design]\nk = 2\n[endpoint]\ndelta = 0.2\n")
    argv = ["interim", "--data", str(tmp_path / "nothing"), "--design", design, "--cutoff", "3"]
    line = _error_line(_fails([*argv, "--out", str(tmp_path / "o")], capsys))
    assert "nothing" in line and "does not exist" in line


# -- declared arms and lenient reading -------------------------------------------------------


@pytest.fixture(scope="module")
def dose_folder(trial_folder, tmp_path_factory) -> Path:  # noqa: ANN001
    """The trial with arms "lowdose" (reference) and "highdose" and no trial.json: the arms
    cannot be told from the data."""
    import shutil

    folder = tmp_path_factory.mktemp("dose") / "t"
    shutil.copytree(trial_folder, folder)
    (folder / "trial.json").unlink()
    subjects = pd.read_csv(folder / "subjects.csv", dtype=str, keep_default_na=False)
    subjects["arm"] = subjects["arm"].map({"placebo": "lowdose", "active": "highdose"})
    subjects.to_csv(folder / "subjects.csv", index=False)
    return folder


def test_arms_flag_declares_the_reference_arm(dose_folder, tmp_path, capsys) -> None:  # noqa: ANN001
    err = _fails(["validate", str(dose_folder)], capsys, code=1)
    assert err == ""
    assert main(["validate", str(dose_folder), "--arms", "lowdose,highdose"]) == 0
    assert "VALID" in capsys.readouterr().out
    design = _write(tmp_path / "design.toml", "[design]\nk = 2\n[endpoint]\ndelta = 0.2\n")
    interim = ["interim", "--data", str(dose_folder), "--design", design, "--cutoff", "12"]
    line = _error_line(_fails([*interim, "--out", str(tmp_path / "a")], capsys))
    assert "--arms" in line
    assert main([*interim, "--out", str(tmp_path / "b"), "--arms", "lowdose,highdose"]) == 0
    looks = pd.read_csv(tmp_path / "b" / "looks.csv")
    assert len(looks) == 1


def test_arms_flag_reaches_run(dose_folder, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    seen = {}

    def fake_run_folder(folder, trial, out, *, source, progress, **options):  # noqa: ANN001, ANN202
        seen.update(arms=trial.arms, source=source)
        return []

    monkeypatch.setattr("alstrials.workflows.scripts.run_folder", fake_run_folder)
    argv = ["run", str(ROOT / "analyses"), "--out", str(tmp_path / "o"), "--data", str(dose_folder)]
    assert main([*argv, "--arms", "lowdose,highdose"]) == 0
    assert seen["arms"] == ("lowdose", "highdose")
    assert "arms=['lowdose', 'highdose']" in seen["source"]


@pytest.mark.parametrize("value", ["placebo", "placebo,", "a,a"])
def test_arms_flag_malformed(value, trial_folder, capsys) -> None:  # noqa: ANN001
    line = _error_line(_fails(["validate", str(trial_folder), "--arms", value], capsys))
    assert "argument --arms" in line


@pytest.fixture(scope="module")
def bad_folder(trial_folder, tmp_path_factory) -> Path:  # noqa: ANN001
    """The trial with one impossible item score (q1_speech = 9)."""
    import shutil

    folder = tmp_path_factory.mktemp("bad") / "t"
    shutil.copytree(trial_folder, folder)
    alsfrs = pd.read_csv(folder / "alsfrs.csv", dtype=str, keep_default_na=False)
    alsfrs.loc[2, "q1_speech"] = "9"
    alsfrs.to_csv(folder / "alsfrs.csv", index=False)
    return folder


def test_bad_rows_point_to_lenient_and_validate(bad_folder, tmp_path, capsys) -> None:  # noqa: ANN001
    design = _write(tmp_path / "design.toml", "[design]\nk = 2\n[endpoint]\ndelta = 0.2\n")
    interim = ["interim", "--data", str(bad_folder), "--design", design, "--cutoff", "12"]
    line = _error_line(_fails([*interim, "--out", str(tmp_path / "a")], capsys))
    assert "q1_speech" in line and "--lenient" in line
    assert f"alstrials validate {bad_folder} --exclusions log.csv" in line
    assert main([*interim, "--out", str(tmp_path / "b"), "--lenient"]) == 0


def test_lenient_needs_data_for_run(tmp_path, capsys) -> None:  # noqa: ANN001
    argv = ["run", str(ROOT / "analyses"), "--out", str(tmp_path / "o"), "--lenient"]
    assert "give --data too" in _error_line(_fails(argv, capsys))


# -- the safety net in main() ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "code", "expected"),
    [
        (KeyboardInterrupt(), 130, "alstrials demo: interrupted"),
        (
            PermissionError(13, "Permission denied", "/root/x.csv"),
            2,
            "Permission denied: '/root/x.csv'",
        ),
        (IsADirectoryError(21, "Is a directory", "tables"), 2, "Is a directory: 'tables'"),
        (
            FileNotFoundError(2, "No such file or directory", "a.csv"),
            2,
            "No such file or directory",
        ),
    ],
)
def test_main_turns_interrupts_and_path_errors_into_one_line(
    exc, code, expected, tmp_path, capsys, monkeypatch
) -> None:  # noqa: ANN001, E501
    def boom(args):  # noqa: ANN001, ANN202
        raise exc

    monkeypatch.setattr("alstrials.cli.trial._cmd_demo", boom)
    err = _fails(["demo", "--out", str(tmp_path / "d")], capsys, code=code)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_main_lets_real_bugs_show(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    def bug(args):  # noqa: ANN001, ANN202
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("alstrials.cli.trial._cmd_demo", bug)
    with pytest.raises(ZeroDivisionError, match="a bug"):
        main(["demo", "--out", str(tmp_path / "d")])


# -- the real process ------------------------------------------------------------------------


def _process(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alstrials.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_process_power_slope_bad_list(tmp_path) -> None:  # noqa: ANN001
    done = _process(
        ["power", "slope", "--t", "abc", "--sig2-slope", "1", "--sig2-resid", "1"], tmp_path
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert _error_line(done.stderr).endswith(
        "argument --t: expected numbers separated by commas (e.g. 0,3,6), got 'abc'"
    )


def test_process_scenario_typo_exits_non_zero_before_simulating(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path / "s.toml", QUICK_SCENARIO.replace("follow_up_months", "follow_up_month"))
    done = _process(
        ["power", "simulate", "--scenario", "s.toml", "--n-sims", "2", "--quiet"], tmp_path
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    assert "Did you mean 'follow_up_months'" in _error_line(done.stderr)
    assert not (tmp_path / "power-simulation").exists()


def test_process_design_with_more_looks_than_k(trial_folder, tmp_path) -> None:  # noqa: ANN001
    text = "[design]\nk = 2\n[endpoint]\ndelta = 0.15\nlooks = [3.0, 6.0, 9.0]\n"
    _write(tmp_path / "design.toml", text)
    argv = ["interim", "--data", str(trial_folder), "--design", "design.toml", "--cutoff", "12"]
    done = _process([*argv, "--out", "o"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "looks lists 3 earlier look(s) but k = 2" in _error_line(done.stderr)
    assert not (tmp_path / "o").exists()


def test_process_out_is_a_file(tmp_path) -> None:  # noqa: ANN001
    _write(tmp_path / "taken", "")
    done = _process(["simulate", "--n-per-arm", "5", "--seed", "1", "--out", "taken"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "argument --out: 'taken' is an existing file" in _error_line(done.stderr)
