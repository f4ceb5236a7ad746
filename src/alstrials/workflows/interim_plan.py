"""The interim plan: the group-sequential design and endpoint of ``design.toml``.

Used by :func:`alstrials.workflows.interim.run_interim`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from alstrials._config import check_table, read_toml
from alstrials.design.sequential import GSDesign, group_sequential
from alstrials.errors import ConfigError, DesignError

__all__ = ["InterimPlan", "read_plan", "DESIGN_KINDS", "ENDPOINT_KINDS", "REPORT_KINDS"]

ENDPOINTS = ("slope", "events")


@dataclass(frozen=True)
class InterimPlan:
    """A group-sequential design and its endpoint, as written in ``design.toml``::

    [design]
    k = 3                                  # planned analyses
    alpha = 0.025                          # one-sided
    beta = 0.2
    boundary = "ld-obrien-fleming"         # any group_sequential boundary
    futility = "ld-obrien-fleming"         # optional beta-spending futility
    binding = false
    # info = [0.33, 0.67, 1.0]             # planned fractions (default equal)

    [endpoint]
    type = "slope"                         # or "events"
    delta = 0.25                           # slope difference, points/month (slope)
    # hr = 0.7                             # planned hazard ratio (events)
    # max_information = 180.0              # overrides the design's maximum
    allocation = 0.5                       # share randomised to the active arm
    looks = [9.0]                          # calendar months of earlier looks (at most k - 1)
    # n_total = 400                        # planned subjects (projection of look dates)
    # dropout_rate = 0.02                  # per month (projection of look dates)

    [report]                               # optional: the cover of the DMC reports
    trial = "ALS-MRI-01"                   # trial name
    version = "1.0"                        # report version
    # screened = 812                       # subjects screened (CONSORT flow)

    Unknown tables and keys are refused (:func:`read_plan`); ``n_total`` and ``dropout_rate``
    are kept in ``options``, the ``[report]`` keys in ``report``.
    """

    k: int
    endpoint: str
    effect: float
    alpha: float = 0.025
    beta: float = 0.2
    boundary: str = "ld-obrien-fleming"
    futility: str | None = None
    binding: bool = False
    gamma: float | None = None
    info: tuple[float, ...] | None = None
    max_information: float | None = None
    allocation: float = 0.5
    looks: tuple[float, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    def design(self) -> GSDesign:
        return group_sequential(
            self.k,
            alpha=self.alpha,
            boundary=self.boundary,
            info=list(self.info) if self.info else None,
            gamma=self.gamma,
            beta=self.beta,
            futility=self.futility,
            binding=self.binding,
        )

    def maximum_information(self, design: GSDesign) -> float:
        if self.max_information is not None:
            return float(self.max_information)
        theta = self.effect if self.endpoint == "slope" else -np.log(self.effect)
        fixed = ((stats.norm.ppf(1 - self.alpha) + stats.norm.ppf(1 - self.beta)) / theta) ** 2
        return float(design.inflation * fixed)


DESIGN_KINDS: dict[str, str] = {
    "k": "integer",
    "alpha": "number",
    "beta": "number",
    "boundary": "string",
    "futility": "string",
    "binding": "boolean",
    "gamma": "number",
    "info": "numbers",
}
"""Keys of the ``[design]`` table of ``design.toml`` and the kind of value each takes."""

ENDPOINT_KINDS: dict[str, str] = {
    "type": "string",
    "delta": "number",
    "hr": "number",
    "max_information": "number",
    "allocation": "number",
    "looks": "numbers",
    "n_total": "integer",
    "dropout_rate": "number",
}
"""Keys of the ``[endpoint]`` table of ``design.toml`` and the kind of value each takes."""

REPORT_KINDS: dict[str, str] = {"trial": "string", "version": "string", "screened": "integer"}
"""Keys of the optional ``[report]`` table of ``design.toml`` (the cover of the reports)."""


def read_plan(path: str | Path) -> InterimPlan:
    """Read an :class:`InterimPlan` from a TOML file (format in its docstring).

    Every key and value is checked before anything runs: unknown tables and keys are refused
    (with "did you mean ...?"), values must have the documented type, ``info`` must hold ``k``
    fractions and ``looks`` at most ``k - 1`` earlier looks (the current cut-off is the next).

    Raises
    ------
    ConfigError
        With the file, the table and the key in the message (a :class:`DesignError`).
    """
    config = read_toml(path, what="design file")
    check_table(
        config, {"design": "table", "endpoint": "table", "report": "table"}, file=path, table=None
    )
    if "design" not in config:
        raise ConfigError(f"{path}: no [design] table; it needs at least k, the planned analyses")
    design = dict(config["design"])
    endpoint = dict(config.get("endpoint", {}))
    check_table(design, DESIGN_KINDS, file=path, table="design")
    check_table(endpoint, ENDPOINT_KINDS, file=path, table="endpoint")
    report = dict(config.get("report", {}))
    check_table(report, REPORT_KINDS, file=path, table="report")
    if "screened" in report and int(report["screened"]) < 0:
        raise ConfigError(f"{path}: [report] screened must be >= 0, got {report['screened']}")
    if "k" not in design:
        raise ConfigError(f"{path}: [design] needs k, the number of planned analyses")
    k = int(design.pop("k"))
    if k < 1:
        raise ConfigError(f"{path}: [design] k must be at least 1, got {k}")
    info = tuple(float(x) for x in design.pop("info")) if "info" in design else None
    if info is not None and len(info) != k:
        raise ConfigError(
            f"{path}: [design] info has {len(info)} fraction(s) but k = {k}; give one "
            "information fraction per planned analysis"
        )
    kind = endpoint.pop("type", "slope")
    if kind not in ENDPOINTS:
        raise ConfigError(f"{path}: [endpoint] type must be one of {ENDPOINTS}, got {kind!r}")
    effect_key = "delta" if kind == "slope" else "hr"
    if effect_key not in endpoint and "max_information" not in endpoint:
        raise ConfigError(
            f"{path}: [endpoint] needs '{effect_key}' (the planned effect) or "
            f"'max_information' for a {kind} endpoint"
        )
    effect = float(endpoint.pop(effect_key, np.nan))
    if kind == "events" and not np.isnan(effect) and not 0 < effect < 1:
        raise ConfigError(f"{path}: [endpoint] hr must be in (0, 1) (a benefit), got {effect}")
    looks = tuple(float(x) for x in endpoint.pop("looks", ()))
    if len(looks) > k - 1:
        raise ConfigError(
            f"{path}: [endpoint] looks lists {len(looks)} earlier look(s) but k = {k} allows at "
            f"most {k - 1} before the current cut-off; raise k or shorten looks"
        )
    max_information = endpoint.pop("max_information", None)
    plan = InterimPlan(
        k=k,
        endpoint=kind,
        effect=effect,
        info=info,
        max_information=None if max_information is None else float(max_information),
        allocation=float(endpoint.pop("allocation", 0.5)),
        looks=looks,
        options=endpoint,
        report=report,
        **design,
    )
    try:
        plan.design()  # an unknown boundary, alpha out of range, ... named with the file
    except DesignError as exc:
        raise ConfigError(f"{path}: [design] {exc}") from None
    return plan
