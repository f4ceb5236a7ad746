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

Conversions
-----------
* Days -> months: ``months = days / 30.4375``. ``ALSFRS_Delta`` (days from trial baseline) gives
  ``alsfrs.months``; ``onset_to_baseline_months = -Onset_Delta / 30.4375`` (``Onset_Delta`` is
  negative: days before baseline).
* Q5: 5a when recorded, else 5b with ``gastrostomy = True``
  (:func:`alstrials.data.alsfrs.combine_q5`).
* ``alsfrs_total``: the item sum when all 12 items are present, else ``ALSFRS_R_Total``.
* ``delta_fs = (48 - total at the first kept visit) / (onset_to_baseline_months + months of that
  visit)``; missing when onset or that total is missing or the duration is not positive.
* Arms: ``Study_Arm`` "Placebo"/"Active" (any case) -> "placebo"/"active".
* Sex: "Male"/"Female" (or "M"/"F") -> "M"/"F"; onset site text containing "bulbar" and "limb"
  or "spinal" -> "mixed", "bulbar" -> "bulbar", "limb"/"spinal" -> "spinal", "respiratory" ->
  "respiratory", anything else -> missing.
* Events: ``Subject_Died`` yes -> death at ``Death_Days / 30.4375``; otherwise the subject is
  censored at the last kept ALSFRS-R visit (PRO-ACT has no other last-contact date). A death
  without ``Death_Days`` is logged and censored at the last visit.
* ``enrollment_month = 0`` for every subject: PRO-ACT carries no calendar dates, so data cut-offs
  by calendar time are not possible.
* ``mri`` is empty (PRO-ACT has no imaging).

Rows set aside (each logged in ``TrialData.exclusions`` with file name, 0-based row in the file,
subject and reason): ALSFRS visits recorded with the original ALSFRS (Q10 present, R1-R3 all
missing); visits without ``ALSFRS_Delta`` or before baseline (negative delta); visits with an item
outside 0-4 or not an integer; treatment rows with an unknown or missing arm; every row of a
subject without a usable treatment row or without a usable ALSFRS-R visit; second and later rows
of a subject in the one-row-per-subject files (demographics, treatment, death data; for the
history, the first row with an ``Onset_Delta`` is used). Finally the trial is validated
leniently (:func:`alstrials.data.validate.validate_trial`) and its exclusions are appended.

References
----------
Atassi N et al. The PRO-ACT database. Neurology 2014;83:1719-25.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from alstrials.data.alsfrs import combine_q5
from alstrials.data.schema import ALSFRS_ITEMS, DAYS_PER_MONTH, TrialData, exclusion_log
from alstrials.data.validate import validate_trial
from alstrials.errors import DataValidationError, DataWarning

__all__ = ["PROACT_FILES", "read_proact"]

PROACT_FILES: dict[str, tuple[str, ...]] = {
    "PROACT_ALSFRS": (
        "subject_id",
        "ALSFRS_Delta",
        "Q1_Speech",
        "Q2_Salivation",
        "Q3_Swallowing",
        "Q4_Handwriting",
        "Q5a_Cutting_without_Gastrostomy",
        "Q5b_Cutting_with_Gastrostomy",
        "Q6_Dressing_and_Hygiene",
        "Q7_Turning_in_Bed",
        "Q8_Walking",
        "Q9_Climbing_Stairs",
        "Q10_Respiratory",
        "R_1_Dyspnea",
        "R_2_Orthopnea",
        "R_3_Respiratory_Insufficiency",
    ),
    "PROACT_DEATHDATA": ("subject_id", "Subject_Died", "Death_Days"),
    "PROACT_ALSHISTORY": ("subject_id", "Site_of_Onset", "Onset_Delta"),
    "PROACT_DEMOGRAPHICS": ("subject_id", "Age", "Sex"),
    "PROACT_TREATMENT": ("subject_id", "Study_Arm"),
}
"""Required columns of each PRO-ACT file (``ALSFRS_R_Total``/``Diagnosis_Delta`` optional)."""

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
_ARMS = {"placebo": "placebo", "active": "active"}
_SEX = {"male": "M", "m": "M", "female": "F", "f": "F"}
_YES = {"yes", "y", "true", "1", "1.0"}
_NO = {"no", "n", "false", "0", "0.0"}


class _Log:
    """Collects exclusion records."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []

    def add(
        self, table: str, rows: pd.Series | np.ndarray, frame: pd.DataFrame, reason: str
    ) -> None:
        for pos in np.flatnonzero(np.asarray(rows, dtype=bool)):
            sid = frame["subject_id"].iloc[pos]
            self.records.append(
                {
                    "table": table,
                    "row": int(pos),
                    "subject_id": None if pd.isna(sid) else sid,
                    "reason": reason,
                }
            )


def _read(directory: Path, name: str) -> pd.DataFrame:
    path = directory / f"{name}.csv"
    if not path.is_file():
        raise DataValidationError(
            f"PRO-ACT file {path} not found; read_proact needs {', '.join(PROACT_FILES)} "
            f"(.csv) in {directory}.",
            table=name,
        )
    frame = pd.read_csv(path, dtype={"subject_id": str}, low_memory=False)
    missing = [c for c in PROACT_FILES[name] if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"PRO-ACT file {path.name} is missing column(s) {missing} (column '{missing[0]}'); "
            f"expected {list(PROACT_FILES[name])}.",
            table=name,
            column=missing[0],
        )
    frame["subject_id"] = frame["subject_id"].str.strip()
    return frame.reset_index(drop=True)


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def _first_rows(
    frame: pd.DataFrame,
    name: str,
    log: _Log,
    keep: set[str],
    *,
    prefer: pd.Series | None = None,
    skip: np.ndarray | None = None,
    unknown_reason: str = "subject set aside (no usable treatment row or ALSFRS-R visit)",
) -> pd.DataFrame:
    """One row per kept subject (the first, or the first where ``prefer``); log the others.

    Rows in ``skip`` were already logged by the caller and are ignored.
    """
    skip = np.zeros(len(frame), dtype=bool) if skip is None else skip
    known = frame["subject_id"].isin(keep).to_numpy() & ~skip
    key = np.zeros(len(frame)) if prefer is None else (~prefer.to_numpy(dtype=bool)).astype(float)
    order = pd.DataFrame({"sid": frame["subject_id"], "key": key, "pos": np.arange(len(frame))})
    chosen_pos = order[known].sort_values(["key", "pos"]).drop_duplicates("sid")["pos"]
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[chosen_pos.to_numpy(dtype=int)] = True
    log.add(name, ~known & ~skip, frame, unknown_reason)
    log.add(name, known & ~chosen, frame, f"duplicate row: one row per subject is used from {name}")
    return frame[chosen].set_index("subject_id")


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


def _alsfrs(raw: pd.DataFrame, log: _Log) -> pd.DataFrame:
    name = "PROACT_ALSFRS"
    items = {c: _num(raw[src]) for c, src in _ITEM_SOURCE.items()}
    q5 = combine_q5(
        _num(raw["Q5a_Cutting_without_Gastrostomy"]), _num(raw["Q5b_Cutting_with_Gastrostomy"])
    )
    resp = [items[c] for c in ("r1_dyspnea", "r2_orthopnea", "r3_respiratory_insufficiency")]
    original = (
        pd.concat(resp, axis=1).isna().all(axis=1) & _num(raw["Q10_Respiratory"]).notna()
    ).to_numpy()
    delta = _num(raw["ALSFRS_Delta"])
    values = pd.DataFrame(items).assign(q5_cutting=q5["q5_cutting"].astype(float))
    # Non-numeric text counts as invalid too: coerced NaN where the source had a value.
    source_cols = list(_ITEM_SOURCE.values())
    text_bad = pd.DataFrame({c: _num(raw[c]).isna() & raw[c].notna() for c in source_cols})
    arr = values.to_numpy(dtype=float)
    bad_item = (~np.isnan(arr) & ((arr < 0) | (arr > 4) | (arr != np.round(arr)))).any(axis=1)
    bad_item |= text_bad.any(axis=1).to_numpy()
    reasons = [
        (raw["subject_id"].isna().to_numpy(), "missing subject_id"),
        (delta.isna().to_numpy(), "missing ALSFRS_Delta (visit time)"),
        (delta.lt(0).to_numpy(), "ALSFRS_Delta < 0: visit before trial baseline"),
        (
            original,
            "original ALSFRS (Q10_Respiratory only, no R1-R3): not comparable with ALSFRS-R",
        ),
        (bad_item, "an ALSFRS-R item outside 0-4 or not an integer"),
    ]
    drop = np.zeros(len(raw), dtype=bool)
    for mask, reason in reasons:
        log.add(name, mask & ~drop, raw, reason)
        drop |= mask
    out = values.assign(
        subject_id=raw["subject_id"],
        months=delta / DAYS_PER_MONTH,
        gastrostomy=q5["gastrostomy"],
        _row=np.arange(len(raw)),
    )
    items_frame = out[list(ALSFRS_ITEMS)]
    item_sum = items_frame.sum(axis=1, skipna=False)
    given = _num(raw["ALSFRS_R_Total"]) if "ALSFRS_R_Total" in raw.columns else np.nan
    out["alsfrs_total"] = item_sum.where(items_frame.notna().all(axis=1), given)
    return out[~drop]


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
        Arms ("placebo", "active"); ``exclusions`` lists every row set aside (by the reader
        and by lenient validation); ``metadata`` has ``source = "PRO-ACT"`` and
        ``import_report``, a DataFrame with one row per source file (``stage`` "read") and per
        canonical table (``stage`` "validate"): ``rows_in``, ``rows_kept``, ``rows_set_aside``,
        ``subjects``.

    Raises
    ------
    DataValidationError
        A file or a required column is missing.

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
    raw = {name: _read(directory, name) for name in PROACT_FILES}
    log = _Log()

    # Treatment: the arm decides who is in the trial.
    trt = raw["PROACT_TREATMENT"]
    arm = trt["Study_Arm"].astype("string").str.strip().str.lower().map(_ARMS)
    bad_arm = arm.isna().to_numpy() | trt["subject_id"].isna().to_numpy()
    log.add(
        "PROACT_TREATMENT",
        bad_arm,
        trt,
        "unknown or missing Study_Arm (expected 'Placebo' or 'Active')",
    )
    n_arms = (
        pd.DataFrame({"sid": trt["subject_id"], "arm": arm})[~bad_arm]
        .groupby("sid")["arm"]
        .nunique()
    )
    conflict = ~bad_arm & trt["subject_id"].isin(set(n_arms.index[n_arms > 1])).to_numpy()
    log.add(
        "PROACT_TREATMENT",
        conflict,
        trt,
        "conflicting Study_Arm rows for the subject: subject set aside",
    )
    bad_arm |= conflict
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
    used = _first_rows(
        trt_arms,
        "PROACT_TREATMENT",
        log,
        keep,
        skip=bad_arm,
        unknown_reason="subject has no usable ALSFRS-R visit",
    )
    arms = used["arm"]

    demo = _first_rows(raw["PROACT_DEMOGRAPHICS"], "PROACT_DEMOGRAPHICS", log, keep)
    hist_raw = raw["PROACT_ALSHISTORY"]
    hist = _first_rows(
        hist_raw, "PROACT_ALSHISTORY", log, keep, prefer=_num(hist_raw["Onset_Delta"]).notna()
    )
    death = _first_rows(raw["PROACT_DEATHDATA"], "PROACT_DEATHDATA", log, keep)

    visits = visits.sort_values(["subject_id", "months"], kind="stable")
    ids = sorted(keep)
    first_visit = (
        visits.drop_duplicates("subject_id", keep="first").set_index("subject_id").reindex(ids)
    )
    last_months = visits.groupby("subject_id")["months"].max().reindex(ids)
    onset = -_num(hist["Onset_Delta"]).reindex(ids) / DAYS_PER_MONTH
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
            "age": _num(demo["Age"]).reindex(ids).to_numpy(),
            "sex": demo["Sex"]
            .astype("string")
            .str.strip()
            .str.lower()
            .map(_SEX)
            .reindex(ids)
            .astype(object)
            .to_numpy(),
            "onset_site": hist["Site_of_Onset"].map(_onset_site).reindex(ids).to_numpy(),
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
    return _finish(report.data, report.exclusions, raw, trial)


def _at(mask: pd.Series, kept: pd.DataFrame, raw: pd.DataFrame) -> np.ndarray:
    """Source-row mask of the rows of ``kept`` (which carries ``_row``) where ``mask``."""
    out = np.zeros(len(raw), dtype=bool)
    out[kept.loc[mask, "_row"].to_numpy(dtype=int)] = True
    return out


def _events(
    death: pd.DataFrame, raw: pd.DataFrame, ids: list[str], last: pd.Series, log: _Log
) -> pd.DataFrame:
    status = death["Subject_Died"].astype("string").str.strip().str.lower().reindex(ids)
    days = _num(death["Death_Days"]).reindex(ids)
    died = status.isin(list(_YES)).to_numpy(dtype=bool)
    unknown = (
        status.notna().to_numpy(dtype=bool) & ~died & ~status.isin(list(_NO)).to_numpy(dtype=bool)
    )
    no_day = died & days.isna().to_numpy()
    raw_ids = raw["subject_id"]
    first_of = ~raw_ids.duplicated(keep="first")
    for mask, reason in (
        (no_day, "death without Death_Days: subject censored at the last ALSFRS-R visit"),
        (unknown, "Subject_Died is neither yes nor no: subject censored at the last visit"),
    ):
        bad_ids = set(np.asarray(ids)[mask])
        log.add("PROACT_DEATHDATA", (raw_ids.isin(bad_ids) & first_of).to_numpy(), raw, reason)
    event = died & ~no_day
    months = np.where(event, days.to_numpy() / DAYS_PER_MONTH, last.to_numpy())
    return pd.DataFrame(
        {
            "subject_id": ids,
            "months": months,
            "event": event,
            "event_type": np.where(event, "death", "censored"),
        }
    )


def _finish(
    trial: TrialData, exclusions: pd.DataFrame, raw: dict[str, pd.DataFrame], before: TrialData
) -> TrialData:
    counts = exclusions["table"].value_counts()
    rows = []
    final = trial.subjects["subject_id"]
    for name, frame in raw.items():
        logged = exclusions.loc[exclusions["table"] == name, "row"].to_numpy(dtype=int)
        used = np.ones(len(frame), dtype=bool)
        used[logged] = False
        n_out = int(len(frame) - used.sum())
        in_final = frame["subject_id"].isin(final).to_numpy()
        rows.append(
            {
                "table": name,
                "stage": "read",
                "rows_in": len(frame),
                "rows_kept": int(used.sum()),
                "rows_set_aside": n_out,
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
