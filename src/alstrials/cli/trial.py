"""``alstrials demo | run | simulate | validate``: the subcommands that make or read a trial."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from alstrials.cli.common import (
    add_trial_options,
    existing_file,
    new_file,
    out_folder,
    positive_int,
    with_cli_hint,
)

if TYPE_CHECKING:
    from alstrials.data.simulate.scenario import Scenario

__all__ = ["add_trial_parsers", "scenario_from_file", "SCENARIO_FILE_KEYS"]

SCENARIO_FILE_KEYS = ("scenario", "analysis", "alpha", "seed", "n_per_arm", "grid")
"""Top-level keys of a scenario file: ``[scenario]``, and those of ``power simulate`` (which
``alstrials simulate`` ignores, so one file serves both)."""


def scenario_from_file(path: str) -> Scenario:
    """The :class:`~alstrials.data.simulate.Scenario` of a file's ``[scenario]`` table, every key
    and value checked; errors name the file."""
    from alstrials._config import check_keys, check_value, read_toml
    from alstrials.data.simulate.scenario import scenario_from_dict
    from alstrials.errors import ConfigError, DesignError

    config = read_toml(path, what="scenario file")
    check_keys(config, SCENARIO_FILE_KEYS, where=f"{path}:")
    if "scenario" not in config:
        raise ConfigError(f"{path}: no [scenario] table (simulator parameters: docs/simulator.md)")
    check_value(config["scenario"], "table", where=f"{path}: scenario")
    try:
        return scenario_from_dict(config["scenario"])
    except DesignError as exc:
        raise ConfigError(f"{path}: [scenario] {exc}") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    from alstrials.data.example import load_example
    from alstrials.workflows import run_steps

    trial = load_example()
    print(f"alstrials demo: {trial!r}")
    files = run_steps(
        trial,
        args.out,
        inputs={"data": "load_example()"},
        progress=lambda msg: print(f"  - {msg}"),
        command=getattr(args, "command_line", None),
    )
    print(f"wrote {len(files)} files to {Path(args.out).resolve()} (see manifest.json)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from alstrials.errors import AlstrialsError, DataValidationError
    from alstrials.workflows.scripts import load_trial_for_run, run_folder

    if args.data is None and (args.arms is not None or args.lenient):
        raise AlstrialsError("--arms and --lenient apply to a trial folder: give --data too")
    try:
        trial, source = load_trial_for_run(
            args.data, args.seed, args.n_per_arm, arms=args.arms, lenient=args.lenient
        )
    except DataValidationError as exc:
        raise with_cli_hint(exc, str(args.data)) from None
    files = run_folder(
        Path(args.analyses),
        trial,
        args.out,
        source=source,
        progress=lambda msg: print(f"  - {msg}"),
        separate_literature=args.data is not None or args.seed is not None,
        data_folder=args.data,
        seed=args.seed,
        command=getattr(args, "command_line", None),
    )
    print(f"wrote {len(files)} files to {Path(args.out).resolve()} (see manifest.json)")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from alstrials.data.simulate import simulate_trial

    scenario = scenario_from_file(args.scenario) if args.scenario else None
    trial = simulate_trial(n_per_arm=args.n_per_arm, seed=args.seed, scenario=scenario)
    trial.validate()
    folder = trial.write(args.out, format=args.format)
    print(f"{trial!r}\nwritten to {folder.resolve()} ({args.format})")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from alstrials.data.io import read_trial
    from alstrials.errors import DataValidationError

    try:
        trial = read_trial(args.path, validate=False, arms=args.arms)
    except DataValidationError as exc:
        print(f"Validation: INVALID - the tables could not be read: {exc}")
        return 1
    report = trial.validate(lenient=True)
    print(report.to_text())
    if len(report.exclusions):
        shown = report.exclusions.head(args.show)
        print(shown.to_string(index=False))
        if args.exclusions:
            report.exclusions.to_csv(args.exclusions, index=False)
            print(f"exclusion log written to {args.exclusions}")
    return 0 if report.valid else 1


def add_trial_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``demo``, ``run``, ``simulate`` and ``validate`` to the top-level sub-parsers."""
    demo = sub.add_parser(
        "demo",
        help="run the example trial through every analysis",
        description="Run the bundled example trial through every analysis "
        "and write tables, figures and a manifest to a folder.",
    )
    demo.add_argument(
        "--out",
        type=out_folder,
        default="alstrials-demo",
        help="output folder (default: %(default)s)",
    )
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser(
        "run",
        help="run the analysis scripts of a folder",
        description="Run every analysis script in ANALYSES (files *.py "
        "defining STEPS, in name order; parameters in ANALYSES/configs/*.toml) on a trial "
        "and write their tables, figures and a manifest. On your own trial (--data or "
        "--seed), published figures that do not depend on the data (the literature 2x2 "
        "table) are written apart, to OUT/literature/.",
    )
    run.add_argument("analyses", metavar="ANALYSES", help="folder of analysis scripts")
    run.add_argument("--out", type=out_folder, required=True, help="output folder")
    run.add_argument(
        "--data", default=None, help="trial folder to analyse (default: the bundled example trial)"
    )
    add_trial_options(run)
    run.add_argument(
        "--seed",
        type=int,
        default=None,
        help="simulate a trial with this seed instead of using --data",
    )
    run.add_argument(
        "--n-per-arm",
        type=positive_int,
        default=200,
        help="participants per arm when simulating with --seed (default: %(default)s)",
    )
    run.set_defaults(func=_cmd_run)

    sim = sub.add_parser(
        "simulate",
        help="simulate a calibrated trial",
        description="Simulate a two-arm ALS trial with the calibrated "
        "defaults (docs/simulator.md) and write it to a folder.",
    )
    sim.add_argument(
        "--n-per-arm", type=positive_int, required=True, help="participants randomised per arm"
    )
    sim.add_argument(
        "--seed", type=int, required=True, help="random seed (same seed, same trial, row for row)"
    )
    sim.add_argument("--out", type=out_folder, required=True, help="output folder")
    sim.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format (default: %(default)s)",
    )
    sim.add_argument(
        "--scenario",
        type=existing_file,
        default=None,
        metavar="FILE.toml",
        help="TOML file whose [scenario] table overrides the simulator's "
        "defaults (parameters: docs/simulator.md)",
    )
    sim.set_defaults(func=_cmd_simulate)

    val = sub.add_parser(
        "validate",
        help="check a trial folder against the schema",
        description="Check a trial folder (CSV or Parquet tables) against "
        "the canonical schema. Prints a report; exit code 0 when valid, 1 "
        "when not.",
    )
    val.add_argument("path", metavar="PATH", help="trial folder")
    add_trial_options(val, lenient=False)
    val.add_argument(
        "--exclusions",
        type=new_file,
        default=None,
        metavar="FILE.csv",
        help="write the exclusion log (rows breaking a rule) to this CSV file",
    )
    val.add_argument(
        "--show", type=int, default=20, help="exclusion-log rows to print (default: %(default)s)"
    )
    val.set_defaults(func=_cmd_validate)
