"""The tutorial notebook runs from top to bottom."""

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
