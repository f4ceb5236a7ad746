"""The ordered list of analysis steps and the runner that writes their outputs and manifest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from alstrials.data.schema import TrialData
from alstrials.reporting.manifest import write_manifest
from alstrials.workflows import descriptive, design, joint, longitudinal, survival
from alstrials.workflows.step import Outputs, Step

__all__ = ["STEPS", "run_steps"]


STEPS: tuple[Step, ...] = (
    *descriptive.STEPS,
    *longitudinal.STEPS,
    *survival.STEPS,
    *joint.STEPS,
    *design.STEPS,
)
"""Every analysis step, in the order the demo runs them."""


def run_steps(
    trial: TrialData,
    out: str | Path,
    *,
    steps: Sequence[Step] = STEPS,
    inputs: dict[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Run ``steps`` on ``trial``, writing into ``out``; return the files written (manifest
    last)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    outputs = Outputs(folder)
    for step in steps:
        if progress is not None:
            progress(f"{step.name}: {step.description}")
        step.run(trial, outputs)
    manifest = write_manifest(
        folder,
        outputs.files,
        inputs={**(inputs or {}), "steps": [s.name for s in steps], "data": repr(trial)},
    )
    return [*outputs.files, manifest]
