r"""Monitoring a group-sequential trial: updated boundaries, conditional and predictive power,
repeated confidence intervals and repeated p-values.

Notation: at analysis :math:`k` the standardised statistic is :math:`Z_k` at information fraction
:math:`t_k` (of the planned maximum information), the B-value is :math:`B(t_k) = Z_k\sqrt{t_k}`
(Lan & Wittes 1988) and :math:`\delta` is the drift (mean of :math:`Z` at full information).
A positive :math:`Z` favours the active arm.

Updated boundaries
    With a spending function the boundary at an analysis depends only on the information
    fractions observed so far, so boundaries are recomputed at the observed fractions
    :math:`t_1^{obs}, \dots` (spending :math:`\alpha(\min(t, 1))`, and all remaining
    :math:`\alpha` at the final analysis) (Lan & DeMets 1983).

Conditional power (Lan-Wittes)
    Given :math:`Z_k = z` and drift :math:`\delta`, the probability of crossing a later efficacy
    boundary, by recursive integration from a point mass at :math:`z`; for a single remaining
    analysis :math:`CP = \bar\Phi\{(b_K - z\sqrt{t_k} - \delta(1 - t_k))/\sqrt{1 - t_k}\}`.
    "trend" uses :math:`\hat\delta = B(t_k)/t_k = z/\sqrt{t_k}`; "design" the drift the
    design is powered for.

Predictive power
    Conditional power averaged over the flat-prior posterior
    :math:`\delta \mid z \sim N(z/\sqrt{t_k}, 1/t_k)`; for a single remaining analysis
    :math:`PP = \Phi\{(z - b_K\sqrt{t_k})/\sqrt{1 - t_k}\}`.

Repeated confidence intervals (Jennison & Turnbull 2000, ch. 9)
    :math:`\hat\theta_k \pm b_k\, SE_k` (one-sided boundary of level :math:`\alpha` used on both
    sides, i.e. two-sided coverage :math:`1 - 2\alpha` simultaneously over analyses). The
    repeated p-value is the smallest :math:`\alpha` whose boundary :math:`b_k(\alpha)` is
    crossed by :math:`z_k` (capped at 0.5).

References
----------
Lan, K. K. G. & DeMets, D. L. (1983). Biometrika 70, 659-663.

Lan, K. K. G. & Wittes, J. (1988). The B-value: a tool for monitoring data. Biometrics 44,
579-585.

Jennison, C. & Turnbull, B. W. (2000). Group Sequential Methods with Applications to Clinical
Trials. Chapman & Hall/CRC, chapters 9 and 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from alstrials._results import ResultMixin
from alstrials.design import integration as ig
from alstrials.design.sequential import GSDesign, _build, _Spec, _validate
from alstrials.design.spending import spending_function
from alstrials.errors import DesignError

__all__ = [
    "InterimResult",
    "interim_analysis",
    "update_design",
    "conditional_power",
    "predictive_power",
    "repeated_ci",
    "repeated_ci_hr",
    "repeated_p_values",
    "drift_from_hr",
]


def _spec_of(design: GSDesign, info: np.ndarray) -> _Spec:
    spec = _validate(
        design.k,
        design.alpha,
        design.boundary,
        None,
        design.gamma,
        design.beta,
        design.futility,
        design.gamma_futility,
        design.binding,
    )
    arr = np.array(info, dtype=float)
    arr.setflags(write=False)
    return replace(spec, k=int(arr.size), info=arr)


def update_design(design: GSDesign, info_observed: ArrayLike, *, final: bool = False) -> GSDesign:
    """Recompute a spending-function design at the observed information fractions.

    Parameters
    ----------
    design : GSDesign
        The planned design (a spending-function boundary).
    info_observed : sequence of float
        Information fractions of the analyses done so far, relative to the planned maximum
        information (observed events / planned events, or observed / planned slope information);
        values above 1 are allowed (over-running).
    final : bool
        Whether the last observed analysis is the final one: it then spends all remaining alpha.
        Otherwise the observed analyses replace the first planned ones and the remaining
        planned analyses beyond the last observed fraction are kept (an early first look at
        0.26 of a 3-look plan at 1/3, 2/3, 1 gives looks at 0.26, 2/3, 1).

    Returns
    -------
    GSDesign
        A design whose first analyses are at ``info_observed``. The drift (and so the inflation
        factor) is the planned one; futility bounds are recomputed by beta spending at that drift.

    References
    ----------
    Lan & DeMets (1983).

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(3)
    >>> u = update_design(d, [0.4])
    >>> [round(float(x), 3) for x in u.info]
    [0.4, 0.667, 1.0]
    >>> [round(float(x), 3) for x in update_design(d, [0.26]).info]
    [0.26, 0.667, 1.0]
    """
    if design.boundary in ("obrien-fleming", "pocock"):
        raise DesignError(
            f"boundary {design.boundary!r} is not defined by a spending function, so it cannot be "
            "recomputed at other information fractions; plan with 'ld-obrien-fleming' or "
            "'ld-pocock'."
        )
    obs = np.asarray(info_observed, dtype=float).ravel()
    if obs.size == 0 or not np.all(np.isfinite(obs)) or obs[0] <= 0 or np.any(np.diff(obs) <= 0):
        raise DesignError(
            f"info_observed must be positive and strictly increasing, got {obs.tolist()}."
        )
    if final or obs[-1] >= 1.0:
        info = obs
    else:
        # The observed analyses take the places of the first planned ones; the planned
        # analyses after them are kept if they lie beyond the last observed fraction.
        later = design.info[obs.size :]
        info = np.concatenate((obs, later[later > obs[-1]]))
    spend = np.minimum(info, 1.0)
    spend[-1] = 1.0
    return _build(_spec_of(design, info), spend, ig.DEFAULT_R, drift=design.drift)


def drift_from_hr(hr: float, events: float, allocation: float = 0.5) -> float:
    """Drift of the log-rank statistic at ``events`` events for hazard ratio ``hr`` (< 1 = benefit).

    :math:`\\delta = -\\log(HR)\\sqrt{d\\,p(1-p)}`.

    Examples
    --------
    >>> round(drift_from_hr(0.7, 200), 4)
    2.5221
    """
    if hr <= 0 or events <= 0 or not 0 < allocation < 1:
        raise DesignError("need hr > 0, events > 0 and allocation in (0, 1).")
    return float(-np.log(hr) * np.sqrt(events * allocation * (1 - allocation)))


def _current(design: GSDesign, stage: int, info: ArrayLike | None) -> np.ndarray:
    if (
        isinstance(stage, bool)
        or not isinstance(stage, int | np.integer)
        or not 1 <= stage < design.k
    ):
        raise DesignError(f"stage must be an interim analysis 1..{design.k - 1}, got {stage!r}.")
    t = design.info if info is None else np.asarray(info, dtype=float)
    if t.size != design.k or np.any(np.diff(t) <= 0) or t[0] <= 0:
        raise DesignError(f"info must give {design.k} increasing fractions, got {list(t)}.")
    return t


def _drift_value(design: GSDesign, z: float, t_k: float, drift: str | float) -> float:
    if isinstance(drift, str):
        if drift == "trend":
            return float(z / np.sqrt(t_k))
        if drift == "design":
            return design.drift
        raise DesignError(f"drift must be 'trend', 'design' or a number, got {drift!r}.")
    return float(drift)


def conditional_power(
    design: GSDesign,
    z: float,
    stage: int,
    *,
    drift: str | float = "trend",
    info: ArrayLike | None = None,
    use_futility: bool = False,
) -> float:
    """Probability of crossing a later efficacy boundary given ``Z = z`` at ``stage``.

    Parameters
    ----------
    design : GSDesign
        The design (or an updated one from :func:`update_design`).
    z : float
        Observed statistic at the current analysis.
    stage : int
        Current analysis, 1-based (an interim: 1 .. k-1).
    drift : "trend", "design" or float
        Assumed drift at full information: the current trend :math:`z/\\sqrt{t_k}`, the design
        drift, or a value (e.g. from :func:`drift_from_hr`).
    info : sequence of float, optional
        Information fractions of all analyses (default the design's).
    use_futility : bool
        Stop at (non-binding) futility bounds in later analyses; default False (ignore them).

    Returns
    -------
    float

    References
    ----------
    Lan & Wittes (1988); Jennison & Turnbull (2000), section 10.2.

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(2, boundary="ld-obrien-fleming")
    >>> 0 < conditional_power(d, 1.5, 1, drift="design") < 1
    True
    """
    t = _current(design, stage, info)
    k = stage
    delta = _drift_value(design, z, t[k - 1], drift)
    lower = np.full(design.k - k, -np.inf)
    if use_futility and design.lower is not None:
        lower = np.asarray(design.lower[k:], float)
    st = ig.point_state(z, t[k - 1])
    up, _ = ig.crossing_probabilities(design.upper[k:], lower, t[k:], delta, state=st)
    return float(up.sum())


def predictive_power(
    design: GSDesign, z: float, stage: int, *, info: ArrayLike | None = None, nodes: int = 40
) -> float:
    """Conditional power averaged over the flat-prior posterior of the drift.

    Parameters
    ----------
    design, z, stage, info
        As in :func:`conditional_power`.
    nodes : int
        Gauss-Hermite nodes for the average over :math:`\\delta \\sim N(z/\\sqrt{t}, 1/t)`.

    Returns
    -------
    float

    References
    ----------
    Jennison & Turnbull (2000), section 10.3; Lan & Wittes (1988).

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(2)
    >>> round(predictive_power(d, 2.0, 1), 3)
    0.805
    """
    t = _current(design, stage, info)
    tk = t[stage - 1]
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    mean, sd = z / np.sqrt(tk), 1.0 / np.sqrt(tk)
    cps = [conditional_power(design, z, stage, drift=mean + sd * xi, info=t) for xi in x]
    return float(np.dot(w, cps) / np.sqrt(2 * np.pi))


def repeated_ci(
    design: GSDesign, estimate: ArrayLike, se: ArrayLike, *, level: str = "design"
) -> pd.DataFrame:
    """Repeated confidence intervals :math:`\\hat\\theta_k \\pm b_k SE_k` for the analyses so far.

    Parameters
    ----------
    design : GSDesign
        Design whose boundaries ``upper`` are used (update it first if fractions differ).
    estimate, se : sequence of float
        Effect estimates and standard errors at analyses 1..m (m <= k).
    level : str
        Only "design": coverage 1 - 2 alpha simultaneously over analyses.

    Returns
    -------
    pandas.DataFrame
        Per analysis: ``estimate se boundary ci_low ci_high``.

    References
    ----------
    Jennison & Turnbull (2000), chapter 9.

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(2, boundary="pocock")
    >>> repeated_ci(d, [0.5], [0.2])["ci_low"].round(4).tolist()
    [0.0643]
    """
    if level != "design":
        raise DesignError(f"level must be 'design', got {level!r}.")
    est = np.asarray(estimate, dtype=float).ravel()
    s = np.asarray(se, dtype=float).ravel()
    if est.size != s.size or not 1 <= est.size <= design.k or np.any(s <= 0):
        raise DesignError(
            f"estimate and se need the same length 1..{design.k} and se > 0 "
            f"(got {est.size} and {s.size})."
        )
    b = design.upper[: est.size]
    return pd.DataFrame(
        {"estimate": est, "se": s, "boundary": b, "ci_low": est - b * s, "ci_high": est + b * s},
        index=pd.RangeIndex(1, est.size + 1, name="stage"),
    )


def repeated_ci_hr(
    design: GSDesign, z: ArrayLike, events: ArrayLike, allocation: float = 0.5
) -> pd.DataFrame:
    """Repeated confidence intervals for a hazard ratio from log-rank statistics.

    With :math:`SE_k = 1/\\sqrt{d_k p(1-p)}` and :math:`\\log\\widehat{HR}_k = -z_k SE_k`
    (a positive z favours the active arm), the interval is :math:`\\exp\\{-(z_k \\pm b_k) SE_k\\}`.

    Returns
    -------
    pandas.DataFrame
        Per analysis: ``hr hr_low hr_high``.

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(2)
    >>> float(repeated_ci_hr(d, [1.0], [100])["hr"].round(4).iloc[0])
    0.8187
    """
    zz = np.asarray(z, dtype=float).ravel()
    d = np.asarray(events, dtype=float).ravel()
    if zz.size != d.size or np.any(d <= 0) or not 0 < allocation < 1:
        raise DesignError("z and events need equal lengths, events > 0, allocation in (0, 1).")
    se = 1.0 / np.sqrt(d * allocation * (1 - allocation))
    ci = repeated_ci(design, -zz * se, se)
    return pd.DataFrame(
        {
            "hr": np.exp(ci["estimate"]),
            "hr_low": np.exp(ci["ci_low"]),
            "hr_high": np.exp(ci["ci_high"]),
        }
    )


_P_FLOOR = 1e-8


def _upper_at_alpha(design: GSDesign, alpha: float, t: np.ndarray, stage: int) -> float:
    """Efficacy boundary at ``stage`` for a design like ``design`` but of level ``alpha``."""
    if design.boundary in ("obrien-fleming", "pocock"):
        spec = _validate(
            design.k, min(alpha, 0.4999), design.boundary, None, None, 0.2, None, None, False
        )
        from alstrials.design.sequential import _classic_upper

        return float(_classic_upper(replace(spec, alpha=alpha, info=t), ig.DEFAULT_R)[stage - 1])
    fn = spending_function(design.boundary, alpha, design.gamma)
    inc = np.diff(np.concatenate(([0.0], fn(np.minimum(t[:stage], 1.0)))))
    st = ig.start_state()
    b = np.inf
    for j in range(stage):
        b = brentq(
            lambda x, s=st, j=j: ig.exit_upper(s, x, float(t[j]), 0.0) - inc[j],
            -12.0,
            40.0,
            xtol=1e-12,
        )
        if j < stage - 1:
            st = ig.advance(st, -np.inf, b, t[j], 0.0)
    return float(b)


def repeated_p_values(
    design: GSDesign, z: ArrayLike, *, info: ArrayLike | None = None
) -> np.ndarray:
    """Repeated p-values: the smallest alpha at which each analysis would reject.

    Parameters
    ----------
    design : GSDesign
        Defines the boundary family and (unless ``info`` is given) the fractions.
    z : sequence of float
        Statistics at analyses 1..m.
    info : sequence of float, optional
        Information fractions of all k analyses (observed so far then planned).

    Returns
    -------
    numpy.ndarray
        One-sided repeated p-values, within [1e-8, 0.5] (values beyond are reported at the
        limit: below 1e-8 the numerical integration is not accurate enough).

    References
    ----------
    Jennison & Turnbull (2000), section 9.5.

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> d = group_sequential(3)
    >>> repeated_p_values(d, [1.1]).round(3).tolist()
    [0.389]
    """
    zz = np.asarray(z, dtype=float).ravel()
    t = design.info if info is None else np.asarray(info, dtype=float)
    if zz.size > t.size:
        raise DesignError(f"got {zz.size} statistics for a design with {t.size} analyses.")
    out = np.empty(zz.size)
    for k, zk in enumerate(zz, start=1):
        g = lambda a, k=k, zk=zk: _upper_at_alpha(design, a, t, k) - zk  # noqa: E731
        hi = 0.5 - 1e-9
        if g(hi) > 0:
            out[k - 1] = 0.5
        elif g(_P_FLOOR) < 0:
            out[k - 1] = _P_FLOOR
        else:
            out[k - 1] = brentq(g, _P_FLOOR, hi, xtol=1e-14, rtol=1e-10)
    return out


@dataclass(frozen=True, repr=False)
class InterimResult(ResultMixin):
    """Everything a monitoring report needs at an analysis (build it with
    :func:`interim_analysis`).

    Attributes
    ----------
    design : GSDesign
        The design updated to the observed information fractions.
    z, info : numpy.ndarray
        Observed statistics and information fractions of the analyses so far.
    decision : tuple of str
        Per analysis: "efficacy", "futility" (bound crossed; non-binding unless the design is
        binding) or "continue".
    repeated_p : numpy.ndarray
        Repeated p-values.
    conditional_power_trend, conditional_power_design, predictive_power : float
        At the latest analysis (NaN at the final analysis).
    ci : pandas.DataFrame or None
        Repeated confidence intervals when estimates and standard errors were given.
    """

    design: GSDesign
    z: np.ndarray
    info: np.ndarray
    decision: tuple[str, ...]
    repeated_p: np.ndarray
    conditional_power_trend: float
    conditional_power_design: float
    predictive_power: float
    ci: pd.DataFrame | None = field(default=None)
    converged: bool = True

    def summary(self) -> pd.DataFrame:
        """Per analysis so far: ``info z upper lower decision repeated_p`` (and the RCI)."""
        m = self.z.size
        lower = np.full(m, np.nan) if self.design.lower is None else self.design.lower[:m]
        out = pd.DataFrame(
            {
                "info": self.info,
                "z": self.z,
                "upper": self.design.upper[:m],
                "lower": np.where(np.isfinite(lower), lower, np.nan),
                "decision": list(self.decision),
                "repeated_p": self.repeated_p,
            },
            index=pd.RangeIndex(1, m + 1, name="stage"),
        )
        if self.ci is not None:
            out["estimate"] = self.ci["estimate"].to_numpy()
            out["ci_low"] = self.ci["ci_low"].to_numpy()
            out["ci_high"] = self.ci["ci_high"].to_numpy()
        return out

    def __repr__(self) -> str:
        return (
            f"InterimResult(analysis {self.z.size} of {self.design.k}, info={self.info[-1]:.3f}, "
            f"z={self.z[-1]:.3f}, decision={self.decision[-1]!r}, "
            f"CP(trend)={self.conditional_power_trend:.3f})"
        )


def interim_analysis(
    design: GSDesign,
    z: ArrayLike,
    info: ArrayLike,
    *,
    estimate: ArrayLike | None = None,
    se: ArrayLike | None = None,
    final: bool = False,
) -> InterimResult:
    """Monitor a trial: boundaries at the observed information, decisions, CP, PP, RCIs.

    Parameters
    ----------
    design : GSDesign
        The planned (spending-function) design.
    z : array_like
        Statistics at the analyses so far (positive favours the active arm).
    info : array_like
        Their information fractions (observed / planned maximum information).
    estimate, se : array_like, optional
        Effect estimates and standard errors at the analyses, for repeated CIs.
    final : bool
        Whether the latest analysis is the final one.

    Returns
    -------
    InterimResult

    References
    ----------
    Lan & DeMets (1983); Lan & Wittes (1988); Jennison & Turnbull (2000), chapters 9-10.

    Examples
    --------
    >>> from alstrials.design.sequential import group_sequential
    >>> res = interim_analysis(group_sequential(3), z=[1.1, 1.9], info=[1 / 3, 2 / 3])
    >>> res.decision
    ('continue', 'continue')
    >>> round(res.conditional_power_trend, 4)
    0.7185
    """
    zz = np.asarray(z, dtype=float).ravel()
    t = np.asarray(info, dtype=float).ravel()
    if zz.size != t.size or zz.size == 0 or not np.all(np.isfinite(zz)):
        raise DesignError(f"z and info need the same length >= 1 (got {zz.size} and {t.size}).")
    upd = update_design(design, t, final=final)
    m = zz.size
    lower = np.full(m, -np.inf) if upd.lower is None else upd.lower[:m]
    decision = tuple(
        "efficacy" if zk >= b else "futility" if zk <= a else "continue"
        for zk, b, a in zip(zz, upd.upper[:m], lower, strict=True)
    )
    nan = float("nan")
    if m < upd.k:
        cp_t = conditional_power(upd, zz[-1], m, drift="trend")
        cp_d = conditional_power(upd, zz[-1], m, drift="design")
        pp = predictive_power(upd, zz[-1], m)
    else:
        cp_t = cp_d = pp = nan
    ci = None
    if estimate is not None or se is not None:
        if estimate is None or se is None:
            raise DesignError("give both estimate= and se= for repeated confidence intervals.")
        ci = repeated_ci(upd, estimate, se)
    rp = repeated_p_values(upd, zz)
    return InterimResult(upd, _ro(zz), _ro(t), decision, _ro(rp), cp_t, cp_d, pp, ci)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a
