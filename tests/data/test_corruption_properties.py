"""Property: a random corruption of a small valid trial never passes unnoticed.

One random cell of one random table is set to a bad value (inf, -inf, a huge or negative number,
text, a list, a duration, a missing key, a value just outside its range, another subject's id, a
duplicated visit time, an unknown or misspelt arm, an inconsistent flag, a visit after the
event). Then:

* strict: building and validating the trial raises ``DataValidationError``;
* lenient: either building refuses a value the column's dtype cannot hold (the same error in
  both modes, naming the table and column), or validation sets rows aside so that for every
  table rows kept + rows logged = rows read, the corrupted row is logged, and the kept data pass
  strict validation (nothing out of rule was kept unlogged).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.data.conftest import make_frames

from alstrials.data.schema import KEY_COLUMNS, PLAUSIBLE_RANGES, SCHEMA, TABLES, TrialData
from alstrials.errors import DataValidationError

ARMS = ("placebo", "active")
GENERIC = ("inf", "-inf", "huge", "negative", "text", "list", "duration")


def _just_outside(table: str, column: str, draw_high: bool) -> float:
    low, high, _ = PLAUSIBLE_RANGES[table][column]
    return high + 1.0 if draw_high or low == 0 else low - 0.01


def _value(kind: str, table: str, column: str, frames: dict[str, pd.DataFrame], row: int,
           high: bool, pick: int) -> object:  # fmt: skip
    frame = frames[table]
    dtype = SCHEMA[table][column]
    if kind == "inf":
        return math.inf
    if kind == "-inf":
        return -math.inf
    if kind == "huge":
        return 1e308
    if kind == "negative":
        return -1.0
    if kind == "text":
        return "abc"
    if kind == "list":
        return [1, 2]
    if kind == "duration":
        return pd.Timedelta(days=30)
    if kind == "missing":
        return None
    if kind == "out_of_range":
        if dtype == "Int64":
            return 49 if column == "alsfrs_total" else (5 if high else -1)
        return _just_outside(table, column, high)
    if kind == "other_subject":
        others = [s for s in frames["subjects"]["subject_id"] if s != frame["subject_id"][row]]
        return others[pick % len(others)]
    if kind == "unknown_subject":
        return "S9"
    if kind == "duplicate_visit":
        sid = frame["subject_id"][row]
        same = frame.index[(frame["subject_id"] == sid) & (frame.index != row)]
        return float(frame.loc[same[pick % len(same)], "months"])
    if kind == "unknown_arm":
        return "drug"
    if kind == "typo_arm":
        return ("Active", " active", "PLACEBO", "place bo")[pick % 4]
    if kind == "flip":
        return not bool(frame[column][row])
    if kind == "after_event":
        sid = frame["subject_id"][row]
        end = frames["events"].set_index("subject_id").loc[sid, "months"]
        return float(end) + 1.0
    raise AssertionError(kind)


def _kinds(table: str, column: str, frame: pd.DataFrame, row: int) -> list[str]:
    """Corruptions that are certainly invalid for this cell."""
    kinds = list(GENERIC)
    dtype = SCHEMA[table][column]
    if column in KEY_COLUMNS[table]:
        kinds.append("missing")
    if dtype == "Int64" or column in PLAUSIBLE_RANGES.get(table, {}):
        kinds.append("out_of_range")
    if column == "subject_id":
        kinds.append("unknown_subject")
        if table in ("subjects", "events"):
            kinds.append("other_subject")
    if column == "months" and table in ("alsfrs", "mri"):
        sid = frame["subject_id"][row]
        if ((frame["subject_id"] == sid).sum()) > 1:
            kinds.append("duplicate_visit")
        kinds.append("after_event")
    if column == "arm":
        kinds += ["unknown_arm", "typo_arm"]
    if column in ("composite_sign", "event"):
        kinds.append("flip")
    return kinds


def _representable(value: object, dtype: str) -> bool:
    """Whether the canonical ``dtype`` can hold ``value`` (else building the trial refuses it)."""
    if isinstance(value, list | pd.Timedelta):
        return False
    if value is None:
        return dtype != "bool"
    if dtype == "string":
        return True
    if isinstance(value, str):
        return False  # "abc" in a number or flag column
    if dtype == "float64":
        return True
    if dtype == "Int64":
        return isinstance(value, int) or (
            math.isfinite(value) and abs(value) <= 2**53 and float(value).is_integer()
        )
    return value in (0, 1)  # boolean / bool


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, str, int, str, object]:
    frames = make_frames()
    table = draw(st.sampled_from(TABLES))
    frame = frames[table]
    row = draw(st.integers(0, len(frame) - 1))
    # kind first, then a column it applies to, so that rare kinds are drawn as often as others
    columns: dict[str, list[str]] = {}
    for name in SCHEMA[table]:
        for k in _kinds(table, name, frame, row):
            columns.setdefault(k, []).append(name)
    kind = draw(st.sampled_from(sorted(columns)))
    column = draw(st.sampled_from(columns[kind]))
    value = _value(kind, table, column, frames, row, draw(st.booleans()), draw(st.integers(0, 9)))
    return table, column, row, kind, value


def _corrupted(table: str, column: str, row: int, value: object) -> dict[str, pd.DataFrame]:
    frames = make_frames()
    cells = frames[table][column].astype(object).tolist()
    cells[row] = value
    frames[table][column] = pd.Series(cells, dtype=object, index=frames[table].index)
    return frames


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruptions())
def test_every_corruption_is_rejected_or_logged(case) -> None:  # noqa: ANN001
    table, column, row, kind, value = case
    frames = _corrupted(table, column, row, value)
    dtype = SCHEMA[table][column]
    try:
        trial = TrialData.from_frames(**frames, arms=ARMS)
    except DataValidationError as exc:
        # refused at construction: only values the dtype cannot hold, named precisely
        assert not _representable(value, dtype), f"{kind} {value!r} refused: {exc}"
        assert (exc.table, exc.column, exc.row) == (table, column, row)
        return
    assert _representable(value, dtype), f"{kind} {value!r} in {table}.{column} was accepted"

    with pytest.raises(DataValidationError, match="table '"):
        trial.validate()

    report = trial.validate(lenient=True)
    assert not report.valid
    log = report.exclusions
    for name in TABLES:
        n_logged = int((log["table"] == name).sum())
        assert len(report.data.table(name)) + n_logged == len(trial.table(name)), name
    assert ((log["table"] == table) & (log["row"] == row)).any(), log
    assert report.data.validate().valid
    # kept rows hold no non-finite value anywhere
    for name in TABLES:
        floats = [c for c, d in SCHEMA[name].items() if d == "float64"]
        values = report.data.table(name)[floats].to_numpy(dtype=float)
        assert not np.isinf(values).any()


@settings(max_examples=60, deadline=None)
@given(corruptions())
def test_inferred_arms_never_absorb_a_corruption(case) -> None:  # noqa: ANN001
    # Without declared arms, the trial is either refused (arms cannot be inferred, or a value
    # cannot be held) or the corruption is caught exactly as with declared arms.
    table, column, row, kind, value = case
    frames = _corrupted(table, column, row, value)
    try:
        trial = TrialData.from_frames(**frames)
    except DataValidationError:
        return
    if trial.arms != ARMS:
        # the sole placebo subject relabelled (e.g. "PLACEBO"): a consistent, valid labelling
        assert column == "arm" and trial.arms[1] == "active", trial.arms
        assert trial.validate().valid
        return
    with pytest.raises(DataValidationError):
        trial.validate()
