"""Rules a canonical trial must obey, checked table by table.

Each rule is a vectorised check that marks the rows breaking it. In strict mode the first broken
rule (in the order of :data:`RULES`) raises :class:`~alstrials.errors.DataValidationError` whose
message names the table, column, subject and row (row = 0-based position in the table) and how
many rows break the rule. In lenient mode every offending row is set aside and listed in an
exclusion log (``table``, ``row``, ``subject_id``, ``reason``); when a subject is set aside
(unknown arm, no ``events`` row, duplicate subject row...) all of that subject's rows in the other
tables go with it, each logged with the reason. Nothing is dropped without a log row. A trial
without any subject is never valid (strict: an error; lenient: ``valid`` is False).

Rules
-----
all       key values present (``subject_id``, ``arm``, ``enrollment_month``, ``months``,
          ``event``, ``event_type``); every float column finite and within its plausible range
          (:data:`~alstrials.data.schema.PLAUSIBLE_RANGES`: ages, times, delta-FS, MRI
          measures); rows repeating a key (subject, or subject and months) are set aside: every
          copy when they disagree, later copies when they are identical.
subjects  arm in the declared set (a label differing from a declared arm only by case or
          spacing is reported as a likely typo of it); sex in {"F", "M"}; onset site in
          {"bulbar", "spinal", "mixed", "respiratory"}; every subject has an ``events`` row.
alsfrs    items integers in 0-4; ``alsfrs_total`` equal to the item sum (when all 12 items are
          present) and within 0-48; subject known; visit not after the subject's event or
          censoring time.
mri       ``composite_sign`` equal to FLAIR and SWI signs combined; subject known; scan not
          after the event or censoring time.
events    ``event_type`` one of death/tracheostomy/permanent_ventilation/censored and
          consistent with ``event``; subject known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin
from alstrials.data.arms import typo_of
from alstrials.data.schema import (
    ALSFRS_ITEMS,
    EVENT_TYPES,
    KEY_COLUMNS,
    PLAUSIBLE_RANGES,
    SCHEMA,
    TABLES,
    TrialData,
    exclusion_log,
)
from alstrials.errors import DataValidationError

__all__ = ["ValidationReport", "validate_trial", "RULES", "SEXES", "ONSET_SITES"]

SEXES: tuple[str, ...] = ("F", "M")
ONSET_SITES: tuple[str, ...] = ("bulbar", "spinal", "mixed", "respiratory")


@dataclass(frozen=True)
class Violation:
    """Rows of one table that break one rule."""

    table: str
    column: str
    rule: str
    mask: np.ndarray
    subject_level: bool = False  # the whole subject is set aside in lenient mode


Check = Callable[[TrialData], list[Violation]]


def _rows(frame: pd.DataFrame, mask: pd.Series | np.ndarray) -> np.ndarray:
    arr = np.asarray(mask, dtype=bool)
    return arr if arr.shape == (len(frame),) else np.zeros(len(frame), dtype=bool)


def _missing_keys(trial: TrialData) -> list[Violation]:
    out = []
    for table in TABLES:
        frame = trial.table(table)
        for column in KEY_COLUMNS[table]:
            out.append(
                Violation(
                    table,
                    column,
                    "a missing value in a key column",
                    _rows(frame, frame[column].isna()),
                    subject_level=table in ("subjects", "events"),
                )
            )
    return out


def _range_rule(low: float, high: float, unit: str) -> tuple[str, str]:
    """The texts of the 'below' and 'above' rules of a plausible range."""
    units = f" {unit}" if unit else ""
    span = f"(plausible range [{low:g}, {high:g}]{units})"
    below = "a negative value" if low == 0 else f"a value below {low:g}{units}"
    return f"{below} {span}", f"a value above {high:g}{units} {span}"


def _values(trial: TrialData) -> list[Violation]:
    """Every float column: finite, and within :data:`PLAUSIBLE_RANGES` (missing values aside)."""
    out = []
    for table in TABLES:
        frame = trial.table(table)
        level = table in ("subjects", "events")
        for column, dtype in SCHEMA[table].items():
            if dtype != "float64":
                continue
            x = frame[column].to_numpy(dtype=float)
            infinite = np.isinf(x)
            out.append(
                Violation(
                    table,
                    column,
                    "a non-finite value (inf or -inf; leave a missing value empty)",
                    _rows(frame, infinite),
                    level,
                )
            )
            low, high, unit = PLAUSIBLE_RANGES[table][column]
            below, above = _range_rule(low, high, unit)
            finite = np.isfinite(x)
            out.append(Violation(table, column, below, _rows(frame, finite & (x < low)), level))
            out.append(Violation(table, column, above, _rows(frame, finite & (x > high)), level))
    return out


def _duplicates(
    trial: TrialData, table: str, keys: list[str], what: str, subject_level: bool
) -> list[Violation]:
    """Rows sharing ``keys``: identical copies (later ones flagged) or conflicting rows (all
    flagged: which one is right cannot be told)."""
    frame = trial.table(table)
    dup = (frame.duplicated(keys, keep=False) & frame["subject_id"].notna()).to_numpy()
    conflict = np.zeros(len(frame), dtype=bool)
    if dup.any():
        canonical = [c for c in SCHEMA[table] if c in frame.columns]
        digest = pd.util.hash_pandas_object(frame[canonical], index=False)
        n_distinct = (
            frame[keys].assign(_digest=digest.to_numpy()).groupby(keys, dropna=False)["_digest"]
        ).transform("nunique")
        conflict = dup & (n_distinct.to_numpy() > 1)
    repeated = dup & ~conflict & frame.duplicated(keys, keep="first").to_numpy()
    column = keys[-1]
    return [
        Violation(
            table,
            column,
            f"a duplicate {what} whose rows disagree (all its rows are set aside: which one is "
            "right cannot be told)",
            conflict,
            subject_level,
        ),
        Violation(table, column, f"a repeated identical copy of a {what} row", repeated),
    ]


def _subject_rules(trial: TrialData) -> list[Violation]:
    s = trial.subjects
    typo = s["arm"].map(lambda v: typo_of(v, trial.arms))
    bad_arm = s["arm"].notna() & ~s["arm"].isin(trial.arms) & typo.isna()
    bad_sex = s["sex"].notna() & ~s["sex"].isin(SEXES)
    bad_site = s["onset_site"].notna() & ~s["onset_site"].isin(ONSET_SITES)
    has_event = s["subject_id"].isin(trial.events["subject_id"])
    return [
        *_duplicates(trial, "subjects", ["subject_id"], "subject (one row per subject)", True),
        *(
            Violation(
                "subjects",
                "arm",
                f"an arm label that differs from the declared arm {arm!r} only by case or "
                f"spacing (likely a typo of {arm!r})",
                _rows(s, typo == arm),
                True,
            )
            for arm in trial.arms
        ),
        Violation(
            "subjects",
            "arm",
            f"an arm label not in the declared set {list(trial.arms)}",
            _rows(s, bad_arm),
            True,
        ),
        Violation("subjects", "sex", f"a sex code not in {list(SEXES)}", _rows(s, bad_sex), True),
        Violation(
            "subjects",
            "onset_site",
            f"an onset site not in {list(ONSET_SITES)}",
            _rows(s, bad_site),
            True,
        ),
        Violation(
            "subjects",
            "subject_id",
            "a subject without an 'events' row",
            _rows(s, ~has_event & s["subject_id"].notna()),
            True,
        ),
    ]


def _item_rules(trial: TrialData) -> list[Violation]:
    a = trial.alsfrs
    out = []
    for item in ALSFRS_ITEMS:
        values = a[item]
        out.append(
            Violation(
                "alsfrs",
                item,
                "an ALSFRS-R item outside 0-4",
                _rows(a, values.notna() & ((values < 0) | (values > 4))),
            )
        )
    items = a[list(ALSFRS_ITEMS)]
    complete = items.notna().all(axis=1).to_numpy()
    item_sum = items.to_numpy(dtype=float, na_value=np.nan).sum(axis=1)
    total = a["alsfrs_total"].to_numpy(dtype=float, na_value=np.nan)
    out.append(
        Violation(
            "alsfrs",
            "alsfrs_total",
            "an 'alsfrs_total' outside 0-48",
            _rows(a, ~np.isnan(total) & ((total < 0) | (total > 48))),
        )
    )
    disagree = complete & ~np.isnan(total) & (item_sum != total)
    out.append(
        Violation(
            "alsfrs",
            "alsfrs_total",
            "an 'alsfrs_total' that disagrees with the sum of the 12 items",
            _rows(a, disagree),
        )
    )
    return out


def _mri_rules(trial: TrialData) -> list[Violation]:
    m = trial.mri
    expected = m["cst_flair_hyperintensity"] & m["motor_cortex_swi_hypointensity"]
    composite = m["composite_sign"]
    mismatch = composite.notna() & (expected.isna() | (expected != composite).fillna(True))
    return [
        Violation(
            "mri",
            "composite_sign",
            "a 'composite_sign' inconsistent with its two components "
            "(it must equal cst_flair_hyperintensity AND motor_cortex_swi_hypointensity)",
            _rows(m, mismatch),
        ),
    ]


def _visit_rules(trial: TrialData) -> list[Violation]:
    known = trial.subjects["subject_id"]
    event_time = trial.events.drop_duplicates("subject_id").set_index("subject_id")["months"]
    out = []
    for table in ("alsfrs", "mri"):
        frame = trial.table(table)
        ids = frame["subject_id"]
        what = "(subject_id, months) " + ("visit" if table == "alsfrs" else "scan")
        out.extend(_duplicates(trial, table, ["subject_id", "months"], what, False))
        out.append(
            Violation(
                table,
                "subject_id",
                "a subject not in the 'subjects' table",
                _rows(frame, ids.notna() & ~ids.isin(known)),
            )
        )
        limit = ids.map(event_time).to_numpy(dtype=float)
        after = frame["months"].to_numpy(dtype=float) > limit + 1e-9
        out.append(
            Violation(
                table,
                "months",
                "a visit or scan after the subject's event/censoring time",
                _rows(frame, after),
            )
        )
    return out


def _event_rules(trial: TrialData) -> list[Violation]:
    e = trial.events
    bad_type = e["event_type"].notna() & ~e["event_type"].isin(EVENT_TYPES)
    inconsistent = e["event_type"].isin(EVENT_TYPES) & (
        e["event"] == (e["event_type"] == "censored")
    )
    unknown = e["subject_id"].notna() & ~e["subject_id"].isin(trial.subjects["subject_id"])
    return [
        *_duplicates(trial, "events", ["subject_id"], "'events' row of a subject", True),
        Violation(
            "events",
            "event_type",
            f"an event type not in {list(EVENT_TYPES)}",
            _rows(e, bad_type),
            True,
        ),
        Violation(
            "events",
            "event",
            "an 'event' flag inconsistent with 'event_type' "
            "(event must be False exactly when event_type is 'censored')",
            _rows(e, inconsistent),
            True,
        ),
        Violation(
            "events", "subject_id", "a subject not in the 'subjects' table", _rows(e, unknown)
        ),
    ]


RULES: tuple[Check, ...] = (
    _missing_keys,
    _values,
    _subject_rules,
    _event_rules,
    _item_rules,
    _mri_rules,
    _visit_rules,
)
"""Checks in the order strict validation applies them."""


_EMPTY = "no subject at all (the 'subjects' table has no rows)"


@dataclass(frozen=True, eq=False)
class ValidationReport(ResultMixin):
    """What validation found.

    Attributes
    ----------
    valid : bool
        True when no row broke a rule and the trial has at least one subject.
    data : TrialData
        The trial with every offending row set aside (the input itself when valid).
    exclusions : pandas.DataFrame
        One row per set-aside row: ``table``, ``row`` (0-based position in the input table),
        ``subject_id``, ``reason``. Rows set aside earlier (by a reader) are kept first.
    checks : pandas.DataFrame
        One row per rule: ``table``, ``column``, ``rule``, ``n_rows`` breaking it.
    """

    valid: bool
    data: TrialData
    exclusions: pd.DataFrame
    checks: pd.DataFrame
    converged: bool = True

    def summary(self) -> pd.DataFrame:
        """Rows per table: input, kept, set aside."""
        excluded = self.exclusions["table"].value_counts()
        kept = {t: len(self.data.table(t)) for t in TABLES}
        return pd.DataFrame(
            {
                "kept": pd.Series(kept),
                "set_aside": excluded.reindex(list(TABLES), fill_value=0),
            }
        ).rename_axis("table")

    def to_text(self) -> str:
        """A human-readable report (what ``alstrials validate`` prints)."""
        lines = [f"Validation: {'VALID' if self.valid else 'INVALID'} - {self.data!r}"]
        broken = self.checks[self.checks["n_rows"] > 0]
        for rec in broken.itertuples():
            lines.append(f"  {rec.table}.{rec.column}: {rec.n_rows} row(s) with {rec.rule}")
        if self.data.n_subjects == 0:
            lines.append(f"  subjects: {_EMPTY}")
        if len(self.exclusions):
            lines.append(f"  {len(self.exclusions)} row(s) set aside (see the exclusion log)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ValidationReport(valid={self.valid}, {self.data.n_subjects} subjects kept, "
            f"{len(self.exclusions)} rows set aside)"
        )


def _message(v: Violation, trial: TrialData) -> str:
    frame = trial.table(v.table)
    pos = int(np.flatnonzero(v.mask)[0])
    subject = frame["subject_id"].iloc[pos]
    value = frame[v.column].iloc[pos]
    value = value.item() if hasattr(value, "item") else value
    n = int(v.mask.sum())
    return (
        f"table '{v.table}', column '{v.column}', subject {subject!r}, row {pos}: "
        f"{v.rule} (value {value!r}; {n} row(s) in all). Correct these rows, or call "
        f"validate(lenient=True) to set them aside with an exclusion log."
    )


def validate_trial(trial: TrialData, *, lenient: bool = False) -> ValidationReport:
    """Check ``trial`` against :data:`RULES`; see the module docstring.

    Parameters
    ----------
    trial : TrialData
        Canonical tables (as built by :meth:`TrialData.from_frames` or a reader).
    lenient : bool, default False
        False: raise at the first broken rule. True: set offending rows aside and report them.

    Returns
    -------
    ValidationReport

    Raises
    ------
    DataValidationError
        In strict mode, naming table, column, subject and row of the first offending row.

    Examples
    --------
    >>> import alstrials as at
    >>> at.load_example().validate().valid
    True
    """
    if trial.n_subjects == 0 and not lenient:
        raise DataValidationError(
            f"table 'subjects', column 'subject_id', subject None, row None: {_EMPTY} "
            f"({trial!r}); a trial needs at least one subject with an 'events' row.",
            table="subjects",
            column="subject_id",
        )
    violations: list[Violation] = []
    for check in RULES:
        found = check(trial)
        if not lenient:
            for v in found:
                if v.mask.any():
                    pos = int(np.flatnonzero(v.mask)[0])
                    raise DataValidationError(
                        _message(v, trial),
                        table=v.table,
                        column=v.column,
                        subject=trial.table(v.table)["subject_id"].iloc[pos],
                        row=pos,
                    )
        violations.extend(found)
    checks = pd.DataFrame(
        [(v.table, v.column, v.rule, int(v.mask.sum())) for v in violations],
        columns=["table", "column", "rule", "n_rows"],
    )
    checks = checks.groupby(["table", "column", "rule"], sort=False, as_index=False)["n_rows"].sum()
    if not checks["n_rows"].any():
        return ValidationReport(trial.n_subjects > 0, trial, trial.exclusions.copy(), checks)
    return _set_aside(trial, violations, checks)


def _set_aside(
    trial: TrialData, violations: list[Violation], checks: pd.DataFrame
) -> ValidationReport:
    reasons: dict[str, dict[int, list[str]]] = {t: {} for t in TABLES}
    dropped_subjects: dict[str, str] = {}
    for v in violations:
        frame = trial.table(v.table)
        for pos in np.flatnonzero(v.mask):
            reason = f"{v.column}: {v.rule}"
            reasons[v.table].setdefault(int(pos), []).append(reason)
            subject = frame["subject_id"].iloc[pos]
            if v.subject_level and isinstance(subject, str):
                dropped_subjects.setdefault(subject, f"subject set aside ({v.table}: {reason})")
    records: list[dict[str, object]] = []
    kept: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        frame = trial.table(table)
        bad = np.zeros(len(frame), dtype=bool)
        own = reasons[table]
        if own:
            bad[list(own)] = True
        cascade = frame["subject_id"].isin(list(dropped_subjects)).to_numpy() & ~bad
        for row in map(int, np.flatnonzero(bad | cascade)):
            subject = frame["subject_id"].iloc[row]
            reason = "; ".join(own[row]) if row in own else dropped_subjects[subject]
            records.append({"table": table, "row": row, "subject_id": subject, "reason": reason})
        kept[table] = frame.loc[~(bad | cascade)].reset_index(drop=True)
    log = exclusion_log(records)
    exclusions = (
        pd.concat([trial.exclusions, log], ignore_index=True) if len(trial.exclusions) else log
    )
    cleaned = TrialData(
        **kept, arms=trial.arms, metadata=dict(trial.metadata), exclusions=exclusions
    )
    return ValidationReport(False, cleaned, exclusions, checks)
