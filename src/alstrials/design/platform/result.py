"""Operating characteristics of a simulated platform design: :class:`PlatformOCResult`.

Decisions are computed from the stored posterior probabilities ``p = P(DRR_r < 1 | data)``, so
any thresholds can be evaluated (and the success threshold calibrated) without re-simulating.
For regimen ``r``, at the interim looks in order: success if ``p > interim_success``, futility if
``p < futility``; a regimen not stopped is a success at the final look if ``p > success``.
``expected_n`` is the mean number of participants enrolled in the regimen by the look at which
it stopped (or at the end).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin
from alstrials.errors import DesignError

__all__ = ["PlatformOCResult", "OC_COLUMNS"]

OC_COLUMNS = (
    "true_drr",
    "n_used",
    "p_success",
    "p_success_se",
    "p_early_success",
    "p_early_futility",
    "expected_n",
)


@dataclass(frozen=True, eq=False)
class PlatformOCResult(ResultMixin):
    """Simulated operating characteristics (see the module docstring).

    Attributes
    ----------
    replicates : pandas.DataFrame
        One row per simulated platform (the journal rows: ``looks`` holds per-look
        ``p_below_1``, ``median`` and ``enrolled`` per regimen).
    regimens : dict
        Regimen -> true DRR.
    success, futility, interim_success : float
        The default thresholds of :meth:`operating_characteristics`.
    """

    replicates: pd.DataFrame
    regimens: Mapping[str, float]
    n_per_regimen: int
    borrowing: str
    seed: int
    success: float = 0.975
    futility: float = 0.05
    interim_success: float = 0.99
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_sims(self) -> int:
        return len(self.replicates)

    @property
    def used(self) -> pd.DataFrame:
        ok = self.replicates["converged"].astype(bool) & (self.replicates["error"] == "")
        return self.replicates[ok]

    @property
    def converged(self) -> bool:
        return len(self.used) == self.n_sims

    def _decisions(
        self, regimen: str, success: float, futility: float, interim_success: float
    ) -> pd.DataFrame:
        out = []
        for looks in self.used["looks"]:
            decision, n = "none", looks[-1]["enrolled"][regimen]
            for look in looks[:-1]:
                p = look["p_below_1"].get(regimen)
                if p is None:
                    continue
                if p > interim_success:
                    decision, n = "early_success", look["enrolled"][regimen]
                    break
                if p < futility:
                    decision, n = "early_futility", look["enrolled"][regimen]
                    break
            if decision == "none":
                p = looks[-1]["p_below_1"].get(regimen, np.nan)
                decision = "final_success" if p > success else "none"
            out.append({"decision": decision, "n": n})
        return pd.DataFrame(out, columns=["decision", "n"])

    def operating_characteristics(
        self,
        success: float | None = None,
        futility: float | None = None,
        interim_success: float | None = None,
    ) -> pd.DataFrame:
        """Per regimen: ``true_drr``, ``n_used``, ``p_success`` (early or final: power, or the
        type I error when the true DRR is 1) with its Monte Carlo SE, ``p_early_success``,
        ``p_early_futility`` and ``expected_n``."""
        s = self.success if success is None else success
        f = self.futility if futility is None else futility
        i = self.interim_success if interim_success is None else interim_success
        rows = {}
        for r, drr in self.regimens.items():
            d = self._decisions(r, s, f, i)
            m = max(len(d), 1)
            win = (
                d["decision"].isin(["early_success", "final_success"]).mean() if len(d) else np.nan
            )
            rows[r] = {
                "true_drr": drr,
                "n_used": len(d),
                "p_success": win,
                "p_success_se": float(np.sqrt(win * (1 - win) / m)) if len(d) else np.nan,
                "p_early_success": (d["decision"] == "early_success").mean() if len(d) else np.nan,
                "p_early_futility": (d["decision"] == "early_futility").mean()
                if len(d)
                else np.nan,
                "expected_n": d["n"].mean() if len(d) else np.nan,
            }
        table = pd.DataFrame.from_dict(rows, orient="index")[list(OC_COLUMNS)]
        table.index.name = "regimen"
        return table

    def calibrate_success(self, alpha: float = 0.025, regimens: list[str] | None = None) -> float:
        """The smallest final success threshold whose simulated one-sided type I error is at most
        ``alpha`` in every null regimen (true DRR 1, or those named), with the interim rules of
        the result kept. Monte Carlo SE of the achieved error: ``sqrt(alpha (1 - alpha) / n)``.

        Raises
        ------
        DesignError
            No null regimen, or ``alpha`` outside (0, 1).
        """
        if not 0 < alpha < 1:
            raise DesignError(f"alpha must be in (0, 1), got {alpha!r}")
        nulls = regimens or [r for r, d in self.regimens.items() if d == 1.0]
        if not nulls:
            raise DesignError("calibrate_success needs a regimen with true DRR 1 (a null regimen)")
        lo, hi = 0.5, 1.0
        for _ in range(40):  # bisection: the error falls as the threshold rises
            mid = (lo + hi) / 2
            oc = self.operating_characteristics(success=mid)
            if (oc.loc[nulls, "p_success"] <= alpha).all():
                hi = mid
            else:
                lo = mid
        return hi

    def summary(self) -> pd.DataFrame:
        return self.operating_characteristics()

    def __repr__(self) -> str:
        return (
            f"PlatformOCResult({self.n_sims} simulated platforms, {len(self.used)} used, "
            f"{self.borrowing} borrowing, regimens {dict(self.regimens)})"
        )
