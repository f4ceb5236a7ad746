"""What an analysis step is, and the collector of the files it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alstrials.data.schema import TrialData
from alstrials.reporting.save import save_figure

__all__ = ["Step", "Outputs"]


class Outputs:
    """Collects the files a step writes under one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[Path] = []

    def table(self, name: str, frame: pd.DataFrame, *, index: bool = True) -> Path:
        path = self.folder / "tables" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=index, lineterminator="\n", float_format="%.10g")
        self.files.append(path)
        return path

    def figure(self, name: str, ax_or_fig) -> Path:  # noqa: ANN001
        """Save a figure (Figure, Axes or array of Axes) as PNG and PDF; return the PNG."""
        paths = save_figure(ax_or_fig, self.folder / "figures" / name, close=True)
        self.files.extend(paths)
        return paths[0]

    def text(self, name: str, content: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        self.files.append(path)
        return path


@dataclass(frozen=True)
class Step:
    """One analysis: a name, a one-line description, the function that runs it, and the
    tables it cannot do without (``needs``: e.g. ``("mri",)``; the runner skips the step, and
    says so, when one of them is empty)."""

    name: str
    description: str
    run: Callable[[TrialData, Outputs], None]
    needs: tuple[str, ...] = ()

    def missing(self, trial: TrialData) -> list[str]:
        """The needed tables that are empty in ``trial``."""
        return [table for table in self.needs if len(trial.table(table)) == 0]
