"""Write the open and closed DMC reports (HTML, then PDF beside each with headless Chromium)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alstrials.reporting.report.dmc import closed_report, open_report
from alstrials.reporting.report.inputs import ReportInputs
from alstrials.reporting.report.pdf import PdfOutcome, print_pdfs

__all__ = ["WrittenReports", "write_reports", "OPEN_NAME", "CLOSED_NAME"]

OPEN_NAME = "interim_open_report"
CLOSED_NAME = "interim_closed_report"


@dataclass(frozen=True)
class WrittenReports:
    """The HTML reports written, every file (HTML and PDF), the PDF outcomes and the tables
    shown (the closed report's when there is one, else the open report's)."""

    reports: tuple[Path, ...]
    files: tuple[Path, ...]
    pdfs: tuple[PdfOutcome, ...]
    tables: dict[str, pd.DataFrame]


def write_reports(
    open_inputs: ReportInputs,
    closed_inputs: ReportInputs | None,
    folder: Path,
    *,
    pdf: bool = True,
) -> WrittenReports:
    """Write ``interim_open_report.html`` and, with ``closed_inputs``,
    ``interim_closed_report.html`` into ``folder``, and their PDFs when ``pdf``."""
    built = [(OPEN_NAME, *open_report(open_inputs))]
    if closed_inputs is not None:
        built.append((CLOSED_NAME, *closed_report(closed_inputs)))
    reports = tuple(html.write(folder / f"{name}.html") for name, html, _ in built)
    files = list(reports)
    outcomes: tuple[PdfOutcome, ...] = ()
    if pdf:
        outcomes = print_pdfs([(path, path.with_suffix(".pdf")) for path in reports])
        files.extend(o.pdf for o in outcomes if o.pdf is not None)
    return WrittenReports(reports, tuple(files), outcomes, built[-1][2])
