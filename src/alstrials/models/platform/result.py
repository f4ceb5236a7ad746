"""The result of :func:`~alstrials.models.platform.fit_drr`: :class:`DRRResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin, convergence_note

__all__ = ["DRRResult", "DRRDiagnostics", "DRR_COLUMNS"]

DRR_COLUMNS = ("median", "mean", "ci_low", "ci_high", "p_below_1")
"""Columns of :attr:`DRRResult.drr`."""


@dataclass(frozen=True, eq=False)
class DRRDiagnostics:
    """Fit diagnostics.

    Attributes
    ----------
    method : str
        "nuts" or "laplace".
    parameters : pandas.DataFrame
        Indexed by parameter (unconstrained scale): ``rhat`` and ``ess`` (NUTS; NaN for
        Laplace).
    divergences : int or None
        Divergent transitions after warm-up (NUTS).
    max_rhat, min_ess : float
        Worst R-hat and effective sample size (NaN for Laplace).
    gradient_norm : float
        Largest absolute gradient at the mode(s) (Laplace; also computed before NUTS).
    hessian_pd : bool
        The Hessian at every mode was positive definite.
    problems : tuple of str
        Why the fit is flagged as not converged (empty when it converged).
    """

    method: str
    parameters: pd.DataFrame
    divergences: int | None
    max_rhat: float
    min_ess: float
    gradient_norm: float
    hessian_pd: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class DRRResult(ResultMixin):
    """Posterior of the disease rate ratios of a platform trial.

    Attributes
    ----------
    drr : pandas.DataFrame
        Indexed by regimen: ``median``, ``mean``, ``ci_low``, ``ci_high`` (95% credible interval)
        and ``p_below_1`` (posterior probability that the DRR is below 1: the drug slows the
        disease).
    parameters : pandas.DataFrame
        Posterior summary of every model quantity on its natural scale (``median``, ``mean``,
        ``ci_low``, ``ci_high``): placebo rate ``beta0`` (points/month), offsets ``delta[r]``,
        SDs, correlation, Weibull scale and shape, link, covariate effects.
    placebo_trajectory : pandas.DataFrame
        Columns ``regimen`` ("pooled" or a regimen), ``months``, ``median``, ``ci_low``,
        ``ci_high``: the posterior mean placebo ALSFRS-R total at covariates' mean.
    borrowing_weights : pandas.DataFrame
        Indexed by regimen: ``n_placebo`` (own placebo participants), ``own_variance`` (variance
        of the regimen's own placebo mean rate, from the fitted variance components),
        ``borrowing`` (share of the regimen's control rate estimate that comes from the other
        regimens' controls: 0 concurrent, 1 pooled, ``v / (v + s^2)`` hierarchical).
    diagnostics : DRRDiagnostics
    converged : bool
    borrowing, method : str
    draws : numpy.ndarray
        Posterior draws of the DRRs (draws, regimens): NUTS draws, or draws from the Laplace
        mixture.
    """

    drr: pd.DataFrame
    parameters: pd.DataFrame
    placebo_trajectory: pd.DataFrame
    borrowing_weights: pd.DataFrame
    diagnostics: DRRDiagnostics
    converged: bool
    borrowing: str
    method: str
    n_subjects: int
    draws: np.ndarray = field(repr=False)
    curves: pd.DataFrame = field(repr=False)

    @property
    def problems(self) -> tuple[str, ...]:
        return self.diagnostics.problems

    def summary(self) -> pd.DataFrame:
        """The DRR table (one row per regimen)."""
        return self.drr.copy()

    def fitted_curves(self) -> pd.DataFrame:
        """Model-implied mean ALSFRS-R total and event-free survival by regimen and arm (columns
        ``regimen arm months alsfrs survival``), at the posterior medians."""
        return self.curves.copy()

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{r}: {row['median']:.3f} ({row['ci_low']:.3f}-{row['ci_high']:.3f})"
            for r, row in self.drr.iterrows()
        )
        note = convergence_note(self.converged, problems=self.problems)
        return (
            f"DRRResult({self.method}, {self.borrowing} borrowing, {self.n_subjects} "
            f"participants; DRR {rows}; {note})"
        )
