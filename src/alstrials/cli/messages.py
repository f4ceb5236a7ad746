"""Library messages in the words of the command line.

The library names its arguments (``n_per_group must be positive``); a command-line user typed
flags (``--n``). :func:`to_flags` rewrites a message with the flags of the subcommand that ran,
and :func:`lenient_hint` turns the library's "call validate(lenient=True)" into "rerun with
--lenient".
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping

__all__ = ["flag_names", "to_flags", "lenient_hint", "set_flag_names"]

_NAME = r"(?<![\w'\-.=]){}(?![\w'\-(])"


def flag_names(
    parser: argparse.ArgumentParser, aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Library argument name -> flag, for every ``--flag`` of ``parser`` (its ``dest``) plus
    ``aliases`` (library names that differ from the dest, e.g. ``{"n_per_group": "--n"}``).

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> _ = p.add_argument("--sig2-slope", dest="sig2_slope", help="variance")
    >>> flag_names(p, {"n_per_group": "--n"})
    {'sig2_slope': '--sig2-slope', 'n_per_group': '--n'}
    """
    names: dict[str, str] = {}
    for action in parser._actions:
        longs = [s for s in action.option_strings if s.startswith("--")]
        if longs and action.dest not in ("help", argparse.SUPPRESS):
            names[action.dest] = longs[0]
    names.update(aliases or {})
    return names


def set_flag_names(
    parser: argparse.ArgumentParser, aliases: Mapping[str, str] | None = None
) -> None:
    """Record on ``parser`` (as the default ``flag_names``) the map :func:`to_flags` uses when
    the command fails. Call it after the last ``add_argument``."""
    parser.set_defaults(flag_names=flag_names(parser, aliases))


def _left_out(match: re.Match[str], names: Mapping[str, str]) -> str:
    given = [names.get(n.strip(), n.strip()) for n in match.group(1).split(",")]
    missing = re.findall(r"'(\w+)'", match.group(2))
    which = ", ".join(names.get(n, n) for n in missing) if missing else "none of them"
    return f"leave exactly one of {', '.join(given)} out (it is solved for); left out: {which}"


def to_flags(message: str, names: Mapping[str, str]) -> str:
    """``message`` with each library argument name of ``names`` replaced by its flag.

    Only whole names are replaced (``t`` in "don't" or "t_correction" is left alone).

    Examples
    --------
    >>> to_flags("n_per_group must be finite and > 0, got -3", {"n_per_group": "--n"})
    '--n must be finite and > 0, got -3'
    >>> to_flags(
    ...     "leave exactly one of delta, n_per_group, power as None (it is solved for); "
    ...     "got None for ['n_per_group', 'power']",
    ...     {"delta": "--delta", "n_per_group": "--n", "power": "--power"},
    ... )
    'leave exactly one of --delta, --n, --power out (it is solved for); left out: --n, --power'
    """
    solved = re.compile(
        r"leave exactly one of ([\w, ]+?) as None \(it is solved for\); got None for (.*)$"
    )
    found = solved.search(message)
    if found:
        return message[: found.start()] + _left_out(found, names)
    for name in sorted(names, key=len, reverse=True):
        message = re.sub(_NAME.format(re.escape(name)), names[name], message)
    return re.sub(r"(--\w[\w-]*)='([^']*)'", r"\1 \2", message)  # --method='x' -> --method x


def lenient_hint(message: str, path: str) -> str:
    """The library's "call validate(lenient=True)" advice rewritten for the command line.

    Examples
    --------
    >>> lenient_hint("bad score. Correct these rows, or call validate(lenient=True) to set "
    ...              "them aside with an exclusion log.", "trial")  # doctest: +NORMALIZE_WHITESPACE
    'bad score. Correct these rows, or rerun with --lenient to set them aside with an exclusion
    log (list them with `alstrials validate trial --exclusions log.csv`).'
    """
    pattern = re.compile(
        r"call (?:\w+\.)*\w+\(lenient=True\) to set them aside with an exclusion log\.?"
    )
    route = (
        "rerun with --lenient to set them aside with an exclusion log (list them with "
        f"`alstrials validate {path} --exclusions log.csv`)."
    )
    if pattern.search(message):
        return pattern.sub(route, message)
    if "lenient=True" in message:
        return message.replace("lenient=True", "--lenient") + (
            f" List the rows with `alstrials validate {path} --exclusions log.csv`."
        )
    return message
