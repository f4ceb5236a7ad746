"""``alstrials interim``: a scripted interim analysis with a DMC report (see
:mod:`alstrials.workflows.interim` for the design file and what is computed)."""

from __future__ import annotations

import argparse

from alstrials.cli.common import add_trial_options, existing_file, out_folder, read_trial_folder

__all__ = ["add_interim_parser"]


def _cmd_interim(args: argparse.Namespace) -> int:
    from alstrials.workflows.interim import read_plan, run_interim

    plan = read_plan(args.design)  # checked before the (slower) trial is read
    trial = read_trial_folder(args.data, arms=args.arms, lenient=args.lenient)
    report = run_interim(trial, plan, args.cutoff, args.out, blinded=args.blinded)
    print(report.looks_table.to_string(index=False))
    if report.result is not None:
        print(f"decision at this look: {report.result.decision[-1]}")
    for path in report.files:
        print(f"written: {path}")
    return 0


def add_interim_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``interim`` to the top-level sub-parsers."""
    p = sub.add_parser(
        "interim",
        help="scripted interim analysis with a DMC report",
        description="Cut the trial at a calendar month, compute the information fraction, "
        "the test statistic, the boundaries, conditional power and the decision, and write "
        "CSV tables and a self-contained HTML report. --blinded pools the arms.",
    )
    p.add_argument("--data", required=True, help="trial folder (CSV or Parquet)")
    add_trial_options(p)
    p.add_argument(
        "--design",
        type=existing_file,
        required=True,
        metavar="design.toml",
        help="design file ([design] and [endpoint] tables; see docs/sequential.md)",
    )
    p.add_argument(
        "--cutoff",
        required=True,
        type=float,
        metavar="MONTH",
        help="data cut-off, calendar months since the first enrolment",
    )
    p.add_argument("--out", type=out_folder, required=True, help="output folder")
    p.add_argument(
        "--blinded", action="store_true", help="pool the arms: only what a blinded team may see"
    )
    p.set_defaults(func=_cmd_interim)
