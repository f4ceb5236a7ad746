"""The documentation: the tutorial runs, notebooks carry cell ids, pages cite no outside files."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_tutorial_notebook_runs() -> None:
    notebook = json.loads((DOCS / "tutorial.ipynb").read_text())
    namespace: dict = {}
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            exec(compile(source, f"tutorial cell {i}", "exec"), namespace)  # noqa: S102
    plt.close("all")
    assert "design" in namespace and namespace["design"].k == 3


def test_readme_example_runs() -> None:
    import re

    readme = (DOCS.parent / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    namespace: dict = {}
    exec(compile(block, "README.md example", "exec"), namespace)  # noqa: S102
    plt.close("all")
    assert namespace["lmm"].converged and namespace["cox"].converged


def test_notebooks_carry_cell_ids() -> None:
    """nbformat 4.5 cell ids on every cell, so nbformat does not warn."""
    notebooks = sorted(DOCS.glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        raw = json.loads(path.read_text())
        assert (raw["nbformat"], raw["nbformat_minor"]) >= (4, 5), path.name
        ids = [cell.get("id") for cell in raw["cells"]]
        assert all(ids), f"{path.name}: cells without an id"
        assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"


def test_docs_cite_only_files_in_the_repository() -> None:
    """No page cites CALIBRATION.md or other files kept outside the repository."""
    for page in DOCS.glob("*.md"):
        assert "CALIBRATION.md" not in page.read_text(), page.name
