"""Finkelstein-Schoenfeld test and win ratio for survival then ALSFRS-R change.

Pairwise scores ``u_ij`` and ``U_i = sum_j u_ij`` follow :mod:`alstrials.models.endpoints`
(over each pair's shared follow-up, optionally truncated at a horizon).

* Test: ``T = sum_{i in active} U_i``. The ``U_i`` do not depend on the arm labels, so under
  the permutation null ``E T = 0`` and ``Var T = n1 n2 / (N (N - 1)) * sum_i U_i^2``;
  ``z = T / sqrt(Var T)`` with a two-sided normal p-value; ``z > 0`` favours the active arm.
* Win ratio (Pocock et al. 2012) over the n1 n2 between-arm pairs: wins, losses, ties of the
  active arm, ``WR = wins / losses`` and net benefit ``(wins - losses) / (n1 n2)``. CI:
  ``exp(log WR +- z SE)`` with the large-sample U-statistic variance of Bebu and Lachin
  (2016): ``p_w = wins / (n1 n2)`` and ``p_l`` are two-sample U-statistics whose variances and
  covariance are estimated from per-subject structural components (each subject's mean
  win/loss indicator against the other arm; DeLong et al. 1988), and
  ``Var log WR = V_w / p_w^2 + V_l / p_l^2 - 2 C / (p_w p_l)``.

References
----------
Finkelstein DM, Schoenfeld DA. Combining mortality and longitudinal measures in clinical
trials. Stat Med 1999;18:1341-54.
Pocock SJ et al. The win ratio. Eur Heart J 2012;33:176-82.
Bebu I, Lachin JM. Large sample inference for a win ratio analysis of a composite outcome based
on prioritized components. Biostatistics 2016;17:178-87.
DeLong ER, DeLong DM, Clarke-Pearson DL. Biometrics 1988;44:837-45.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin
from alstrials.data.schema import TrialData
from alstrials.models.endpoints import (
    ChangeMethod,
    pairwise_matrix,
    prepare_pairwise,
    scores_frame,
    summary_frame,
)

__all__ = ["FinkelsteinSchoenfeldResult", "finkelstein_schoenfeld"]


@dataclass(frozen=True, eq=False)
class FinkelsteinSchoenfeldResult(ResultMixin):
    """Finkelstein-Schoenfeld test and win ratio (see :func:`finkelstein_schoenfeld`).

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per subject: ``subject_id``, ``arm``, ``follow_up``, ``event``, ``score`` (U_i).
    statistic : float
        T, the sum of the active arm's scores.
    variance : float
        Permutation variance of T.
    z, p : float
        ``T / sqrt(variance)`` (positive favours active) and the two-sided p-value.
    wins, losses, ties : int
        Between-arm pairs won, lost and tied by the active arm.
    win_ratio, win_ratio_low, win_ratio_high : float
        Wins / losses with the Bebu-Lachin log-scale CI at ``level``.
    net_benefit : float
        (wins - losses) / (n1 n2).
    horizon : float or None
    arms : tuple of str
    level : float
    """

    scores: pd.DataFrame
    statistic: float
    variance: float
    z: float
    p: float
    wins: int
    losses: int
    ties: int
    win_ratio: float
    win_ratio_low: float
    win_ratio_high: float
    net_benefit: float
    horizon: float | None
    arms: tuple[str, str]
    level: float
    converged: bool = True

    def summary(self) -> pd.DataFrame:
        ref, act = self.arms
        n = self.scores["arm"].value_counts()
        return summary_frame(
            {
                f"n_{ref}": n.get(ref, 0),
                f"n_{act}": n.get(act, 0),
                "T": self.statistic,
                "variance": self.variance,
                "z": self.z,
                "p": self.p,
                "wins": self.wins,
                "losses": self.losses,
                "ties": self.ties,
                "win_ratio": self.win_ratio,
                "win_ratio_low": self.win_ratio_low,
                "win_ratio_high": self.win_ratio_high,
                "net_benefit": self.net_benefit,
            }
        )

    def __repr__(self) -> str:
        h = "full follow-up" if self.horizon is None else f"horizon {self.horizon:g} months"
        return (
            f"FinkelsteinSchoenfeldResult({len(self.scores)} subjects, "
            f"{int(self.scores['event'].sum())} events, {h}; z={self.z:.3f}, p={self.p:.4g}, "
            f"win ratio {self.win_ratio:.3g} ({self.win_ratio_low:.3g}-"
            f"{self.win_ratio_high:.3g}))"
        )


def _win_ratio_ci(w: np.ndarray, loss: np.ndarray, z: float) -> tuple[float, float, float]:
    """Win ratio and its Bebu-Lachin CI from between-arm win/loss indicators (n1 x n2)."""
    n1, n2 = w.shape
    pw, pl = w.mean(), loss.mean()
    if pw == 0 or pl == 0:
        ratio = np.inf if pl == 0 and pw > 0 else (0.0 if pw == 0 and pl > 0 else np.nan)
        return float(ratio), np.nan, np.nan
    aw, al = w.mean(axis=1), loss.mean(axis=1)  # active subjects' components
    bw, bl = w.mean(axis=0), loss.mean(axis=0)  # reference subjects' components

    def cov(x: np.ndarray, y: np.ndarray) -> float:
        return float(np.cov(x, y, ddof=1)[0, 1]) if len(x) > 1 else 0.0

    vw = cov(aw, aw) / n1 + cov(bw, bw) / n2
    vl = cov(al, al) / n1 + cov(bl, bl) / n2
    cwl = cov(aw, al) / n1 + cov(bw, bl) / n2
    var_log = vw / pw**2 + vl / pl**2 - 2 * cwl / (pw * pl)
    ratio = pw / pl
    se = np.sqrt(max(var_log, 0.0))
    return float(ratio), float(ratio * np.exp(-z * se)), float(ratio * np.exp(z * se))


def finkelstein_schoenfeld(
    data: TrialData | Mapping[str, pd.DataFrame],
    horizon: float | None = None,
    *,
    arms: Sequence[str] | None = None,
    change: ChangeMethod = "locf",
    margin: float = 0.0,
    event_types: Sequence[str] | None = None,
    level: float = 0.95,
) -> FinkelsteinSchoenfeldResult:
    """Finkelstein-Schoenfeld test of survival then ALSFRS-R change, with the win ratio.

    Parameters
    ----------
    data : TrialData or mapping
        As for :func:`cafs`.
    horizon : float, optional
        Compare only over ``[0, horizon]`` months (default: all follow-up).
    arms, change, margin, event_types
        As for :func:`cafs`.
    level : float, default 0.95
        Confidence level of the win-ratio interval.

    Returns
    -------
    FinkelsteinSchoenfeldResult

    References
    ----------
    Finkelstein DM, Schoenfeld DA. Stat Med 1999;18:1341-54.
    Bebu I, Lachin JM. Biostatistics 2016;17:178-87.

    Examples
    --------
    >>> import pandas as pd
    >>> subjects = pd.DataFrame({"subject_id": list("abcd"),
    ...                          "arm": ["placebo", "placebo", "active", "active"]})
    >>> events = pd.DataFrame({"subject_id": list("abcd"), "months": [6.0, 12, 12, 12],
    ...                        "event": [True, False, False, False]})
    >>> alsfrs = pd.DataFrame({"subject_id": list("aabbccdd"),
    ...                        "months": [0, 6, 0, 12, 0, 12, 0, 12.0],
    ...                        "alsfrs_total": [40, 30, 40, 28, 40, 36, 40, 32]})
    >>> res = finkelstein_schoenfeld({"subjects": subjects, "alsfrs": alsfrs, "events": events})
    >>> res.statistic, res.wins, res.losses
    (4.0, 4, 0)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if horizon is not None and (not np.isfinite(horizon) or horizon <= 0):
        raise ValueError(f"horizon must be a positive number or None, got {horizon!r}")
    prep = prepare_pairwise(data, arms, event_types)
    u = pairwise_matrix(
        prep.subjects["follow_up"].to_numpy(dtype=float),
        prep.subjects["event"].to_numpy(dtype=bool),
        prep.times,
        prep.values,
        horizon=horizon,
        change=change,
        margin=margin,
    )
    scores = scores_frame(prep, u, horizon)
    ref, act = prep.arms
    is_act = (scores["arm"] == act).to_numpy()
    n1, n = int(is_act.sum()), len(scores)
    n2 = n - n1
    score = scores["score"].to_numpy(dtype=float)
    t_stat = float(score[is_act].sum())
    var = n1 * n2 / (n * (n - 1)) * float(np.sum(score**2))
    z = t_stat / np.sqrt(var) if var > 0 else 0.0
    p = float(2 * stats.norm.sf(abs(z))) if var > 0 else 1.0
    between = u[np.ix_(is_act, ~is_act)]
    w, loss = (between > 0).astype(float), (between < 0).astype(float)
    zq = stats.norm.ppf(0.5 + level / 2)
    ratio, low, high = _win_ratio_ci(w, loss, zq)
    wins, losses = int(w.sum()), int(loss.sum())
    return FinkelsteinSchoenfeldResult(
        scores=scores,
        statistic=t_stat,
        variance=var,
        z=float(z),
        p=p,
        wins=wins,
        losses=losses,
        ties=n1 * n2 - wins - losses,
        win_ratio=ratio,
        win_ratio_low=low,
        win_ratio_high=high,
        net_benefit=(wins - losses) / (n1 * n2),
        horizon=None if horizon is None else float(horizon),
        arms=prep.arms,
        level=level,
    )
