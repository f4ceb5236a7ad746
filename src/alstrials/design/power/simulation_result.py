"""Results of simulation-based power: one design, and a power curve over a grid."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

from alstrials._results import ResultMixin

__all__ = ["SimulationPowerResult", "PowerCurveResult"]


def _html(result: SimulationPowerResult | PowerCurveResult) -> str:
    """Notebook view: the repr, the note on replicates left out (if any), the summary table."""
    title = f"<p><b>{html.escape(repr(result))}</b></p>"
    note = f'<p style="color:#b00"><b>Warning:</b> {html.escape(result.note)}.</p>'
    table = result.summary().to_html(float_format="{:.6g}".format)
    return title + (note if result.note else "") + table


def _states(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Masks of the failed replicates and of the used ones (ran and converged)."""
    failed = table["error"].fillna("").astype(str) != ""
    converged = table["converged"].fillna(False).astype(bool)
    return failed, ~failed & converged


@dataclass(frozen=True, eq=False)
class SimulationPowerResult(ResultMixin):
    """Power, Monte Carlo error, bias and coverage from simulated trials.

    Every replicate is *failed* (the simulator or analysis raised), *not converged* (it ran, but
    the fit said so, warned with a ConvergenceWarning, or gave a non-finite estimate) or *used*.
    Power, bias and coverage are computed on the used replicates only.

    Attributes
    ----------
    replicates : DataFrame
        One row per replicate: ``replicate``, ``seed``, ``estimate``, ``se``, ``statistic``,
        ``p``, ``converged``, ``error`` (exception type and message; empty when the analysis
        ran), ``unexpected`` (the exception was not an alstrials error, ValueError or
        LinAlgError), ``warnings`` (the warnings issued during the replicate) and ``truth``.
    power, mc_se : float
        Share of the used replicates with ``p < alpha``, and its Monte Carlo SE.
    power_lower : float
        Rejections among the used replicates divided by ``n_sims``: power if every failed or
        non-converged replicate counted as not rejecting (equal to ``power`` when all are used).
    n_sims, n_used, n_failed, n_not_converged : int
        Replicates run; used (ran and converged); failed; ran but did not converge.
        ``n_sims = n_used + n_failed + n_not_converged``.
    bias, bias_mc_se, coverage, coverage_mc_se : float
        On the used replicates; NaN unless ``truth`` is known. Coverage uses the replicates
        with a finite SE.
    """

    replicates: pd.DataFrame
    alpha: float
    n_per_arm: int
    analysis: str
    seed: int
    power: float
    mc_se: float
    n_sims: int
    n_failed: int
    n_not_converged: int
    truth: float | None
    bias: float
    bias_mc_se: float
    coverage: float
    coverage_mc_se: float
    scenario: Mapping[str, Any] = field(default_factory=dict)
    n_used: int = 0
    power_lower: float = float("nan")

    @classmethod
    def from_replicates(
        cls,
        table: pd.DataFrame,
        *,
        alpha: float,
        truth: float | None,
        n_per_arm: int,
        analysis: str,
        scenario: Mapping[str, Any],
        seed: int,
    ) -> SimulationPowerResult:
        table = table.copy()
        for column, default in (("unexpected", False), ("warnings", "")):
            table[column] = (
                table[column].fillna(default) if column in table else default
            )  # journals written before these columns existed
        failed, used = _states(table)
        ok = table[used]
        n_ok = len(ok)
        reject = (ok["p"] < alpha).to_numpy()
        power = float(reject.mean()) if n_ok else float("nan")
        mc_se = float(np.sqrt(power * (1 - power) / n_ok)) if n_ok else float("nan")
        bias = bias_se = coverage = coverage_se = float("nan")
        if truth is not None and n_ok:
            est = ok["estimate"].to_numpy(dtype=float)
            se = ok["se"].to_numpy(dtype=float)
            bias = float(est.mean() - truth)
            bias_se = float(est.std(ddof=1) / np.sqrt(n_ok)) if n_ok > 1 else float("nan")
            z = stats.norm.ppf(1 - alpha / 2)
            has_se = np.isfinite(se)
            if has_se.any():
                covered = np.abs(est[has_se] - truth) <= z * se[has_se]
                coverage = float(covered.mean())
                coverage_se = float(np.sqrt(coverage * (1 - coverage) / has_se.sum()))
        return cls(
            replicates=table,
            alpha=alpha,
            n_per_arm=n_per_arm,
            analysis=analysis,
            seed=seed,
            power=power,
            mc_se=mc_se,
            n_sims=len(table),
            n_failed=int(failed.sum()),
            n_not_converged=int((~failed & ~used).sum()),
            truth=truth,
            bias=bias,
            bias_mc_se=bias_se,
            coverage=coverage,
            coverage_mc_se=coverage_se,
            scenario=dict(scenario),
            n_used=n_ok,
            power_lower=float(reject.sum() / len(table)) if len(table) else float("nan"),
        )

    @property
    def converged(self) -> bool:
        """True when every replicate's analysis ran and converged."""
        return self.n_failed == 0 and self.n_not_converged == 0

    @property
    def note(self) -> str:
        """One line on the replicates left out (empty when every replicate was used)."""
        if self.converged:
            return ""
        return (
            f"{self.n_failed} of {self.n_sims} replicates failed and {self.n_not_converged} "
            f"did not converge; power, bias and coverage use the {self.n_used} that ran and "
            "converged (power_lower counts the others as not rejecting)"
        )

    def failures(self) -> pd.DataFrame:
        """The distinct problems of the replicates not used, most frequent first: ``problem``
        (the error, or "not converged: " and the warnings) and ``n``."""
        failed, used = _states(self.replicates)
        left_out = self.replicates[~used]
        warned = left_out["warnings"].astype(str)
        not_converged = ("not converged: " + warned).where(warned != "", "not converged")
        problem = left_out["error"].astype(str).where(failed[~used], not_converged)
        counts = problem.value_counts(sort=True)
        return pd.DataFrame({"problem": counts.index.astype(str), "n": counts.to_numpy()})

    def top_problems(self, k: int = 2) -> str:
        """The ``k`` most frequent problems of :meth:`failures` as one line."""
        table = self.failures().head(k)
        return "; ".join(f"{row.problem!r} ({row.n}x)" for row in table.itertuples()) or "none"

    def summary(self) -> pd.DataFrame:
        """Power, estimates, bias and coverage (on the used replicates) and the counts of used,
        failed and non-converged replicates."""
        ok = self.replicates[_states(self.replicates)[1]]
        rows = {
            "power": (self.power, self.mc_se),
            "power (failures as non-rejections)": (self.power_lower, np.nan),
            "mean estimate": (
                ok["estimate"].mean(),
                ok["estimate"].std(ddof=1) / np.sqrt(max(len(ok), 1)),
            ),
            "empirical SE of estimate": (ok["estimate"].std(ddof=1), np.nan),
            "mean model SE": (ok["se"].mean(), np.nan),
            "bias": (self.bias, self.bias_mc_se),
            "coverage": (self.coverage, self.coverage_mc_se),
            "replicates": (float(self.n_sims), np.nan),
            "used (ran and converged)": (float(self.n_used), np.nan),
            "failed": (float(self.n_failed), np.nan),
            "not converged": (float(self.n_not_converged), np.nan),
        }
        return pd.DataFrame(rows, index=["value", "mc_se"]).T.rename_axis("quantity")

    def _repr_html_(self) -> str:
        return _html(self)

    def statistic_quantiles(
        self, q: tuple[float, ...] = (0.025, 0.25, 0.5, 0.75, 0.975)
    ) -> pd.Series:
        """Quantiles of the test statistic over the successful replicates."""
        stat = self.replicates.loc[_states(self.replicates)[1], "statistic"]
        return stat.quantile(list(q)).rename("statistic")

    def plot_statistic(self, *, ax: Axes | None = None, bins: int = 40) -> Axes:
        """Histogram of the test statistic with the standard normal density for reference."""
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        stat = self.replicates["statistic"].dropna().to_numpy(dtype=float)
        ax.hist(
            stat,
            bins=bins,
            density=True,
            alpha=0.6,
            color="#4C72B0",
            label=f"{self.analysis} (n={len(stat)})",
        )
        grid = np.linspace(min(stat.min(), -4), max(stat.max(), 4), 200)
        ax.plot(grid, stats.norm.pdf(grid), color="k", lw=1, label="N(0, 1)")
        ax.set_xlabel("test statistic")
        ax.set_ylabel("density")
        ax.legend(frameon=False)
        return ax

    def __repr__(self) -> str:
        return (
            f"SimulationPowerResult({self.analysis}, n_per_arm={self.n_per_arm}, "
            f"{self.n_sims} trials: power {self.power:.3f} (MC SE {self.mc_se:.3f}), "
            f"{self.n_used} used, {self.n_failed} failed, {self.n_not_converged} not converged)"
        )


@dataclass(frozen=True, eq=False)
class PowerCurveResult(ResultMixin):
    """Simulated power at each point of a grid of designs or scenarios."""

    points: tuple[Mapping[str, Any], ...]
    results: tuple[SimulationPowerResult, ...]

    @property
    def converged(self) -> bool:
        return all(r.converged for r in self.results)

    @property
    def table(self) -> pd.DataFrame:
        """One row per grid point: its parameters, ``n_per_arm``, ``power`` and ``mc_se``,
        ``power_lower``, ``bias`` and ``bias_mc_se``, ``coverage`` and ``coverage_mc_se`` (all
        on the ``n_used`` replicates that ran and converged), ``n_sims``, ``n_used``,
        ``n_failed`` and ``n_not_converged`` (see :class:`SimulationPowerResult`)."""
        rows = []
        for point, res in zip(self.points, self.results, strict=True):
            rows.append(
                {
                    **point,
                    "n_per_arm": res.n_per_arm,
                    "power": res.power,
                    "mc_se": res.mc_se,
                    "power_lower": res.power_lower,
                    "bias": res.bias,
                    "bias_mc_se": res.bias_mc_se,
                    "coverage": res.coverage,
                    "coverage_mc_se": res.coverage_mc_se,
                    "n_sims": res.n_sims,
                    "n_used": res.n_used,
                    "n_failed": res.n_failed,
                    "n_not_converged": res.n_not_converged,
                }
            )
        return pd.DataFrame(rows)

    @property
    def note(self) -> str:
        """One line on the replicates left out over the grid (empty when all were used)."""
        if self.converged:
            return ""
        failed = sum(r.n_failed for r in self.results)
        not_converged = sum(r.n_not_converged for r in self.results)
        total = sum(r.n_sims for r in self.results)
        return (
            f"{failed} of {total} replicates failed and {not_converged} did not converge; "
            "each row's power, bias and coverage use its n_used replicates that ran and converged"
        )

    def summary(self) -> pd.DataFrame:
        return self.table

    def _repr_html_(self) -> str:
        return _html(self)

    def plot(
        self, x: str | None = None, *, ax: Axes | None = None, target: float | None = 0.8
    ) -> Axes:
        """Power against ``x`` (default: the first grid parameter) with 95% MC error bars."""
        table = self.table
        if x is None:
            x = next(iter(self.points[0])) if self.points[0] else "n_per_arm"
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.errorbar(
            table[x],
            table["power"],
            yerr=1.96 * table["mc_se"],
            marker="o",
            capsize=3,
            color="#4C72B0",
        )
        if target is not None:
            ax.axhline(target, color="grey", ls="--", lw=1)
        ax.set_xlabel(x)
        ax.set_ylabel("power")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"Simulated power ({self.results[0].analysis})")
        return ax

    def __repr__(self) -> str:
        return (
            f"PowerCurveResult({len(self.points)} grid points, analysis {self.results[0].analysis})"
        )
