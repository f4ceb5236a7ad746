"""One simulated platform: simulate, analyse at each look, record P(DRR < 1) per regimen.

Looks are at calendar months ``f * duration`` for each interim fraction ``f`` (``duration`` =
last regimen's entry + accrual + follow-up) and at the end. A look analyses the data available
at its cut-off (the same simulated participants, truncated: the simulator's draws do not depend
on the cut-off) with :func:`~alstrials.models.platform.fit_drr` in Laplace mode; a regimen is
analysed at a look once it has participants on both arms.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from alstrials.errors import AlstrialsError, ConvergenceWarning

__all__ = ["run_platform_replicate", "look_months"]


def look_months(
    n_regimens: int, interims: Sequence[float], scenario: Mapping[str, Any]
) -> list[float]:
    """Calendar months of the interim looks (the final look is the complete data)."""
    from alstrials.data.simulate.platform import PLATFORM_DEFAULTS

    stagger = float(scenario.get("stagger_months", 6.0))
    entry = scenario.get("entry_months")
    last_entry = float(max(entry)) if entry is not None else stagger * (n_regimens - 1)
    accrual = float(scenario.get("accrual_months", PLATFORM_DEFAULTS["accrual_months"]))
    follow = float(scenario.get("follow_up_months", PLATFORM_DEFAULTS["follow_up_months"]))
    duration = last_entry + accrual + follow
    return [float(f) * duration for f in interims]


def run_platform_replicate(
    index: int,
    seed: int,
    *,
    regimens: Mapping[str, float],
    n_per_regimen: int,
    scenario: Mapping[str, Any],
    interims: Sequence[float],
    borrowing: str,
    fit_options: Mapping[str, Any],
) -> dict[str, Any]:
    """The journal row of replicate ``index`` (every outcome, even an error, becomes a row)."""
    from alstrials.data.simulate.platform import simulate_platform
    from alstrials.models.platform import fit_drr

    names = list(regimens)
    row: dict[str, Any] = {
        "replicate": index,
        "seed": seed,
        "estimate": None,
        "se": None,
        "statistic": None,
        "p": None,
        "converged": False,
        "error": "",
        "looks": [],
    }
    cutoffs = [*look_months(len(names), interims, scenario), None]
    converged = True
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for cutoff in cutoffs:
                options = dict(scenario)
                if cutoff is not None:
                    options["data_cutoff_month"] = cutoff
                trial = simulate_platform(dict(regimens), n_per_regimen, seed, **options)
                subjects = trial.subjects
                counts = subjects.groupby("regimen")["arm"].agg(lambda a: a.nunique())
                ready = [r for r in names if counts.get(r, 0) == 2]
                enrolled = subjects.groupby("regimen").size().reindex(names, fill_value=0)
                look: dict[str, Any] = {
                    "month": cutoff,
                    "enrolled": {r: int(enrolled[r]) for r in names},
                    "p_below_1": {},
                    "median": {},
                }
                if ready:
                    part = trial.replace(
                        **{
                            t: getattr(trial, t)[
                                getattr(trial, t)["subject_id"].isin(
                                    subjects.loc[subjects["regimen"].isin(ready), "subject_id"]
                                )
                            ].reset_index(drop=True)
                            for t in ("subjects", "alsfrs", "events")
                        }
                    )
                    res = fit_drr(part, borrowing=borrowing, method="laplace", **fit_options)
                    converged = converged and res.converged
                    look["p_below_1"] = {r: float(res.drr.loc[r, "p_below_1"]) for r in ready}
                    look["median"] = {r: float(res.drr.loc[r, "median"]) for r in ready}
                row["looks"].append(look)
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                converged = False
        final = row["looks"][-1]
        row["estimate"] = final["median"]
        row["p"] = final["p_below_1"]
        row["converged"] = bool(converged)
    except (AlstrialsError, ValueError, np.linalg.LinAlgError) as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


def run_batch(batch: Sequence[tuple[int, int]], one_thread: bool = False, **kwargs: Any) -> list:
    """Replicates ``(index, seed)`` of one batch (runs in a worker process or on Dask)."""
    if one_thread:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return [run_platform_replicate(i, s, **kwargs) for i, s in batch]
    return [run_platform_replicate(i, s, **kwargs) for i, s in batch]
