"""Reader of a PRO-ACT export (Pooled Resource Open-Access ALS Clinical Trials database).

Files and columns read (other columns are ignored):

``PROACT_ALSFRS.csv``      ``subject_id, ALSFRS_Delta, Q1_Speech, ..., Q5a_Cutting_without_
                           Gastrostomy, Q5b_Cutting_with_Gastrostomy, ..., Q10_Respiratory,
                           R_1_Dyspnea, R_2_Orthopnea, R_3_Respiratory_Insufficiency,
                           ALSFRS_Total, ALSFRS_R_Total``
``PROACT_DEATHDATA.csv``   ``subject_id, Subject_Died, Death_Days``
``PROACT_ALSHISTORY.csv``  ``subject_id, Site_of_Onset, Onset_Delta, Diagnosis_Delta``
``PROACT_DEMOGRAPHICS.csv`` ``subject_id, Age, Sex``
``PROACT_TREATMENT.csv``   ``subject_id, Study_Arm``

Files are read strictly (:mod:`alstrials.data.proact_files`): UTF-8 CSV, every row as many fields
as the header, unique column names; every field as text, a field that is empty or one of
:data:`~alstrials.data.proact_files.MISSING_TOKENS` is missing. Numbers are then parsed column by
column: text that is not a finite number is never turned into a missing value unnoticed.

Conversions
-----------
* Days -> months: ``months = days / 30.4375``. ``ALSFRS_Delta`` (days from trial baseline) gives
  ``alsfrs.months``; ``onset_to_baseline_months = -Onset_Delta / 30.4375`` (``Onset_Delta`` is
  negative: days before baseline).
* Q5: 5a when recorded, else 5b with ``gastrostomy = True``
  (:func:`alstrials.data.alsfrs.combine_q5`); a visit with both is logged (5a used).
* ``alsfrs_total``: the item sum when all 12 items are present, else ``ALSFRS_R_Total``.
* ``delta_fs = (48 - total at the first kept visit) / (onset_to_baseline_months + months of that
  visit)``; missing when onset or that total is missing or the duration is not positive.
* Arms: ``Study_Arm`` "Placebo"/"Active" (any case) -> "placebo"/"active" (declared, placebo
  the reference).
* Sex: "Male"/"Female" (or "M"/"F") -> "M"/"F"; onset site text containing "bulbar" and "limb"
  or "spinal" -> "mixed", "bulbar" -> "bulbar", "limb"/"spinal" -> "spinal", "respiratory" ->
  "respiratory".
* Events: ``Subject_Died`` yes -> death at ``Death_Days / 30.4375``; otherwise the subject is
  censored at the last kept ALSFRS-R visit (PRO-ACT has no other last-contact date). A death
  without a readable ``Death_Days`` is logged and censored at the last visit.
* ``enrollment_month = 0`` for every subject: PRO-ACT carries no calendar dates, so data cut-offs
  by calendar time are not possible.
* ``mri`` is empty (PRO-ACT has no imaging).

Rows set aside (each logged in ``TrialData.exclusions`` with file name, 0-based row in the file,
subject and reason): ALSFRS visits recorded with the original ALSFRS (Q10 present, R1-R3 all
missing); visits without a readable ``ALSFRS_Delta``, before baseline (negative) or beyond the
plausible follow-up (600 months); visits with an item (Q1-Q10, Q5a/Q5b, R1-R3) that is not a
number or not an integer in 0-4; treatment rows with an unknown or missing arm; every row of a
subject without a usable treatment row or without a usable ALSFRS-R visit; rows without
``subject_id``; second and later rows of a subject in the one-row-per-subject files
(demographics, treatment, death data; for the history, the first row with a readable
``Onset_Delta`` is used); the death row of a subject whose death cannot be dated.

Values left missing in a kept row (logged too, reason ending "value left missing (row kept)"):
``Age`` that is not a number or outside the plausible 12-110 years; ``Sex`` that is not
Male/Female; ``Onset_Delta`` that is not a number; a ``Site_of_Onset`` with no canonical site;
``ALSFRS_R_Total`` that is not an integer in 0-48; ``Death_Days`` of a subject who did not die.
Finally the trial is validated leniently (:func:`alstrials.data.validate.validate_trial`, which
checks the plausible ranges of :data:`~alstrials.data.schema.PLAUSIBLE_RANGES`) and its
exclusions are appended. When no subject is left a ``DataValidationError`` lists why.

References
----------
Atassi N et al. The PRO-ACT database. Neurology 2014;83:1719-25.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from alstrials.data.alsfrs import combine_q5
from alstrials.data.proact_files import (
    KEPT,
    PROACT_FILES,
    Log,
    first_rows,
    lower,
    number,
    read_proact_file,
    value_checks,
)
from alstrials.data.schema import (
    ALSFRS_ITEMS,
    DAYS_PER_MONTH,
    PLAUSIBLE_RANGES,
    TrialData,
    exclusion_log,
)
from alstrials.data.validate import validate_trial
from alstrials.errors import DataValidationError, DataWarning

__all__ = ["PROACT_FILES", "read_proact"]

_ITEM_SOURCE = {
    "q1_speech": "Q1_Speech",
    "q2_salivation": "Q2_Salivation",
    "q3_swallowing": "Q3_Swallowing",
    "q4_handwriting": "Q4_Handwriting",
    "q6_dressing_hygiene": "Q6_Dressing_and_Hygiene",
    "q7_turning_in_bed": "Q7_Turning_in_Bed",
    "q8_walking": "Q8_Walking",
    "q9_climbing_stairs": "Q9_Climbing_Stairs",
    "r1_dyspnea": "R_1_Dyspnea",
    "r2_orthopnea": "R_2_Orthopnea",
    "r3_respiratory_insufficiency": "R_3_Respiratory_Insufficiency",
}
_Q5A, _Q5B, _Q10 = (
    "Q5a_Cutting_without_Gastrostomy",
    "Q5b_Cutting_with_Gastrostomy",
    "Q10_Respiratory",
)
_ITEM_COLUMNS = (*_ITEM_SOURCE.values(), _Q5A, _Q5B, _Q10)
_ARMS = {"placebo": "placebo", "active": "active"}
_SEX = {"male": "M", "m": "M", "female": "F", "f": "F"}
_YES = {"yes", "y", "true", "1", "1.0"}
_NO = {"no", "n", "false", "0", "0.0"}
_AGE = PLAUSIBLE_RANGES["subjects"]["age"]
_MAX_MONTHS = PLAUSIBLE_RANGES["alsfrs"]["months"][1]


def _onset_site(value: object) -> object:
    if not isinstance(value, str):
        return None
    text = value.lower()
    bulbar = "bulbar" in text
    limb = "limb" in text or "spin" in text
    if bulbar and limb:
        return "mixed"
    if bulbar:
        return "bulbar"
    if limb:
        return "spinal"
    if "resp" in text:
        return "respiratory"
    return None


def _item_problems(raw: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[str | None]]:
    """Parsed item columns, and per row the first item that is not an integer 0-4 (or None)."""
    parsed = {c: number(raw[c])[0] for c in _ITEM_COLUMNS}
    problem: list[str | None] = [None] * len(raw)
    for c in _ITEM_COLUMNS:
        x, unread = number(raw[c])
        bad = ~np.isnan(x) & ((x < 0) | (x > 4) | (x != np.round(x)))
        for pos in np.flatnonzero(unread | bad):
            if problem[pos] is None:
                what = (
                    "is not a finite number" if unread[pos] else "is outside 0-4 or not an integer"
                )
                problem[pos] = (
                    f"{c}: value {raw[c].iloc[pos]!r} {what} (ALSFRS-R items are integers 0-4)"
                )
    return parsed, problem


def _alsfrs(raw: pd.DataFrame, log: Log) -> pd.DataFrame:
    name = "PROACT_ALSFRS"
    parsed, problem = _item_problems(raw)
    items = {c: parsed[src] for c, src in _ITEM_SOURCE.items()}
    q5 = combine_q5(parsed[_Q5A], parsed[_Q5B])
    resp = np.column_stack([items[c] for c in ALSFRS_ITEMS[-3:]])
    original = np.isnan(resp).all(axis=1) & ~np.isnan(parsed[_Q10])
    delta, delta_unread = number(raw["ALSFRS_Delta"])
    max_days = _MAX_MONTHS * DAYS_PER_MONTH
    text = raw["ALSFRS_Delta"]
    reasons: list[tuple[np.ndarray, str | Callable[[int], str]]] = [
        (raw["subject_id"].isna().to_numpy(), "missing subject_id"),
        (text.isna().to_numpy(), "missing ALSFRS_Delta (visit time)"),
        (
            delta_unread,
            lambda pos: (
                f"ALSFRS_Delta: value {text.iloc[pos]!r} is not a finite number of days "
                "(visit time)"
            ),
        ),
        (delta < 0, "ALSFRS_Delta < 0: visit before trial baseline"),
        (
            delta > max_days,
            lambda pos: (
                f"ALSFRS_Delta: value {text.iloc[pos]!r} days is beyond the plausible "
                f"follow-up of {_MAX_MONTHS:g} months ({max_days:g} days)"
            ),
        ),
        (
            original,
            "original ALSFRS (Q10_Respiratory only, no R1-R3): not comparable with ALSFRS-R",
        ),
        (np.array([p is not None for p in problem], dtype=bool), lambda pos: str(problem[pos])),
    ]
    drop = np.zeros(len(raw), dtype=bool)
    for mask, reason in reasons:
        log.add(name, mask & ~drop, raw, reason)
        drop |= mask
    both = q5["q5_both_recorded"].to_numpy(dtype=bool)
    log.add(
        name,
        both & ~drop,
        raw,
        f"{_Q5A} and {_Q5B} both recorded: {_Q5A} used, {_Q5B} ignored (row kept)",
        value_only=True,
    )
    given, given_unread = (
        number(raw["ALSFRS_R_Total"])
        if "ALSFRS_R_Total" in raw
        else (
            np.full(len(raw), np.nan),
            np.zeros(len(raw), dtype=bool),
        )
    )
    bad_total = given_unread | (
        ~np.isnan(given) & ((given < 0) | (given > 48) | (given != np.round(given)))
    )
    log.add(
        name,
        bad_total & ~drop,
        raw,
        lambda pos: (
            f"ALSFRS_R_Total: value {raw['ALSFRS_R_Total'].iloc[pos]!r} is not an "
            f"integer in 0-48; {KEPT}"
        ),
        value_only=True,
    )
    given = np.where(bad_total, np.nan, given)
    values = pd.DataFrame(items).assign(q5_cutting=q5["q5_cutting"].astype(float).to_numpy())
    out = values.assign(
        subject_id=raw["subject_id"].to_numpy(),
        months=delta / DAYS_PER_MONTH,
        gastrostomy=q5["gastrostomy"].to_numpy(),
        _row=np.arange(len(raw)),
    )
    items_frame = out[list(ALSFRS_ITEMS)]
    item_sum = items_frame.sum(axis=1, skipna=False)
    out["alsfrs_total"] = item_sum.where(items_frame.notna().all(axis=1), pd.Series(given))
    return out[~drop]


def _treatment(trt: pd.DataFrame, log: Log) -> tuple[pd.Series, np.ndarray]:
    """Canonical arm of every treatment row, and the rows set aside (logged)."""
    name = "PROACT_TREATMENT"
    text = trt["Study_Arm"]
    arm = lower(text).map(_ARMS)
    no_id = trt["subject_id"].isna().to_numpy()
    log.add(name, no_id, trt, "missing subject_id")
    bad_arm = arm.isna().to_numpy() & ~no_id
    log.add(
        name,
        bad_arm,
        trt,
        lambda pos: (
            "unknown or missing Study_Arm (expected 'Placebo' or 'Active'; value "
            f"{text.iloc[pos]!r})"
        ),
    )
    bad = bad_arm | no_id
    n_arms = pd.DataFrame({"sid": trt["subject_id"], "arm": arm})[~bad].groupby("sid")["arm"]
    counts = n_arms.nunique()
    conflict = ~bad & trt["subject_id"].isin(set(counts.index[counts > 1])).to_numpy()
    log.add(name, conflict, trt, "conflicting Study_Arm rows for the subject: subject set aside")
    return arm, bad | conflict


def read_proact(directory: str | Path) -> TrialData:
    """Read a PRO-ACT export folder into a :class:`~alstrials.data.schema.TrialData`.

    See the module docstring for files, conversions and which rows are set aside.

    Parameters
    ----------
    directory : str or Path
        Folder holding the five ``PROACT_*.csv`` files.

    Returns
    -------
    TrialData
        Arms ("placebo", "active"); ``exclusions`` lists every row set aside and every value
        left missing (by the reader and by lenient validation); ``metadata`` has
        ``source = "PRO-ACT"`` and ``import_report``, a DataFrame with one row per source file
        (``stage`` "read") and per canonical table (``stage`` "validate"): ``rows_in``,
        ``rows_kept``, ``rows_set_aside``, ``values_left_missing``, ``subjects``.

    Raises
    ------
    DataValidationError
        A file or a required column is missing, a file is not readable CSV (not UTF-8, a row
        with more or fewer fields than the header, a repeated column name), or no subject is
        usable. The message names the file (and column or line).

    References
    ----------
    Atassi N et al. Neurology 2014;83:1719-25.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> d = tempfile.mkdtemp()
    >>> items = {c: [4, 4] for c in ["Q1_Speech", "Q2_Salivation", "Q3_Swallowing",
    ...     "Q4_Handwriting", "Q5a_Cutting_without_Gastrostomy", "Q6_Dressing_and_Hygiene",
    ...     "Q7_Turning_in_Bed", "Q8_Walking", "Q9_Climbing_Stairs", "R_1_Dyspnea",
    ...     "R_2_Orthopnea", "R_3_Respiratory_Insufficiency"]}
    >>> pd.DataFrame({"subject_id": [1, 1], "ALSFRS_Delta": [0, 91], **items,
    ...     "Q5b_Cutting_with_Gastrostomy": None, "Q10_Respiratory": None}
    ...     ).to_csv(f"{d}/PROACT_ALSFRS.csv", index=False)
    >>> pd.DataFrame({"subject_id": [1], "Subject_Died": ["No"], "Death_Days": [None]}
    ...     ).to_csv(f"{d}/PROACT_DEATHDATA.csv", index=False)
    >>> pd.DataFrame({"subject_id": [1], "Site_of_Onset": ["Onset: Limb"],
    ...     "Onset_Delta": [-365]}).to_csv(f"{d}/PROACT_ALSHISTORY.csv", index=False)
    >>> pd.DataFrame({"subject_id": [1], "Age": [60], "Sex": ["Male"]}
    ...     ).to_csv(f"{d}/PROACT_DEMOGRAPHICS.csv", index=False)
    >>> pd.DataFrame({"subject_id": [1], "Study_Arm": ["Active"]}
    ...     ).to_csv(f"{d}/PROACT_TREATMENT.csv", index=False)
    >>> trial = read_proact(d)
    >>> trial
    TrialData(1 subjects, arms ['placebo', 'active'], 2 ALSFRS-R visits, 0 MRI scans, 0 events)
    """
    directory = Path(directory)
    raw = {name: read_proact_file(directory, name) for name in PROACT_FILES}
    log = Log()

    # Treatment: the arm decides who is in the trial.
    trt = raw["PROACT_TREATMENT"]
    arm, bad_arm = _treatment(trt, log)
    with_arm = set(trt.loc[~bad_arm, "subject_id"])

    visits = _alsfrs(raw["PROACT_ALSFRS"], log)
    no_arm = ~visits["subject_id"].isin(with_arm)
    log.add(
        "PROACT_ALSFRS",
        _at(no_arm, visits, raw["PROACT_ALSFRS"]),
        raw["PROACT_ALSFRS"],
        "subject has no usable PROACT_TREATMENT row",
    )
    visits = visits[~no_arm]
    keep = set(visits["subject_id"])

    trt_arms = trt.assign(arm=arm)[["subject_id", "arm"]]
    used = first_rows(
        trt_arms,
        "PROACT_TREATMENT",
        log,
        keep,
        skip=bad_arm,
        unknown_reason="subject has no usable ALSFRS-R visit",
    )
    arms = used["arm"]

    demo_raw = raw["PROACT_DEMOGRAPHICS"]
    demo = first_rows(demo_raw, "PROACT_DEMOGRAPHICS", log, keep)
    age, age_unread = number(demo["Age"])
    age_out = ~np.isnan(age) & ((age < _AGE[0]) | (age > _AGE[1]))
    value_checks(
        demo, "PROACT_DEMOGRAPHICS", "Age", demo_raw, log, age_unread, "is not a finite number"
    )
    value_checks(
        demo,
        "PROACT_DEMOGRAPHICS",
        "Age",
        demo_raw,
        log,
        age_out,
        f"is outside the plausible {_AGE[0]:g}-{_AGE[1]:g} years",
    )
    age = np.where(age_out, np.nan, age)
    sex = lower(demo["Sex"]).map(_SEX)
    value_checks(
        demo,
        "PROACT_DEMOGRAPHICS",
        "Sex",
        demo_raw,
        log,
        (sex.isna() & demo["Sex"].notna()).to_numpy(),
        "is not Male/Female (M/F)",
    )

    hist_raw = raw["PROACT_ALSHISTORY"]
    onset_days, _ = number(hist_raw["Onset_Delta"])
    hist = first_rows(hist_raw, "PROACT_ALSHISTORY", log, keep, prefer=~np.isnan(onset_days))
    onset_delta, onset_unread = number(hist["Onset_Delta"])
    value_checks(
        hist,
        "PROACT_ALSHISTORY",
        "Onset_Delta",
        hist_raw,
        log,
        onset_unread,
        "is not a finite number of days",
    )
    site = hist["Site_of_Onset"].map(_onset_site)
    value_checks(
        hist,
        "PROACT_ALSHISTORY",
        "Site_of_Onset",
        hist_raw,
        log,
        (site.isna() & hist["Site_of_Onset"].notna()).to_numpy(),
        "names no canonical onset site (bulbar, limb/spinal, both, respiratory)",
    )
    death = first_rows(raw["PROACT_DEATHDATA"], "PROACT_DEATHDATA", log, keep)

    visits = visits.sort_values(["subject_id", "months"], kind="stable")
    ids = sorted(keep)
    first_visit = (
        visits.drop_duplicates("subject_id", keep="first").set_index("subject_id").reindex(ids)
    )
    last_months = visits.groupby("subject_id")["months"].max().reindex(ids)
    onset = pd.Series(-onset_delta / DAYS_PER_MONTH, index=hist.index).reindex(ids)
    duration = onset + first_visit["months"]
    total = first_visit["alsfrs_total"].astype(float)
    ok = duration.gt(0) & total.notna()
    if (duration.le(0)).any():
        bad = duration.index[duration.le(0)].tolist()
        warnings.warn(
            f"PRO-ACT: {len(bad)} subject(s) have onset at or after their first visit "
            f"(Onset_Delta >= -ALSFRS_Delta; first: {bad[:3]}); their delta_fs is left missing.",
            DataWarning,
            stacklevel=2,
        )
    dfs = pd.Series(np.nan, index=ids)
    dfs[ok] = (48.0 - total[ok]) / duration[ok]

    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "arm": arms.reindex(ids).to_numpy(),
            "age": pd.Series(age, index=demo.index).reindex(ids).to_numpy(),
            "sex": sex.reindex(ids).astype(object).to_numpy(),
            "onset_site": site.reindex(ids).to_numpy(),
            "onset_to_baseline_months": onset.to_numpy(),
            "delta_fs": dfs.to_numpy(),
            "enrollment_month": 0.0,
        }
    )
    subjects["sex"] = subjects["sex"].where(subjects["sex"].notna(), None)

    events = _events(death, raw["PROACT_DEATHDATA"], ids, last_months, log)
    alsfrs = visits.drop(columns="_row")[
        ["subject_id", "months", *ALSFRS_ITEMS, "gastrostomy", "alsfrs_total"]
    ].reset_index(drop=True)
    order = {name: k for k, name in enumerate(PROACT_FILES)}
    records = sorted(log.records, key=lambda r: (order[str(r["table"])], cast(int, r["row"])))
    reader_log = exclusion_log(records)
    trial = TrialData.from_frames(
        subjects, alsfrs, None, events, arms=("placebo", "active"), exclusions=reader_log
    )
    report = validate_trial(trial, lenient=True)
    if report.data.n_subjects == 0:
        log_ = report.exclusions
        kept = ", ".join(
            f"{name} {len(frame) - len(log.set_aside_rows(name))}/{len(frame)}"
            for name, frame in raw.items()
        )
        top = []
        for name in raw:
            counts = log_.loc[log_["table"] == name, "reason"].value_counts()
            if len(counts):
                top.append(f"{name}: {int(counts.iloc[0])} x {counts.index[0]!r}")
        raise DataValidationError(
            f"PRO-ACT export {str(directory)!r}: no usable subject (rows kept per file: {kept}; "
            f"most frequent reason per file: {'; '.join(top) or 'none'}). Check that the five "
            "files come from the same export.",
            table="subjects",
        )
    return _finish(report.data, report.exclusions, raw, trial, log)


def _at(mask: pd.Series, kept: pd.DataFrame, raw: pd.DataFrame) -> np.ndarray:
    """Source-row mask of the rows of ``kept`` (which carries ``_row``) where ``mask``."""
    out = np.zeros(len(raw), dtype=bool)
    out[kept.loc[mask, "_row"].to_numpy(dtype=int)] = True
    return out


def _events(
    death: pd.DataFrame, raw: pd.DataFrame, ids: list[str], last: pd.Series, log: Log
) -> pd.DataFrame:
    name = "PROACT_DEATHDATA"
    status = lower(death["Subject_Died"]).reindex(ids)
    days_raw = death["Death_Days"].reindex(ids)
    days, unread = number(days_raw)
    died = status.isin(list(_YES)).to_numpy(dtype=bool)
    unknown = (
        status.notna().to_numpy(dtype=bool) & ~died & ~status.isin(list(_NO)).to_numpy(dtype=bool)
    )
    no_day = died & np.isnan(days)
    row_of = death["_row"].reindex(ids).to_numpy()

    def rows(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(len(raw), dtype=bool)
        out[row_of[mask].astype(int)] = True
        return out

    for mask, reason in (
        (no_day & ~unread, "death without Death_Days: subject censored at the last ALSFRS-R visit"),
        (
            no_day & unread,
            lambda pos: (
                f"Death_Days: value {raw['Death_Days'].iloc[pos]!r} is not a finite "
                "number of days: death without a date; subject censored at the last ALSFRS-R visit"
            ),
        ),
        (
            unknown,
            lambda pos: (
                f"Subject_Died: value {raw['Subject_Died'].iloc[pos]!r} is neither yes "
                "nor no: subject censored at the last visit"
            ),
        ),
    ):
        log.add(name, rows(mask), raw, reason)
    ignored = ~died & ~unknown & days_raw.notna().to_numpy()
    log.add(
        name,
        rows(ignored),
        raw,
        lambda pos: (
            f"Death_Days: value {raw['Death_Days'].iloc[pos]!r} ignored: Subject_Died "
            f"is {raw['Subject_Died'].iloc[pos]!r}; {KEPT}"
        ),
        value_only=True,
    )
    event = died & ~no_day
    months = np.where(event, days / DAYS_PER_MONTH, last.to_numpy())
    return pd.DataFrame(
        {
            "subject_id": ids,
            "months": months,
            "event": event,
            "event_type": np.where(event, "death", "censored"),
        }
    )


def _finish(
    trial: TrialData,
    exclusions: pd.DataFrame,
    raw: dict[str, pd.DataFrame],
    before: TrialData,
    log: Log,
) -> TrialData:
    counts = exclusions["table"].value_counts()
    rows = []
    final = trial.subjects["subject_id"]
    for name, frame in raw.items():
        used = np.ones(len(frame), dtype=bool)
        used[log.set_aside_rows(name)] = False
        in_final = frame["subject_id"].isin(final).to_numpy()
        rows.append(
            {
                "table": name,
                "stage": "read",
                "rows_in": len(frame),
                "rows_kept": int(used.sum()),
                "rows_set_aside": int(len(frame) - used.sum()),
                "values_left_missing": log.n_values(name),
                "subjects": int(frame.loc[used & in_final, "subject_id"].nunique()),
            }
        )
    for name in ("subjects", "alsfrs", "events"):
        table = trial.table(name)
        rows.append(
            {
                "table": name,
                "stage": "validate",
                "rows_in": len(before.table(name)),
                "rows_kept": len(table),
                "rows_set_aside": int(counts.get(name, 0)),
                "values_left_missing": 0,
                "subjects": int(table["subject_id"].nunique()),
            }
        )
    report = pd.DataFrame(rows)
    return TrialData(
        trial.subjects,
        trial.alsfrs,
        trial.mri,
        trial.events,
        arms=trial.arms,
        metadata={"source": "PRO-ACT", "import_report": report},
        exclusions=exclusions.reset_index(drop=True),
    )
