"""Results of simulation-based power: one design, and a power curve over a grid."""

from __future__ import annotations

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


@dataclass(frozen=True, eq=False)
class SimulationPowerResult(ResultMixin):
    """Power, Monte Carlo error, bias and coverage from simulated trials.

    Attributes
    ----------
    replicates : DataFrame
        One row per replicate: ``replicate``, ``seed``, ``estimate``, ``se``, ``statistic``,
        ``p``, ``converged``, ``error`` (empty when the analysis ran).
    power, mc_se : float
        Share of successful replicates with ``p < alpha``, and its Monte Carlo SE.
    n_sims, n_failed : int
        Replicates run, and those whose analysis failed (excluded from power).
    bias, bias_mc_se, coverage, coverage_mc_se : float
        NaN unless ``truth`` was given.
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
        ok = table[table["error"].fillna("") == ""]
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
            covered = np.abs(est - truth) <= z * se
            coverage = float(covered.mean())
            coverage_se = float(np.sqrt(coverage * (1 - coverage) / n_ok))
        return cls(
            replicates=table,
            alpha=alpha,
            n_per_arm=n_per_arm,
            analysis=analysis,
            seed=seed,
            power=power,
            mc_se=mc_se,
            n_sims=len(table),
            n_failed=len(table) - n_ok,
            n_not_converged=int((~ok["converged"].astype(bool)).sum()),
            truth=truth,
            bias=bias,
            bias_mc_se=bias_se,
            coverage=coverage,
            coverage_mc_se=coverage_se,
            scenario=dict(scenario),
        )

    @property
    def converged(self) -> bool:
        """True when every replicate's analysis ran and converged."""
        return self.n_failed == 0 and self.n_not_converged == 0

    def summary(self) -> pd.DataFrame:
        ok = self.replicates[self.replicates["error"].fillna("") == ""]
        rows = {
            "power": (self.power, self.mc_se),
            "mean estimate": (
                ok["estimate"].mean(),
                ok["estimate"].std(ddof=1) / np.sqrt(max(len(ok), 1)),
            ),
            "empirical SE of estimate": (ok["estimate"].std(ddof=1), np.nan),
            "mean model SE": (ok["se"].mean(), np.nan),
            "bias": (self.bias, self.bias_mc_se),
            "coverage": (self.coverage, self.coverage_mc_se),
            "replicates": (float(self.n_sims), np.nan),
            "failed": (float(self.n_failed), np.nan),
            "not converged": (float(self.n_not_converged), np.nan),
        }
        return pd.DataFrame(rows, index=["value", "mc_se"]).T.rename_axis("quantity")

    def statistic_quantiles(
        self, q: tuple[float, ...] = (0.025, 0.25, 0.5, 0.75, 0.975)
    ) -> pd.Series:
        """Quantiles of the test statistic over the successful replicates."""
        stat = self.replicates.loc[self.replicates["error"].fillna("") == "", "statistic"]
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
            f"{self.n_failed} failed)"
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
        """One row per grid point: its parameters, n per arm, power, MC SE, bias, coverage."""
        rows = []
        for point, res in zip(self.points, self.results, strict=True):
            rows.append(
                {
                    **point,
                    "n_per_arm": res.n_per_arm,
                    "power": res.power,
                    "mc_se": res.mc_se,
                    "bias": res.bias,
                    "coverage": res.coverage,
                    "n_sims": res.n_sims,
                    "n_failed": res.n_failed,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        return self.table

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
