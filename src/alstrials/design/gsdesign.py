"""The result of a group-sequential design: :class:`GSDesign` (boundaries, spending,
exit probabilities, inflation, expected sample size, effect-scale boundaries).

Built by :func:`alstrials.design.sequential.group_sequential`; see that module for the
formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from alstrials._results import ResultMixin
from alstrials.design import integration as ig
from alstrials.errors import DesignError

__all__ = ["GSDesign"]


@dataclass(frozen=True, repr=False)
class GSDesign(ResultMixin):
    """A one-sided group-sequential design (build it with :func:`group_sequential`).

    Attributes
    ----------
    k, alpha, beta, boundary, gamma, futility, gamma_futility, binding
        The settings.
    info : numpy.ndarray
        Information fractions of the analyses.
    upper : numpy.ndarray
        Efficacy z boundaries.
    lower : numpy.ndarray or None
        Futility z bounds (``-inf`` where none), or None without futility.
    cumulative_alpha, cumulative_beta : numpy.ndarray
        Cumulative alpha spent (type I error, by the spending function or, for the classics, the
        crossing probabilities under H0 ignoring futility) and beta spent (None without futility).
    drift : float
        Drift at full information under H1 giving power ``1 - beta``.
    inflation : float
        Maximum information relative to the fixed-sample design.
    """

    k: int
    alpha: float
    beta: float
    boundary: str
    gamma: float | None
    futility: str | None
    gamma_futility: float | None
    binding: bool
    info: np.ndarray
    upper: np.ndarray
    lower: np.ndarray | None
    cumulative_alpha: np.ndarray
    cumulative_beta: np.ndarray | None
    drift: float
    inflation: float
    reject_h0: np.ndarray = field(repr=False)
    futility_h0: np.ndarray = field(repr=False)
    reject_h1: np.ndarray = field(repr=False)
    futility_h1: np.ndarray = field(repr=False)
    spend_info: np.ndarray = field(repr=False)
    converged: bool = True

    @property
    def power(self) -> float:
        """Probability of crossing an efficacy boundary under H1 (respecting futility bounds)."""
        return float(self.reject_h1.sum())

    def _asn(self, up: np.ndarray, lo: np.ndarray) -> float:
        stop = up + lo
        stop[-1] = 1.0 - stop[:-1].sum()
        return float(self.inflation * np.dot(self.info, stop))

    @property
    def asn_h0(self) -> float:
        """Expected information under H0 as a fraction of the fixed design."""
        return self._asn(self.reject_h0, self.futility_h0)

    @property
    def asn_h1(self) -> float:
        """Expected information under H1 as a fraction of the fixed design."""
        return self._asn(self.reject_h1, self.futility_h1)

    def asn(self, theta_ratio: float) -> float:
        """Expected information at drift ``theta_ratio * drift`` (fraction of the fixed design)."""
        lo = np.full(self.k, -np.inf) if self.lower is None else self.lower
        up, low = ig.crossing_probabilities(self.upper, lo, self.info, theta_ratio * self.drift)
        return self._asn(up, low)

    @property
    def table(self) -> pd.DataFrame:
        """Per analysis: fractions, bounds, nominal p-values, spending, exit probabilities, ASN."""
        lower = (
            np.full(self.k, np.nan)
            if self.lower is None
            else np.where(np.isfinite(self.lower), self.lower, np.nan)
        )
        cum_beta = np.full(self.k, np.nan) if self.cumulative_beta is None else self.cumulative_beta
        return pd.DataFrame(
            {
                "info": self.info,
                "upper": self.upper,
                "lower": lower,
                "p_upper": norm.sf(self.upper),
                "p_lower": norm.sf(lower),
                "cumulative_alpha": self.cumulative_alpha,
                "cumulative_beta": cum_beta,
                "reject_h0": self.reject_h0,
                "futility_h0": self.futility_h0,
                "reject_h1": self.reject_h1,
                "futility_h1": self.futility_h1,
                "inflation": self.inflation,
                "asn_h0": self.asn_h0,
                "asn_h1": self.asn_h1,
            },
            index=pd.RangeIndex(1, self.k + 1, name="stage"),
        )

    def summary(self) -> pd.DataFrame:
        """The per-stage table (see :attr:`table`)."""
        return self.table

    def __repr__(self) -> str:
        fut = (
            ""
            if self.futility is None
            else (
                f", futility={self.futility!r} ({'binding' if self.binding else 'non-binding'}),"
                f" beta={self.beta:g}"
            )
        )
        g = "" if self.gamma is None else f", gamma={self.gamma:g}"
        b = ", ".join(f"{x:.4f}" for x in self.upper)
        return (
            f"GSDesign(k={self.k}, alpha={self.alpha:g}, boundary={self.boundary!r}{g}{fut}; "
            f"upper=[{b}]; inflation={self.inflation:.4f})"
        )

    def effect_boundaries(
        self,
        *,
        events: Sequence[float] | None = None,
        allocation: float = 0.5,
        se: Sequence[float] | None = None,
        information: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Boundaries on the effect scale (hazard ratio, or a difference such as slopes).

        Give exactly one of ``events`` (log-rank / Cox: hazard ratio scale, benefit = HR < 1),
        ``se`` (standard error of the effect estimate at each analysis) or ``information``
        (1 / variance). On the difference scale a positive effect is benefit (for ALSFRS-R
        slopes: active minus placebo, less decline).

        Parameters
        ----------
        events : sequence of float, optional
            Events at each analysis; :math:`SE(\\log HR) = 1/\\sqrt{d\\,p(1-p)}`.
        allocation : float
            Fraction :math:`p` randomised to the active arm (0.5 for 1:1).
        se, information : sequence of float, optional
            Per-analysis standard error or information of the effect estimate.

        Returns
        -------
        pandas.DataFrame
            Per stage: ``se`` and the ``efficacy`` / ``futility`` boundaries on the effect scale
            (HR = exp(-z SE), or difference = z SE).

        Examples
        --------
        >>> from alstrials.design.sequential import group_sequential
        >>> d = group_sequential(2, boundary="obrien-fleming")
        >>> hr = d.effect_boundaries(events=[100, 200])["efficacy"]
        >>> bool(hr.iloc[0] < hr.iloc[1] < 1)
        True
        """
        given = [x is not None for x in (events, se, information)]
        if sum(given) != 1:
            raise DesignError("give exactly one of events=, se= or information= per analysis.")
        raw = events if events is not None else se if se is not None else information
        v = np.asarray(raw, dtype=float).ravel()
        if v.size != self.k or np.any(~np.isfinite(v)) or np.any(v <= 0):
            raise DesignError(
                f"need {self.k} positive finite values (one per analysis), got {list(v)}."
            )
        if events is not None:
            if not 0 < allocation < 1:
                raise DesignError(f"allocation must be in (0, 1), got {allocation!r}.")
            s = 1.0 / np.sqrt(v * allocation * (1 - allocation))
        else:
            s = v if se is not None else 1.0 / np.sqrt(v)
        lower = np.full(self.k, np.nan) if self.lower is None else self.lower
        eff, fut = self.upper * s, np.where(np.isfinite(lower), lower * s, np.nan)
        out = pd.DataFrame({"info": self.info, "se": s}, index=self.table.index)
        if events is not None:
            out.insert(1, "events", v)
            out["efficacy"], out["futility"] = np.exp(-eff), np.exp(-fut)
        else:
            out["efficacy"], out["futility"] = eff, fut
        return out

    def update(self, info_observed: Sequence[float], *, final: bool = False) -> GSDesign:
        """Recompute the boundaries at the observed information fractions.

        See :func:`alstrials.design.interim.update_design` (this method calls it).
        """
        from alstrials.design.interim import update_design

        return update_design(self, info_observed, final=final)
