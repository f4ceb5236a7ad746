"""The interim DMC reports as a reader gets them: rendered in headless Chromium (no horizontal
overflow at the printed page's width, every figure decodes), printed to PDF on the planned
paper, and worded from the inputs (no Python reprs, no bare nan/inf, the decision rule in
words, the hazard ratio on its own scale)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

import alstrials as at
from alstrials.errors import AlstrialsWarning
from alstrials.reporting.html import HtmlReport
from alstrials.reporting.report.pdf import chromium_command, find_chromium, print_pdfs
from alstrials.workflows.interim import InterimPlan, run_interim

WHEN = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
A4_POINTS = (595.28, 841.89)
LETTER_POINTS = (612.0, 792.0)
PRINT_WIDTH_PX = 688  # A4 text width: 210 mm - 2 x 14 mm margins, at 96 CSS px per inch

PROBE = """<script>
window.addEventListener('load', () => {
  const de = document.documentElement;
  const tables = [...document.querySelectorAll('table')];
  const wide = tables.filter(t => t.getBoundingClientRect().right > de.clientWidth + 0.5
                               || t.scrollWidth > t.parentElement.clientWidth + 1);
  const images = [...document.images];
  document.body.setAttribute('data-probe', JSON.stringify({
    scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, tables: tables.length,
    wide: wide.map(t => (t.caption ? t.caption.textContent : '') || t.className),
    images: images.length,
    decoded: images.filter(i => i.complete && i.naturalWidth > 0).length}));
});
</script></body>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    """Headless Chromium, installed from Debian's packages when missing (as root)."""
    found = find_chromium()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            subprocess.run(command, check=False, env=env, capture_output=True, timeout=600)
        found = find_chromium()
    if found is None:
        pytest.skip(
            "Chromium is not installed and could not be installed with apt-get (needs root and "
            "Debian's package 'chromium'): the reports were not rendered in a browser"
        )
    return found


@pytest.fixture(scope="module")
def slope_run(chromium, tmp_path_factory):  # noqa: ANN001, ANN201
    """The unblinded slope interim at month 9 with its PDFs (earlier look at month 6)."""
    plan = InterimPlan(
        k=3, endpoint="slope", effect=0.15, futility="ld-obrien-fleming", looks=(6.0,)
    )
    folder = tmp_path_factory.mktemp("slope")
    report = run_interim(at.load_example(), plan, 9.0, folder, generated=WHEN, trial_name="ALS-01")
    return report, folder


def _pdf_size(path: Path) -> tuple[float, float]:
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", path.read_bytes())
    assert box is not None, f"no MediaBox in {path}"
    return float(box.group(1)), float(box.group(2))


def _probe(chromium: str, pages: list[Path], width: int, tmp: Path) -> list[dict]:
    """Load each page with the probe at a window ``width`` px wide; the probe's results."""
    running = []
    for number, page in enumerate(pages):
        probe = tmp / f"probe-{width}-{page.name}"
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE, 1))
        command = chromium_command(
            chromium,
            tmp / f"profile-{width}-{number}",
            f"--window-size={width},1000",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        )
        running.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    results = []
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
        found = re.search(r"data-probe=\"([^\"]*)\"", out)
        assert found is not None, out[:500]
        results.append(json.loads(found.group(1).replace("&quot;", '"')))
    return results


def test_reports_fit_the_page_and_every_figure_decodes(chromium, slope_run, tmp_path) -> None:  # noqa: ANN001
    report, folder = slope_run
    pages = list(report.reports)
    assert [p.name for p in pages] == ["interim_open_report.html", "interim_closed_report.html"]
    for width in (PRINT_WIDTH_PX, 1200):
        for page, found in zip(pages, _probe(chromium, pages, width, tmp_path), strict=True):
            where = f"{page.name} at {width} px"
            assert found["scrollWidth"] <= found["clientWidth"], where
            assert found["wide"] == [], f"{where}: tables wider than the page {found['wide']}"
            assert found["tables"] >= 8, where
            figures = page.read_text().count("<img ")
            assert figures == (3 if "open" in page.name else 4), where  # + boundaries if closed
            assert found["images"] == figures and found["decoded"] == figures, where


def test_pdfs_are_written_beside_the_html_on_a4(slope_run) -> None:  # noqa: ANN001
    report, folder = slope_run
    assert [o.written for o in report.pdfs] == [True, True]
    for html in report.reports:
        pdf = html.with_suffix(".pdf")
        assert pdf in report.files
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert _pdf_size(pdf) == pytest.approx(A4_POINTS, abs=1.0)


def test_letter_paper(chromium, tmp_path) -> None:  # noqa: ANN001
    page = (
        HtmlReport("Letter", paper="letter")
        .section("One")
        .paragraph("text")
        .write(tmp_path / "letter.html")
    )
    (outcome,) = print_pdfs([(page, tmp_path / "letter.pdf")], browser=chromium)
    assert outcome.written and _pdf_size(tmp_path / "letter.pdf") == pytest.approx(
        LETTER_POINTS, abs=1.0
    )


def test_reports_are_worded_from_the_inputs(slope_run) -> None:  # noqa: ANN001
    report, folder = slope_run
    closed = (folder / "interim_closed_report.html").read_text()
    text = re.sub(r"<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", closed)
    for bad in ("GSDesign(", "InterimResult(", "None"):
        assert bad not in text, bad
    assert not re.search(r"\b(inf|nan|NaN)\b", text)
    res = report.result
    assert res is not None
    z, b = res.z[-1], res.design.upper[1]
    if res.decision[-1] == "continue":
        assert f"The observed z of {z:.2f} is below the efficacy boundary {b:.2f}" in text
        assert "at look 2 of 3: continue." in text
    assert "points/month" in text and "ALS-01" in text
    assert report.snapshot in closed and re.fullmatch(r"[0-9a-f]{64}", report.snapshot)
    assert "2026-01-15 09:30 UTC" in closed


def test_events_report_shows_the_hazard_ratio(tmp_path) -> None:  # noqa: ANN001
    plan = InterimPlan(k=2, endpoint="events", effect=0.6)
    trial = at.load_example()
    report = run_interim(trial, plan, 20.0, tmp_path, pdf=False)
    look = report.looks_table.iloc[-1]
    closed = (tmp_path / "interim_closed_report.html").read_text()
    hr = float(__import__("math").exp(look["estimate"]))
    assert f"HR {hr:.2f}, 95% CI" in closed
    assert f"{look['estimate']:.4f}" in closed  # the log HR only beside its HR, with its SE
    text = re.sub(r"<[^>]+>|base64,[A-Za-z0-9+/=]+", " ", closed)
    assert not re.search(r"\b(inf|nan|NaN)\b", text)


def test_missing_chromium_warns_and_keeps_the_html(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("ALSTRIALS_CHROMIUM", str(tmp_path / "no-such-browser"))
    page = HtmlReport("No browser").write(tmp_path / "page.html")
    with pytest.warns(AlstrialsWarning, match="headless Chromium was not found"):
        (outcome,) = print_pdfs([(page, tmp_path / "page.pdf")])
    assert not outcome.written and "apt-get install -y chromium" in outcome.message
    assert page.exists() and not (tmp_path / "page.pdf").exists()
    plan = InterimPlan(k=2, endpoint="events", effect=0.6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = run_interim(at.load_example(), plan, 20.0, tmp_path / "run")
    assert any(issubclass(w.category, AlstrialsWarning) for w in caught)
    assert [o.written for o in report.pdfs] == [False, False]
    assert all(p.exists() for p in report.reports)
    assert not list((tmp_path / "run").glob("*.pdf"))


def test_the_probe_sees_a_table_wider_than_the_page(chromium, tmp_path) -> None:  # noqa: ANN001
    import pandas as pd

    frame = pd.DataFrame({f"cumulative quantity {j}": [0.123456789] for j in range(14)})
    unsplit = frame.to_html().replace("<table", "<table class='unsplit'", 1)
    page = HtmlReport("Wide").section("Wide").raw(unsplit)
    split = HtmlReport("Split").section("Split").table(frame, "split")
    paths = [page.write(tmp_path / "wide.html"), split.write(tmp_path / "split.html")]
    wide, fitted = _probe(chromium, paths, PRINT_WIDTH_PX, tmp_path)
    assert wide["wide"] == ["unsplit"] or wide["scrollWidth"] > wide["clientWidth"]
    assert fitted["wide"] == [] and fitted["tables"] >= 2
