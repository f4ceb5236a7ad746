"""Tables of a trial: the cohort (baseline) summary by arm, and any results table formatted
for a report.

Every table is a tidy DataFrame; writing it to CSV/markdown/LaTeX is the caller's choice. CSV
keeps full precision; :func:`format_table` gives the text a paper or a DMC report prints
(p-values "<0.001", counts as integers, medians "not reached", design-level quantities once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials.data.schema import TrialData
from alstrials.reporting.formatting import format_median, format_number, format_p, is_integral

__all__ = [
    "cohort_summary",
    "baseline_visits",
    "format_table",
    "FormattedTable",
    "DESIGN_LEVEL",
    "is_p_column",
]


def baseline_visits(trial: TrialData) -> pd.DataFrame:
    """Each subject's first ALSFRS-R visit (the baseline), one row per subject."""
    alsfrs = trial.alsfrs.sort_values(["subject_id", "months"], kind="stable")
    return alsfrs.drop_duplicates("subject_id", keep="first").reset_index(drop=True)


def _mean_sd(x: pd.Series) -> str:
    x = x.dropna().astype(float)
    return f"{x.mean():.1f} ({x.std(ddof=1):.1f})" if len(x) > 1 else "-"


def _median_iqr(x: pd.Series, digits: int = 1) -> str:
    """ "median (Q1-Q3)"; counts print as whole numbers where the quantile is one ("7 (5-9)")."""
    x = x.dropna().astype(float)
    if len(x) == 0:
        return "-"
    q1, q2, q3 = np.percentile(x, [25, 50, 75])
    if all(is_integral(v) for v in x):
        text = [format_number(q, 1) for q in (q2, q1, q3)]
    else:
        text = [f"{q:.{digits}f}" for q in (q2, q1, q3)]
    return f"{text[0]} ({text[1]}-{text[2]})"


def _n_pct(mask: pd.Series) -> str:
    mask = mask.dropna().astype(bool)
    return f"{int(mask.sum())} ({100 * mask.mean():.0f}%)" if len(mask) else "-"


def cohort_summary(trial: TrialData) -> pd.DataFrame:
    """Baseline characteristics and follow-up by arm (and overall).

    Rows: subjects, age, female sex, bulbar onset, onset-to-baseline months, delta-FS,
    baseline ALSFRS-R, composite MRI sign at the first scan, ALSFRS-R visits per subject,
    MRI scans, events by type, follow-up. Columns: one per arm, then "overall".
    Continuous rows read "mean (SD)" or "median (Q1-Q3)"; binary rows "n (%)".

    Examples
    --------
    >>> import alstrials as at
    >>> table = at.cohort_summary(at.load_example())
    >>> table.loc["subjects", "overall"]
    '400'
    """
    base = baseline_visits(trial).set_index("subject_id")["alsfrs_total"]
    first_scan = (
        trial.mri.sort_values(["subject_id", "months"], kind="stable")
        .drop_duplicates("subject_id")
        .set_index("subject_id")["composite_sign"]
    )
    events = trial.events.set_index("subject_id")
    visits = trial.alsfrs.groupby("subject_id").size()
    scans = trial.mri.groupby("subject_id").size()
    groups = [(arm, trial.subjects[trial.subjects["arm"] == arm]) for arm in trial.arms]
    groups.append(("overall", trial.subjects))
    columns = {}
    for label, s in groups:
        ids = s["subject_id"]
        ev = events.reindex(ids)
        col = {
            "subjects": str(len(s)),
            "age, years": _mean_sd(s["age"]),
            "female": _n_pct(s["sex"].eq("F")),
            "bulbar onset": _n_pct(s["onset_site"].eq("bulbar")),
            "onset to baseline, months": _median_iqr(s["onset_to_baseline_months"]),
            "delta-FS, points/month": _median_iqr(s["delta_fs"], digits=2),
            "baseline ALSFRS-R": _mean_sd(base.reindex(ids)),
            "composite MRI sign at first scan": _n_pct(first_scan.reindex(ids)),
            "ALSFRS-R visits per subject": _median_iqr(visits.reindex(ids).fillna(0)),
            "MRI scans per subject": _median_iqr(scans.reindex(ids).fillna(0)),
        }
        for kind in ("death", "tracheostomy", "permanent_ventilation"):
            col[f"events: {kind.replace('_', ' ')}"] = _n_pct(ev["event_type"].eq(kind))
        col["follow-up, months"] = _median_iqr(ev["months"])
        columns[label] = col
    return pd.DataFrame(columns).rename_axis("characteristic")


DESIGN_LEVEL: dict[str, str] = {
    "inflation": "Inflation factor (maximum over fixed-design information)",
    "asn_h0": "Expected information under H0 (fraction of fixed design)",
    "asn_h1": "Expected information under H1 (fraction of fixed design)",
    "expected_n": "Expected sample size",
    "expected_sample_size": "Expected sample size",
    "expected_events": "Expected events",
    "n_max": "Maximum sample size",
    "max_n": "Maximum sample size",
    "alpha": "One-sided alpha",
    "power": "Power",
}
"""Columns that describe a whole design (same on every row): shown once, under the table."""

_P_NAMES = {"p", "p_value", "pvalue", "p.value", "pr(>|z|)", "pr(>|t|)", "pr(>chisq)"}
_COUNT_NAMES = {"n", "n_risk", "n_event", "n_events", "n_censor", "events", "subjects", "stage"}
_MEDIAN_LIMITS = ("ci_low", "ci_high", "lower", "upper", "median_low", "median_high")


def is_p_column(name: object) -> bool:
    """True for p-value columns: ``p``, ``p_value``, ``*_p`` (not nominal boundaries such as
    ``p_upper``, which are design quantities printed in full)."""
    text = str(name).lower()
    return text in _P_NAMES or text.endswith("_p") or text.endswith(" p")


@dataclass(frozen=True)
class FormattedTable:
    """A table as printed: every cell text, the design-level quantities once in ``notes``.

    Attributes
    ----------
    body : DataFrame
        Text cells; the former index is the first column (no index-name header row).
    notes : tuple of str
        "Label: value" lines for the columns lifted out of the body.
    """

    body: pd.DataFrame
    notes: tuple[str, ...] = ()

    def to_html(self, *, caption: str | None = None) -> str:
        """An HTML table (escaped), one header row, notes in a paragraph under it."""
        from html import escape

        cap = f"<caption>{escape(caption)}</caption>" if caption else ""
        head = "".join(f"<th>{escape(str(c))}</th>" for c in self.body.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
            for row in self.body.itertuples(index=False)
        )
        notes = (
            '<p class="table-notes">' + "<br>".join(escape(n) for n in self.notes) + "</p>"
            if self.notes
            else ""
        )
        return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{notes}"

    def to_markdown(self) -> str:
        """A GitHub-flavoured markdown table, notes as lines under it."""
        cols = [str(c) for c in self.body.columns]
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += [
            "| " + " | ".join(str(v) for v in row) + " |"
            for row in self.body.itertuples(index=False)
        ]
        return "\n".join(lines + [""] + list(self.notes)).rstrip() + "\n"


def _cell(value: object, *, p: bool, median: bool, count: bool, float_format: str) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)) and not p:
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if p:
            return format_p(v)
        if median and not np.isfinite(v):
            return format_median(v)
        if not np.isfinite(v):
            return "-" if np.isnan(v) else ("∞" if v > 0 else "-∞")
        if count and is_integral(v):
            return str(int(v))
        return float_format.format(v)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return str(value)


def format_table(
    frame: pd.DataFrame,
    *,
    float_format: str = "{:.4g}",
    once: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> FormattedTable:
    """Turn a results table into the text a report prints (CSV files keep full precision).

    * p-values (:func:`is_p_column`) read ``"<0.001"``, ``"0.012"``, ...;
    * counts (integer columns, and float columns of whole numbers named ``n``, ``events``,
      ``n_risk``, ...) print without decimals;
    * a Kaplan-Meier median (column ``median``) and its limits that are NaN read
      "not reached" (the curve did not fall to 0.5);
    * design-level columns (:data:`DESIGN_LEVEL`, or ``once``) holding one value on every row
      are taken out of the body and given once in ``notes``;
    * the index becomes the first column (a default RangeIndex is dropped), so HTML has one
      header row and no empty index-name row.

    Parameters
    ----------
    frame : DataFrame
    float_format : str
        Format of other numbers.
    once : sequence of str, optional
        Columns to show once when constant (default: those in :data:`DESIGN_LEVEL`).
    labels : mapping, optional
        Words for the lifted columns (default :data:`DESIGN_LEVEL`'s).

    Returns
    -------
    FormattedTable

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [200.0, 200.0], "median": [14.2, float("nan")],
    ...                   "p": [0.0001, 0.2], "inflation": [1.1, 1.1]},
    ...                  index=pd.Index(["placebo", "active"], name="arm"))
    >>> f = format_table(t)
    >>> f.body.values.tolist()
    [['placebo', '200', '14.2', '<0.001'], ['active', '200', 'not reached', '0.20']]
    >>> f.notes
    ('Inflation factor (maximum over fixed-design information): 1.1',)
    """
    data = frame.copy()
    if isinstance(data.index, pd.RangeIndex) and data.index.name is None:
        data = data.reset_index(drop=True)
    else:
        names = [n if n is not None else "" for n in data.index.names]
        data.index.names = names
        data = data.reset_index()
    data.columns = [str(c) for c in data.columns]
    lift = [c for c in (once if once is not None else DESIGN_LEVEL) if c in data.columns]
    words = {**DESIGN_LEVEL, **(labels or {})}
    notes = []
    for column in lift:
        values = data[column]
        if len(data) > 1 and values.nunique(dropna=False) == 1:
            value = values.iloc[0]
            text = _cell(value, p=False, median=False, count=False, float_format=float_format)
            notes.append(f"{words.get(column, column)}: {text}")
            data = data.drop(columns=column)
    medians = "median" in data.columns
    body = {}
    for column in data.columns:
        p = is_p_column(column)
        median = medians and (column == "median" or column in _MEDIAN_LIMITS)
        count = column.lower() in _COUNT_NAMES or column.lower().startswith("n_")
        body[column] = [
            _cell(v, p=p, median=median, count=count, float_format=float_format)
            for v in data[column].tolist()
        ]
    return FormattedTable(pd.DataFrame(body, columns=list(data.columns)), tuple(notes))
