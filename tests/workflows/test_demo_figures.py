"""Every figure `alstrials demo` writes is fit for a paper: a PDF beside each PNG, a title,
axes labelled in words (issue 12).

The demo runs once for the module (about 45 s on two idle cores, more under load). The
checks read the record that :func:`alstrials.reporting.save.save_figure` writes into each
PNG (title and axis labels of every Axes), so no pixels are inspected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alstrials.cli import main
from alstrials.reporting.save import read_figure_record
from alstrials.reporting.style import ARM_COLOURS

# Figures the demo has always drawn: guards against a run that silently writes none.
KNOWN = {
    "alsfrs_trajectories",
    "enrolment",
    "lmm_spaghetti",
    "lmm_observed_fitted",
    "lmm_caterpillar",
    "km_arm",
    "km_composite_sign",
    "cox_forest",
    "cif_by_arm",
    "joint2_dynamic_prediction",
    "group_sequential_boundaries",
}

# A label that is a bare column name ("alsfrs_total", "months") rather than words.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^months$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def figures(demo: Path) -> list[Path]:
    return sorted((demo / "figures").rglob("*.png"))  # the interim report has its own test


def test_demo_draws_the_known_figures(figures: list[Path]) -> None:
    assert KNOWN <= {p.stem for p in figures}


def test_every_png_has_a_pdf_twin_listed_in_the_manifest(demo: Path, figures: list[Path]):
    listed = {e["path"] for e in json.loads((demo / "manifest.json").read_text())["files"]}
    for png in figures:
        pdf = png.with_suffix(".pdf")
        assert pdf.exists(), f"{png.name} has no PDF twin"
        assert pdf.read_bytes()[:5] == b"%PDF-", f"{pdf.name} is not a PDF"
        for path in (png, pdf):
            assert path.relative_to(demo).as_posix() in listed, f"{path.name} not in manifest"
    assert sorted(p.with_suffix(".png") for p in (demo / "figures").rglob("*.pdf")) == figures


def test_every_figure_has_a_title_and_axes_labelled_in_words(figures: list[Path]) -> None:
    problems = []
    for png in figures:
        record = read_figure_record(png)
        if not record["title"].strip():
            problems.append(f"{png.name}: no title")
        if not record["axes"]:
            problems.append(f"{png.name}: no axes")
        for k, axes in enumerate(record["axes"]):
            where = f"{png.name}, axes {k} ({axes['title'] or 'untitled'})"
            if not axes["xlabel"].strip():
                problems.append(f"{where}: no x label")
            if not (axes["ylabel"].strip() or axes["y_categories"]):
                problems.append(f"{where}: no y label")
            for label in (axes["xlabel"], axes["ylabel"]):
                if IDENTIFIER.match(label.strip()):
                    problems.append(f"{where}: label {label!r} is a column name, not words")
    assert not problems, "\n".join(problems)


def test_placebo_and_active_keep_their_colours_in_every_legend(figures: list[Path]) -> None:
    seen = 0
    for png in figures:
        for axes in read_figure_record(png)["axes"]:
            for text, colour in axes["legend"]:
                arm = text.split()[0].rstrip(":").lower() if text else ""
                if arm in ARM_COLOURS:
                    seen += 1
                    assert colour == ARM_COLOURS[arm].lower(), f"{png.name}: {text!r} in {colour}"
    assert seen >= 10  # trajectories, enrolment, spaghetti, 2 Kaplan-Meier... x 2 arms
