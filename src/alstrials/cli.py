"""The ``alstrials`` command line: parse arguments, call the library, write files.

Subcommands (``alstrials SUBCOMMAND --help`` for each):

demo       the example trial through every analysis; tables, figures and a manifest in a folder
run        run the analysis scripts of a folder (e.g. ``analyses/``) on a trial
simulate   simulate a calibrated trial and write it as CSV or Parquet
validate   check a trial folder; exit code 0 when valid, 1 when not
power      analytic sample size and power, and simulation-based power
interim    a scripted interim analysis with a DMC report
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from alstrials.errors import AlstrialsError

__all__ = ["main", "build_parser"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from alstrials.data.example import load_example
    from alstrials.workflows import run_steps

    trial = load_example()
    print(f"alstrials demo: {trial!r}")
    files = run_steps(
        trial, args.out, inputs={"data": "load_example()"}, progress=lambda msg: print(f"  - {msg}")
    )
    print(f"wrote {len(files)} files to {Path(args.out).resolve()} (see manifest.json)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from alstrials.workflows.scripts import load_trial_for_run, run_folder

    trial, source = load_trial_for_run(args.data, args.seed, args.n_per_arm)
    files = run_folder(
        Path(args.analyses),
        trial,
        args.out,
        source=source,
        progress=lambda msg: print(f"  - {msg}"),
    )
    print(f"wrote {len(files)} files to {Path(args.out).resolve()} (see manifest.json)")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from alstrials.data.simulate import simulate_trial
    from alstrials.data.simulate.scenario import scenario_from_toml

    scenario = scenario_from_toml(args.scenario) if args.scenario else None
    trial = simulate_trial(n_per_arm=args.n_per_arm, seed=args.seed, scenario=scenario)
    trial.validate()
    folder = trial.write(args.out, format=args.format)
    print(f"{trial!r}\nwritten to {folder.resolve()} ({args.format})")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from alstrials.data.io import read_trial
    from alstrials.errors import DataValidationError

    try:
        trial = read_trial(args.path, validate=False)
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``alstrials`` command (also used to document it)."""
    from alstrials import __version__

    parser = argparse.ArgumentParser(
        prog="alstrials",
        description="Design, monitor and analyse ALS clinical trials (ALSFRS-R, MRI, survival).",
    )
    parser.add_argument("--version", action="version", version=f"alstrials {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the example trial through every analysis",
        description="Run the bundled example trial through every analysis "
        "and write tables, figures and a manifest to a folder.",
    )
    demo.add_argument(
        "--out", default="alstrials-demo", help="output folder (default: %(default)s)"
    )
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser(
        "run",
        help="run the analysis scripts of a folder",
        description="Run every analysis script in ANALYSES (files *.py "
        "defining STEPS, in name order) on a trial and write their tables, "
        "figures and a manifest.",
    )
    run.add_argument("analyses", metavar="ANALYSES", help="folder of analysis scripts")
    run.add_argument("--out", required=True, help="output folder")
    run.add_argument(
        "--data", default=None, help="trial folder to analyse (default: the bundled example trial)"
    )
    run.add_argument(
        "--seed",
        type=int,
        default=None,
        help="simulate a trial with this seed instead of using --data",
    )
    run.add_argument(
        "--n-per-arm",
        type=int,
        default=200,
        help="subjects per arm when simulating (default: %(default)s)",
    )
    run.set_defaults(func=_cmd_run)

    sim = sub.add_parser(
        "simulate",
        help="simulate a calibrated trial",
        description="Simulate a two-arm ALS trial with the calibrated "
        "defaults (docs/simulator.md) and write it to a folder.",
    )
    sim.add_argument("--n-per-arm", type=int, required=True, help="subjects per arm")
    sim.add_argument(
        "--seed", type=int, required=True, help="random seed (same seed, same trial, row for row)"
    )
    sim.add_argument("--out", required=True, help="output folder")
    sim.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format (default: %(default)s)",
    )
    sim.add_argument(
        "--scenario",
        default=None,
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
    val.add_argument(
        "--exclusions",
        default=None,
        help="write the exclusion log (rows breaking a rule) to this CSV file",
    )
    val.add_argument(
        "--show", type=int, default=20, help="exclusion-log rows to print (default: %(default)s)"
    )
    val.set_defaults(func=_cmd_validate)

    from alstrials.cli_interim import add_interim_parser
    from alstrials.cli_power import add_power_parser

    add_power_parser(sub)
    add_interim_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alstrials`` command; returns the exit code."""
    import matplotlib

    matplotlib.use("Agg")  # a command line never opens windows
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AlstrialsError as exc:
        print(f"alstrials {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
