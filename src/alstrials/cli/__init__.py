"""The ``alstrials`` command line: parse arguments, call the library, write files.

Subcommands (``alstrials SUBCOMMAND --help`` for each):

demo       the example trial through every analysis; tables, figures and a manifest in a folder
run        run the analysis scripts of a folder (e.g. ``analyses/``) on a trial
simulate   simulate a calibrated trial and write it as CSV or Parquet
validate   check a trial folder; exit code 0 when valid, 1 when not
power      analytic sample size and power, and simulation-based power
interim    a scripted interim analysis with a DMC report

Modules: :mod:`.trial` (demo, run, simulate, validate), :mod:`.power` and :mod:`.power_args`
(power), :mod:`.interim`, :mod:`.common` (argparse types shared by all). Each command imports
the library inside its function, so ``alstrials --help`` stays fast.

Errors and exit codes
---------------------
A user error ends in one line on stderr and a non-zero exit code, never a traceback:

* a bad argument (a malformed number list, ``--out`` naming a file, a missing configuration
  file...): argparse's usage line and ``error: argument --flag: ...``, exit code 2;
* any :class:`~alstrials.errors.AlstrialsError` (bad data, a bad configuration file, impossible
  design inputs, a simulation with no usable replicate): ``alstrials CMD: error: ...``, exit 2;
* an operating-system error on a path (no such file, permission denied, a folder where a file
  was expected): ``alstrials CMD: error: ...: 'path'``, exit 2;
* Ctrl-C: ``alstrials CMD: interrupted``, exit 130.

Other exceptions are bugs and keep their traceback. ``validate`` exits 1 for invalid data.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser"]

_PATH_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``alstrials`` command (also used to document it)."""
    from alstrials import __version__
    from alstrials.cli.interim import add_interim_parser
    from alstrials.cli.power import add_power_parser
    from alstrials.cli.trial import add_trial_parsers

    parser = argparse.ArgumentParser(
        prog="alstrials",
        description="Design, monitor and analyse ALS clinical trials (ALSFRS-R, MRI, survival).",
    )
    parser.add_argument("--version", action="version", version=f"alstrials {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_trial_parsers(sub)
    add_power_parser(sub)
    add_interim_parser(sub)
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split("\n")).strip()


def _path_error(exc: OSError) -> str:
    """``"No such file or directory: 'x'"`` (with both names for a rename or copy)."""
    text = exc.strerror or type(exc).__name__
    names = [n for n in (exc.filename, exc.filename2) if n is not None]
    return text + (": " + " -> ".join(repr(str(n)) for n in names) if names else f" ({exc})")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alstrials`` command; returns the exit code (see the module
    docstring)."""
    from alstrials.errors import AlstrialsError

    parser = build_parser()
    args = parser.parse_args(argv)
    words = [args.command, getattr(args, "power_command", None)]
    prefix = " ".join(["alstrials", *(w for w in words if w)])
    try:
        import matplotlib

        matplotlib.use("Agg")  # a command line never opens windows
        return int(args.func(args))
    except AlstrialsError as exc:
        print(f"{prefix}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except _PATH_ERRORS as exc:
        print(f"{prefix}: error: {_path_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
