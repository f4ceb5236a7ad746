"""``alstrials interim``: a scripted interim analysis with a DMC report (see
:mod:`alstrials.workflows.interim` for the design file and what is computed)."""

from __future__ import annotations

import argparse
import sys

from alstrials.cli.common import add_trial_options, existing_file, out_folder, read_trial_folder

__all__ = ["add_interim_parser"]


def _cmd_interim(args: argparse.Namespace) -> int:
    from alstrials.workflows.interim import read_plan, run_interim

    plan = read_plan(args.design)  # checked before the (slower) trial is read
    trial = read_trial_folder(args.data, arms=args.arms, lenient=args.lenient)
    report = run_interim(
        trial,
        plan,
        args.cutoff,
        args.out,
        blinded=args.blinded,
        trial_name=args.trial_name,
        report_version=args.report_version,
        paper=args.paper,
        pdf=not args.no_pdf,
    )
    print(report.looks_table.to_string(index=False))
    if report.result is not None:
        print(f"decision at this look: {report.result.decision[-1]}")
    print(f"data snapshot (SHA-256 of the input tables): {report.snapshot}")
    for path in report.files:
        print(f"written: {path}")
    for outcome in report.pdfs:
        if not outcome.written:
            print(f"warning: {outcome.message}", file=sys.stderr)
    return 0


def add_interim_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``interim`` to the top-level sub-parsers."""
    p = sub.add_parser(
        "interim",
        help="scripted interim analysis with a DMC report",
        description="Cut the trial at a calendar month, compute the information fraction, "
        "the test statistic, the boundaries, conditional power and the decision, and write "
        "CSV tables and the DMC reports: an open report (pooled data) and a closed report "
        "(by arm, with efficacy), each as self-contained HTML and as PDF (printed with "
        "headless Chromium when installed). --blinded writes only the open report.",
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
        "--blinded",
        action="store_true",
        help="pool the arms and write only the open report: what a blinded team may see",
    )
    p.add_argument(
        "--trial-name",
        metavar="NAME",
        default=None,
        help="trial name on the report cover (default: [report] trial in the design file, "
        "else the trial's metadata)",
    )
    p.add_argument(
        "--report-version",
        metavar="VERSION",
        default=None,
        help='report version on the cover (default: [report] version, else "1")',
    )
    p.add_argument(
        "--paper",
        choices=("a4", "letter"),
        default="a4",
        help="paper size of the print layout and the PDFs (default a4)",
    )
    p.add_argument(
        "--no-pdf",
        action="store_true",
        help="write the HTML reports only (by default each is also printed to PDF with "
        "headless Chromium; without Chromium a warning is printed and the HTML kept)",
    )
    p.set_defaults(func=_cmd_interim)
