"""The parameters of the simulated ALS trial: one frozen :class:`Scenario`.

Every field is documented with its value, unit, source (``docs/simulator.md``, Calibration sources)
and status:
*seen* (read in the published text), *derived* (arithmetic on seen figures) or *unverified* (an
assumption; use as a sensitivity range). ``docs/simulator.md`` has the same table.

A scenario is validated once, when it is built: impossible values (negative SD, probability
outside [0, 1], unknown keyword...) raise :class:`~alstrials.errors.DesignError`.
:func:`scenario_from_dict` and :func:`scenario_from_toml` build one from a configuration file.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from alstrials.errors import DesignError

__all__ = ["Scenario", "scenario_from_dict", "scenario_from_toml", "DOMAINS"]

DOMAINS: tuple[str, ...] = ("bulbar", "fine_motor", "gross_motor", "respiratory")
"""ALSFRS-R domains in the order of the weight tuples (Q1-3, Q4-6, Q7-9, R1-3)."""

CAUSE_LOG_OR_FIELDS: tuple[str, ...] = (
    "cause_alsfrs_log_or",
    "cause_alsfrs_slope_log_or",
    "cause_cord_csa_log_or",
)
"""Fields holding the (tracheostomy, permanent ventilation) log odds ratios of the cause model."""


@dataclass(frozen=True)
class Scenario:
    """Parameters of the generative model (defaults: ``docs/simulator.md``, Calibration sources).

    Time is in months, ALSFRS-R in points. ``status`` below is seen / derived / unverified.

    Attributes
    ----------
    accrual_months : float
        12.0 months. Length of the accrual period; enrolment times are the order statistics of
        uniform draws on [0, accrual_months] (a Poisson accrual conditioned on its total).
        Unverified (typical).
    age_mean, age_sd : float
        57.0 and 11.0 years; normal, clipped to [18, 90]. Unverified (typical trial cohorts).
    male_fraction : float
        0.63. Probability of sex "M". Unverified (typical trial cohorts).
    bulbar_fraction : float
        0.30. Probability of bulbar onset (otherwise spinal). Unverified (brief; registries).
    onset_to_baseline_median_months, onset_to_baseline_sdlog : float
        20.0 months and 0.5; log-normal, clipped to >= 2 months. Unverified (typical trial
        eligibility windows of up to 24-36 months).
    baseline_mean, baseline_sd : float
        38.0 and 5.0 points: mean and SD of the latent ALSFRS-R total at baseline (random
        intercept). Unverified (typical trial cohorts).
    decline_mean : float
        1.0 points/month: population mean decline of the latent total under placebo.
        Seen (1.02, PRO-ACT, Neurology 2014; -0.99, Muscle Nerve 2018).
    slope_sd : float
        0.6 points/month: between-patient SD of the slope (including the part explained by the
        composite sign). Derived (0.5-0.65, van Eijk 2019).
    residual_sd : float
        1.5 points: within-patient SD of the observed total around the latent trajectory
        (integer rounding included). Derived (1.2-1.8 from intra-rater ICC 0.95).
    intercept_slope_corr : float
        -0.2: correlation of random intercept and random slope. Unverified (-0.4 to 0).
    curvature : float
        0.0 points/month^2: common quadratic term of the latent trajectory (negative means
        accelerating decline). Unverified ("slight acceleration", Muscle Nerve 2018).
    bulbar_onset_weights, spinal_onset_weights : tuple of 4 floats
        (3.0, 1.0, 0.8, 0.5) and (0.6, 2.0, 2.0, 0.5): relative rates at which the bulbar,
        fine-motor, gross-motor and respiratory items lose points, by onset site. Unverified.
    item_weight_multipliers : tuple of 12 floats
        1.0 for every item except R3 respiratory insufficiency (0.25): within-domain rates, so
        that NIV use (R3 < 4) comes late, after dyspnoea and orthopnoea; trials rarely enrol
        NIV users. Unverified (clinical course).
    weight_cv : float
        0.35: coefficient of variation of a subject's item weights around the site's weights
        (gamma multipliers). Unverified.
    item_noise_sd : float
        0.3: SD of the visit-level log-normal noise on the item weights; it moves points between
        items without changing the total. Unverified.
    gastrostomy_q3_threshold : int
        1: a gastrostomy may be placed at the first visit with Q3 swallowing <= this score.
        Unverified (clinical practice).
    gastrostomy_uptake : float
        0.8: probability that an eligible subject accepts the gastrostomy. Unverified.
    visit_months : tuple of float
        (0, 1, 2, 3, 6, 9, 12, 15, 18): nominal ALSFRS-R visit schedule; must start at 0.
        Unverified (typical schedule). ``range(0, 19)`` gives monthly visits.
    visit_jitter_months : float
        0.1 months (about 3 days): visits fall uniformly within +/- this of the nominal time
        (baseline exact); must be below half the smallest gap between visits. Unverified.
    visit_miss_prob : float
        0.05: probability that a post-baseline visit is missed. Unverified.
    treatment_slowing : float
        0.25: fraction by which the active arm slows each subject's slope. Derived (CENTAUR:
        -1.24 vs -1.66 points/month, Paganoni 2020).
    treatment_hr : float
        0.56: hazard ratio of the active arm for the composite event, conditional on the other
        hazard terms. Seen (CENTAUR survival HR 0.56); a CENTAUR-like scenario.
    mri_months : tuple of float
        (0, 6, 12, 18): nominal MRI schedule. Unverified (typical).
    mri_jitter_months : float
        0.25 months: scans fall uniformly within +/- this of the nominal time (baseline exact).
    mri_miss_prob : float
        0.1: probability that a post-baseline scan is missed. Unverified.
    cst_fa_mean, cst_fa_sd : float
        0.53 and 0.03: corticospinal tract fractional anisotropy at baseline. Unverified
        (ALS mean 0.50-0.56; Agosta 2010 cut-off 0.56).
    cst_fa_slope_corr : float
        0.45: correlation of baseline FA with the functional slope (lower FA, faster decline).
        Seen (r = -0.50 / -0.41 of FA with progression rate, AJNR).
    cst_fa_change_per_year, cst_fa_change_sd : float
        -0.01 and 0.01 per year: mean and SD of the subject's FA change. Unverified.
    cst_fa_change_slope_corr : float
        0.3: correlation of the subject's FA change with the functional slope (faster decline,
        faster FA loss). Unverified.
    cst_fa_noise_sd : float
        0.01: scan-level measurement SD of FA. Unverified.
    thickness_mean_mm, thickness_sd_mm : float
        2.4 and 0.15 mm: precentral cortical thickness at baseline. Unverified (2.3-2.5 mm).
    thickness_change_per_year_mm : float
        -0.01 mm/year: little further thinning. Seen qualitatively (Schuster 2014).
    thickness_noise_sd_mm : float
        0.05 mm: scan-level measurement SD. Unverified.
    cord_csa_mean_mm2, cord_csa_sd_mm2 : float
        60.8 and 6.0 mm^2: C1-C3 cord area at baseline. Mean seen (Wimmer 2020); SD unverified.
    cord_csa_change_per_year_mm2 : float
        -1.6 mm^2/year: mean annual change. Derived (Wimmer 2020: 61.4 -> 60.6 in 6 months).
    cord_csa_change_sd_mm2 : float
        1.2 mm^2/year: SD of the subject's annual change. Derived (SRM 0.95 over 8 months,
        de Albuquerque 2017, with the measurement SD below).
    cord_csa_slope_corr : float
        0.31: correlation of the cord-area change with the functional slope. Seen
        (de Albuquerque 2017).
    cord_csa_noise_sd_mm2 : float
        0.5 mm^2: scan-level measurement SD. Unverified.
    composite_prevalence : float
        0.70: share of patients with both CST FLAIR hyperintensity and motor-cortex SWI
        hypointensity. Derived (sensitivity 70%, Rizzo 2020; figures unverified in full text).
    flair_prevalence, swi_prevalence : float
        0.80 and 0.85: marginal prevalences of each sign (>= composite_prevalence and
        flair + swi - composite <= 1). Unverified.
    sign_slope_shift : float
        -0.3 points/month: slope difference of sign-positive vs sign-negative patients (the mean
        slope over all patients stays -decline_mean). Unverified.
    event_shape : float
        2.03: Weibull shape of the event hazard from baseline (rising). Seen (van Eijk 2019 JNNP).
    median_event_months : float
        22.0 months: median time from baseline to the composite event in the placebo population
        without dropout or censoring; the Weibull scale is solved to give it. Derived (median
        survival 36 months from onset, shape 2, 20 months onset-to-baseline).
    sign_hr : float
        6.56: hazard ratio of the composite sign conditional on the subject's slope and arm.
        Seen (Rizzo 2020; single-centre retrospective: an upper-end scenario).
    slope_hr : float
        2.0: hazard ratio per point/month of faster natural (untreated) decline. Unverified.
    event_type_probs : tuple of 3 floats
        (0.75, 0.10, 0.15): shares of death, tracheostomy and permanent ventilation among events
        of a subject in the reference latent state (latent total ``baseline_mean``, slope
        ``-decline_mean``, cord area ``cord_csa_mean_mm2``); with the three ``cause_*_log_or``
        fields zero, the shares of every subject. Unverified.
    cause_alsfrs_log_or : tuple of 2 floats
        (0.0, -0.05): log odds ratio of (tracheostomy, permanent ventilation) against death per
        point of latent ALSFRS-R total at the event (negative: a lower total makes the cause more
        likely). Permanent ventilation (NIV >= 22 h/day) is reached at advanced disability.
        Unverified (see :mod:`~alstrials.data.simulate.causes` for the model).
    cause_alsfrs_slope_log_or : tuple of 2 floats
        (-1.0, -0.5): log odds ratio of (tracheostomy, permanent ventilation) against death per
        point/month of latent ALSFRS-R slope at the event (negative: faster decline makes the
        cause more likely). Invasive ventilation often follows a rapid respiratory decline.
        Unverified.
    cause_cord_csa_log_or : tuple of 2 floats
        (-0.08, -0.08): log odds ratio of (tracheostomy, permanent ventilation) against death per
        mm^2 of latent C1-C3 cord area at the event (negative: more cord atrophy, i.e. more
        lower-motor-neuron loss, makes a ventilatory event more likely; odds ratio 1.6 per SD,
        6 mm^2, less area). Unverified.
    dropout_rate_per_month : float
        0.020 per month: average dropout hazard over the first 12 months at the mean slope
        (cumulative dropout hazard ``12 rate (t/12)^dropout_shape``). Calibrated so that events
        plus dropout give about 19%, 36% and 56% placebo attrition at 6, 12 and 18 months.
        Derived (pooled attrition of 60 trials, van Eijk 2024/25, which includes deaths).
    dropout_shape : float
        0.65: Weibull shape of the dropout hazard (< 1: dropout front-loaded). Derived from the
        same pooled attrition curve after removing the events.
    dropout_slope_hr : float
        1.5: dropout hazard ratio per point/month of faster natural decline (informative
        dropout). Unverified.
    follow_up_months : float
        18.0 months: administrative censoring after baseline.
    data_cutoff_month : float or None
        None: calendar month (since the first enrolment) of a data cut-off. Subjects enrolled
        after it are absent; the others are censored at the cut-off.
    """

    accrual_months: float = 12.0
    age_mean: float = 57.0
    age_sd: float = 11.0
    male_fraction: float = 0.63
    bulbar_fraction: float = 0.30
    onset_to_baseline_median_months: float = 20.0
    onset_to_baseline_sdlog: float = 0.5
    baseline_mean: float = 38.0
    baseline_sd: float = 5.0
    decline_mean: float = 1.0
    slope_sd: float = 0.6
    residual_sd: float = 1.5
    intercept_slope_corr: float = -0.2
    curvature: float = 0.0
    bulbar_onset_weights: tuple[float, ...] = (3.0, 1.0, 0.8, 0.5)
    spinal_onset_weights: tuple[float, ...] = (0.6, 2.0, 2.0, 0.5)
    item_weight_multipliers: tuple[float, ...] = (1.0,) * 11 + (0.25,)
    weight_cv: float = 0.35
    item_noise_sd: float = 0.3
    gastrostomy_q3_threshold: int = 1
    gastrostomy_uptake: float = 0.8
    visit_months: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0)
    visit_jitter_months: float = 0.1
    visit_miss_prob: float = 0.05
    treatment_slowing: float = 0.25
    treatment_hr: float = 0.56
    mri_months: tuple[float, ...] = (0.0, 6.0, 12.0, 18.0)
    mri_jitter_months: float = 0.25
    mri_miss_prob: float = 0.1
    cst_fa_mean: float = 0.53
    cst_fa_sd: float = 0.03
    cst_fa_slope_corr: float = 0.45
    cst_fa_change_per_year: float = -0.01
    cst_fa_change_sd: float = 0.01
    cst_fa_change_slope_corr: float = 0.3
    cst_fa_noise_sd: float = 0.01
    thickness_mean_mm: float = 2.4
    thickness_sd_mm: float = 0.15
    thickness_change_per_year_mm: float = -0.01
    thickness_noise_sd_mm: float = 0.05
    cord_csa_mean_mm2: float = 60.8
    cord_csa_sd_mm2: float = 6.0
    cord_csa_change_per_year_mm2: float = -1.6
    cord_csa_change_sd_mm2: float = 1.2
    cord_csa_slope_corr: float = 0.31
    cord_csa_noise_sd_mm2: float = 0.5
    composite_prevalence: float = 0.70
    flair_prevalence: float = 0.80
    swi_prevalence: float = 0.85
    sign_slope_shift: float = -0.3
    event_shape: float = 2.03
    median_event_months: float = 22.0
    sign_hr: float = 6.56
    slope_hr: float = 2.0
    event_type_probs: tuple[float, ...] = (0.75, 0.10, 0.15)
    cause_alsfrs_log_or: tuple[float, ...] = (0.0, 0.0)
    cause_alsfrs_slope_log_or: tuple[float, ...] = (-1.5, -1.5)
    cause_cord_csa_log_or: tuple[float, ...] = (-0.1, -0.1)
    dropout_rate_per_month: float = 0.020
    dropout_shape: float = 0.65
    dropout_slope_hr: float = 1.5
    follow_up_months: float = 18.0
    data_cutoff_month: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "visit_months",
            "mri_months",
            "bulbar_onset_weights",
            "spinal_onset_weights",
            "item_weight_multipliers",
            "event_type_probs",
            *CAUSE_LOG_OR_FIELDS,
        ):
            object.__setattr__(self, name, _float_tuple(name, getattr(self, name)))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple) or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DesignError(f"scenario field {f.name!r} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise DesignError(f"scenario field {f.name!r} must be finite, got {value!r}")
        self._check()

    # -- validation ------------------------------------------------------------------------
    def _check(self) -> None:
        positive = (
            "age_sd",
            "onset_to_baseline_median_months",
            "decline_mean",
            "slope_sd",
            "residual_sd",
            "event_shape",
            "median_event_months",
            "sign_hr",
            "slope_hr",
            "treatment_hr",
            "dropout_slope_hr",
            "dropout_shape",
            "follow_up_months",
            "accrual_months",
            "thickness_mean_mm",
            "cord_csa_mean_mm2",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise DesignError(f"scenario field {name!r} must be > 0, got {getattr(self, name)}")
        non_negative = (
            "onset_to_baseline_sdlog",
            "baseline_sd",
            "weight_cv",
            "item_noise_sd",
            "visit_jitter_months",
            "mri_jitter_months",
            "cst_fa_sd",
            "cst_fa_change_sd",
            "cst_fa_noise_sd",
            "thickness_sd_mm",
            "thickness_noise_sd_mm",
            "cord_csa_sd_mm2",
            "cord_csa_change_sd_mm2",
            "cord_csa_noise_sd_mm2",
            "dropout_rate_per_month",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise DesignError(
                    f"scenario field {name!r} must be >= 0 (an SD, rate or "
                    f"width), got {getattr(self, name)}"
                )
        probabilities = (
            "male_fraction",
            "bulbar_fraction",
            "gastrostomy_uptake",
            "visit_miss_prob",
            "mri_miss_prob",
            "composite_prevalence",
            "flair_prevalence",
            "swi_prevalence",
        )
        for name in probabilities:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise DesignError(
                    f"scenario field {name!r} is a probability and must lie in "
                    f"[0, 1], got {getattr(self, name)}"
                )
        for name in (
            "intercept_slope_corr",
            "cst_fa_slope_corr",
            "cst_fa_change_slope_corr",
            "cord_csa_slope_corr",
        ):
            if not -1.0 < getattr(self, name) < 1.0:
                raise DesignError(
                    f"scenario field {name!r} is a correlation and must lie in "
                    f"(-1, 1), got {getattr(self, name)}"
                )
        if not -1.0 < self.treatment_slowing <= 1.0:
            raise DesignError(
                "scenario field 'treatment_slowing' is a fraction of the slope "
                f"and must lie in (-1, 1], got {self.treatment_slowing}"
            )
        if self.residual_sd**2 <= 1.0 / 12.0:
            raise DesignError(
                f"residual_sd must exceed sqrt(1/12) = 0.289 points (the SD of "
                f"integer rounding), got {self.residual_sd}"
            )
        if int(self.gastrostomy_q3_threshold) != self.gastrostomy_q3_threshold or not (
            -1 <= self.gastrostomy_q3_threshold <= 4
        ):
            raise DesignError(
                "gastrostomy_q3_threshold must be an integer item score in "
                f"-1..4 (-1: never), got {self.gastrostomy_q3_threshold}"
            )
        p, f, s = self.composite_prevalence, self.flair_prevalence, self.swi_prevalence
        if f < p or s < p or f + s - p > 1.0 + 1e-12:
            raise DesignError(
                "sign prevalences are inconsistent: need flair_prevalence >= composite_prevalence, "
                "swi_prevalence >= composite_prevalence and flair + swi - composite <= 1; got "
                f"flair {f}, swi {s}, composite {p}"
            )
        if self.slope_sd**2 < self.sign_slope_shift**2 * p * (1 - p):
            raise DesignError(
                f"slope_sd {self.slope_sd} is smaller than the slope spread the sign alone "
                f"creates (|sign_slope_shift| * sqrt(p(1-p)) = "
                f"{abs(self.sign_slope_shift) * math.sqrt(p * (1 - p)):.3f}); raise slope_sd or "
                "lower sign_slope_shift"
            )
        for name in ("bulbar_onset_weights", "spinal_onset_weights"):
            w = getattr(self, name)
            if len(w) != len(DOMAINS) or min(w) <= 0:
                raise DesignError(
                    f"{name} must hold {len(DOMAINS)} positive weights "
                    f"({', '.join(DOMAINS)}), got {w}"
                )
        multipliers = self.item_weight_multipliers
        if len(multipliers) != 12 or min(multipliers) <= 0:
            raise DesignError(
                "item_weight_multipliers must hold 12 positive numbers (Q1-Q9, R1-R3), got "
                f"{multipliers}"
            )
        probs = self.event_type_probs
        if len(probs) != 3 or min(probs) < 0 or abs(sum(probs) - 1.0) > 1e-9:
            raise DesignError(
                "event_type_probs must be 3 non-negative shares of death, "
                f"tracheostomy and permanent ventilation summing to 1, got {probs}"
            )
        for name in CAUSE_LOG_OR_FIELDS:
            if len(getattr(self, name)) != 2:
                raise DesignError(
                    f"scenario field {name!r} must hold 2 log odds ratios (tracheostomy, "
                    f"permanent ventilation; death is the reference), got {getattr(self, name)}"
                )
        for name, jitter in (
            ("visit_months", self.visit_jitter_months),
            ("mri_months", self.mri_jitter_months),
        ):
            sched = getattr(self, name)
            if not sched or sched[0] != 0.0:
                raise DesignError(f"{name} must start with the baseline 0, got {sched}")
            gaps = [b - a for a, b in zip(sched[:-1], sched[1:], strict=True)]
            if any(g <= 0 for g in gaps):
                raise DesignError(f"{name} must be strictly increasing, got {sched}")
            if gaps and jitter >= min(gaps) / 2:
                raise DesignError(
                    f"the jitter for {name} ({jitter}) must be below half the "
                    f"smallest gap between visits ({min(gaps) / 2})"
                )
        if self.data_cutoff_month is not None and self.data_cutoff_month < 0:
            raise DesignError(f"data_cutoff_month must be >= 0, got {self.data_cutoff_month}")

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed (unknown names raise :class:`DesignError`).

        Examples
        --------
        >>> Scenario().replace(decline_mean=0.8).decline_mean
        0.8
        """
        _check_names(changes)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-able dict (tuples become lists)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }


def _float_tuple(name: str, value: object) -> tuple[float, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise DesignError(f"scenario field {name!r} must be a sequence of numbers, got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise DesignError(f"scenario field {name!r} holds {v!r}, which is not a finite number")
        out.append(float(v))
    return tuple(out)


def _check_names(values: Mapping[str, object]) -> None:
    names = [f.name for f in dataclasses.fields(Scenario)]
    for key in values:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DesignError(
                f"unknown scenario parameter {key!r}.{hint} Valid names: {', '.join(names)}"
            )


def scenario_from_dict(values: Mapping[str, object], base: Scenario | None = None) -> Scenario:
    """Build a :class:`Scenario` from a mapping (e.g. a parsed config file).

    Parameters
    ----------
    values : mapping
        Field names and values; fields not given keep the defaults (or those of ``base``).
    base : Scenario, optional
        The scenario to start from.

    Returns
    -------
    Scenario

    Raises
    ------
    DesignError
        An unknown name or an impossible value.

    Examples
    --------
    >>> scenario_from_dict({"treatment_slowing": 0.3}).treatment_slowing
    0.3
    """
    _check_names(values)
    return dataclasses.replace(base or Scenario(), **values)  # type: ignore[arg-type]


def scenario_from_toml(path: str | Path, table: str | None = "scenario") -> Scenario:
    """Read a :class:`Scenario` from a TOML file.

    Parameters
    ----------
    path : str or Path
        The file.
    table : str or None
        The TOML table holding the fields (``[scenario]`` by default); None reads the top level.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text("[scenario]\\nvisit_months = [0, 3, 6]\\nfollow_up_months = 6\\n")
    >>> scenario_from_toml(p).visit_months
    (0.0, 3.0, 6.0)
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    if table is not None:
        if table not in data:
            raise DesignError(f"{path}: no [{table}] table; found {sorted(data)}")
        data = data[table]
    return scenario_from_dict(data)
