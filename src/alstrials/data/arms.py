"""Arm labels: which arm is the reference, and labels that look like typos of another.

A trial's arms are *declared*, reference arm first (``TrialData.arms``). When they are not
declared, :func:`infer_arms` accepts only the unambiguous cases and otherwise raises
:class:`~alstrials.errors.DataValidationError` saying how to declare them. It never picks a
reference by sorting labels.

Rules (``labels`` = the distinct arm labels found in ``subjects.arm``):

1. Labels that differ only by case, spaces, ``-`` or ``_`` ("Active", "active ", "ACTIVE")
   are the same arm misspelt: the spelling used by most subjects is kept as the label and the
   others are left out of the inferred set, so validation reports their rows as likely typos
   (:func:`typo_of`). When two spellings are equally frequent the arms must be declared.
2. Labels that are all within ``("placebo", "active")`` give ``("placebo", "active")``.
3. Otherwise there must be exactly two labels, exactly one of them placebo-like
   (:data:`PLACEBO_LABELS`, compared after :func:`normalise`): it becomes the reference.
4. Anything else (one unknown label, three or more arms, two placebo-like labels, none)
   raises: declare the arms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

from alstrials.errors import DataValidationError

__all__ = [
    "PLACEBO_LABELS",
    "DECLARE_ARMS_HINT",
    "normalise",
    "arm_key",
    "is_placebo_like",
    "placebo_reference",
    "infer_arms",
    "check_declared_arms",
    "typo_of",
]

PLACEBO_LABELS: tuple[str, ...] = (
    "placebo",
    "matching placebo",
    "placebo control",
    "control",
    "pbo",
    "sham",
    "vehicle",
    "standard of care",
    "soc",
    "standard care",
    "usual care",
    "best supportive care",
)
"""Labels recognised as the reference arm (after :func:`normalise`: case-insensitive, with
``-``/``_`` read as spaces and runs of spaces collapsed, so "Standard-of-Care" and "SoC"
match)."""

DECLARE_ARMS_HINT = (
    "declare the arms, reference arm first: TrialData.from_frames(..., arms=('placebo', "
    "'drug')), read_trial(path, arms=['placebo', 'drug']), \"arms\": [\"placebo\", \"drug\"] "
    "in the folder's trial.json, or --arms placebo,drug on the command line"
)
"""How to declare arms; quoted by every error that asks for it."""

_SEPARATORS = re.compile(r"[\s_\-]+")
DEFAULT_ARMS: tuple[str, ...] = ("placebo", "active")


def normalise(label: str) -> str:
    """``label`` in lower case, ``-``/``_`` as spaces, spaces collapsed and trimmed."""
    return _SEPARATORS.sub(" ", str(label)).strip().casefold()


def arm_key(label: str) -> str:
    """``label`` with case, spaces, ``-`` and ``_`` removed: equal keys, same arm misspelt."""
    return _SEPARATORS.sub("", str(label)).casefold()


def is_placebo_like(label: str) -> bool:
    """True when ``label`` is one of :data:`PLACEBO_LABELS` (after :func:`normalise`).

    Examples
    --------
    >>> is_placebo_like("Standard-of-Care"), is_placebo_like("drug")
    (True, False)
    """
    return normalise(label) in PLACEBO_LABELS


def placebo_reference(labels: Iterable[object]) -> str | None:
    """The one placebo-like label among ``labels``, or None when there is none or several."""
    found = [lab for lab in dict.fromkeys(labels) if isinstance(lab, str) and is_placebo_like(lab)]
    return found[0] if len(found) == 1 else None


def _first(arm: pd.Series, label: str, ids: list[object]) -> tuple[object, int]:
    """Subject and row (0-based position in the table) of the first subject with ``label``."""
    pos = int(arm.index[arm == label][0])
    return ids[pos], pos


def _spellings(arm: pd.Series, ids: list[object]) -> list[str]:
    """The labels kept by rule 1 (most frequent spelling of each arm, first-seen order)."""
    counts = arm.value_counts(sort=False)
    groups: dict[str, list[str]] = {}
    for label in counts.index:
        groups.setdefault(arm_key(label), []).append(label)
    kept = []
    for spellings in groups.values():
        ranked = sorted(spellings, key=lambda lab: -int(counts[lab]))
        if len(ranked) > 1 and counts[ranked[0]] == counts[ranked[1]]:
            where = []
            for lab in ranked[:2]:
                subject, pos = _first(arm, lab, ids)
                where.append(
                    f"{lab!r} ({int(counts[lab])} subject(s), first subject {subject!r}, row {pos})"
                )
            raise DataValidationError(
                f"table 'subjects', column 'arm': the labels {' and '.join(where)} differ only "
                f"by case or spacing, so one is probably a typo of the other; correct the "
                f"labels, or {DECLARE_ARMS_HINT}.",
                table="subjects",
                column="arm",
                subject=_first(arm, ranked[1], ids)[0],
                row=_first(arm, ranked[1], ids)[1],
            )
        kept.append(ranked[0])
    return kept


def infer_arms(labels: pd.Series, subject_ids: Sequence[object] | None = None) -> tuple[str, ...]:
    """The arm set, reference first, of a trial whose arms were not declared (module rules).

    Parameters
    ----------
    labels : pandas.Series
        ``subjects.arm`` (missing values are ignored).
    subject_ids : sequence, optional
        ``subjects.subject_id`` in the same order, to name subjects in messages.

    Returns
    -------
    tuple of str

    Raises
    ------
    DataValidationError
        The reference arm cannot be told from the labels; the message says how to declare it.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_arms(pd.Series(["drug", "placebo", "drug"]))
    ('placebo', 'drug')
    >>> infer_arms(pd.Series(["active", "placebo", "Active", "active"]))
    ('placebo', 'active')
    """
    ids: list[object] = list(subject_ids) if subject_ids is not None else list(range(len(labels)))
    arm = pd.Series(labels.to_numpy(dtype=object))  # indexed by row position
    arm = arm[arm.notna()].astype(str)
    kept = _spellings(arm, ids)
    if set(kept) <= set(DEFAULT_ARMS):
        return DEFAULT_ARMS
    reference = placebo_reference(kept)
    if len(kept) == 2 and reference is not None:
        return (reference, next(lab for lab in kept if lab != reference))
    if len(kept) == 2:
        n_like = sum(is_placebo_like(lab) for lab in kept)
        why = (
            "neither label is a placebo-like label" if n_like == 0 else "both are placebo-like"
        ) + f" (recognised: {', '.join(PLACEBO_LABELS)})"
    elif len(kept) == 1:
        why = "a single arm label that is not 'placebo' or 'active' names no comparison"
    else:
        why = f"a trial with {len(kept)} arms has no implicit reference arm"
    raise DataValidationError(
        f"table 'subjects', column 'arm': cannot tell the reference arm from the labels "
        f"{kept}: {why}. The reference arm is never chosen alphabetically; {DECLARE_ARMS_HINT}.",
        table="subjects",
        column="arm",
    )


def check_declared_arms(arms: object) -> tuple[str, ...]:
    """``arms`` as a tuple after checking it is a sequence of distinct non-empty labels.

    Raises
    ------
    DataValidationError
        A string instead of a sequence, an empty sequence, a label that is not a non-empty
        string, or two labels that are the same arm misspelt (:func:`arm_key`).
    """
    if isinstance(arms, str) or not isinstance(arms, Sequence):
        raise DataValidationError(
            f"arms must be a sequence of arm labels, reference arm first, e.g. ('placebo', "
            f"'drug'); got {arms!r}.",
            table="subjects",
            column="arm",
        )
    out = tuple(arms)
    bad = [a for a in out if not isinstance(a, str) or not a.strip()]
    if not out or bad:
        raise DataValidationError(
            f"arms must be non-empty text labels, reference arm first; got {list(out)!r}.",
            table="subjects",
            column="arm",
        )
    keys: dict[str, str] = {}
    for label in out:
        if arm_key(label) in keys:
            raise DataValidationError(
                f"the declared arms {list(out)} hold {keys[arm_key(label)]!r} and {label!r}, "
                f"which differ only by case or spacing; declare each arm once.",
                table="subjects",
                column="arm",
            )
        keys[arm_key(label)] = label
    return out


def typo_of(label: object, arms: Sequence[str]) -> str | None:
    """The declared arm that ``label`` (not itself declared) misspells, if any.

    Examples
    --------
    >>> typo_of("Active ", ("placebo", "active")), typo_of("drug", ("placebo", "active"))
    ('active', None)
    """
    if not isinstance(label, str) or label in arms:
        return None
    key = arm_key(label)
    return next((a for a in arms if arm_key(a) == key), None)
