"""The resume journal of a simulation run: ``spec.json`` and ``replicates.jsonl``.

``spec.json`` holds the run's settings and their hash; a folder holding another run is refused.
``replicates.jsonl`` holds one JSON object per finished replicate, appended as batches finish.

Reading the journal back:

* a **last line cut short** (an interrupted run) is removed from the file with a
  :class:`~alstrials.errors.DataWarning`; its replicate is recomputed. A complete last line
  without its newline gets the newline, so that later rows are not glued onto it;
* any **other line** that is not a JSON object with the keys of a replicate row, whose
  ``replicate`` is not an index of this run, or whose ``seed`` is not that replicate's seed,
  raises :class:`~alstrials.errors.JournalError` naming the file and the line number (the file
  was edited or mixed with another run: delete the line or the folder);
* a replicate present twice keeps its first row.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alstrials.errors import DataWarning, DesignError, JournalError

__all__ = ["open_journal", "read_journal", "ROW_KEYS"]

ROW_KEYS = ("replicate", "seed", "estimate", "se", "statistic", "p", "converged", "error")
"""Keys every journal row has (rows may hold more: ``truth``, ``warnings``, ``unexpected``)."""


def _spec_key(spec: Mapping[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def open_journal(
    results_dir: Path | None, spec: Mapping[str, Any], seeds: Sequence[int]
) -> tuple[Path | None, dict[int, dict[str, Any]]]:
    """Open (or start) the journal of a run; return its path and the replicates already done.

    ``seeds`` are the run's replicate seeds (their number is the number of replicates).
    """
    if results_dir is None:
        return None, {}
    if results_dir.exists() and not results_dir.is_dir():
        raise DesignError(f"results folder {str(results_dir)!r} is a file, not a folder")
    results_dir.mkdir(parents=True, exist_ok=True)
    spec_file = results_dir / "spec.json"
    key = _spec_key(spec)
    if spec_file.exists():
        try:
            stored = json.loads(spec_file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise JournalError(
                f"{spec_file}: not valid JSON ({exc}); delete the folder {str(results_dir)!r} "
                "to start the run afresh"
            ) from None
        if not isinstance(stored, dict) or stored.get("key") != key:
            other = stored.get("spec") if isinstance(stored, dict) else stored
            raise DesignError(
                f"results folder {str(results_dir)!r} holds a run with other settings "
                f"({other}); use a new folder or the same settings to resume"
            )
    else:
        spec_file.write_text(json.dumps({"key": key, "spec": spec}, indent=2, default=str))
    journal = results_dir / "replicates.jsonl"
    done = read_journal(journal, seeds) if journal.exists() else {}
    return journal, done


def _row_problem(row: object, seeds: Sequence[int]) -> str | None:
    """Why ``row`` is not a replicate row of this run (None when it is)."""
    if not isinstance(row, dict):
        return f"holds {type(row).__name__} instead of a JSON object"
    missing = [k for k in ROW_KEYS if k not in row]
    if missing:
        return f"has no {', '.join(repr(k) for k in missing)} key"
    index = row["replicate"]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(seeds):
        return f"has replicate {index!r}, not an index 0..{len(seeds) - 1} of this run"
    if row["seed"] != seeds[index]:
        return (
            f"has seed {row['seed']!r} for replicate {index}, but this run's seed for it is "
            f"{seeds[index]} (a row of another run)"
        )
    return None


def read_journal(journal: Path, seeds: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The finished replicates in ``journal``, repairing a last line cut short (see the module
    docstring)."""
    raw = journal.read_bytes()
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    done: dict[int, dict[str, Any]] = {}
    good = 0  # bytes of the lines read so far, newlines included
    for number, line in enumerate(lines, start=1):
        last = number == len(lines)
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if last:
                with journal.open("r+b") as handle:
                    handle.truncate(good)
                warnings.warn(
                    f"{journal}: the last line (line {number}) was cut short, as by an "
                    "interrupted run; it was removed and its replicate will be recomputed",
                    DataWarning,
                    stacklevel=3,
                )
                return done
            raise JournalError(
                f"{journal}: line {number} is not valid JSON ({exc}); delete that line (its "
                "replicate is recomputed) or the whole folder"
            ) from None
        problem = _row_problem(row, seeds)
        if problem is not None:
            raise JournalError(
                f"{journal}: line {number} {problem}; delete that line (its replicate is "
                "recomputed) or the whole folder"
            )
        done.setdefault(int(row["replicate"]), row)
        good += len(line) + 1
    if lines and not raw.endswith(b"\n"):
        with journal.open("ab") as handle:  # a complete last row that lost its newline
            handle.write(b"\n")
    return done
