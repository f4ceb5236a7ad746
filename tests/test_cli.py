"""The command line: --help everywhere, demo, run, simulate, validate and power."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alstrials.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _subcommands(parser) -> dict:  # noqa: ANN001
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return actions[0].choices if actions else {}


def _all_parsers(parser, prefix=()):  # noqa: ANN001, ANN202
    yield prefix, parser
    for name, sub in _subcommands(parser).items():
        yield from _all_parsers(sub, (*prefix, name))


@pytest.mark.parametrize(
    "path", [p for p, _ in _all_parsers(build_parser())], ids=lambda p: " ".join(p) or "alstrials"
)
def test_every_subcommand_has_help(path, capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit, match="0"):
        main([*path, "--help"])
    assert "usage: alstrials" in capsys.readouterr().out


def test_top_level_help_lists_subcommands(capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit, match="0"):
        main(["--help"])
    text = capsys.readouterr().out
    for name in ("demo", "run", "simulate", "validate", "power", "interim"):
        assert name in text


def test_simulate_then_validate(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "trial"
    assert (
        main(
            [
                "simulate",
                "--n-per-arm",
                "20",
                "--seed",
                "3",
                "--out",
                str(out),
                "--format",
                "parquet",
            ]
        )
        == 0
    )
    assert (out / "alsfrs.parquet").exists()
    assert main(["validate", str(out)]) == 0
    assert "VALID" in capsys.readouterr().out


def test_validate_invalid_exit_code_and_log(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "trial"
    main(["simulate", "--n-per-arm", "10", "--seed", "1", "--out", str(out)])
    alsfrs = pd.read_csv(out / "alsfrs.csv", dtype=str, keep_default_na=False)
    alsfrs.loc[2, "q1_speech"] = "9"
    alsfrs.to_csv(out / "alsfrs.csv", index=False)
    log = tmp_path / "excluded.csv"
    assert main(["validate", str(out), "--exclusions", str(log)]) == 1
    text = capsys.readouterr().out
    assert "INVALID" in text and "q1_speech" in text
    excluded = pd.read_csv(log)
    assert excluded["row"].tolist() == [2]


def test_validate_unreadable_folder_is_invalid(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["validate", str(tmp_path / "nothing")]) == 1
    assert "could not be read" in capsys.readouterr().out


def test_demo_writes_tables_figures_and_manifest(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    files = {entry["path"] for entry in manifest["files"]}
    for expected in (
        "tables/cohort_summary.csv",
        "figures/alsfrs_trajectories.png",
        "tables/lmm_contrasts.csv",
        "tables/mmrm_effects.csv",
        "tables/cox_baseline.csv",
        "figures/km_arm.png",
        "tables/joint_survival.csv",
    ):
        assert expected in files
    for entry in manifest["files"]:
        assert (out / entry["path"]).stat().st_size == entry["bytes"]


def test_run_analyses_folder_matches_demo_tables(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "run"
    assert main(["run", str(ROOT / "analyses"), "--out", str(out)]) == 0
    assert (out / "tables" / "cohort_summary.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["scripts"][0].startswith("01_")


def test_power_slope_prints_answer_and_inputs(capsys) -> None:  # noqa: ANN001
    assert (
        main(
            [
                "power",
                "slope",
                "--delta",
                "0.25",
                "--t",
                "0,3,6,9,12",
                "--sig2-slope",
                "0.36",
                "--sig2-resid",
                "2.25",
                "--power",
                "0.8",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "n per arm: 97 (exact 96.70)" in text and "--sig2-slope" in text


def test_power_simulate_writes_table_and_curve(tmp_path) -> None:  # noqa: ANN001
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        'analysis = "lmm_slope"\nseed = 4\n\n[scenario]\nfollow_up_months = 6\n'
        "visit_months = [0, 2, 4, 6]\n\n[grid]\nn_per_arm = [15, 30]\n"
    )
    out = tmp_path / "power"
    assert (
        main(
            [
                "power",
                "simulate",
                "--scenario",
                str(scenario),
                "--n-sims",
                "3",
                "--workers",
                "1",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    table = pd.read_csv(out / "power.csv")
    assert table["n_per_arm"].tolist() == [15, 30]
    assert (out / "power_curve.png").exists()


def test_library_errors_become_messages_not_tracebacks(tmp_path, capsys) -> None:  # noqa: ANN001
    scenario = tmp_path / "bad.toml"
    scenario.write_text("nonsense = 1\n")
    assert (
        main(
            [
                "power",
                "simulate",
                "--scenario",
                str(scenario),
                "--n-sims",
                "2",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "unknown key" in capsys.readouterr().err


def test_run_on_a_trial_without_mri_skips_mri_steps_and_says_so(tmp_path, capsys) -> None:  # noqa: ANN001
    from alstrials.data.example import load_example
    from alstrials.data.schema import empty_table

    folder = load_example().replace(mri=empty_table("mri")).write(tmp_path / "no_mri")
    out = tmp_path / "run"
    assert main(["run", str(ROOT / "analyses"), "--out", str(out), "--data", str(folder)]) == 0
    assert "cox: SKIPPED (no rows in mri)" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    skipped = {entry["step"] for entry in manifest["inputs"]["skipped"]}
    assert skipped == {
        "biomarker_tracking",
        "lmm_time_varying_mri",
        "kaplan_meier_sign",
        "cox",
        "accuracy_prognostic",
        "joint_competing",
    }
    assert "lmm_slope" in manifest["inputs"]["steps"]
    assert (out / "tables" / "km_arm.csv").exists()


@pytest.mark.parametrize(
    ("command", "lenient"), [("validate", False), ("run", True), ("interim", True)]
)
def test_trial_reading_subcommands_take_arms(command: str, lenient: bool, capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit, match="0"):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "--arms REFERENCE,ACTIVE" in text
    assert ("--lenient" in text) is lenient


def test_cli_is_a_package_with_the_argument_code() -> None:
    import importlib

    import alstrials.cli as cli

    assert cli.main is main and cli.build_parser is build_parser
    for name in ("power", "power_args", "interim", "trial", "common"):
        importlib.import_module(f"alstrials.cli.{name}")
    with pytest.raises(ModuleNotFoundError, match="cli_args"):
        importlib.import_module("alstrials.design.power.cli_args")
