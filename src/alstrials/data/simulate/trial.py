"""Assemble a simulated two-arm ALS trial as a canonical :class:`~alstrials.data.schema.TrialData`.

Flow: enrolment and arms -> baseline covariates, MRI sign traits, random effects -> MRI scan
grid and subject effects -> event times, event types given the latent ALSFRS-R and cord-area
trajectories, dropout and censoring times -> ALSFRS-R visits (latent trajectory, observed total,
12 items, gastrostomy) and MRI values -> truncation of visits and scans at each subject's end of
follow-up (never before :data:`MIN_FOLLOW_UP_MONTHS`: every event or censoring time is > 0).
The equations are in the docstrings of :mod:`.enrolment`, :mod:`.baseline`, :mod:`.alsfrs`,
:mod:`.schedule`, :mod:`.mri`, :mod:`.events` and :mod:`.causes`.

Randomness
----------
``numpy.random.SeedSequence(seed).spawn(12)`` gives one independent stream per component, in
the order of :data:`STREAMS`. Each stream draws a number of values that depends only on the
number of subjects and the length of its schedule, never on other parameters, so e.g.
changing the MRI or event parameters leaves the ALSFRS-R draws unchanged, the cause parameters
change only ``event_type`` (never a time), and a data cut-off
returns a truncation of the uncut trial. All draws are made for every subject and every
scheduled visit before truncation.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from alstrials.data.schema import ALSFRS_ITEMS, DEFAULT_ARMS, TrialData
from alstrials.data.simulate.alsfrs import (
    allocate_items,
    gastrostomy_flags,
    latent_total,
    observed_total,
)
from alstrials.data.simulate.baseline import simulate_baseline
from alstrials.data.simulate.causes import CAUSE_COVARIATES, LatentCourse, cause_coefficients
from alstrials.data.simulate.enrolment import simulate_enrolment
from alstrials.data.simulate.events import (
    EVENT_NAMES,
    simulate_dropout,
    simulate_event_times,
    weibull_scale,
)
from alstrials.data.simulate.mri import simulate_mri_effects, simulate_mri_values
from alstrials.data.simulate.scenario import Scenario, _check_names
from alstrials.data.simulate.schedule import TIME_DECIMALS, simulate_grid
from alstrials.errors import DesignError

__all__ = ["simulate_trial", "simulate_with_truth", "STREAMS", "MIN_FOLLOW_UP_MONTHS"]

MIN_FOLLOW_UP_MONTHS = 10.0**-TIME_DECIMALS
"""Smallest observed event or censoring time (1e-4 months, about 0.003 days): a latent time
that would round to 0.0 is recorded as this, so no subject's follow-up ends at baseline (joint
and other survival models need times > 0). The draws themselves are unchanged."""

STREAMS: tuple[str, ...] = (
    "enrolment",
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
"""Names of the independent random streams, in ``SeedSequence.spawn`` order."""


def _seed_sequence(seed: object) -> tuple[np.random.SeedSequence, object]:
    if seed is None:
        ss = np.random.SeedSequence()
        return ss, ss.entropy
    if isinstance(seed, np.random.SeedSequence):
        return seed, seed.entropy
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise DesignError(
            f"seed must be a non-negative integer, a numpy SeedSequence or None, got {seed!r}"
        )
    return np.random.SeedSequence(int(seed)), int(seed)


def _int_array(values: np.ndarray) -> pd.arrays.IntegerArray:
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(values, np.zeros(len(values), dtype=bool))


def _bool_array(values: np.ndarray) -> pd.arrays.BooleanArray:
    values = np.asarray(values, dtype=bool)
    return pd.arrays.BooleanArray(values, np.zeros(len(values), dtype=bool))


def simulate_with_truth(
    n_per_arm: int = 200, seed: object = None, *, scenario: Scenario | None = None, **params: Any
) -> tuple[TrialData, pd.DataFrame]:
    """Simulate a trial and also return each subject's latent truth.

    Parameters are those of :func:`simulate_trial`.

    Returns
    -------
    trial : TrialData
        As :func:`simulate_trial` returns it.
    truth : pandas.DataFrame
        One row per subject in ``trial.subjects`` order: ``subject_id``, ``arm``,
        ``intercept`` (latent baseline total), ``natural_slope`` (untreated slope, points/month),
        ``slope`` (slope in the subject's arm), ``slope_z`` (standardised random slope),
        ``composite_sign``, ``cord_csa_intercept`` and ``cord_csa_slope_per_year`` (latent cord
        area ``a0 + a1 t/12``, mm^2), ``event_time``, ``event_cause`` (the cause of the latent
        event, observed or not), ``dropout_time`` and ``admin_time`` (latent times, months from
        baseline).

    Examples
    --------
    >>> trial, truth = simulate_with_truth(5, seed=1)
    >>> list(truth["subject_id"]) == list(trial.subjects["subject_id"])
    True
    """
    if isinstance(n_per_arm, bool) or not isinstance(n_per_arm, numbers.Integral) or n_per_arm < 1:
        raise DesignError(f"n_per_arm must be a positive integer, got {n_per_arm!r}")
    _check_names(params)
    sc = (scenario or Scenario()).replace(**params) if params else (scenario or Scenario())
    ss, seed_record = _seed_sequence(seed)
    rng = dict(
        zip(STREAMS, (np.random.default_rng(c) for c in ss.spawn(len(STREAMS))), strict=True)
    )
    n = 2 * int(n_per_arm)

    enrol = simulate_enrolment(int(n_per_arm), sc.accrual_months, rng["enrolment"])
    base = simulate_baseline(
        n, sc, rng["covariates"], rng["signs"], rng["random_effects"], rng["item_weights"]
    )
    active = enrol.active
    slope = base.natural_slope * (1.0 - sc.treatment_slowing * active)
    # MRI stream, in this order: scan grid, subject effects, then (below) scan-level noise
    scans = simulate_grid(n, sc.mri_months, sc.mri_jitter_months, sc.mri_miss_prob, rng["mri"])
    mri_fx = simulate_mri_effects(base.slope_z, sc, rng["mri"])
    course = LatentCourse(
        alsfrs_intercept=base.intercept,
        alsfrs_slope=slope,
        curvature=float(sc.curvature),
        cord_intercept=mri_fx.cord_intercept,
        cord_slope_per_year=mri_fx.cord_slope_per_year,
    )

    # -- end of follow-up per subject ---------------------------------------------------------
    event_time, event_code = simulate_event_times(
        base.natural_slope, base.composite, active, course, sc, rng["events"]
    )
    dropout_time = simulate_dropout(base.natural_slope, sc, rng["dropout"])
    admin = np.full(n, float(sc.follow_up_months))
    included = np.ones(n, dtype=bool)
    if sc.data_cutoff_month is not None:
        admin = np.minimum(admin, sc.data_cutoff_month - enrol.month)
        included = enrol.month <= sc.data_cutoff_month
    end = np.minimum(np.minimum(event_time, dropout_time), admin)
    had_event = event_time <= np.minimum(dropout_time, admin)
    # strictly after baseline: a time that rounds to 0 is recorded as the smallest positive one
    end_r = np.maximum(np.round(np.maximum(end, 0.0), TIME_DECIMALS), MIN_FOLLOW_UP_MONTHS)

    # -- ALSFRS-R ------------------------------------------------------------------------------
    visits = simulate_grid(
        n, sc.visit_months, sc.visit_jitter_months, sc.visit_miss_prob, rng["visits"]
    )
    z_resid = rng["alsfrs_residuals"].standard_normal(visits.months.shape)
    z_items = rng["item_noise"].standard_normal(visits.months.shape + (12,))
    accepts = rng["gastrostomy"].uniform(size=n) < sc.gastrostomy_uptake
    nominal = np.asarray(sc.visit_months)[None, :]
    v_months = np.minimum(visits.months, sc.follow_up_months)
    latent = latent_total(base.intercept[:, None], slope[:, None], v_months, sc.curvature)
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
    a_months = v_months[subj, vis]
    gastro = gastrostomy_flags(
        subj, a_months, items[:, 2], accepts, int(sc.gastrostomy_q3_threshold)
    )

    # -- MRI -------------------------------------------------------------------------------------
    values = simulate_mri_values(mri_fx, scans.months, sc, rng["mri"])
    s_months_grid = np.minimum(scans.months, sc.follow_up_months)
    s_keep = (
        scans.attended
        & (np.asarray(sc.mri_months)[None, :] <= sc.follow_up_months)
        & (s_months_grid <= end_r[:, None])
        & included[:, None]
    )
    m_subj, m_vis = np.nonzero(s_keep)

    # -- tables ------------------------------------------------------------------------------------
    ids = enrol.subject_id
    onset = np.round(base.onset_to_baseline, 2)
    baseline_total = total_grid[:, 0]
    arm_labels = np.array(DEFAULT_ARMS, dtype=object)[active.astype(np.int64)]
    sel = np.flatnonzero(included)
    subjects = pd.DataFrame(
        {
            "subject_id": ids[sel],
            "arm": arm_labels[sel],
            "age": np.round(base.age, 1)[sel],
            "sex": np.where(base.male, "M", "F").astype(object)[sel],
            "onset_site": np.where(base.bulbar, "bulbar", "spinal").astype(object)[sel],
            "onset_to_baseline_months": onset[sel],
            "delta_fs": np.round((48 - baseline_total) / onset, 4)[sel],
            "enrollment_month": np.round(enrol.month, TIME_DECIMALS)[sel],
        }
    )
    alsfrs = pd.DataFrame({"subject_id": ids[subj], "months": a_months})
    for j, item in enumerate(ALSFRS_ITEMS):
        alsfrs[item] = _int_array(items[:, j])
    alsfrs["gastrostomy"] = _bool_array(gastro)
    alsfrs["alsfrs_total"] = _int_array(items.sum(axis=1))
    mri = pd.DataFrame({"subject_id": ids[m_subj], "months": s_months_grid[m_subj, m_vis]})
    for name, grid in values.items():
        mri[name] = grid[m_subj, m_vis]
    mri["cst_flair_hyperintensity"] = _bool_array(base.flair[m_subj])
    mri["motor_cortex_swi_hypointensity"] = _bool_array(base.swi[m_subj])
    mri["composite_sign"] = _bool_array(base.composite[m_subj])
    names = np.array(EVENT_NAMES + ("censored",), dtype=object)
    events = pd.DataFrame(
        {
            "subject_id": ids[sel],
            "months": end_r[sel],
            "event": had_event[sel],
            "event_type": names[np.where(had_event, event_code, 3)][sel],
        }
    )

    lam = weibull_scale(sc)
    p = sc.composite_prevalence
    metadata = {
        "generator": "alstrials.simulate_trial",
        "seed": seed_record,
        "n_per_arm": int(n_per_arm),
        "streams": list(STREAMS),
        "scenario": sc.to_dict(),
        "truth": {
            "placebo_mean_slope": -sc.decline_mean,
            "active_mean_slope": -sc.decline_mean * (1 - sc.treatment_slowing),
            "slope_difference": sc.decline_mean * sc.treatment_slowing,
            "slope_random_sd": float(
                np.sqrt(sc.slope_sd**2 - sc.sign_slope_shift**2 * p * (1 - p))
            ),
            "weibull_scale_months": lam,
            "log_sign_hr": float(np.log(sc.sign_hr)),
            "log_slope_hr": float(np.log(sc.slope_hr)),
            "log_treatment_hr": float(np.log(sc.treatment_hr)),
            "cause_model": {
                "causes": list(EVENT_NAMES),
                "covariates": list(CAUSE_COVARIATES),
                "reference": [sc.baseline_mean, -sc.decline_mean, sc.cord_csa_mean_mm2],
                "log_odds_ratios": cause_coefficients(sc).tolist(),
                "event_type_probs": list(sc.event_type_probs),
            },
        },
    }
    trial = TrialData(
        subjects=subjects,
        alsfrs=alsfrs,
        mri=mri,
        events=events,
        arms=DEFAULT_ARMS,
        metadata=metadata,
    )
    truth = pd.DataFrame(
        {
            "subject_id": ids[sel],
            "arm": arm_labels[sel],
            "intercept": base.intercept[sel],
            "natural_slope": base.natural_slope[sel],
            "slope": slope[sel],
            "slope_z": base.slope_z[sel],
            "composite_sign": base.composite[sel],
            "cord_csa_intercept": mri_fx.cord_intercept[sel],
            "cord_csa_slope_per_year": mri_fx.cord_slope_per_year[sel],
            "event_time": event_time[sel],
            "event_cause": np.array(EVENT_NAMES, dtype=object)[event_code][sel],
            "dropout_time": dropout_time[sel],
            "admin_time": admin[sel],
        }
    )
    return trial, truth


def simulate_trial(
    n_per_arm: int = 200, seed: object = None, *, scenario: Scenario | None = None, **params: Any
) -> TrialData:
    """Simulate a calibrated two-arm ALS trial.

    Parameters
    ----------
    n_per_arm : int
        Subjects randomised per arm ("placebo", "active"); with a data cut-off, subjects
        enrolled after it are absent.
    seed : int, numpy.random.SeedSequence or None
        Makes the output identical, row for row, on every run. None draws fresh entropy, which
        is recorded in ``metadata["seed"]`` so the trial can be regenerated.
    scenario : Scenario, optional
        Parameters to start from (default: :class:`Scenario`'s calibrated defaults).
    **params
        Any :class:`Scenario` field, overriding ``scenario`` (e.g. ``treatment_slowing=0.3``,
        ``visit_months=range(0, 19)``, ``data_cutoff_month=15``).

    Returns
    -------
    TrialData
        Canonical tables; ``metadata`` holds ``seed``, ``n_per_arm``, ``scenario`` (all
        fields), ``streams`` and ``truth`` (mean slopes per arm, Weibull scale, log hazard
        ratios, and ``cause_model``: the cause model's reference state and log odds ratios,
        rows death / tracheostomy / permanent ventilation, columns ALSFRS-R value, ALSFRS-R
        slope, cord area; see :mod:`~alstrials.data.simulate.causes`).

    Raises
    ------
    DesignError
        Unknown parameter names, impossible values, a bad seed or ``n_per_arm``.

    References
    ----------
    Cedarbaum JM et al. (1999) J Neurol Sci 169:13 (ALSFRS-R). Paganoni S et al. (2020) NEJM
    383:919 (CENTAUR). van Eijk RPA et al. (2019) JNNP 90:1331 (Weibull hazard in trials).
    Rizzo G et al. (2020) J Clin Med 9:2538 (MRI composite sign). See ``docs/simulator.md``.

    Examples
    --------
    >>> import alstrials as at
    >>> from alstrials.data.simulate import simulate_trial
    >>> trial = simulate_trial(n_per_arm=20, seed=7)
    >>> trial.n_subjects, sorted(trial.subjects["arm"].unique())
    (40, ['active', 'placebo'])
    >>> bool((trial.alsfrs["alsfrs_total"] <= 48).all())
    True
    """
    return simulate_with_truth(n_per_arm, seed, scenario=scenario, **params)[0]
