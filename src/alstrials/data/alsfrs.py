"""ALSFRS-R scoring: total, subdomains, delta-FS, gastrostomy (Q5a/Q5b), King's and MiToS stages.

Definitions
-----------
The revised ALS Functional Rating Scale (Cedarbaum et al. 1999) has 12 items scored 0 (worst) to
4 (normal); the canonical item columns are :data:`alstrials.data.schema.ALSFRS_ITEMS`.

* **Total** = sum of the 12 items, 0-48. It is missing when any item is missing, unless the
  caller allows pro-rating (``max_missing > 0`` in :func:`alsfrs_total`): then a visit with at
  most ``max_missing`` missing items gets ``12 * mean(observed items)`` (a float). Pro-rating is
  off by default because a missing respiratory item is not missing at random in ALS.
* **Subdomains** (0-12 each, missing if one of their items is): bulbar Q1-Q3, fine motor Q4-Q6,
  gross motor Q7-Q9, respiratory R1-R3.
* **Q5 and gastrostomy.** The form has Q5a "cutting food without gastrostomy" and Q5b "cutting
  food with gastrostomy" (the patient answers one). The canonical table holds one ``q5_cutting``
  score and a ``gastrostomy`` flag saying it came from 5b. :func:`combine_q5` maps source 5a/5b
  columns into that pair (5a when present, else 5b with ``gastrostomy=True``); :func:`split_q5`
  inverts it.
* **delta-FS** (progression rate since onset, Kimura et al. 2006)
  ``delta_fs = (48 - total) / months_since_onset``.
* **King's clinical stage** (Roche et al. 2012; estimated from ALSFRS-R items as in Balendra et
  al. 2014). A region is involved when one of its items is below 4:
  bulbar = Q1, Q2 or Q3 < 4; upper limb = Q4 or Q5a < 4 (Q5 only when scored as 5a, i.e.
  without gastrostomy); lower limb = Q8 < 4. Stage 1-3 = number of regions involved.
  Stage 4A (need for gastrostomy) = Q5 scored as 5b (``gastrostomy`` True). Stage 4B
  (respiratory failure / need for NIV) = R1 dyspnea = 0 or R3 respiratory insufficiency < 4.
  Stage 4 overrides the region count; when both 4A and 4B hold the label is "4B" (the later
  milestone in Roche's natural history) and ``kings_gastrostomy``/``kings_respiratory`` flag
  each. A visit with no region involved gets stage 0 (not defined by Roche; "no region
  detectable by the ALSFRS-R").
* **MiToS stage** (Chio et al. 2015): number of the four functional domains lost (0-4); 5 is
  death, which items cannot show, so :func:`mitos_stage` takes an optional ``dead`` flag.
  Domain lost when: movement (walking/self-care) Q8 <= 1 or Q6 <= 1; swallowing Q3 <= 1;
  communicating Q1 <= 1 and Q4 <= 1; breathing R1 <= 1 or R3 <= 2.

Missing items propagate with Kleene logic: a region/domain is "involved/lost" if a present item
shows it, "not" if all its items are present and none shows it, and unknown otherwise; a stage
is missing when a region/domain it needs is unknown (a known stage 4 is reported regardless).

References
----------
Cedarbaum JM et al. The ALSFRS-R. J Neurol Sci 1999;169:13-21.
Kimura F et al. Progression rate of ALSFRS-R at time of diagnosis. Neurology 2006;66:265-7.
Roche JC et al. A proposed staging system for ALS. Brain 2012;135:847-52.
Balendra R et al. Estimating clinical stage of ALS from the ALS Functional Rating Scale.
ALS Frontotemporal Degener 2014;15:279-84.
Chio A et al. Development and evaluation of a clinical staging system for ALS (MiToS).
J Neurol Neurosurg Psychiatry 2015;86:38-44.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from alstrials.data.schema import ALSFRS_ITEMS
from alstrials.errors import DataValidationError, DataWarning

__all__ = [
    "SUBDOMAINS",
    "alsfrs_total",
    "alsfrs_subdomains",
    "combine_q5",
    "split_q5",
    "delta_fs",
    "kings_stage",
    "mitos_stage",
    "score_alsfrs",
]

SUBDOMAINS: dict[str, tuple[str, ...]] = {
    "bulbar": ALSFRS_ITEMS[0:3],
    "fine_motor": ALSFRS_ITEMS[3:6],
    "gross_motor": ALSFRS_ITEMS[6:9],
    "respiratory": ALSFRS_ITEMS[9:12],
}
"""ALSFRS-R subdomains (Cedarbaum 1999 item order): name -> item columns."""


def _items(frame: pd.DataFrame, items: Sequence[str], what: str) -> pd.DataFrame:
    missing = [c for c in items if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"table 'alsfrs' is missing column(s) {missing} needed for {what}; "
            f"the canonical item columns are {list(ALSFRS_ITEMS)}.",
            table="alsfrs",
            column=missing[0],
        )
    out = frame[list(items)].apply(pd.to_numeric, errors="coerce").astype("Float64")
    values = out.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isnan(values) & ((values < 0) | (values > 4) | (values != np.round(values)))
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        subject = frame["subject_id"].iloc[r] if "subject_id" in frame.columns else None
        raise DataValidationError(
            f"table 'alsfrs', column '{items[c]}', subject {subject!r}, row {r}: value "
            f"{values[r, c]!r} is not an ALSFRS-R item score (integers 0-4); "
            f"{int(bad.sum())} such value(s). Correct or blank them.",
            table="alsfrs",
            column=items[c],
            subject=subject,
            row=r,
        )
    return out


def alsfrs_total(alsfrs: pd.DataFrame, *, max_missing: int = 0) -> pd.Series:
    """ALSFRS-R total (0-48) per visit.

    Parameters
    ----------
    alsfrs : pandas.DataFrame
        A table with the 12 canonical item columns.
    max_missing : int, default 0
        Visits with up to this many missing items are pro-rated as ``12 * mean(observed)``;
        with more missing items (or any, when 0) the total is missing.

    Returns
    -------
    pandas.Series
        ``Float64`` totals (integers unless pro-rated), named ``alsfrs_total``.

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.data.schema import ALSFRS_ITEMS
    >>> visit = pd.DataFrame([[4] * 11 + [2]], columns=list(ALSFRS_ITEMS))
    >>> float(alsfrs_total(visit).iloc[0])
    46.0
    """
    if max_missing < 0 or max_missing > 11:
        raise ValueError(f"max_missing must be between 0 and 11, got {max_missing}")
    items = _items(alsfrs, ALSFRS_ITEMS, "the total").to_numpy(dtype=float, na_value=np.nan)
    n_missing = np.isnan(items).sum(axis=1)
    with np.errstate(invalid="ignore"):
        prorated = 12.0 * np.nanmean(np.where(n_missing[:, None] == 12, 0.0, items), axis=1)
    total = np.where(n_missing == 0, np.nansum(items, axis=1), np.nan)
    total = np.where((n_missing > 0) & (n_missing <= max_missing), prorated, total)
    return pd.Series(total, index=alsfrs.index, name="alsfrs_total").astype("Float64")


def alsfrs_subdomains(alsfrs: pd.DataFrame) -> pd.DataFrame:
    """The four ALSFRS-R subdomain scores (0-12; missing if one of their items is).

    Returns
    -------
    pandas.DataFrame
        Columns ``bulbar``, ``fine_motor``, ``gross_motor``, ``respiratory`` (``Int64``).

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.data.schema import ALSFRS_ITEMS
    >>> visit = pd.DataFrame([[3, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 4]], columns=list(ALSFRS_ITEMS))
    >>> alsfrs_subdomains(visit).iloc[0].tolist()
    [11, 6, 12, 12]
    """
    items = _items(alsfrs, ALSFRS_ITEMS, "the subdomains")
    return pd.DataFrame(
        {
            name: items[list(cols)].sum(axis=1, skipna=False).astype("Int64")
            for name, cols in SUBDOMAINS.items()
        },
        index=alsfrs.index,
    )


def combine_q5(q5a: pd.Series | Sequence[float], q5b: pd.Series | Sequence[float]) -> pd.DataFrame:
    """Map source Q5a (without gastrostomy) / Q5b (with gastrostomy) into the canonical pair.

    Rule: Q5a when it is present (``gastrostomy`` False); otherwise Q5b when present
    (``gastrostomy`` True); otherwise both missing. When both are recorded, Q5a is used and the
    row is flagged in ``q5_both_recorded`` so the caller can log it.

    Parameters
    ----------
    q5a, q5b : Series or sequence
        The two source columns (scores 0-4 or missing), same length.

    Returns
    -------
    pandas.DataFrame
        Columns ``q5_cutting`` (Int64), ``gastrostomy`` (boolean), ``q5_both_recorded`` (bool).

    Examples
    --------
    >>> combine_q5([3, None, None], [None, 2, None])["gastrostomy"].tolist()
    [False, True, <NA>]
    """
    a = pd.to_numeric(pd.Series(q5a, dtype=object), errors="coerce").astype("Float64")
    b = pd.to_numeric(pd.Series(q5b, dtype=object), errors="coerce").astype("Float64")
    if len(a) != len(b):
        raise ValueError(f"q5a and q5b have different lengths ({len(a)} and {len(b)})")
    index = q5a.index if isinstance(q5a, pd.Series) else pd.RangeIndex(len(a))
    a.index = b.index = index
    use_b = a.isna() & b.notna()
    score = a.where(~use_b, b)
    gastro = pd.Series(pd.NA, index=index, dtype="boolean")
    gastro[a.notna()] = False
    gastro[use_b] = True
    return pd.DataFrame(
        {
            "q5_cutting": score.round().astype("Int64"),
            "gastrostomy": gastro,
            "q5_both_recorded": (a.notna() & b.notna()).astype(bool),
        },
        index=index,
    )


def split_q5(q5_cutting: pd.Series, gastrostomy: pd.Series) -> pd.DataFrame:
    """Inverse of :func:`combine_q5`: canonical Q5 and flag -> columns ``q5a`` and ``q5b``.

    Examples
    --------
    >>> import pandas as pd
    >>> split_q5(pd.Series([3, 2]), pd.Series([False, True])).to_numpy().tolist()
    [[3, <NA>], [<NA>, 2]]
    """
    score = pd.Series(q5_cutting).astype("Int64")
    flag = pd.Series(gastrostomy, index=score.index).astype("boolean")
    missing = pd.Series(pd.NA, index=score.index, dtype="Int64")
    return pd.DataFrame(
        {
            "q5a": score.where(flag.eq(False).fillna(False), missing),
            "q5b": score.where(flag.eq(True).fillna(False), missing),
        },
        index=score.index,
    )


def _floats(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """A flat float array (missing or non-numeric -> NaN)."""
    flat = pd.Series(np.ravel(np.asarray(values, dtype=object)))
    return pd.to_numeric(flat, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def delta_fs(total: npt.ArrayLike, months_since_onset: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """delta-FS = (48 - ALSFRS-R total) / months since symptom onset (points per month).

    Parameters
    ----------
    total : array-like
        ALSFRS-R totals (0-48); missing values give missing results.
    months_since_onset : array-like
        Months from symptom onset to the visit; must be > 0 where present.

    Returns
    -------
    numpy.ndarray of float

    Raises
    ------
    DataValidationError
        A duration is zero or negative (onset after the visit?), or a total is outside 0-48.

    References
    ----------
    Kimura F et al. Neurology 2006;66:265-7.

    Examples
    --------
    >>> delta_fs([38, 44], [20.0, 10.0]).tolist()
    [0.5, 0.4]
    """
    t, d = _floats(total), _floats(months_since_onset)
    t, d = np.broadcast_arrays(t, d)
    bad = ~np.isnan(d) & (d <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"delta-FS needs a positive time since onset; row {i} has {float(d[i])!r} months "
            f"({int(bad.sum())} such row(s)). Check onset and visit times "
            f"(onset_to_baseline_months must be > 0 at baseline).",
            column="onset_to_baseline_months",
            row=i,
        )
    out_of_range = ~np.isnan(t) & ((t < 0) | (t > 48))
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        raise DataValidationError(
            f"delta-FS needs an ALSFRS-R total in 0-48; row {i} has {float(t[i])!r}.",
            column="alsfrs_total",
            row=i,
        )
    return (48.0 - t) / d


def _bool(values: pd.Series) -> pd.Series:
    return values.astype("boolean")


def kings_stage(alsfrs: pd.DataFrame) -> pd.DataFrame:
    """King's clinical stage estimated from ALSFRS-R items (Balendra et al. 2014).

    See the module docstring for the item mapping. The ``gastrostomy`` column (Q5 scored as
    5b) is required.

    Returns
    -------
    pandas.DataFrame
        ``kings_regions`` (Int64, 0-3 regions involved), ``kings_gastrostomy`` and
        ``kings_respiratory`` (boolean: stage 4A / 4B criteria), ``kings_stage`` (string "0",
        "1", "2", "3", "4A", "4B") and ``kings_stage_num`` (Int64 0-4).

    References
    ----------
    Balendra R et al. ALS Frontotemporal Degener 2014;15:279-84.
    Roche JC et al. Brain 2012;135:847-52.

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.data.schema import ALSFRS_ITEMS
    >>> v = pd.DataFrame([[3, 4, 4, 4, 4, 4, 4, 2, 4, 4, 4, 4]], columns=list(ALSFRS_ITEMS))
    >>> v["gastrostomy"] = False
    >>> kings_stage(v)["kings_stage"].tolist()
    ['2']
    """
    items = _items(alsfrs, ALSFRS_ITEMS, "King's staging")
    if "gastrostomy" not in alsfrs.columns:
        raise DataValidationError(
            "table 'alsfrs' needs a 'gastrostomy' column (True when Q5 was scored as 5b) "
            "for King's stage 4A.",
            table="alsfrs",
            column="gastrostomy",
        )
    gastro = _bool(alsfrs["gastrostomy"])
    below4 = items < 4
    bulbar = below4["q1_speech"] | below4["q2_salivation"] | below4["q3_swallowing"]
    # Q5 counts for the upper limb only when scored as 5a (no gastrostomy).
    q5a_below = below4["q5_cutting"] & ~gastro
    upper = below4["q4_handwriting"] | q5a_below
    lower = below4["q8_walking"]
    regions = pd.concat([_bool(bulbar), _bool(upper), _bool(lower)], axis=1)
    n_regions = regions.sum(axis=1, skipna=True).astype("Int64")
    n_regions[regions.isna().any(axis=1)] = pd.NA
    resp = _bool((items["r1_dyspnea"] == 0) | (items["r3_respiratory_insufficiency"] < 4))
    stage = n_regions.astype("string")
    stage[gastro.fillna(False).to_numpy(dtype=bool)] = "4A"
    stage[resp.fillna(False).to_numpy(dtype=bool)] = "4B"
    num = n_regions.copy()
    num[stage.isin(["4A", "4B"]).fillna(False).to_numpy(dtype=bool)] = 4
    return pd.DataFrame(
        {
            "kings_regions": n_regions,
            "kings_gastrostomy": gastro,
            "kings_respiratory": resp,
            "kings_stage": stage.astype(object).where(stage.notna(), None),
            "kings_stage_num": num.astype("Int64"),
        },
        index=alsfrs.index,
    )


def mitos_stage(alsfrs: pd.DataFrame, dead: pd.Series | None = None) -> pd.DataFrame:
    """MiToS stage (Chio et al. 2015): number of functional domains lost; 5 = death.

    Domains (loss of independence): movement Q8 <= 1 or Q6 <= 1; swallowing Q3 <= 1;
    communicating Q1 <= 1 and Q4 <= 1; breathing R1 <= 1 or R3 <= 2.

    Parameters
    ----------
    alsfrs : pandas.DataFrame
        Canonical item columns.
    dead : Series of bool, optional
        True where the subject has died at this time point (stage 5).

    Returns
    -------
    pandas.DataFrame
        Boolean ``mitos_movement``, ``mitos_swallowing``, ``mitos_communicating``,
        ``mitos_breathing`` and ``mitos_stage`` (Int64, 0-5).

    References
    ----------
    Chio A et al. J Neurol Neurosurg Psychiatry 2015;86:38-44.

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.data.schema import ALSFRS_ITEMS
    >>> v = pd.DataFrame([[1, 2, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4]], columns=list(ALSFRS_ITEMS))
    >>> int(mitos_stage(v)["mitos_stage"].iloc[0])
    2
    """
    items = _items(alsfrs, ALSFRS_ITEMS, "MiToS staging")
    domains = pd.DataFrame(
        {
            "mitos_movement": _bool(
                (items["q8_walking"] <= 1) | (items["q6_dressing_hygiene"] <= 1)
            ),
            "mitos_swallowing": _bool(items["q3_swallowing"] <= 1),
            "mitos_communicating": _bool(
                (items["q1_speech"] <= 1) & (items["q4_handwriting"] <= 1)
            ),
            "mitos_breathing": _bool(
                (items["r1_dyspnea"] <= 1) | (items["r3_respiratory_insufficiency"] <= 2)
            ),
        },
        index=alsfrs.index,
    )
    stage = domains.sum(axis=1, skipna=True).astype("Int64")
    stage[domains.isna().any(axis=1)] = pd.NA
    if dead is not None:
        died = pd.Series(dead, index=alsfrs.index).astype("boolean").fillna(False)
        stage[died.to_numpy(dtype=bool)] = 5
    return domains.assign(mitos_stage=stage)


def score_alsfrs(alsfrs: pd.DataFrame, subjects: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of an ``alsfrs`` table with every derived score added.

    Adds (or recomputes) ``alsfrs_total`` from complete items (a supplied total is kept where
    items are incomplete, since some sources record only totals; a supplied total that
    disagrees with complete items triggers a :class:`~alstrials.errors.DataWarning` and is
    replaced by the item sum), the four subdomains, the King's columns of :func:`kings_stage`
    and the MiToS columns of :func:`mitos_stage`. With ``subjects`` (needs ``subject_id`` and
    ``onset_to_baseline_months``) it also adds ``months_since_onset`` and the visit's
    ``delta_fs``.

    Parameters
    ----------
    alsfrs : pandas.DataFrame
        Canonical ALSFRS-R table (``subject_id``, ``months``, items, ``gastrostomy``).
    subjects : pandas.DataFrame, optional
        Canonical subjects table.

    Returns
    -------
    pandas.DataFrame
        A new frame; the input is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> from alstrials.data.schema import ALSFRS_ITEMS
    >>> a = pd.DataFrame([[4] * 12], columns=list(ALSFRS_ITEMS))
    >>> a.insert(0, "subject_id", "S1"); a.insert(1, "months", 0.0)
    >>> a["gastrostomy"] = False
    >>> s = pd.DataFrame({"subject_id": ["S1"], "onset_to_baseline_months": [12.0]})
    >>> out = score_alsfrs(a, s)
    >>> row = out.iloc[0]
    >>> int(row["alsfrs_total"]), row["kings_stage"], int(row["mitos_stage"])
    (48, '0', 0)
    >>> float(row["delta_fs"])
    0.0
    """
    out = alsfrs.copy()
    total = alsfrs_total(out)
    if "alsfrs_total" in out.columns:
        given = pd.to_numeric(out["alsfrs_total"], errors="coerce").astype("Float64")
        disagree = (total.notna() & given.notna() & (total != given)).fillna(False)
        if disagree.any():
            import warnings

            rows = np.flatnonzero(disagree.to_numpy(dtype=bool))
            warnings.warn(
                f"table 'alsfrs': {len(rows)} visit(s) have an 'alsfrs_total' that differs "
                f"from the item sum (first at row {int(rows[0])}); the item sum is used. "
                f"Inspect them with alsfrs.iloc[{rows[:5].tolist()}].",
                DataWarning,
                stacklevel=2,
            )
        total = total.where(total.notna(), given)
    out["alsfrs_total"] = total.round().astype("Int64")
    for frame in (alsfrs_subdomains(out), kings_stage(out), mitos_stage(out)):
        for col in frame.columns:
            out[col] = frame[col]
    if subjects is not None:
        for col in ("subject_id", "onset_to_baseline_months"):
            if col not in subjects.columns:
                raise DataValidationError(
                    f"table 'subjects' needs column '{col}' for delta-FS.",
                    table="subjects",
                    column=col,
                )
        onset = subjects.drop_duplicates("subject_id").set_index("subject_id")[
            "onset_to_baseline_months"
        ]
        since = out["subject_id"].map(onset).astype(float) + out["months"].astype(float)
        out["months_since_onset"] = since
        out["delta_fs"] = delta_fs(out["alsfrs_total"].astype("Float64"), since)
    return out
