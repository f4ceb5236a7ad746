"""Start-up time of the command line: ``alstrials --help`` and ``import alstrials``.

Target: ``alstrials --help`` in under 0.5 s (wall clock, a fresh process, best of 5), so the
help is instant for a user trying the command. ``import alstrials`` must not import numpy,
pandas, scipy, matplotlib or dask (the public names are imported on first use).

Run: ``python benchmarks/bench_cli.py [--repeat 5]``. Prints, for each command, the best wall
time of ``--repeat`` fresh processes, the bare interpreter's start-up (``python -c pass``,
measured in the same run, the floor no command can beat), and the ratio against the 0.5 s
target. Timings on a loaded machine are noisy: the best of several runs is reported.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from bench_mmrm import best_of  # this folder: the shared timing helper

TARGET_SECONDS = 0.5


def _cli() -> list[str]:
    """The installed ``alstrials`` entry point beside this interpreter (not a pyenv shim, whose
    own start-up is not ours), else ``python -m alstrials.cli``."""
    beside = Path(sys.executable).with_name("alstrials")
    if beside.is_file():
        return [str(beside)]
    script = shutil.which("alstrials")
    return [script] if script else [sys.executable, "-m", "alstrials.cli"]


def _commands() -> dict[str, list[str]]:
    cli = _cli()
    return {
        "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
        'python -c "import alstrials"': [sys.executable, "-c", "import alstrials"],
        "alstrials --help": [*cli, "--help"],
        "alstrials power slope --help": [*cli, "power", "slope", "--help"],
    }


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _heavy_modules() -> list[str]:
    code = (
        "import sys, alstrials; "
        "print(','.join(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', 'dask') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per command")
    args = parser.parse_args()
    print(f"target: {TARGET_SECONDS:.2f} s; best of {args.repeat} fresh processes; {_cli()[0]}")
    status = 0
    for label, argv in _commands().items():
        _run(argv)  # warm the file-system cache
        seconds, _ = best_of(args.repeat, lambda argv=argv: _run(argv))
        verdict = "" if "floor" in label else ("  ok" if seconds < TARGET_SECONDS else "  SLOW")
        print(f"{label:<38} {seconds:6.3f} s  {seconds / TARGET_SECONDS:5.2f} x target{verdict}")
        if label == "alstrials --help" and seconds >= TARGET_SECONDS:
            status = 1
    heavy = _heavy_modules()
    print(f"modules loaded by `import alstrials`: {', '.join(heavy) if heavy else 'none heavy'}")
    return status or (1 if heavy else 0)


if __name__ == "__main__":
    raise SystemExit(main())
