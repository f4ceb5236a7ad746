"""The user's model description, checked and put in one normal form.

``fit_joint`` accepts one marker as plain strings or several as dicts keyed by marker, an
association for every marker or per marker (and per cause), a baseline for every cause or per
cause, and a survival formula for every cause or per cause. :func:`normalise` turns these into
:class:`ModelSpec`: a tuple of markers, a tuple of causes, and for each cause its covariates,
baseline kind and association terms ``(marker index, form)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alstrials.errors import DataValidationError
from alstrials.models.formula import check_formula
from alstrials.models.joint.baselines import BASELINES

__all__ = ["FORMS", "MarkerSpec", "CauseSpec", "ModelSpec", "normalise", "parse_association"]

FORMS = ("value", "slope", "area")


@dataclass(frozen=True)
class MarkerSpec:
    """One longitudinal marker: its name (the response) and formulas."""

    name: str
    long_formula: str
    random: str


@dataclass(frozen=True)
class CauseSpec:
    """One cause-specific hazard: covariates, baseline kind and association terms."""

    name: str
    surv_formula: str
    baseline: str
    terms: tuple[tuple[int, str], ...]  # (marker index, form)


@dataclass(frozen=True)
class ModelSpec:
    markers: tuple[MarkerSpec, ...]
    causes: tuple[CauseSpec, ...]
    several_markers: bool
    competing: bool

    def term_label(self, term: tuple[int, str]) -> str:
        m, form = term
        return f"{form}({self.markers[m].name})" if self.several_markers else form


def parse_association(text: Any, where: str) -> tuple[str, ...]:
    """``"value"``, ``"slope"``, ``"area"``, ``"none"`` or a ``+``-join, as a tuple of forms.

    Examples
    --------
    >>> parse_association("value+slope", "association")
    ('value', 'slope')
    """
    if not isinstance(text, str):
        raise DataValidationError(f"{where} must be a string such as 'value', got {text!r}")
    if text.strip() == "none":
        return ()
    forms = tuple(p.strip() for p in text.split("+"))
    bad = [f for f in forms if f not in FORMS]
    if bad or len(set(forms)) != len(forms):
        raise DataValidationError(
            f"{where} must be 'value', 'slope', 'area', 'none' or a '+' combination such as "
            f"'value+slope' (JMbayes2's functional forms), got {text!r}"
        )
    return tuple(f for f in FORMS if f in forms)


def _response(formula: str, where: str) -> str:
    check_formula(formula, what=where)
    if "~" not in formula or not formula.split("~", 1)[0].strip():
        raise DataValidationError(f"{where} {formula!r} needs a response, e.g. 'y ~ time'")
    return formula.split("~", 1)[0].strip().strip("`")


def _markers(long_formula: Any, random: Any) -> tuple[tuple[MarkerSpec, ...], bool]:
    if isinstance(long_formula, str):
        if not isinstance(random, str):
            raise DataValidationError(
                "with one long_formula string, random must be a string such as '~ time'"
            )
        check_formula(random, what="random")
        name = _response(long_formula, "long_formula")
        return (MarkerSpec(name, long_formula, random),), False
    if not isinstance(long_formula, Mapping) or not long_formula:
        raise DataValidationError(
            "long_formula must be a formula string or a non-empty dict of formulas keyed by "
            f"marker, got {type(long_formula).__name__}"
        )
    if not isinstance(random, Mapping) or set(random) != set(long_formula):
        raise DataValidationError(
            "with long_formula a dict, random must be a dict with the same markers "
            f"({sorted(map(str, long_formula))}), e.g. {{'alsfrs_total': '~ months', ...}}"
        )
    out = []
    for name, formula in long_formula.items():
        where = f"long_formula[{name!r}]"
        if not isinstance(formula, str):
            raise DataValidationError(f"{where} must be a formula string, got {formula!r}")
        resp = _response(formula, where)
        if resp != name:
            raise DataValidationError(
                f"{where} has response {resp!r}; the key must be the marker the formula "
                f"models ({resp!r})"
            )
        rnd = random[name]
        if not isinstance(rnd, str):
            raise DataValidationError(f"random[{name!r}] must be a formula string, got {rnd!r}")
        check_formula(rnd, what=f"random[{name!r}]")
        out.append(MarkerSpec(str(name), formula, rnd))
    return tuple(out), len(out) > 1


def _by_cause(
    value: Any, causes: tuple[str, ...], competing: bool, what: str, marker_map: bool = False
) -> dict[str, Any]:
    """A setting for every cause, or a dict by cause (every cause named, none extra). An
    association dict is by cause only when its keys are causes (else it is by marker)."""
    by_cause = isinstance(value, Mapping) and (
        not marker_map or (competing and bool(value) and all(str(k) in causes for k in value))
    )
    if not by_cause:
        return {c: value for c in causes}
    if not competing:
        raise DataValidationError(
            f"{what} given as a dict by cause needs cause= (the column holding the event type)"
        )
    if set(map(str, value)) != set(causes):
        raise DataValidationError(
            f"{what} given by cause must name exactly the causes {list(causes)}; got "
            f"{sorted(map(str, value))}"
        )
    return {str(k): v for k, v in value.items()}


def _terms(assoc: Any, markers: tuple[MarkerSpec, ...], where: str) -> tuple[tuple[int, str], ...]:
    names = [m.name for m in markers]
    if isinstance(assoc, Mapping):
        extra = sorted(set(map(str, assoc)) - set(names))
        if extra:
            raise DataValidationError(
                f"{where} names {extra}, which are not markers; markers are {names}"
            )
        per = {m: assoc.get(m, "none") for m in names}
    else:
        per = {m: assoc for m in names}
    out = []
    for i, m in enumerate(names):
        label = f"{where} for marker {m!r}" if len(names) > 1 else where
        for form in parse_association(per[m], label):
            out.append((i, form))
    return tuple(out)


def normalise(
    long_formula: Any,
    random: Any,
    surv_formula: Any,
    association: Any,
    baseline: Any,
    causes: tuple[str, ...] | None,
) -> ModelSpec:
    """Check every model argument and return the normal form (see module docstring)."""
    markers, several = _markers(long_formula, random)
    cause_names = causes if causes is not None else ("event",)
    competing = causes is not None
    formulas = _by_cause(surv_formula, cause_names, competing, "surv_formula")
    bases = _by_cause(baseline, cause_names, competing, "baseline")
    assoc = _by_cause(association, cause_names, competing, "association", marker_map=True)
    out = []
    for c in cause_names:
        f = formulas[c]
        if not isinstance(f, str):
            raise DataValidationError(f"surv_formula must be a string such as '~ arm', got {f!r}")
        check_formula(f, what="surv_formula")
        if f.split("~", 1)[0].strip():
            raise DataValidationError(
                f"surv_formula {f!r} must be one-sided, e.g. '~ arm'", table="survival"
            )
        if not isinstance(bases[c], str) or bases[c] not in BASELINES:
            raise DataValidationError(
                f"baseline must be one of {list(BASELINES)} (or a dict by cause), got {bases[c]!r}"
            )
        where = "association" + (f" for cause {c!r}" if causes is not None else "")
        out.append(CauseSpec(c, f, bases[c], _terms(assoc[c], markers, where)))
    return ModelSpec(markers, tuple(out), several, causes is not None)
