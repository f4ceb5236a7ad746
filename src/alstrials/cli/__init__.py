"""The ``alstrials`` command line: parse arguments, call the library, write files.

Subcommands (``alstrials SUBCOMMAND --help`` for each):

demo       the example trial through every analysis; tables, figures and a manifest in a folder
run        run the analysis scripts of a folder (e.g. ``analyses/``) on a trial
simulate   simulate a calibrated trial and write it as CSV or Parquet
validate   check a trial folder; exit code 0 when valid, 1 when not
power      analytic sample size and power, and simulation-based power
interim    a scripted interim analysis with a DMC report

Modules: :mod:`.trial` (demo, run, simulate, validate), :mod:`.power`, :mod:`.power_args` and
:mod:`.power_output` (power), :mod:`.interim`, :mod:`.common` (argparse types shared by all),
:mod:`.messages` (library messages in flag names). Each command imports the library inside its
function, and ``import alstrials`` is lazy, so ``alstrials --help`` stays fast (under 0.5 s:
``python benchmarks/bench_cli.py``).

Adding a subcommand
-------------------
Write a module with a function ``add_NAME_parser(sub)`` that calls ``sub.add_parser(...)``,
gives every option a ``help=`` and sets ``func`` (and optionally ``flag_names``, see
:func:`.messages.set_flag_names`), then add one line to :data:`SUBCOMMANDS`.

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
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "SUBCOMMANDS"]

SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("alstrials.cli.trial", "add_trial_parsers"),
    ("alstrials.cli.power", "add_power_parser"),
    ("alstrials.cli.interim", "add_interim_parser"),
)
"""The subcommand modules, in the order ``alstrials --help`` lists them: (module, function);
the function takes the top-level sub-parsers action and adds its subcommand(s). The modules
must not import the library at module level (only inside the command functions)."""

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

    parser = argparse.ArgumentParser(
        prog="alstrials",
        description="Design, monitor and analyse ALS clinical trials (ALSFRS-R, MRI, survival).",
    )
    parser.add_argument("--version", action="version", version=f"alstrials {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module, function in SUBCOMMANDS:
        getattr(importlib.import_module(module), function)(sub)
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split("\n")).strip()


def _path_error(exc: OSError) -> str:
    """``"No such file or directory: 'x'"`` (with both names for a rename or copy)."""
    text = exc.strerror or type(exc).__name__
    names = [n for n in (exc.filename, exc.filename2) if n is not None]
    return text + (": " + " -> ".join(repr(str(n)) for n in names) if names else f" ({exc})")


def _prefix(args: argparse.Namespace) -> str:
    """``alstrials power slope``: the words of the subcommand that ran."""
    words = [args.command]
    words += [v for k, v in vars(args).items() if k.endswith("_command") and isinstance(v, str)]
    return " ".join(["alstrials", *words])


def _message(exc: Exception, args: argparse.Namespace) -> str:
    """The error in one line, in the words of the command line (flags, not argument names)."""
    from alstrials.cli.messages import lenient_hint, to_flags

    text = _one_line(exc)
    names = getattr(args, "flag_names", None)
    if names:
        text = to_flags(text, names)
    if "lenient=True" in text and hasattr(args, "lenient"):
        text = lenient_hint(text, str(getattr(args, "data", None) or "PATH"))
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alstrials`` command; returns the exit code (see the module
    docstring)."""
    from alstrials.errors import AlstrialsError

    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["alstrials", *(sys.argv[1:] if argv is None else argv)]
    prefix = _prefix(args)
    try:
        import matplotlib

        matplotlib.use("Agg")  # a command line never opens windows
        return int(args.func(args))
    except AlstrialsError as exc:
        print(f"{prefix}: error: {_message(exc, args)}", file=sys.stderr)
        return 2
    except _PATH_ERRORS as exc:
        print(f"{prefix}: error: {_path_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
