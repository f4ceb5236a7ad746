"""Pieces shared by the subcommands: argparse types and reading a trial folder.

Every argument is checked when it is parsed, so a bad value ends in argparse's usage line and one
``error: argument --flag: ...`` line (exit code 2) before anything runs. The types raise
:class:`argparse.ArgumentTypeError`; argparse names the flag.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alstrials.data.schema import TrialData
    from alstrials.errors import DataValidationError

__all__ = [
    "float_list",
    "positive_int",
    "positive_float",
    "non_negative_float",
    "probability",
    "out_folder",
    "new_file",
    "existing_file",
    "arm_list",
    "add_trial_options",
    "read_trial_folder",
    "with_cli_hint",
]


def float_list(text: str) -> list[float]:
    """``"0,3,6"`` -> ``[0.0, 3.0, 6.0]``.

    Examples
    --------
    >>> float_list("0, 3,6")
    [0.0, 3.0, 6.0]
    """
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas (e.g. 0,3,6), got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one number, got {text!r}")
    return values


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def probability(text: str) -> float:
    """A number strictly between 0 and 1 (alpha, power, prevalence...).

    Examples
    --------
    >>> probability("0.8")
    0.8
    """
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1 (exclusive), got {text}")
    return value


def _file_ancestor(path: Path) -> Path | None:
    """The first existing file among the parents of ``path`` (a folder cannot go there)."""
    for parent in path.parents:
        if parent.exists():
            return parent if not parent.is_dir() else None
    return None


def out_folder(text: str) -> str:
    """An output folder: new, or an existing folder; never an existing file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is an existing file, not a folder; name a new or existing folder"
        )
    blocker = _file_ancestor(path)
    if blocker is not None:
        raise argparse.ArgumentTypeError(
            f"cannot create folder {text!r}: {str(blocker)!r} is a file, not a folder"
        )
    return text


def new_file(text: str) -> str:
    """A file to write, in a folder that exists."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; name a file to write")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: folder {str(folder)!r} does not exist (create it first)"
        )
    return text


def existing_file(text: str) -> str:
    """A file that exists (a configuration file)."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"file {text!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    return text


def arm_list(text: str) -> tuple[str, ...]:
    """``"placebo,drug"`` -> ``("placebo", "drug")``: the declared arms, reference first.

    Examples
    --------
    >>> arm_list("placebo, drug")
    ('placebo', 'drug')
    """
    arms = tuple(a.strip() for a in text.split(","))
    if len(arms) < 2 or any(not a for a in arms):
        raise argparse.ArgumentTypeError(
            f"expected the arm labels REFERENCE,ACTIVE separated by a comma "
            f"(e.g. placebo,drug), got {text!r}"
        )
    if len(set(arms)) != len(arms):
        raise argparse.ArgumentTypeError(f"arm labels must differ, got {text!r}")
    return arms


def add_trial_options(parser: argparse.ArgumentParser, *, lenient: bool = True) -> None:
    """``--arms`` (and ``--lenient``) for a subcommand that reads a trial folder."""
    parser.add_argument(
        "--arms",
        type=arm_list,
        default=None,
        metavar="REFERENCE,ACTIVE",
        help="the arm labels, reference arm first (e.g. placebo,drug); overrides trial.json. "
        "Needed when the folder has no trial.json and the arms cannot be told from the data",
    )
    if lenient:
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="set rows that break the schema aside (exclusion log) instead of stopping; "
            "see them with `alstrials validate PATH --exclusions log.csv`",
        )


def with_cli_hint(exc: DataValidationError, path: str) -> DataValidationError:
    """``exc`` with the command-line route added where its message suggests ``lenient=True``."""
    from alstrials.cli.messages import lenient_hint
    from alstrials.errors import DataValidationError

    message = lenient_hint(str(exc), path)
    return DataValidationError(
        message, table=exc.table, column=exc.column, subject=exc.subject, row=exc.row
    )


def read_trial_folder(
    path: str, *, arms: Sequence[str] | None = None, lenient: bool = False
) -> TrialData:
    """:func:`alstrials.read_trial` with the declared arms; data errors keep their message and
    gain the command-line route (:func:`with_cli_hint`)."""
    from alstrials.data.io import read_trial
    from alstrials.errors import DataValidationError

    try:
        return read_trial(path, arms=arms, lenient=lenient)
    except DataValidationError as exc:
        raise with_cli_hint(exc, path) from None
