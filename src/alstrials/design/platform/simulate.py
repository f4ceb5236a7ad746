"""Operating characteristics of a platform design by simulation, locally or on Dask.

The seed discipline, journal and executors are those of :func:`alstrials.power.simulate`
(:mod:`alstrials.design.power.simulate`): replicate ``i`` of a run with seed ``s`` simulates its
platform from the ``i``-th child of ``SeedSequence(s).spawn(n_sims)``, so results do not depend
on the number of workers or on Dask; with ``results_dir`` finished replicates are appended to
``replicates.jsonl`` and a later call with the same settings resumes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from alstrials.design.platform.replicate import run_batch
from alstrials.design.platform.result import PlatformOCResult
from alstrials.design.power.journal import open_journal
from alstrials.design.power.simulate import _connect, _executor_map, replicate_seeds
from alstrials.errors import DesignError, SimulationError

__all__ = ["simulate_platform_oc"]


def simulate_platform_oc(
    regimens: Mapping[str, float],
    *,
    n_per_regimen: int = 200,
    n_sims: int = 1000,
    seed: int = 0,
    scenario: Mapping[str, Any] | None = None,
    borrowing: str = "hierarchical",
    interims: Sequence[float] = (0.5,),
    success: float = 0.975,
    futility: float = 0.05,
    interim_success: float = 0.99,
    fit_options: Mapping[str, Any] | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    connect_timeout: float = 10.0,
    results_dir: str | Path | None = None,
    progress: bool = True,
    batch_size: int | None = None,
) -> PlatformOCResult:
    """Simulate a platform design many times and analyse each in fast (Laplace) mode.

    Parameters
    ----------
    regimens : mapping
        Regimen -> true DRR (1.0 for a null regimen: its success rate is the type I error).
    n_per_regimen, n_sims, seed :
        Participants per regimen, simulated platforms, master seed.
    scenario : mapping, optional
        Options of :func:`~alstrials.data.simulate.platform.simulate_platform` (e.g.
        ``control_slope_sd``, ``control_offsets``, ``stagger_months``, Scenario fields).
    borrowing : str
        Borrowing of the analysis (:func:`~alstrials.models.platform.fit_drr`).
    interims : sequence of float
        Interim looks as fractions (0-1) of the platform's duration (see
        :mod:`.replicate`); empty for a single final analysis.
    success, futility, interim_success : float
        Default decision thresholds on ``P(DRR < 1)`` (see :class:`PlatformOCResult`; any other
        thresholds can be evaluated on the result).
    fit_options : mapping, optional
        More keyword arguments of ``fit_drr`` (``covariates``, ``priors``...).
    workers, client, scheduler, connect_timeout, results_dir, progress, batch_size :
        As :func:`alstrials.power.simulate`.

    Returns
    -------
    PlatformOCResult

    Raises
    ------
    DesignError
        Impossible settings or a bad scenario (checked on one small simulation first).
    SimulationError
        No usable replicate, or no Dask scheduler at ``scheduler``.
    """
    from alstrials.data.simulate.platform import simulate_platform

    if n_sims < 1:
        raise DesignError(f"n_sims must be >= 1, got {n_sims!r}")
    if any(not 0 < f < 1 for f in interims):
        raise DesignError(f"interims must be fractions in (0, 1), got {list(interims)}")
    for name, value in (
        ("success", success),
        ("futility", futility),
        ("interim_success", interim_success),
    ):
        if not 0 < value < 1:
            raise DesignError(f"{name} must be in (0, 1), got {value!r}")
    scenario = dict(scenario or {})
    regimens = {str(k): float(v) for k, v in regimens.items()}
    simulate_platform(regimens, 8, 0, **scenario)  # fail early on a bad scenario
    spec = {
        "regimens": regimens,
        "n_per_regimen": n_per_regimen,
        "n_sims": n_sims,
        "seed": seed,
        "scenario": scenario,
        "borrowing": borrowing,
        "interims": list(interims),
        "fit_options": {k: repr(v) for k, v in (fit_options or {}).items()},
        "analysis": "platform_drr_laplace",
    }
    seeds = replicate_seeds(seed, n_sims)
    journal, done = open_journal(None if results_dir is None else Path(results_dir), spec, seeds)
    todo = [(i, s) for i, s in enumerate(seeds) if i not in done]
    own_client = None
    if client is None and scheduler is not None and todo:
        client = own_client = _connect(scheduler, connect_timeout)
    n_workers = workers or (
        len(client.scheduler_info()["workers"]) if client is not None else os.cpu_count() or 1
    )
    size = batch_size or max(1, min(20, len(todo) // (4 * max(n_workers, 1)) or 1))
    batches = [todo[k : k + size] for k in range(0, len(todo), size)]
    rows = list(done.values())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_sims, initial=len(done), desc="simulate platform", unit="platform")
    run = partial(
        run_batch,
        regimens=regimens,
        n_per_regimen=n_per_regimen,
        scenario=scenario,
        interims=tuple(interims),
        borrowing=borrowing,
        fit_options=dict(fit_options or {}),
    )
    try:
        handle = journal.open("a") if journal is not None else None
        try:
            for batch_rows in _executor_map(
                batches, run, workers=n_workers, client=client, spawn=True
            ):
                rows.extend(batch_rows)
                if handle is not None:
                    for row in batch_rows:
                        handle.write(json.dumps(row, default=float) + "\n")
                    handle.flush()
                if bar is not None:
                    bar.update(len(batch_rows))
        finally:
            if handle is not None:
                handle.close()
    finally:
        if bar is not None:
            bar.close()
        if own_client is not None:
            own_client.close()
    table = pd.DataFrame(rows).sort_values("replicate", kind="stable").reset_index(drop=True)
    result = PlatformOCResult(
        replicates=table,
        regimens=regimens,
        n_per_regimen=n_per_regimen,
        borrowing=borrowing,
        seed=seed,
        success=success,
        futility=futility,
        interim_success=interim_success,
        settings=spec,
    )
    if len(result.used) == 0:
        errors = table["error"].value_counts().head(3).to_dict()
        raise SimulationError(
            f"none of the {n_sims} simulated platforms could be used; "
            f"most frequent errors: {errors}"
        )
    return result
