"""Print HTML reports to PDF with headless Chromium.

Chromium is looked up as ``$ALSTRIALS_CHROMIUM``, ``/usr/bin/chromium``, then ``chromium``,
``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on the ``PATH``
(Debian: ``apt-get install -y chromium``). The page size and margins come from the report's
``@page`` rule, so the PDF has the paper size the report was built for; Chromium's own header
and footer (date, file path) are switched off.

When no browser is found, or printing fails, nothing raises: :func:`print_pdfs` warns with an
:class:`~alstrials.errors.AlstrialsWarning` and its :class:`PdfOutcome` says why, so the caller
keeps the HTML and records that the PDF is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alstrials.errors import AlstrialsWarning

__all__ = ["PdfOutcome", "find_chromium", "chromium_command", "print_pdfs"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install -y chromium) or set ALSTRIALS_CHROMIUM"


@dataclass(frozen=True)
class PdfOutcome:
    """What printing one report gave: the PDF (None when none was written) and why."""

    html: Path
    pdf: Path | None
    browser: str | None
    message: str

    @property
    def written(self) -> bool:
        return self.pdf is not None


def find_chromium() -> str | None:
    """The Chromium executable to use, or None when none is installed."""
    configured = os.environ.get("ALSTRIALS_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else shutil.which(configured)
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(browser: str, profile: Path, *extra: str) -> list[str]:
    """A headless Chromium command line that touches no network and no user profile."""
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-quic",
        f"--user-data-dir={profile}",
        *extra,
    ]


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


def print_pdfs(
    pages: Sequence[tuple[Path, Path]], *, browser: str | None = None, timeout: float = 180.0
) -> tuple[PdfOutcome, ...]:
    """Print each ``(html, pdf)`` pair with headless Chromium, the pages in parallel.

    Parameters
    ----------
    pages : sequence of (Path, Path)
        The HTML file to print and the PDF to write beside it.
    browser : str, optional
        The Chromium executable (default: :func:`find_chromium`).
    timeout : float
        Seconds to wait for each page.

    Returns
    -------
    tuple of PdfOutcome
        One per page, in order. A page that could not be printed has ``pdf=None``, a message
        saying why, and an :class:`~alstrials.errors.AlstrialsWarning` was issued.
    """
    browser = browser or find_chromium()
    if browser is None:
        message = f"PDF not written: headless Chromium was not found; {INSTALL_HINT}"
        warnings.warn(f"{message}. The HTML report was written.", AlstrialsWarning, stacklevel=2)
        return tuple(PdfOutcome(Path(h), None, None, message) for h, _ in pages)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="alstrials-chromium-") as tmp:
        running = []
        for number, (html_path, pdf_path) in enumerate(pages):
            target = Path(pdf_path)
            target.unlink(missing_ok=True)
            command = chromium_command(
                browser,
                Path(tmp) / f"profile-{number}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                Path(html_path).resolve().as_uri(),
            )
            process = subprocess.Popen(  # noqa: S603 - a fixed browser command line
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            running.append((Path(html_path), target, process))
        for html_path, target, process in running:
            try:
                _, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                stderr = f"timed out after {timeout:g} s"
            if _is_pdf(target):
                outcomes.append(PdfOutcome(html_path, target, browser, f"PDF written: {target}"))
                continue
            detail = " ".join((stderr or "").split())[-300:]
            message = f"PDF not written: {browser} could not print {html_path.name} ({detail})"
            warnings.warn(
                f"{message}. The HTML report was written.", AlstrialsWarning, stacklevel=2
            )
            outcomes.append(PdfOutcome(html_path, None, browser, message))
    return tuple(outcomes)
