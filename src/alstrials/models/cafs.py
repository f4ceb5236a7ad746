"""Combined Assessment of Function and Survival (CAFS; Berry et al. 2013).

Every patient is compared with every other by the rule of :mod:`alstrials.models.endpoints`
with the horizon ``tau`` = the analysis month: first on survival (the earlier event within the
month is worse), then, when neither had an event, on ALSFRS-R change from baseline at the month
(or at the end of the pair's shared follow-up if a subject dropped out earlier). Each patient's
CAFS score is the sum of the pairwise +1/-1/0, ``U_i = sum_j u_ij``; scores are ranked
(average ranks for ties) and the arms compared by the Wilcoxon rank-sum (Mann-Whitney) test,
normal approximation with tie and continuity corrections (R's ``wilcox.test`` default with
``exact = FALSE``). ``U`` is the active arm's Mann-Whitney statistic,
``z > 0`` favours active, and the result reports each arm's mean rank.

References
----------
Berry JD, Miller R, Moore DH, et al. The Combined Assessment of Function and Survival (CAFS):
a new endpoint for ALS clinical trials. ALS Frontotemporal Degener 2013;14:162-8.
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
    change_at,
    pairwise_matrix,
    prepare_pairwise,
    scores_frame,
    summary_frame,
)

__all__ = ["CAFSResult", "cafs"]


@dataclass(frozen=True, eq=False)
class CAFSResult(ResultMixin):
    """Combined Assessment of Function and Survival (see :func:`cafs`).

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per subject: ``subject_id``, ``arm``, ``follow_up``, ``event`` (within the
        month), ``change`` (ALSFRS-R change from baseline at the month, or at the end of
        follow-up if earlier), ``score`` (sum of pairwise +1/-1/0) and ``rank`` (average ranks).
    month : float
    arms : tuple of str
        (reference, active).
    mean_rank : dict
        Mean CAFS rank per arm.
    statistic : float
        Mann-Whitney U of the active arm's scores.
    z, p : float
        Normal-approximation z (positive favours active) and two-sided p-value.
    """

    scores: pd.DataFrame
    month: float
    arms: tuple[str, str]
    mean_rank: dict[str, float]
    statistic: float
    z: float
    p: float
    converged: bool = True

    def summary(self) -> pd.DataFrame:
        ref, act = self.arms
        n = self.scores["arm"].value_counts()
        return summary_frame(
            {
                f"n_{ref}": n.get(ref, 0),
                f"n_{act}": n.get(act, 0),
                f"mean_rank_{ref}": self.mean_rank[ref],
                f"mean_rank_{act}": self.mean_rank[act],
                "U": self.statistic,
                "z": self.z,
                "p": self.p,
            }
        )

    def __repr__(self) -> str:
        ref, act = self.arms
        return (
            f"CAFSResult(month={self.month:g}, {len(self.scores)} subjects, "
            f"{int(self.scores['event'].sum())} events; mean rank {act} "
            f"{self.mean_rank[act]:.1f} vs {ref} {self.mean_rank[ref]:.1f}, p={self.p:.4g})"
        )


def cafs(
    data: TrialData | Mapping[str, pd.DataFrame],
    month: float = 12,
    *,
    arms: Sequence[str] | None = None,
    change: ChangeMethod = "locf",
    margin: float = 0.0,
    event_types: Sequence[str] | None = None,
) -> CAFSResult:
    """Combined Assessment of Function and Survival (Berry et al. 2013) at ``month``.

    Parameters
    ----------
    data : TrialData or mapping
        A trial, or a mapping with ``subjects`` (``subject_id``, ``arm``), ``alsfrs``
        (``subject_id``, ``months``, ``alsfrs_total``) and ``events`` (``subject_id``,
        ``months``, ``event``) frames.
    month : float, default 12
        Analysis month (the horizon ``tau`` of the pairwise rule).
    arms : (reference, active), optional
        Default: the trial's declared arms, else ("placebo", "active").
    change : {"locf", "interpolate"}, default "locf"
        How ALSFRS-R change at a time is read from the visits (module docstring).
    margin : float, default 0
        ALSFRS-R change differences up to ``margin`` points tie.
    event_types : sequence of str, optional
        Event types that count as the survival event (default: every event in ``events``).

    Returns
    -------
    CAFSResult

    References
    ----------
    Berry JD et al. ALS Frontotemporal Degener 2013;14:162-8.

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
    >>> res = cafs({"subjects": subjects, "alsfrs": alsfrs, "events": events}, month=12)
    >>> res.scores["score"].tolist()
    [-3.0, -1.0, 3.0, 1.0]
    """
    if not np.isfinite(month) or month <= 0:
        raise ValueError(f"month must be a positive number, got {month!r}")
    prep = prepare_pairwise(data, arms, event_types)
    f = prep.subjects["follow_up"].to_numpy(dtype=float)
    u = pairwise_matrix(
        f,
        prep.subjects["event"].to_numpy(dtype=bool),
        prep.times,
        prep.values,
        horizon=month,
        change=change,
        margin=margin,
    )
    scores = scores_frame(prep, u, month)
    t = np.minimum(f, month)
    scores["change"] = change_at(prep.times, prep.values, t[:, None], change)[:, 0]
    scores["rank"] = stats.rankdata(scores["score"])
    scores = scores[["subject_id", "arm", "follow_up", "event", "change", "score", "rank"]]
    ref, act = prep.arms
    x = scores.loc[scores["arm"] == act, "score"].to_numpy()
    y = scores.loc[scores["arm"] == ref, "score"].to_numpy()
    if len(np.unique(scores["score"])) == 1:
        stat, z, p = float(len(x) * len(y) / 2), 0.0, 1.0
    else:
        mw = stats.mannwhitneyu(
            x, y, alternative="two-sided", method="asymptotic", use_continuity=True
        )
        stat, p = float(mw.statistic), float(mw.pvalue)
        z = float(np.sign(stat - len(x) * len(y) / 2) * stats.norm.isf(p / 2))
    mean_rank = {a: float(scores.loc[scores["arm"] == a, "rank"].mean()) for a in prep.arms}
    return CAFSResult(scores.reset_index(drop=True), float(month), prep.arms, mean_rank, stat, z, p)
