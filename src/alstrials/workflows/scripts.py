"""Running a folder of analysis scripts (``alstrials run analyses/ --out DIR``).

An analysis script is a Python file that defines ``STEPS``, a sequence of
:class:`~alstrials.workflows.step.Step`; it may also be run on its own
(``python analyses/01_descriptive.py --out DIR``) through :func:`script_main`. Scripts run in
file-name order; their outputs share one folder and one manifest.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

from alstrials.data.schema import TrialData
from alstrials.errors import AlstrialsError
from alstrials.workflows.registry import run_steps
from alstrials.workflows.step import Step

__all__ = ["load_steps", "run_folder", "load_trial_for_run", "script_main"]


def load_steps(script: Path) -> tuple[Step, ...]:
    """The ``STEPS`` a script defines."""
    spec = importlib.util.spec_from_file_location(f"alstrials_analysis_{script.stem}", script)
    if spec is None or spec.loader is None:
        raise AlstrialsError(f"cannot import analysis script {str(script)!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    steps = getattr(module, "STEPS", None)
    if not steps:
        raise AlstrialsError(
            f"analysis script {str(script)!r} defines no STEPS; each script "
            "must define STEPS = (Step(...), ...)"
        )
    return tuple(steps)


def load_trial_for_run(
    data: str | None,
    seed: int | None,
    n_per_arm: int = 200,
    *,
    arms: Sequence[str] | None = None,
    lenient: bool = False,
) -> tuple[TrialData, str]:
    """The trial a run analyses: a folder, a fresh simulation, or the bundled example.

    ``arms`` (declared arms, reference first) and ``lenient`` (set rows breaking the schema
    aside) are passed to :func:`alstrials.read_trial` for a folder.
    """
    if data is not None and seed is not None:
        raise AlstrialsError("give either --data or --seed, not both")
    if data is not None:
        from alstrials.data.io import read_trial

        options = (f", arms={list(arms)!r}" if arms else "") + (", lenient=True" if lenient else "")
        trial = read_trial(data, arms=arms, lenient=lenient)
        return trial, f"read_trial({data!r}{options})"
    if seed is not None:
        from alstrials.data.simulate import simulate_trial

        return (
            simulate_trial(n_per_arm=n_per_arm, seed=seed),
            f"simulate_trial(n_per_arm={n_per_arm}, seed={seed})",
        )
    from alstrials.data.example import load_example

    return load_example(), "load_example()"


def run_folder(
    folder: Path,
    trial: TrialData,
    out: str | Path,
    *,
    source: str,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Run every script of ``folder`` (``*.py`` not starting with "_", name order)."""
    scripts = sorted(p for p in Path(folder).glob("*.py") if not p.name.startswith("_"))
    if not scripts:
        raise AlstrialsError(f"no analysis scripts (*.py) in {str(folder)!r}")
    steps = [step for script in scripts for step in load_steps(script)]
    return run_steps(
        trial,
        out,
        steps=steps,
        progress=progress,
        inputs={"data": source, "scripts": [p.name for p in scripts]},
    )


def script_main(steps: Sequence[Step], argv: Sequence[str] | None = None) -> int:
    """Command line of a single analysis script: ``--out DIR [--data DIR | --seed S]``."""
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(description="Run this analysis script's steps.")
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--n-per-arm", type=int, default=200)
    parser.add_argument(
        "--arms", default=None, help="arm labels, reference first (e.g. placebo,drug)"
    )
    parser.add_argument("--lenient", action="store_true", help="set bad rows aside")
    args = parser.parse_args(argv)
    arms = [a.strip() for a in args.arms.split(",")] if args.arms else None
    trial, source = load_trial_for_run(
        args.data, args.seed, args.n_per_arm, arms=arms, lenient=args.lenient
    )
    files = run_steps(trial, args.out, steps=steps, inputs={"data": source})
    print(f"wrote {len(files)} files to {args.out}")
    return 0
