"""Running a folder of analysis scripts (``alstrials run analyses/ --out DIR``).

An analysis script is a Python file that defines ``STEPS``, a sequence of
:class:`~alstrials.workflows.step.Step`; it may also be run on its own
(``python analyses/01_descriptive.py --out DIR``) through :func:`script_main`. Scripts run in
file-name order; their outputs share one folder and one manifest.

Each script reads its parameters from ``configs/<script name>.toml`` beside it
(:func:`load_config`; e.g. ``analyses/configs/05_design.toml`` for ``analyses/05_design.py``):
every key and value is checked when the script is loaded, so a typo stops the run before any
step with one line naming the file, the table and the key. A config may list the ``steps`` to
run (default: all of the script's steps). The manifest records each config file with its
SHA-256.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from alstrials.data.schema import TrialData
from alstrials.errors import AlstrialsError, ConfigError
from alstrials.workflows.registry import run_steps
from alstrials.workflows.step import Step

__all__ = [
    "load_steps",
    "run_folder",
    "load_trial_for_run",
    "script_main",
    "config_path",
    "config_files",
    "load_config",
    "select_steps",
    "CONFIG_FOLDER",
]

CONFIG_FOLDER = "configs"
"""Folder, beside the scripts, of their TOML configuration files."""


def config_path(script: str | Path) -> Path:
    """``analyses/configs/05_design.toml`` for ``analyses/05_design.py``."""
    path = Path(script)
    return path.parent / CONFIG_FOLDER / f"{path.stem}.toml"


def config_files(script: str | Path) -> list[Path]:
    """The configuration files of a script, recorded in the manifest: ``configs/<stem>.toml``
    and any ``configs/<stem>_*.toml`` it names (e.g. ``05_design_interim.toml``)."""
    path = Path(script)
    folder = path.parent / CONFIG_FOLDER
    if not folder.is_dir():
        return []
    own = folder / f"{path.stem}.toml"
    named = sorted(folder.glob(f"{path.stem}_*.toml"))
    return ([own] if own.is_file() else []) + named


def load_config(
    script: str | Path, tables: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, Any]]:
    """The checked configuration of an analysis script (see the module docstring).

    Parameters
    ----------
    script : path
        The script (its ``__file__``); the file read is :func:`config_path` of it.
    tables : mapping
        ``{table: {key: kind}}``: the tables the file may hold and the kind of each key (kinds
        of :data:`alstrials._config.KINDS`, plus ``"strings"`` for a list of strings). Every key
        must be given: the file holds the whole configuration, not overrides of hidden
        defaults. A top-level ``steps`` list (names of the script's steps) is always allowed.

    Returns
    -------
    dict
        ``{table: {key: value}}``, plus ``"steps"`` when the file lists them.

    Raises
    ------
    ConfigError
        The file is missing or not TOML, a table or key is unknown or missing, or a value has
        the wrong type. The message names the file, the table and the key.
    """
    from alstrials._config import check_keys, check_value, read_toml

    file = config_path(script)
    config = read_toml(file, what="analysis configuration file")
    check_keys(config, ["steps", *tables], where=f"{file}:")
    if "steps" in config:
        _check_strings(config["steps"], where=f"{file}: steps")
    for table, kinds in tables.items():
        if table not in config:
            raise ConfigError(f"{file}: no [{table}] table (keys: {', '.join(kinds)})")
        values = config[table]
        check_value(values, "table", where=f"{file}: {table}")
        check_keys(values, kinds, where=f"{file}: [{table}]")
        for key, kind in kinds.items():
            if key not in values:
                raise ConfigError(f"{file}: [{table}] missing key {key!r} ({kind})")
            if kind == "strings":
                _check_strings(values[key], where=f"{file}: [{table}] {key}")
            else:
                check_value(values[key], kind, where=f"{file}: [{table}] {key}")
    return config


def _check_strings(value: object, *, where: str) -> None:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")


def select_steps(
    steps: Sequence[Step], config: Mapping[str, Any], *, script: str | Path
) -> tuple[Step, ...]:
    """The ``steps`` a config lists (in the script's order), or all of them."""
    from alstrials._config import did_you_mean

    wanted = config.get("steps")
    if wanted is None:
        return tuple(steps)
    names = [s.name for s in steps]
    for name in wanted:
        if name not in names:
            raise ConfigError(
                f"{config_path(script)}: steps: unknown step {name!r}."
                f"{did_you_mean(name, names)} Steps of this script: {', '.join(names)}"
            )
    return tuple(s for s in steps if s.name in wanted)


def load_steps(script: Path) -> tuple[Step, ...]:
    """The ``STEPS`` a script defines."""
    spec = importlib.util.spec_from_file_location(f"alstrials_analysis_{script.stem}", script)
    if spec is None or spec.loader is None:
        raise AlstrialsError(f"cannot import analysis script {str(script)!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    steps = getattr(module, "STEPS", None)
    if steps is None:
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
    separate_literature: bool = False,
    data_folder: str | Path | None = None,
    seed: int | None = None,
    command: Sequence[str] | None = None,
) -> list[Path]:
    """Run every script of ``folder`` (``*.py`` not starting with "_", name order).

    ``separate_literature`` (for a user's trial) writes the literature steps' files to
    ``out/literature/``; ``data_folder``, ``seed`` and ``command`` go to the manifest with the
    configuration files of the scripts (see :func:`~alstrials.workflows.registry.run_steps`).
    """
    scripts = sorted(p for p in Path(folder).glob("*.py") if not p.name.startswith("_"))
    if not scripts:
        raise AlstrialsError(f"no analysis scripts (*.py) in {str(folder)!r}")
    steps = [step for script in scripts for step in load_steps(script)]
    configs = [file for s in scripts for file in config_files(s)]
    return run_steps(
        trial,
        out,
        steps=steps,
        progress=progress,
        inputs={"data": source, "scripts": [p.name for p in scripts]},
        separate_literature=separate_literature,
        data_folder=data_folder,
        configs=configs,
        seed=seed,
        command=command,
    )


def script_main(
    steps: Sequence[Step], argv: Sequence[str] | None = None, *, script: str | Path | None = None
) -> int:
    """Command line of a single analysis script: ``--out DIR [--data DIR | --seed S]``.

    ``script`` (the script's ``__file__``; default ``sys.argv[0]``) locates its config file for
    the manifest."""
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(description="Run this analysis script's steps.")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--data", default=None, help="trial folder (default: the bundled example trial)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="simulate a trial with this seed instead"
    )
    parser.add_argument(
        "--n-per-arm", type=int, default=200, help="participants per arm when simulating"
    )
    parser.add_argument(
        "--arms", default=None, help="arm labels, reference first (e.g. placebo,drug)"
    )
    parser.add_argument("--lenient", action="store_true", help="set bad rows aside")
    args = parser.parse_args(argv)
    arms = [a.strip() for a in args.arms.split(",")] if args.arms else None
    trial, source = load_trial_for_run(
        args.data, args.seed, args.n_per_arm, arms=arms, lenient=args.lenient
    )
    script = Path(sys.argv[0] if script is None else script)
    configs = config_files(script)
    files = run_steps(
        trial,
        args.out,
        steps=steps,
        inputs={"data": source},
        separate_literature=args.data is not None or args.seed is not None,
        data_folder=args.data,
        configs=configs,
        seed=args.seed,
        command=[sys.argv[0], *(sys.argv[1:] if argv is None else argv)],
    )
    print(f"wrote {len(files)} files to {args.out}")
    return 0
