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
    ran, skipped = [], []
    for step in steps:
        missing = step.missing(trial)
        if missing:
            reason = f"no rows in {', '.join(missing)}"
            skipped.append({"step": step.name, "reason": reason})
            if progress is not None:
                progress(f"{step.name}: SKIPPED ({reason})")
            continue
        if progress is not None:
            progress(f"{step.name}: {step.description}")
        step.run(trial, outputs)
        ran.append(step.name)
    manifest = write_manifest(
        folder,
        outputs.files,
        inputs={**(inputs or {}), "steps": ran, "skipped": skipped, "data": repr(trial)},
    )
    return [*outputs.files, manifest]
