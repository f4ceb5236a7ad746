"""Configuration files (TOML): read once, every key and value checked before anything runs.

Each helper raises :class:`~alstrials.errors.ConfigError` with one line naming the file, the
table, the key and what is wrong ("did you mean ...?" for a misspelt key; the expected type for
a value of the wrong type). Used by the design file of ``alstrials interim`` and the scenario
files of ``alstrials simulate`` and ``alstrials power simulate``.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from alstrials.errors import ConfigError

__all__ = ["read_toml", "check_keys", "check_value", "check_table", "did_you_mean", "KINDS"]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest of ``known`` (empty when none is close)."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def read_toml(path: str | Path, *, what: str = "configuration file") -> dict[str, Any]:
    """The parsed TOML file ``path``; ``what`` names it in messages ("design file", ...).

    Examples
    --------
    >>> read_toml("no/such/file.toml", what="design file")
    Traceback (most recent call last):
    ...
    alstrials.errors.ConfigError: design file 'no/such/file.toml' does not exist
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {str(path)!r} is a folder, not a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {str(path)!r} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {str(path)!r} is not valid TOML: {exc}") from None


def check_keys(mapping: Mapping[str, Any], known: Iterable[str], *, where: str) -> None:
    """Refuse keys of ``mapping`` that are not in ``known``; ``where`` (e.g. ``"design.toml:
    [design]"``) starts the message."""
    names = list(known)
    for key in mapping:
        if key not in names:
            raise ConfigError(
                f"{where} unknown key {key!r}.{did_you_mean(key, names)} "
                f"Known keys: {', '.join(names)}"
            )


def _number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _scalar(v: object) -> bool:
    return isinstance(v, str | bool) or _number(v)


KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "number": (_number, "a number"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "numbers": (
        lambda v: isinstance(v, list) and all(_number(x) for x in v),
        "a list of numbers",
    ),
    "table": (lambda v: isinstance(v, dict), "a table"),
    "scalar_or_list": (
        lambda v: _scalar(v) or (isinstance(v, list) and len(v) > 0 and all(map(_scalar, v))),
        "a value or a non-empty list of values",
    ),
}
"""Expected value types: name -> (test, description used in messages)."""


def check_value(value: object, kind: str, *, where: str) -> None:
    """Refuse ``value`` unless it is of ``kind`` (a key of :data:`KINDS`)."""
    test, description = KINDS[kind]
    if not test(value):
        raise ConfigError(f"{where} must be {description}, got {value!r}")


def check_table(
    mapping: Mapping[str, Any], kinds: Mapping[str, str], *, file: str | Path, table: str | None
) -> None:
    """Check the keys (unknown -> did-you-mean) and value types of one TOML table.

    ``kinds`` maps each allowed key to its kind; ``table`` is the table's name (None: top level).

    Examples
    --------
    >>> check_table({"k": "three"}, {"k": "integer"}, file="design.toml", table="design")
    Traceback (most recent call last):
    ...
    alstrials.errors.ConfigError: design.toml: [design] k must be an integer, got 'three'
    """
    place = f"{file}:" + (f" [{table}]" if table else "")
    check_keys(mapping, kinds, where=place)
    for key, value in mapping.items():
        check_value(value, kinds[key], where=f"{place} {key}")
