"""The ordered list of analysis steps and the runner that writes their outputs and manifest.

Steps named in :data:`LITERATURE_STEPS` report published figures, not the trial (the 2x2 table
behind the composite MRI sign's reported accuracy). On a user's trial
(``separate_literature=True``, as ``alstrials run --data`` and ``--seed`` do) their files go to a
separate ``literature/`` folder with a README saying so, and the manifest lists them under
``literature``, so they are never mistaken for results of the user's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from alstrials.data.schema import TrialData
from alstrials.reporting.manifest import write_manifest
from alstrials.workflows import descriptive, design, joint, longitudinal, survival
from alstrials.workflows.step import Outputs, Step

__all__ = ["STEPS", "LITERATURE_STEPS", "LITERATURE_FOLDER", "run_steps"]


STEPS: tuple[Step, ...] = (
    *descriptive.STEPS,
    *longitudinal.STEPS,
    *survival.STEPS,
    *joint.STEPS,
    *design.STEPS,
)
"""Every analysis step, in the order the demo runs them."""

LITERATURE_STEPS: frozenset[str] = frozenset({"accuracy", "accuracy_literature"})
"""Names of the steps whose outputs come from the literature, not from the trial analysed."""

LITERATURE_FOLDER = "literature"
"""Subfolder of a run's output holding the literature steps' files on a user's trial."""

_LITERATURE_README = """\
Published figures, NOT results of the trial analysed in this run.

The tables in this folder reproduce numbers from the literature (e.g. the 2x2 table behind the
reported diagnostic accuracy of the composite FLAIR/SWI MRI sign). They do not depend on the
data given to `alstrials run`; they are kept here, apart from tables/ and figures/, for
comparison. The parameters are in analyses/configs/ (see manifest.json, "literature").
"""


def run_steps(
    trial: TrialData,
    out: str | Path,
    *,
    steps: Sequence[Step] = STEPS,
    inputs: dict[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
    separate_literature: bool = False,
    data_folder: str | Path | None = None,
    configs: Iterable[str | Path] = (),
    seed: int | None = None,
    command: Sequence[str] | None = None,
) -> list[Path]:
    """Run ``steps`` on ``trial``, writing into ``out``; return the files written (manifest
    last).

    Parameters
    ----------
    trial : TrialData
    out : str or Path
        Output folder (created if needed).
    steps : sequence of Step
        Run in order; a step whose ``needs`` tables are empty is skipped and the reason kept.
    inputs : dict, optional
        Recorded under ``inputs`` in the manifest (data source, scripts...).
    progress : callable, optional
        Called with one line per step.
    separate_literature : bool, default False
        Write the files of :data:`LITERATURE_STEPS` to ``out/literature/`` (with a README)
        instead of beside the trial's results: for a user's trial.
    data_folder, configs, seed, command
        For the reproducibility record: the trial folder read, the configuration files read,
        the seed and the command line (see :func:`~alstrials.reporting.manifest.write_manifest`).
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    outputs = Outputs(folder)
    literature = Outputs(folder / LITERATURE_FOLDER)
    ran, skipped = [], []
    for step in steps:
        missing = step.missing(trial)
        if missing:
            reason = f"no rows in {', '.join(missing)}"
            skipped.append({"step": step.name, "reason": reason})
            if progress is not None:
                progress(f"{step.name}: SKIPPED ({reason})")
            continue
        apart = separate_literature and step.name in LITERATURE_STEPS
        if progress is not None:
            where = f" (published figures, written to {LITERATURE_FOLDER}/)" if apart else ""
            progress(f"{step.name}: {step.description}{where}")
        step.run(trial, literature if apart else outputs)
        ran.append(step.name)
    extra: dict[str, object] = {}
    if literature.files:
        literature.text("README.txt", _LITERATURE_README)
        extra["literature"] = {
            "folder": LITERATURE_FOLDER,
            "note": "published figures, not results of the trial analysed",
            "steps": sorted({s.name for s in steps if s.name in LITERATURE_STEPS} & set(ran)),
        }
    files = [*outputs.files, *literature.files]
    manifest = write_manifest(
        folder,
        files,
        inputs={
            "data": repr(trial),
            **(inputs or {}),
            "trial": repr(trial),
            "steps": ran,
            "skipped": skipped,
        },
        trial=trial,
        data_folder=data_folder,
        configs=configs,
        seed=seed,
        command=command,
        extra=extra,
    )
    return [*files, manifest]
