"""Simulation-based power: many simulated trials, each analysed, on local processes or Dask.

Replicate ``i`` of a run with seed ``s`` simulates its trial from the ``i``-th child of
``numpy.random.SeedSequence(s).spawn(n_sims)``, so a replicate's result depends only on
``(s, i)``: the same seed gives identical results on 1 worker, 2 workers or a Dask cluster, and
in any order of completion.

For ``n`` replicates with ``x`` rejections at level ``alpha``, power is ``x / n`` with Monte Carlo
standard error ``sqrt(p (1 - p) / n)``. Given the true effect (``truth``), bias is
``mean(estimate) - truth`` (MC SE ``sd(estimate) / sqrt(n)``) and coverage the share of Wald
intervals ``estimate +- z_{1-alpha/2} se`` that contain the truth.

A replicate whose analysis fails (a singular fit, too few events) is kept with its error message
and no p-value; it counts as "failed", is reported, and is excluded from power (never silently).

With ``results_dir``, finished replicates are appended to ``replicates.jsonl`` as they finish;
a later call with the same settings and folder resumes, computing only the missing replicates.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alstrials.design.power.analyses import ReplicateOutcome, get_analysis, true_effect
from alstrials.design.power.simulation_result import PowerCurveResult, SimulationPowerResult
from alstrials.errors import AlstrialsError, DesignError

__all__ = ["simulate", "power_curve", "replicate_seeds"]

Simulator = Callable[..., Any]


def replicate_seeds(seed: int, n_sims: int) -> list[int]:
    """The integer seed of each replicate: one draw from each spawned child SeedSequence."""
    children = np.random.SeedSequence(seed).spawn(n_sims)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def _default_simulator(**kwargs: Any) -> Any:
    from alstrials.data.simulate import simulate_trial

    return simulate_trial(**kwargs)


def _run_batch(
    batch: Sequence[tuple[int, int]],
    n_per_arm: int,
    scenario: Mapping[str, Any],
    analysis: str | Callable,
    simulator: Simulator | None,
    one_thread: bool = False,
) -> list[dict[str, Any]]:
    """Simulate and analyse the replicates ``(index, seed)`` of one batch (runs in a worker).

    With ``one_thread`` the BLAS/OpenMP pools are limited to one thread, so that N worker
    processes use N cores instead of oversubscribing them (results are unchanged).
    """
    if one_thread:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return _run_batch(batch, n_per_arm, scenario, analysis, simulator)
    import warnings

    analyse = get_analysis(analysis)
    make = simulator or _default_simulator
    rows = []
    for index, seed in batch:
        row: dict[str, Any] = {"replicate": index, "seed": seed}
        try:
            trial = make(n_per_arm=n_per_arm, seed=seed, **scenario)
            metadata = getattr(trial, "metadata", None)
            row["truth"] = true_effect(analysis, metadata) if metadata else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence is recorded per replicate
                outcome = analyse(trial)
            row.update(asdict(outcome), error="")
        except (AlstrialsError, np.linalg.LinAlgError, ValueError) as exc:
            row.update(
                asdict(ReplicateOutcome(np.nan, np.nan, np.nan, np.nan, False)),
                error=f"{type(exc).__name__}: {exc}",
            )
        rows.append(row)
    return rows


def _spec_key(spec: Mapping[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _journal(results_dir: Path | None, spec: Mapping[str, Any]) -> tuple[Path | None, dict]:
    """Open the journal of a run; return its path and the replicates already finished."""
    if results_dir is None:
        return None, {}
    results_dir.mkdir(parents=True, exist_ok=True)
    spec_file = results_dir / "spec.json"
    key = _spec_key(spec)
    if spec_file.exists():
        stored = json.loads(spec_file.read_text())
        if stored.get("key") != key:
            raise DesignError(
                f"results folder {str(results_dir)!r} holds a run with other settings "
                f"({stored.get('spec')}); use a new folder or the same settings to resume"
            )
    else:
        spec_file.write_text(json.dumps({"key": key, "spec": spec}, indent=2, default=str))
    journal = results_dir / "replicates.jsonl"
    done: dict[int, dict[str, Any]] = {}
    if journal.exists():
        for line in journal.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption: that replicate is redone
            done[int(row["replicate"])] = row
    return journal, done


def _executor_map(
    batches: list[list[tuple[int, int]]],
    run: Callable[..., list[dict[str, Any]]],
    *,
    workers: int,
    client: Any,
) -> Iterable[list[dict[str, Any]]]:
    """Yield batch results as they finish, on Dask, local processes or in this process."""
    if client is not None:
        from distributed import as_completed as dask_completed

        futures = [client.submit(run, batch, one_thread=True, pure=False) for batch in batches]
        for future in dask_completed(futures):
            yield future.result()
        return
    if workers <= 1:
        for batch in batches:
            yield run(batch)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, batch, one_thread=True) for batch in batches]
        for future in as_completed(futures):
            yield future.result()


def simulate(
    scenario: Mapping[str, Any] | None = None,
    *,
    analysis: str | Callable[..., ReplicateOutcome] = "lmm_slope",
    n_per_arm: int = 150,
    n_sims: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    truth: float | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    results_dir: str | Path | None = None,
    progress: bool = True,
    simulator: Simulator | None = None,
    batch_size: int | None = None,
) -> SimulationPowerResult:
    """Power of a trial design by simulation.

    Parameters
    ----------
    scenario : mapping, optional
        Keyword arguments of the simulator (:func:`alstrials.simulate_trial`), e.g.
        ``{"treatment_slowing": 0.3, "follow_up_months": 12}``.
    analysis : str or callable
        A name from :data:`alstrials.design.power.analyses.ANALYSES` ("lmm_slope", "mmrm",
        "cox", "logrank", ...) or a picklable function ``trial -> ReplicateOutcome``.
    n_per_arm, n_sims, seed, alpha :
        Trial size, number of replicates, master seed and two-sided level.
    truth : float, optional
        The true effect on the analysis' scale, for bias and coverage; by default taken from
        the simulated trials' metadata for the built-in analyses (see ``analyses.TRUTH``).
    workers : int, optional
        Local processes (default: the machine's cores; 1 runs in this process).
    client, scheduler :
        A ``distributed.Client``, or a scheduler address to connect one to: the replicates run
        on that Dask cluster instead of local processes.
    results_dir : str or Path, optional
        Folder of the journal that makes the run resumable (see the module docstring).
    progress : bool
        Show a tqdm progress bar.
    simulator : callable, optional
        ``simulator(n_per_arm=, seed=, **scenario) -> TrialData``; default the calibrated
        simulator. Must be picklable (a module-level function) for process or Dask workers.

    Returns
    -------
    SimulationPowerResult

    Examples
    --------
    >>> import alstrials as at
    >>> res = at.power.simulate({"follow_up_months": 6}, n_per_arm=40, n_sims=4, seed=1,
    ...                         workers=1, progress=False)
    >>> res.n_sims
    4
    """
    if n_sims < 1 or n_per_arm < 2:
        raise DesignError("n_sims must be >= 1 and n_per_arm >= 2")
    if not 0 < alpha < 1:
        raise DesignError(f"alpha must be in (0, 1), got {alpha}")
    scenario = dict(scenario or {})
    get_analysis(analysis)  # fail early on an unknown name
    spec = {
        "scenario": scenario,
        "analysis": analysis
        if isinstance(analysis, str)
        else getattr(analysis, "__qualname__", repr(analysis)),
        "n_per_arm": n_per_arm,
        "n_sims": n_sims,
        "seed": seed,
        "simulator": None if simulator is None else getattr(simulator, "__qualname__", ""),
    }
    journal, done = _journal(None if results_dir is None else Path(results_dir), spec)
    seeds = replicate_seeds(seed, n_sims)
    todo = [(i, s) for i, s in enumerate(seeds) if i not in done]

    own_client = None
    if client is None and scheduler is not None:
        from distributed import Client

        client = own_client = Client(scheduler)
    n_workers = workers or (
        len(client.scheduler_info()["workers"]) if client is not None else os.cpu_count() or 1
    )
    size = batch_size or max(1, min(50, len(todo) // (4 * max(n_workers, 1)) or 1))
    batches = [todo[k : k + size] for k in range(0, len(todo), size)]
    rows = list(done.values())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=n_sims, initial=len(done), desc=f"simulate {spec['analysis']}", unit="trial"
        )
    try:
        run = partial(
            _run_batch,
            n_per_arm=n_per_arm,
            scenario=scenario,
            analysis=analysis,
            simulator=simulator,
        )
        handle = journal.open("a") if journal is not None else None
        try:
            for batch_rows in _executor_map(batches, run, workers=n_workers, client=client):
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
    if truth is None and "truth" in table and table["truth"].notna().any():
        truth = float(table["truth"].dropna().iloc[0])
    return SimulationPowerResult.from_replicates(
        table,
        alpha=alpha,
        truth=truth,
        n_per_arm=n_per_arm,
        analysis=str(spec["analysis"]),
        scenario=scenario,
        seed=seed,
    )


def power_curve(
    grid: Sequence[Mapping[str, Any]] | pd.DataFrame,
    *,
    seed: int = 0,
    **kwargs: Any,
) -> PowerCurveResult:
    """Simulated power over a grid of designs/scenarios.

    Each grid point is a mapping of ``n_per_arm`` and/or scenario parameters; the other
    arguments are those of :func:`simulate`. Grid point ``j`` uses the ``j``-th child seed of
    ``seed``, so adding points at the end leaves earlier points unchanged.
    """
    points = grid.to_dict("records") if isinstance(grid, pd.DataFrame) else list(grid)
    if not points:
        raise DesignError("the grid is empty")
    base_scenario = dict(kwargs.pop("scenario", None) or {})
    results_dir = kwargs.pop("results_dir", None)
    point_seeds = replicate_seeds(seed, len(points))
    results = []
    for j, (point, point_seed) in enumerate(zip(points, point_seeds, strict=True)):
        point = dict(point)
        n = int(point.pop("n_per_arm", kwargs.get("n_per_arm", 150)))
        folder = None if results_dir is None else Path(results_dir) / f"point_{j:03d}"
        options = {k: v for k, v in kwargs.items() if k != "n_per_arm"}
        results.append(
            simulate(
                {**base_scenario, **point},
                n_per_arm=n,
                seed=point_seed,
                results_dir=folder,
                **options,
            )
        )
    return PowerCurveResult(points=tuple(dict(p) for p in points), results=tuple(results))
