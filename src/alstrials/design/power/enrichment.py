"""All-comers versus marker-enriched trials: subjects and screening numbers.

A baseline marker (the MRI composite sign, or an ENCALS-type risk window) is positive in a
proportion :math:`\\pi` of the screened population. Stratum :math:`s \\in \\{+, -\\}` has mean
control slope :math:`\\mu_s` and between-subject SD :math:`\\sigma_s` of the per-subject outcome
(slope, or change over the trial). Treatment slows progression proportionally: active mean
:math:`(1 - f_s) \\mu_s` (:math:`f_- = f_+` unless given), SDs unchanged.

**Slope endpoint.** Enriched trial (marker-positive only): :math:`\\delta_E = f_+ |\\mu_+|`,
per-subject variance :math:`\\sigma_+^2` in both arms. All-comers trial: the arm means are
prevalence-weighted mixtures, so

.. math::

    \\delta_A = |\\pi f_+ \\mu_+ + (1 - \\pi) f_- \\mu_-|, \\qquad
    v_g = \\pi \\sigma_+^2 + (1 - \\pi) \\sigma_-^2 + \\pi (1 - \\pi) (m_{g+} - m_{g-})^2,

with :math:`m_{gs}` the arm-:math:`g` mean in stratum :math:`s` (law of total variance: the last
term is the between-stratum component). Then :math:`n_c = (z_{1-\\alpha/2} +
z_{1-\\beta})^2 (v_c + v_a / r) / \\delta^2` (unadjusted comparison; an analysis adjusted for
the marker removes the between-stratum term). Screening: the enriched trial screens
:math:`N_E / \\pi` patients; the all-comers trial screens :math:`N_A` (no marker needed).

**Event endpoint.** Marker-negative control hazard :math:`h(t)`; marker-positive
:math:`\\kappa h(t)` (``marker_hr``, proportional hazards); treatment HR :math:`\\theta_+`,
:math:`\\theta_-`. Events :math:`D` by Schoenfeld. The probability of an observed event by the
analysis (accrual, follow-up and dropout as in :mod:`.survival_design`) is
:math:`P_s = \\pi_a P_{s,a} + (1 - \\pi_a) P_{s,c}`. Enriched: :math:`D(\\theta_+)`,
:math:`N_E = D / P_+`. All-comers: :math:`P_A = \\pi P_+ + (1 - \\pi) P_-`, and the overall
log hazard ratio is the event-weighted mean
:math:`\\log\\theta_A = (\\pi P_+ \\log\\theta_+ + (1 - \\pi) P_- \\log\\theta_-) / P_A`
(exact when :math:`\\theta_+ = \\theta_-`; the usual approximation for a stratified log-rank
otherwise), :math:`N_A = D(\\theta_A) / P_A`.

References
----------
Simon R, Maitournam A (2004). Evaluating the efficiency of targeted designs for randomized
clinical trials. Clin Cancer Res 10:6759-6763.
Temple R (2010). Enrichment of clinical study populations. Clin Pharmacol Ther 88:774-778.
van Eijk RPA et al. (2018). Refining eligibility criteria for amyotrophic lateral sclerosis
clinical trials. Neurology 92:e451 (ENCALS-based enrichment).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from alstrials._results import ResultMixin
from alstrials.design.power._solve import (
    check_alpha,
    check_positive,
    check_power,
    check_sided,
    resolve_ratio,
    solve_normal,
)
from alstrials.design.power.hazards import HazardModel, PiecewiseExponential, Weibull, as_hazard
from alstrials.design.power.survival import _check_allocation, _check_hr, events
from alstrials.design.power.survival_design import _accrual, _dropouts, _prob_event
from alstrials.errors import DesignError

__all__ = ["enrichment_slope", "enrichment_events", "EnrichmentResult"]


@dataclass(frozen=True, repr=False)
class EnrichmentResult(ResultMixin):
    """Both designs side by side; ``table`` has rows ``all-comers`` and ``enriched``.

    Columns: ``effect`` (slope difference or hazard ratio), ``n_per_group`` (control arm),
    ``n_total``, ``n_screen``, and for events ``events`` and ``prob_event``.
    """

    endpoint: str
    prevalence: float
    table: pd.DataFrame
    power: float
    alpha: float
    converged: bool = True

    @property
    def n_total_all_comers(self) -> float:
        return float(self.table.loc["all-comers", "n_total"])

    @property
    def n_total_enriched(self) -> float:
        return float(self.table.loc["enriched", "n_total"])

    @property
    def n_screen_enriched(self) -> float:
        return float(self.table.loc["enriched", "n_screen"])

    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        return (
            f"EnrichmentResult({self.endpoint}, prevalence={self.prevalence:g}, "
            f"power={self.power:g}, alpha={self.alpha:g}: all-comers n_total="
            f"{self.n_total_all_comers:.1f}, enriched n_total={self.n_total_enriched:.1f}, "
            f"enriched n_screen={self.n_screen_enriched:.1f})"
        )


def _prevalence(prevalence: float) -> float:
    prevalence = float(prevalence)
    if not 0.0 < prevalence <= 1.0:
        raise DesignError(f"prevalence must lie in (0, 1], got {prevalence}")
    return prevalence


def enrichment_slope(
    prevalence: float,
    slope_pos: float,
    slope_neg: float,
    sd_pos: float,
    sd_neg: float,
    slowing: float,
    *,
    slowing_neg: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float | None = None,
    ratio: float | None = None,
    sided: int = 2,
) -> EnrichmentResult:
    """n per arm and screening numbers, all-comers vs marker-enriched, for a slope endpoint.

    Parameters
    ----------
    prevalence : float
        Proportion of screened patients who are marker-positive, in (0, 1].
    slope_pos, slope_neg : float
        Mean control slope in marker-positive / -negative patients (e.g. -1.4, -0.8
        ALSFRS-R points/month).
    sd_pos, sd_neg : float
        Between-subject SD of the per-subject outcome within each stratum (for an LMM slope,
        ``sqrt(slope_variance(...))``).
    slowing : float
        Proportional slowing by treatment in marker-positive patients (0.25 = 25%).
    slowing_neg : float, optional
        Slowing in marker-negative patients (default: the same).
    alpha, power, allocation, ratio, sided
        As in :func:`.lmm_slope`.

    Returns
    -------
    EnrichmentResult

    References
    ----------
    Simon R, Maitournam A (2004). Clin Cancer Res 10:6759.

    Examples
    --------
    >>> res = enrichment_slope(0.6, -1.4, -0.8, 0.9, 0.7, slowing=0.25)
    >>> res.table["n_per_group"].round(1).tolist()
    [139.9, 103.8]
    >>> res.table["n_screen"].round(1).tolist()
    [279.8, 346.0]
    """
    prev = _prevalence(prevalence)
    sided = check_sided(sided)
    alpha = check_alpha(alpha)
    power = check_power(power, alpha)
    r = resolve_ratio(allocation, ratio)
    sp, sn = check_positive("sd_pos", sd_pos), check_positive("sd_neg", sd_neg)
    f_pos = float(slowing)
    f_neg = f_pos if slowing_neg is None else float(slowing_neg)
    rows = {}
    designs = {"all-comers": prev, "enriched": 1.0}
    for name, w in designs.items():
        m_c = (slope_pos, slope_neg)
        m_a = ((1 - f_pos) * slope_pos, (1 - f_neg) * slope_neg)
        within = w * sp**2 + (1 - w) * sn**2
        v_c = within + w * (1 - w) * (m_c[0] - m_c[1]) ** 2
        v_a = within + w * (1 - w) * (m_a[0] - m_a[1]) ** 2
        delta = abs(w * (m_a[0] - m_c[0]) + (1 - w) * (m_a[1] - m_c[1]))
        if delta == 0 or not math.isfinite(delta):
            raise DesignError(f"the {name} design has no treatment effect (delta = 0)")
        unit = v_c + v_a / r
        _, n, _ = solve_normal(unit, delta=delta, n=None, power=power, alpha=alpha, sided=sided)
        n_total = n * (1 + r)
        rows[name] = {
            "effect": delta,
            "sd_control": math.sqrt(v_c),
            "sd_active": math.sqrt(v_a),
            "n_per_group": n,
            "n_total": n_total,
            "n_screen": n_total if name == "all-comers" else n_total / prev,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "design"
    return EnrichmentResult("slope", prev, table, power, alpha)


def enrichment_events(
    prevalence: float,
    hr: float,
    marker_hr: float,
    control: HazardModel | float,
    accrual_time: float | Sequence[float],
    follow_up: float,
    *,
    hr_neg: float | None = None,
    accrual_intensity: Sequence[float] | None = None,
    dropout_rate: float | Sequence[float] = 0.0,
    dropout_time: float = 12.0,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float = 0.5,
    sided: int = 2,
) -> EnrichmentResult:
    """Events, subjects and screening, all-comers vs marker-enriched, for time to event.

    Parameters
    ----------
    prevalence : float
        Proportion marker-positive among screened patients.
    hr : float
        Treatment hazard ratio in marker-positive patients.
    marker_hr : float
        Hazard ratio marker-positive vs marker-negative in untreated patients (e.g. 2; the
        composite sign's published 6.56 is an upper-end scenario).
    control : hazard model or float
        Hazard of untreated marker-negative patients.
    accrual_time, follow_up, accrual_intensity, dropout_rate, dropout_time
        As in :func:`.survival_sample_size`.
    hr_neg : float, optional
        Treatment hazard ratio in marker-negative patients (default ``hr``).
    alpha, power, allocation, sided
        As in :func:`.events`.

    Returns
    -------
    EnrichmentResult
        ``table`` columns ``effect`` (hazard ratio), ``events``, ``prob_event``,
        ``n_per_group`` (control arm), ``n_total``, ``n_screen``.

    References
    ----------
    Schoenfeld DA (1983). Biometrics 39:499; Simon R, Maitournam A (2004).

    Examples
    --------
    >>> from alstrials.design.power.hazards import Weibull
    >>> res = enrichment_events(0.6, 0.7, 2.0, Weibull.from_median(36, 2.0), 12, 12)
    >>> res.table["n_total"].round(0).tolist(), round(res.n_screen_enriched)
    ([1173.0, 959.0], 1598)
    """
    prev = _prevalence(prevalence)
    hr_pos = _check_hr(hr)
    hr_n = hr_pos if hr_neg is None else check_positive("hr_neg", hr_neg)
    kappa = check_positive("marker_hr", marker_hr)
    alloc = _check_allocation(allocation)
    base = as_hazard(control)
    pos = _scaled(base, kappa)
    knots, w = _accrual(accrual_time, accrual_intensity)
    etas = _dropouts(dropout_rate, dropout_time)
    t_end = float(knots[-1]) + check_positive("follow_up", follow_up, allow_zero=True)

    def p_event(hz: HazardModel, theta: float) -> float:
        return alloc * _prob_event(t_end, hz, theta, etas[0], knots, w) + (1 - alloc) * (
            _prob_event(t_end, hz, 1.0, etas[1], knots, w)
        )

    p_pos, p_neg = p_event(pos, hr_pos), p_event(base, hr_n)
    p_all = prev * p_pos + (1 - prev) * p_neg
    log_hr_all = (prev * p_pos * math.log(hr_pos) + (1 - prev) * p_neg * math.log(hr_n)) / p_all
    rows = {}
    for name, eff, p in (("all-comers", math.exp(log_hr_all), p_all), ("enriched", hr_pos, p_pos)):
        d = events(_check_hr(eff), alpha=alpha, power=power, allocation=alloc, sided=sided)
        n_total = d.events / p
        rows[name] = {
            "effect": eff,
            "events": d.events,
            "prob_event": p,
            "n_per_group": n_total * (1 - alloc),
            "n_total": n_total,
            "n_screen": n_total if name == "all-comers" else n_total / prev,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "design"
    return EnrichmentResult("events", prev, table, float(power), float(alpha))


def _scaled(hz: HazardModel, kappa: float) -> HazardModel:
    """The same hazard shape multiplied by ``kappa`` (proportional hazards)."""
    if isinstance(hz, PiecewiseExponential):
        return PiecewiseExponential(hz.starts, tuple(kappa * v for v in hz.rates))
    if isinstance(hz, Weibull):
        return Weibull(shape=hz.shape, scale=hz.scale * kappa ** (-1.0 / hz.shape))
    return type(hz)(hz.rate * kappa)
