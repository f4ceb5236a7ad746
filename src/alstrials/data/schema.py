"""The canonical trial schema: four tidy tables and the :class:`TrialData` that holds them.

Times are in months (30.4375 days). Every table is keyed by ``subject_id`` (a string):

``subjects``  one row per subject: arm, baseline covariates and the calendar month of enrolment.
``alsfrs``    one row per visit: the 12 ALSFRS-R items (0-4, nullable integers), gastrostomy
              status and the total (0-48).
``mri``       one row per scan: three continuous biomarkers and two binary signs whose
              conjunction is ``composite_sign``.
``events``    one row per subject: time from baseline to the first of death, tracheostomy or
              permanent ventilation, or to censoring.

:func:`canonicalize` coerces a user's frames to the canonical dtypes and raises
:class:`~alstrials.errors.DataValidationError` naming table, column, subject and row when a value
cannot be coerced: text that is not a number, a fractional or out-of-range integer, a duration,
timestamp, list or other object where a number, a label or a flag belongs, or a column name that
appears twice. Values that can be held but break a rule (``inf``, a value outside
:data:`PLAUSIBLE_RANGES`, an unknown arm) are left to :mod:`alstrials.data.validate`.
:class:`TrialData` is immutable: methods return new objects.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from alstrials.data.arms import DECLARE_ARMS_HINT, DEFAULT_ARMS, check_declared_arms, infer_arms
from alstrials.errors import DataValidationError

if TYPE_CHECKING:
    from alstrials.data.validate import ValidationReport

__all__ = [
    "ALSFRS_ITEMS",
    "TABLES",
    "SCHEMA",
    "KEY_COLUMNS",
    "PLAUSIBLE_RANGES",
    "EVENT_TYPES",
    "DEFAULT_ARMS",
    "DAYS_PER_MONTH",
    "TrialData",
    "canonicalize",
    "empty_table",
    "EXCLUSION_COLUMNS",
    "exclusion_log",
]

DAYS_PER_MONTH = 30.4375
"""Days in an average month (365.25 / 12): the conversion used for every day-based source."""

ALSFRS_ITEMS: tuple[str, ...] = (
    "q1_speech",
    "q2_salivation",
    "q3_swallowing",
    "q4_handwriting",
    "q5_cutting",
    "q6_dressing_hygiene",
    "q7_turning_in_bed",
    "q8_walking",
    "q9_climbing_stairs",
    "r1_dyspnea",
    "r2_orthopnea",
    "r3_respiratory_insufficiency",
)
"""The 12 ALSFRS-R items in questionnaire order (Cedarbaum 1999)."""

EVENT_TYPES: tuple[str, ...] = ("death", "tracheostomy", "permanent_ventilation", "censored")

TABLES: tuple[str, ...] = ("subjects", "alsfrs", "mri", "events")

EXCLUSION_COLUMNS: tuple[str, ...] = ("table", "row", "subject_id", "reason")
"""Columns of an exclusion log: one row per set-aside row (``row`` is its position in the
source table as read, before anything was removed). A reader may also log a value it could not
read (or ignored) in a row it kept; its reason then ends "(row kept)"."""


def exclusion_log(records: list[dict[str, object]] | None = None) -> pd.DataFrame:
    """An exclusion log DataFrame from ``records`` (dicts with :data:`EXCLUSION_COLUMNS`)."""
    frame = pd.DataFrame(records or [], columns=list(EXCLUSION_COLUMNS))
    return frame.astype({"table": object, "subject_id": object, "reason": object})


# Canonical dtype of every column, table by table, in canonical column order.
# "string" columns hold Python str (object dtype), "Int64"/"boolean" are pandas' nullable types
# (an item may be missing at a visit; a sign may be unread on a scan).
SCHEMA: dict[str, dict[str, str]] = {
    "subjects": {
        "subject_id": "string",
        "arm": "string",
        "age": "float64",
        "sex": "string",
        "onset_site": "string",
        "onset_to_baseline_months": "float64",
        "delta_fs": "float64",
        "enrollment_month": "float64",
    },
    "alsfrs": {
        "subject_id": "string",
        "months": "float64",
        **{item: "Int64" for item in ALSFRS_ITEMS},
        "gastrostomy": "boolean",
        "alsfrs_total": "Int64",
    },
    "mri": {
        "subject_id": "string",
        "months": "float64",
        "cst_fa": "float64",
        "precentral_thickness_mm": "float64",
        "cord_csa_mm2": "float64",
        "cst_flair_hyperintensity": "boolean",
        "motor_cortex_swi_hypointensity": "boolean",
        "composite_sign": "boolean",
    },
    "events": {
        "subject_id": "string",
        "months": "float64",
        "event": "bool",
        "event_type": "string",
    },
}

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "subjects": ("subject_id", "arm", "enrollment_month"),
    "alsfrs": ("subject_id", "months"),
    "mri": ("subject_id", "months"),
    "events": ("subject_id", "months", "event", "event_type"),
}
"""Columns that may never hold a missing value (``enrollment_month``: every data cut-off
needs it; a source without calendar dates, such as PRO-ACT, records 0)."""

PLAUSIBLE_RANGES: dict[str, dict[str, tuple[float, float, str]]] = {
    "subjects": {
        "age": (12.0, 110.0, "years"),
        "onset_to_baseline_months": (0.0, 240.0, "months"),
        "delta_fs": (0.0, 48.0, "points/month"),
        "enrollment_month": (0.0, 600.0, "months"),
    },
    "alsfrs": {"months": (0.0, 600.0, "months")},
    "mri": {
        "months": (0.0, 600.0, "months"),
        "cst_fa": (0.0, 1.0, ""),
        "precentral_thickness_mm": (0.5, 6.0, "mm"),
        "cord_csa_mm2": (20.0, 150.0, "mm2"),
    },
    "events": {"months": (0.0, 600.0, "months")},
}
"""Closed range ``(low, high, unit)`` every value of a float column must lie in (missing values
aside); the reasons are in docs/data.md. Every float column of :data:`SCHEMA` has one, so no
infinite or absurd value can pass validation. ALSFRS-R items (0-4) and totals (0-48) have their
own rules."""


def empty_table(table: str) -> pd.DataFrame:
    """An empty DataFrame with the canonical columns and dtypes of ``table``."""
    return canonicalize(pd.DataFrame(columns=list(SCHEMA[table])), table)


def _scalar(value: object) -> object:
    """A numpy scalar as the Python value it holds (for messages); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _first_bad(mask: np.ndarray, frame: pd.DataFrame) -> tuple[object, object]:
    """Row label and subject of the first True in ``mask``."""
    pos = int(np.flatnonzero(mask)[0])
    subject = frame["subject_id"].iloc[pos] if "subject_id" in frame.columns else None
    if isinstance(subject, pd.Series):  # a duplicated 'subject_id' column (reported later)
        subject = subject.iloc[0]
    return frame.index[pos], _scalar(subject)


_NUMERIC = ("float64", "Int64")
_INT_LIMIT = 2.0**53
"""Largest magnitude of an Int64 value: beyond it a number read as float is no exact integer."""
_OBJECT_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((list, tuple, set, frozenset, dict, np.ndarray, pd.Series), "a list or other container"),
    ((bytes, bytearray, memoryview), "binary data"),
    ((pd.Timedelta, _dt.timedelta, np.timedelta64), "a duration"),
    ((pd.Timestamp, _dt.date, _dt.time, np.datetime64, pd.Period), "a date or time"),
    ((complex, np.complexfloating), "a complex number"),
    ((pd.Interval,), "an interval"),
)


def _dtype_kind(dtype: object) -> str | None:
    """What a column of ``dtype`` holds when it can never be canonical, else None."""
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        t = dtype.pyarrow_dtype
        for test, name in (
            (pa.types.is_duration, "durations"),
            (pa.types.is_temporal, "dates or times"),
            (pa.types.is_nested, "lists or structs"),
            (pa.types.is_binary, "binary data"),
            (pa.types.is_large_binary, "binary data"),
        ):
            if test(t):
                return f"{name} (Arrow type {t})"
        return None
    if pd.api.types.is_timedelta64_dtype(dtype):
        return f"durations (dtype {dtype})"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return f"dates or times (dtype {dtype})"
    if isinstance(dtype, pd.IntervalDtype):
        return f"intervals (dtype {dtype})"
    if pd.api.types.is_complex_dtype(dtype):
        return f"complex numbers (dtype {dtype})"
    return None


def _value_kind(value: object, dtype: str) -> str | None:
    """Why a single value can never be held by a canonical column of ``dtype`` (None: it may)."""
    for types, name in _OBJECT_KINDS:
        if isinstance(value, types):
            return name
    if dtype in _NUMERIC and isinstance(value, bool | np.bool_):
        return "a true/false value"
    return None


def _coerce_column(
    series: pd.Series, dtype: str, table: str, column: str, frame: pd.DataFrame
) -> pd.Series:
    def fail(mask: np.ndarray, what: str) -> DataValidationError:
        row, subject = _first_bad(mask, frame)
        value = _scalar(series.iloc[int(np.flatnonzero(mask)[0])])
        n_bad = int(mask.sum())
        return DataValidationError(
            f"table '{table}', column '{column}', subject {subject!r}, row {row!r}: "
            f"value {value!r} is not {what} ({n_bad} such row(s)); fix or remove these values.",
            table=table,
            column=column,
            subject=subject,
            row=row,
        )

    kind = _dtype_kind(series.dtype)
    if kind is None and dtype in _NUMERIC and pd.api.types.is_bool_dtype(series.dtype):
        kind = f"true/false values (dtype {series.dtype})"
    if kind is not None and series.notna().any():
        hint = " (times and ages as a number of months or years)" if dtype in _NUMERIC else ""
        raise fail(series.notna().to_numpy(), f"{_WHAT[dtype]}: the column holds {kind}{hint}")
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if series.dtype == object:
        kinds = series.map(lambda v: _value_kind(v, dtype))
        odd = kinds.notna().to_numpy()
        if odd.any():
            first = kinds.iloc[int(np.flatnonzero(odd)[0])]
            raise fail(odd, f"{_WHAT[dtype]} but {first}")

    if dtype == "string":
        missing = series.isna().to_numpy()
        out = series.astype(object).where(~missing, None)
        out = out.map(lambda v: v if v is None or isinstance(v, str) else _as_text(v))
        return out.astype(object)
    if dtype == "float64":
        numeric = pd.to_numeric(series, errors="coerce")
        bad = (numeric.isna() & series.notna()).to_numpy()
        if bad.any():
            raise fail(bad, "a number")
        return numeric.astype("float64")
    if dtype == "Int64":
        numeric = pd.to_numeric(series, errors="coerce")
        bad = (numeric.isna() & series.notna()).to_numpy()
        if bad.any():
            raise fail(bad, "a number")
        values = numeric.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        huge = ~missing & ~(np.abs(values) <= _INT_LIMIT)  # also +-inf
        if huge.any():
            raise fail(huge, "a finite integer of magnitude at most 2**53")
        fractional = ~missing & (values != np.round(values))
        if fractional.any():
            raise fail(fractional, "an integer")
        ints = np.where(missing, 0, values).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(ints, missing), index=series.index)
    if dtype in ("boolean", "bool"):
        parsed = series.map(_as_bool)
        bad = (parsed.isna() & series.notna()).to_numpy()
        if bad.any():
            raise fail(bad, "true/false")
        if dtype == "bool":
            missing = parsed.isna().to_numpy()
            if missing.any():
                raise fail(missing, "true/false (missing)")
            return parsed.astype(bool)
        return parsed.astype("boolean")
    raise ValueError(f"unknown canonical dtype {dtype!r}")  # programming error, not user input


_WHAT = {
    "string": "a text label",
    "float64": "a number",
    "Int64": "a whole number",
    "boolean": "true/false",
    "bool": "true/false",
}
"""What a canonical column of each dtype holds, for messages."""


def _as_text(value: object) -> str:
    """Text of an identifier: integral floats lose their '.0' (CSV readers make 1 into 1.0)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def _as_bool(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer | float | np.floating):
        return bool(value) if value in (0, 1) else pd.NA
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return pd.NA


def canonicalize(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``frame`` with the canonical columns of ``table`` first, coerced to their dtypes.

    Extra columns are kept after the canonical ones, unchanged. The index is reset to
    0..n-1 so that "row" in messages is the position in the table.

    Raises
    ------
    DataValidationError
        A canonical column is missing, a column name appears twice, or a value cannot be
        coerced to the column's dtype (see the module docstring).
    """
    if table not in SCHEMA:
        raise ValueError(f"unknown table {table!r}; expected one of {TABLES}")
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"table '{table}' must be a pandas DataFrame, got {type(frame).__name__}",
            table=table,
        )
    spec = SCHEMA[table]
    twice = frame.columns[frame.columns.duplicated()].unique().tolist()
    if twice:
        n = int((frame.columns == twice[0]).sum())
        raise DataValidationError(
            f"table '{table}' has the column '{twice[0]}' {n} times (column '{twice[0]}', "
            f"subject None, row None); every column name must be unique: rename or drop the "
            f"copies{f' (also repeated: {twice[1:]})' if len(twice) > 1 else ''}.",
            table=table,
            column=str(twice[0]),
        )
    missing = [c for c in spec if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"table '{table}' is missing required column(s) {missing} (column '{missing[0]}', "
            f"subject None, row None); the canonical columns are {list(spec)}.",
            table=table,
            column=missing[0],
        )
    frame = frame.reset_index(drop=True)
    out = {c: _coerce_column(frame[c], spec[c], table, c, frame) for c in spec}
    extras = {c: frame[c] for c in frame.columns if c not in spec}
    return pd.DataFrame({**out, **extras}, index=frame.index)


@dataclass(frozen=True, eq=False)
class TrialData:
    """An ALS trial as four canonical tables (see the module docstring).

    Build it with :meth:`from_frames` (coerces dtypes) or from the readers
    (:func:`alstrials.read_trial`, :func:`alstrials.read_proact`), or get one from
    :func:`alstrials.simulate_trial` / :func:`alstrials.load_example`.

    Examples
    --------
    >>> import alstrials as at
    >>> trial = at.load_example()
    >>> trial.subjects.columns[:3].tolist()
    ['subject_id', 'arm', 'age']
    """

    subjects: pd.DataFrame
    alsfrs: pd.DataFrame
    mri: pd.DataFrame
    events: pd.DataFrame
    arms: tuple[str, ...] = DEFAULT_ARMS
    metadata: Mapping[str, object] = field(default_factory=dict)
    exclusions: pd.DataFrame = field(default_factory=exclusion_log)
    """Rows set aside by a reader or by lenient validation (see :func:`exclusion_log`)."""

    @classmethod
    def from_frames(
        cls,
        subjects: pd.DataFrame,
        alsfrs: pd.DataFrame,
        mri: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
        *,
        arms: Sequence[str] | None = None,
        metadata: Mapping[str, object] | None = None,
        exclusions: pd.DataFrame | None = None,
    ) -> TrialData:
        """Coerce four user frames to the canonical schema (``mri`` may be None: no scans).

        ``arms`` is the declared set of arm labels, reference arm first. When None it is
        inferred by :func:`alstrials.data.arms.infer_arms`: ("placebo", "active") when the data
        use only those labels, else two labels of which exactly one is placebo-like
        (:data:`~alstrials.data.arms.PLACEBO_LABELS`), that one first; anything else raises
        :class:`~alstrials.errors.DataValidationError` asking for ``arms``. Labels that differ
        from an arm only by case or spacing are left out of an inferred set, so validation
        reports them as likely typos.

        Raises
        ------
        DataValidationError
            A table cannot be coerced (see :func:`canonicalize`), ``arms`` is malformed, or
            the arms cannot be inferred.
        """
        tables = {
            "subjects": canonicalize(subjects, "subjects"),
            "alsfrs": canonicalize(alsfrs, "alsfrs"),
            "mri": empty_table("mri") if mri is None else canonicalize(mri, "mri"),
            "events": empty_table("events") if events is None else canonicalize(events, "events"),
        }
        s = tables["subjects"]
        arms = (
            infer_arms(s["arm"], s["subject_id"].tolist())
            if arms is None
            else check_declared_arms(arms)
        )
        return cls(
            **tables,
            arms=arms,
            metadata=dict(metadata or {}),
            exclusions=exclusion_log() if exclusions is None else exclusions,
        )

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name`` (one of :data:`TABLES`)."""
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; expected one of {TABLES}")
        return getattr(self, name)

    @property
    def n_subjects(self) -> int:
        return len(self.subjects)

    def two_arms(self, analysis: str = "this analysis") -> tuple[str, str]:
        """``(reference, active)`` of a two-arm trial.

        Parameters
        ----------
        analysis : str
            What needs two arms, for the message.

        Raises
        ------
        DataValidationError
            The trial does not declare exactly two arms.

        Examples
        --------
        >>> import alstrials as at
        >>> at.load_example().two_arms()
        ('placebo', 'active')
        """
        if len(self.arms) != 2:
            hint = (
                f"compare two of them with trial.select_arms(({self.arms[0]!r}, {self.arms[1]!r}))"
                if len(self.arms) > 2
                else DECLARE_ARMS_HINT
            )
            raise DataValidationError(
                f"{analysis} compares a reference arm with one other arm, but the trial "
                f"declares {len(self.arms)} arm(s) {list(self.arms)}: an 'active' indicator "
                f"or a single treatment effect is not defined; {hint}.",
                table="subjects",
                column="arm",
            )
        return self.arms[0], self.arms[1]

    def select_arms(self, arms: Sequence[str]) -> TrialData:
        """The trial restricted to the subjects of ``arms`` (declared in that order, reference
        first) and their rows in every table; exclusions and metadata kept.

        Raises
        ------
        DataValidationError
            ``arms`` is malformed or names an arm the trial does not declare.
        """
        chosen = check_declared_arms(arms)
        unknown = [a for a in chosen if a not in self.arms]
        if unknown:
            raise DataValidationError(
                f"select_arms: {unknown} not among the trial's arms {list(self.arms)}.",
                table="subjects",
                column="arm",
            )
        keep = set(self.subjects.loc[self.subjects["arm"].isin(chosen), "subject_id"])
        tables = {
            name: getattr(self, name)[getattr(self, name)["subject_id"].isin(keep)].reset_index(
                drop=True
            )
            for name in TABLES
        }
        return TrialData(
            **tables, arms=chosen, metadata=dict(self.metadata), exclusions=self.exclusions
        )

    def validate(self, *, lenient: bool = False) -> ValidationReport:
        """Check the trial against the schema's rules.

        Strict (default): raise :class:`~alstrials.errors.DataValidationError` at the first
        broken rule. Lenient: set offending rows aside and return them in the report's exclusion
        log together with the cleaned trial (``report.data``).
        """
        from alstrials.data.validate import validate_trial

        return validate_trial(self, lenient=lenient)

    def write(self, path: str | Path, *, format: Literal["csv", "parquet"] = "csv") -> Path:
        """Write the four tables (and a small ``trial.json``) to the folder ``path``."""
        from alstrials.data.io import write_trial

        return write_trial(self, path, format=format)

    def replace(self, **tables: pd.DataFrame) -> TrialData:
        """A copy with some tables replaced (already canonical frames); exclusions kept."""
        current = {name: getattr(self, name) for name in TABLES}
        current.update(tables)
        return TrialData(
            **current, arms=self.arms, metadata=dict(self.metadata), exclusions=self.exclusions
        )

    def __repr__(self) -> str:
        n_events = int(self.events["event"].sum()) if len(self.events) else 0
        return (
            f"TrialData({self.n_subjects} subjects, arms {list(self.arms)}, "
            f"{len(self.alsfrs)} ALSFRS-R visits, {len(self.mri)} MRI scans, "
            f"{n_events} events)"
        )

    def _repr_html_(self) -> str:
        counts = pd.DataFrame({"rows": [len(getattr(self, t)) for t in TABLES]}, index=list(TABLES))
        return f"<p><b>{self!r}</b></p>" + counts.to_html()
