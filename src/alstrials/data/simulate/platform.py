"""Simulate a platform trial: several regimens, each randomised active:placebo, shared placebo.

Model
-----
Regimen ``r`` (in the order of ``regimens``) opens at calendar month ``e_r`` (``entry_months``;
default ``r * stagger_months``) and enrols ``n_r`` participants at the order statistics of
``Uniform(e_r, e_r + accrual_months)`` draws; within the regimen ``n_r / (k + 1)`` of them
(rounded) get placebo and the others the active drug, a random permutation (``k`` =
``allocation_ratio``, 3 in HEALEY). The placebo participants of every regimen form the shared
control group of the platform.

Each participant has the calibrated baseline block of :func:`~alstrials.simulate_trial`
(:mod:`.baseline`: covariates, MRI-sign trait, random intercept ``b0_i`` and natural slope
``b1_i``). Control groups differ: the cohort of regimen ``r`` has its natural slope shifted by
``-h_r`` points/month (``h_r > 0``: faster decline), ``h_r`` from ``control_offsets`` or drawn
``N(0, control_slope_sd^2)`` (one draw per regimen, own stream). The shift applies to both arms
of the regimen (randomisation is within regimen) and enters the hazard like any slope deviation.

Disease time. With ``D_i`` = the true DRR of the participant's regimen when active and 1 on
placebo, disease time is ``tau = D_i t`` and::

    L_i(t) = b0_i + b1_i tau + c tau^2                   latent ALSFRS-R total
    S_i(t) = S0_i(tau)                                    event-free survival

where ``S0_i`` is the calibrated Weibull survival of :mod:`.events` without a treatment term
(``T_i = T0_i / D_i``). Observed totals, the 12 items, gastrostomy, informative dropout (on the
natural slope, untreated) and administrative censoring at ``follow_up_months`` (or a data
cut-off at calendar month ``data_cutoff_month``) are those of :func:`~alstrials.simulate_trial`.
No MRI is simulated (the ``mri`` table is empty).

Randomness: ``SeedSequence(seed).spawn(len(PLATFORM_STREAMS))``, one stream per component, each
drawing a number of values that depends only on the number of participants and visits.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alstrials.data.schema import ALSFRS_ITEMS, DEFAULT_ARMS, TrialData, empty_table
from alstrials.data.simulate.alsfrs import (
    allocate_items,
    gastrostomy_flags,
    latent_total,
    observed_total,
)
from alstrials.data.simulate.baseline import simulate_baseline
from alstrials.data.simulate.causes import LatentCourse, cause_probabilities, draw_causes
from alstrials.data.simulate.events import EVENT_NAMES, simulate_dropout, weibull_scale
from alstrials.data.simulate.mri import simulate_mri_effects
from alstrials.data.simulate.scenario import Scenario, _check_names
from alstrials.data.simulate.schedule import TIME_DECIMALS, simulate_grid
from alstrials.data.simulate.trial import MIN_FOLLOW_UP_MONTHS, _seed_sequence
from alstrials.errors import DesignError

__all__ = ["simulate_platform", "simulate_platform_with_truth", "PLATFORM_DEFAULTS"]

PLATFORM_STREAMS: tuple[str, ...] = (
    "enrolment",
    "allocation",
    "control_offsets",
    "covariates",
    "signs",
    "random_effects",
    "item_weights",
    "visits",
    "alsfrs_residuals",
    "item_noise",
    "gastrostomy",
    "mri",
    "events",
    "dropout",
)

PLATFORM_DEFAULTS: dict[str, Any] = {
    "visit_months": tuple(float(m) for m in range(7)),
    "follow_up_months": 6.0,
    "accrual_months": 8.0,
}
"""Scenario fields whose platform default differs from :class:`Scenario`: monthly ALSFRS-R for
24 weeks (6 months) as in HEALEY, each regimen enrolling over 8 months."""


def _regimen_map(regimens: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(regimens, Mapping) or not regimens:
        raise DesignError(
            "regimens must be a non-empty mapping of regimen name to true DRR, "
            "e.g. {'A': 0.75, 'B': 1.0}"
        )
    out: dict[str, float] = {}
    for name, drr in regimens.items():
        if not isinstance(name, str) or not name.strip():
            raise DesignError(f"regimen names must be non-empty strings, got {name!r}")
        if isinstance(drr, bool) or not isinstance(drr, numbers.Real) or not drr > 0:
            raise DesignError(f"regimens[{name!r}]: the true DRR must be a number > 0, got {drr!r}")
        out[name] = float(drr)
    return out


def _per_regimen(
    value: object, names: Sequence[str], what: str, *, integer: bool = False
) -> np.ndarray:
    if isinstance(value, Mapping):
        missing = [r for r in names if r not in value]
        extra = [r for r in value if r not in names]
        if missing or extra:
            raise DesignError(
                f"{what}: give a value for each regimen {list(names)} "
                f"(missing {missing}, unknown {extra})"
            )
        values = [value[r] for r in names]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != len(names):
            raise DesignError(f"{what}: {len(value)} values for {len(names)} regimens")
        values = list(value)
    else:
        values = [value] * len(names)
    for v in values:
        bad = isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v))
        if integer:
            bad = bad or not isinstance(v, numbers.Integral) or int(v) < 4  # type: ignore[call-overload]
        if bad:
            need = "an integer >= 4" if integer else "a finite number"
            raise DesignError(f"{what}: each value must be {need}, got {v!r}")
    return np.asarray(values, dtype=np.int64 if integer else float)


def simulate_platform_with_truth(
    regimens: Mapping[str, float] | None = None,
    n_per_regimen: int | Mapping[str, int] | Sequence[int] = 200,
    seed: object = None,
    *,
    scenario: Scenario | None = None,
    entry_months: Mapping[str, float] | Sequence[float] | None = None,
    stagger_months: float = 6.0,
    allocation_ratio: int = 3,
    control_slope_sd: float = 0.0,
    control_offsets: Mapping[str, float] | Sequence[float] | None = None,
    **params: Any,
) -> tuple[TrialData, pd.DataFrame]:
    """Simulate a platform trial and return each participant's latent truth too.

    Parameters are those of :func:`simulate_platform`.

    Returns
    -------
    trial : TrialData
    truth : pandas.DataFrame
        One row per participant: ``subject_id``, ``regimen``, ``arm``, ``drr`` (the DRR the
        participant's disease time runs at: 1 on placebo), ``intercept``, ``natural_slope``
        (points/month, untreated, control offset included), ``control_offset``, ``event_time``,
        ``dropout_time``.

    Examples
    --------
    >>> trial, truth = simulate_platform_with_truth({"A": 0.7}, 8, seed=1)
    >>> sorted(truth["drr"].unique().tolist())
    [0.7, 1.0]
    """
    regimen_drr = _regimen_map({"A": 0.75, "B": 1.0} if regimens is None else regimens)
    names = list(regimen_drr)
    n_r = _per_regimen(n_per_regimen, names, "n_per_regimen", integer=True)
    if entry_months is None:
        if not np.isfinite(stagger_months) or stagger_months < 0:
            raise DesignError(f"stagger_months must be >= 0, got {stagger_months!r}")
        entry = stagger_months * np.arange(len(names), dtype=float)
    else:
        entry = _per_regimen(entry_months, names, "entry_months")
        if np.any(entry < 0):
            raise DesignError("entry_months must be >= 0 (calendar months since platform start)")
    if isinstance(allocation_ratio, bool) or not isinstance(allocation_ratio, numbers.Integral):
        raise DesignError(f"allocation_ratio must be a positive integer, got {allocation_ratio!r}")
    if allocation_ratio < 1:
        raise DesignError(f"allocation_ratio must be >= 1, got {allocation_ratio!r}")
    if not np.isfinite(control_slope_sd) or control_slope_sd < 0:
        raise DesignError(f"control_slope_sd must be >= 0, got {control_slope_sd!r}")
    _check_names(params)
    if scenario is None:
        sc = Scenario().replace(**{**PLATFORM_DEFAULTS, **params})
    else:
        sc = scenario.replace(**params) if params else scenario
    ss, seed_record = _seed_sequence(seed)
    rng = dict(
        zip(
            PLATFORM_STREAMS,
            (np.random.default_rng(c) for c in ss.spawn(len(PLATFORM_STREAMS))),
            strict=True,
        )
    )
    n = int(n_r.sum())
    reg_index = np.repeat(np.arange(len(names)), n_r)

    # -- enrolment, allocation, control offsets ---------------------------------------------------
    u_enrol = rng["enrolment"].uniform(size=n)
    month = entry[reg_index] + sc.accrual_months * u_enrol
    active = np.zeros(n, dtype=bool)
    start = 0
    for size in n_r:
        n_placebo = int(round(size / (allocation_ratio + 1)))
        labels = np.r_[np.zeros(n_placebo, bool), np.ones(int(size) - n_placebo, bool)]
        active[start : start + size] = rng["allocation"].permutation(labels)
        start += int(size)
    z_offsets = rng["control_offsets"].standard_normal(len(names))
    if control_offsets is None:
        offsets = control_slope_sd * z_offsets
    else:
        offsets = _per_regimen(control_offsets, names, "control_offsets")
    order = np.lexsort((np.arange(n), month))  # participants numbered in enrolment order
    month, active, reg_index = month[order], active[order], reg_index[order]

    base = simulate_baseline(
        n, sc, rng["covariates"], rng["signs"], rng["random_effects"], rng["item_weights"]
    )
    natural = base.natural_slope - offsets[reg_index]
    drr = np.where(active, np.asarray([regimen_drr[r] for r in names])[reg_index], 1.0)
    mri_fx = simulate_mri_effects(base.slope_z, sc, rng["mri"])
    course = LatentCourse(
        alsfrs_intercept=base.intercept,
        alsfrs_slope=natural * drr,
        curvature=float(sc.curvature),
        cord_intercept=mri_fx.cord_intercept,
        cord_slope_per_year=mri_fx.cord_slope_per_year * drr,
    )

    # -- events: natural Weibull time divided by the DRR (disease time) --------------------------
    e = rng["events"].standard_exponential(n)
    u = rng["events"].uniform(size=n)
    x = -(natural + sc.decline_mean)
    eta = np.log(sc.sign_hr) * base.composite + np.log(sc.slope_hr) * x
    event_time = weibull_scale(sc) * (e * np.exp(-eta)) ** (1.0 / sc.event_shape) / drr
    event_code = draw_causes(u, cause_probabilities(course, event_time, sc))
    dropout_time = simulate_dropout(natural, sc, rng["dropout"])
    admin = np.full(n, float(sc.follow_up_months))
    included = np.ones(n, dtype=bool)
    if sc.data_cutoff_month is not None:
        admin = np.minimum(admin, sc.data_cutoff_month - month)
        included = month <= sc.data_cutoff_month
    end = np.minimum(np.minimum(event_time, dropout_time), admin)
    had_event = event_time <= np.minimum(dropout_time, admin)
    end_r = np.maximum(np.round(np.maximum(end, 0.0), TIME_DECIMALS), MIN_FOLLOW_UP_MONTHS)

    # -- ALSFRS-R ---------------------------------------------------------------------------------
    visits = simulate_grid(
        n, sc.visit_months, sc.visit_jitter_months, sc.visit_miss_prob, rng["visits"]
    )
    z_resid = rng["alsfrs_residuals"].standard_normal(visits.months.shape)
    z_items = rng["item_noise"].standard_normal(visits.months.shape + (12,))
    accepts = rng["gastrostomy"].uniform(size=n) < sc.gastrostomy_uptake
    nominal = np.asarray(sc.visit_months)[None, :]
    v_months = np.minimum(visits.months, sc.follow_up_months)
    tau = drr[:, None] * v_months
    latent = latent_total(base.intercept[:, None], natural[:, None], tau, sc.curvature)
    total_grid = observed_total(latent, sc.residual_sd, z_resid)
    keep = (
        visits.attended
        & (nominal <= sc.follow_up_months)
        & (v_months <= end_r[:, None])
        & included[:, None]
    )
    subj, vis = np.nonzero(keep)
    item_w = base.weights[subj] * np.exp(sc.item_noise_sd * z_items[subj, vis])
    items = allocate_items(total_grid[subj, vis], item_w)
    gastro = gastrostomy_flags(
        subj, v_months[subj, vis], items[:, 2], accepts, int(sc.gastrostomy_q3_threshold)
    )

    # -- tables -----------------------------------------------------------------------------------
    width = max(5, len(str(n)))
    ids = np.array([f"S{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    onset = np.round(base.onset_to_baseline, 2)
    arm_labels = np.array(DEFAULT_ARMS, dtype=object)[active.astype(np.int64)]
    reg_labels = np.array(names, dtype=object)[reg_index]
    sel = np.flatnonzero(included)
    subjects = pd.DataFrame(
        {
            "subject_id": ids[sel],
            "arm": arm_labels[sel],
            "age": np.round(base.age, 1)[sel],
            "sex": np.where(base.male, "M", "F").astype(object)[sel],
            "onset_site": np.where(base.bulbar, "bulbar", "spinal").astype(object)[sel],
            "onset_to_baseline_months": onset[sel],
            "delta_fs": np.round((48 - total_grid[:, 0]) / onset, 4)[sel],
            "enrollment_month": np.round(month, TIME_DECIMALS)[sel],
            "regimen": reg_labels[sel],
        }
    )
    alsfrs = pd.DataFrame({"subject_id": ids[subj], "months": v_months[subj, vis]})
    for j, item in enumerate(ALSFRS_ITEMS):
        alsfrs[item] = pd.array(items[:, j], dtype="Int64")
    alsfrs["gastrostomy"] = pd.array(gastro, dtype="boolean")
    alsfrs["alsfrs_total"] = pd.array(items.sum(axis=1), dtype="Int64")
    event_names = np.array(EVENT_NAMES + ("censored",), dtype=object)
    events = pd.DataFrame(
        {
            "subject_id": ids[sel],
            "months": end_r[sel],
            "event": had_event[sel],
            "event_type": event_names[np.where(had_event, event_code, 3)][sel],
        }
    )
    metadata = {
        "generator": "alstrials.simulate_platform",
        "seed": seed_record,
        "regimens": names,
        "n_per_regimen": [int(v) for v in n_r],
        "entry_months": [float(v) for v in entry],
        "allocation_ratio": int(allocation_ratio),
        "control_slope_sd": float(control_slope_sd),
        "streams": list(PLATFORM_STREAMS),
        "scenario": sc.to_dict(),
        "truth": {
            "drr": dict(regimen_drr),
            "control_offsets": {r: float(o) for r, o in zip(names, offsets, strict=True)},
            "placebo_mean_slope": -sc.decline_mean,
            "weibull_scale_months": weibull_scale(sc),
        },
    }
    trial = TrialData(
        subjects=subjects,
        alsfrs=alsfrs,
        mri=empty_table("mri"),
        events=events,
        arms=DEFAULT_ARMS,
        metadata=metadata,
    )
    truth = pd.DataFrame(
        {
            "subject_id": ids[sel],
            "regimen": reg_labels[sel],
            "arm": arm_labels[sel],
            "drr": drr[sel],
            "intercept": base.intercept[sel],
            "natural_slope": natural[sel],
            "control_offset": offsets[reg_index][sel],
            "event_time": event_time[sel],
            "dropout_time": dropout_time[sel],
        }
    )
    return trial, truth


def simulate_platform(
    regimens: Mapping[str, float] | None = None,
    n_per_regimen: int | Mapping[str, int] | Sequence[int] = 200,
    seed: object = None,
    **scenario: Any,
) -> TrialData:
    """Simulate a calibrated ALS platform trial with a shared placebo group.

    Parameters
    ----------
    regimens : mapping of str to float
        Regimen name -> true disease rate ratio (DRR) of its active drug (default
        ``{"A": 0.75, "B": 1.0}``). DRR 0.75: disease time, on function and survival alike,
        runs at 75% of the placebo rate.
    n_per_regimen : int, mapping or sequence of int
        Participants randomised within each regimen (active and placebo together).
    seed : int, numpy.random.SeedSequence or None
        Makes the trial reproducible (recorded in ``metadata["seed"]``).
    **scenario
        Platform options: ``entry_months`` (calendar month each regimen opens; default
        ``r * stagger_months``), ``stagger_months`` (6), ``allocation_ratio`` (active per
        placebo, 3), ``control_slope_sd`` (SD of the regimen cohorts' slope offsets, 0),
        ``control_offsets`` (the offsets themselves, points/month, positive = faster decline),
        ``scenario`` (a :class:`Scenario` to start from); and any :class:`Scenario` field
        (defaults of :data:`PLATFORM_DEFAULTS` for visits, follow-up and accrual).

    Returns
    -------
    TrialData
        ``subjects`` has a ``regimen`` column; ``arm`` is "placebo" or "active" within the
        regimen. ``metadata["truth"]`` holds the DRRs and control offsets.

    Raises
    ------
    DesignError
        Bad regimens, sizes, options, or an unknown scenario parameter.

    References
    ----------
    Quintana M et al. (2023) Design and statistical innovations in a platform trial for ALS.
    Ann Neurol 94:547-560.

    Examples
    --------
    >>> trial = simulate_platform({"A": 0.75, "B": 1.0}, n_per_regimen=40, seed=1)
    >>> trial.subjects.groupby(["regimen", "arm"]).size().to_dict()
    {('A', 'active'): 30, ('A', 'placebo'): 10, ('B', 'active'): 30, ('B', 'placebo'): 10}
    """
    trial, _ = simulate_platform_with_truth(regimens, n_per_regimen, seed, **scenario)
    return trial
