"""Simulation-based power: many simulated trials, each analysed, on local processes or Dask.

Replicate ``i`` of a run with seed ``s`` simulates its trial from the ``i``-th child of
``numpy.random.SeedSequence(s).spawn(n_sims)``, so a replicate's result depends only on
``(s, i)``: the same seed gives identical results on 1 worker, 2 workers or a Dask cluster, and
in any order of completion.

Each replicate ends in one of three states:

* **failed**: the simulator or the analysis raised (any exception: a singular fit, too few
  events, or a bug). The replicate is kept with ``error`` = exception type and message and no
  p-value;
* **not converged**: the analysis returned, but its fit says ``converged=False``, it issued a
  :class:`~alstrials.errors.ConvergenceWarning` during the replicate, or its estimate or
  p-value is not finite (the warnings are kept in the replicate's ``warnings``);
* **used**: the analysis ran and converged.

Power, bias and coverage are computed on the ``n_used`` used replicates; ``n_failed`` and
``n_not_converged`` are reported beside them, and ``power_lower`` counts every failed or
non-converged replicate as not rejecting (rejections among the used replicates over
``n_sims``). For ``n`` used replicates with ``x`` rejections at level ``alpha``, power is
``x / n`` with Monte Carlo standard error ``sqrt(p (1 - p) / n)``. Given the true effect
(``truth``), bias is ``mean(estimate) - truth`` (MC SE ``sd(estimate) / sqrt(n)``) and coverage
the share of Wald intervals ``estimate +- z_{1-alpha/2} se`` that contain the truth.

Checks before any replicate runs: scenario keys must be parameters of the simulator (a typo gets
"did you mean ...?"), and with the default simulator the values must make a valid
:class:`~alstrials.data.simulate.Scenario`. A run in which no replicate could be used raises
:class:`~alstrials.errors.SimulationError` (with the most frequent errors); replicates that
failed with an exception other than an alstrials error, ``ValueError`` or ``LinAlgError`` (most
likely a bug in the analysis) give an :class:`~alstrials.errors.AlstrialsWarning`.

With ``results_dir``, finished replicates are appended to ``replicates.jsonl`` as they finish;
a later call with the same settings and folder resumes, computing only the missing replicates
(:mod:`alstrials.design.power.journal`).
"""

from __future__ import annotations

import inspect
import json
import multiprocessing
import os
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alstrials._config import did_you_mean
from alstrials.design.power.analyses import ReplicateOutcome, get_analysis, true_effect
from alstrials.design.power.journal import open_journal
from alstrials.design.power.simulation_result import PowerCurveResult, SimulationPowerResult
from alstrials.errors import (
    AlstrialsError,
    AlstrialsWarning,
    ConvergenceWarning,
    DesignError,
    SimulationError,
)

__all__ = ["simulate", "power_curve", "replicate_seeds", "check_scenario"]

Simulator = Callable[..., Any]

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    AlstrialsError,
    np.linalg.LinAlgError,
    ValueError,
)
"""Exceptions a replicate may raise in normal use (a singular fit, no events, ...). Any other
exception is recorded too, but flagged ``unexpected`` and warned about: it is most likely a bug."""

_MAX_WARNINGS = 3  # distinct warning messages kept per replicate


def replicate_seeds(seed: int, n_sims: int) -> list[int]:
    """The integer seed of each replicate: one draw from each spawned child SeedSequence."""
    children = np.random.SeedSequence(seed).spawn(n_sims)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def _default_simulator(**kwargs: Any) -> Any:
    from alstrials.data.simulate import simulate_trial

    return simulate_trial(**kwargs)


def _simulator_name(simulator: Simulator) -> str:
    target = simulator.func if isinstance(simulator, partial) else simulator
    return str(getattr(target, "__qualname__", repr(target)))


def check_scenario(scenario: Mapping[str, Any], simulator: Simulator | None = None) -> None:
    """Refuse scenario keys the simulator does not take, before any replicate runs.

    With the default simulator the scenario must build a valid
    :class:`~alstrials.data.simulate.Scenario` (known names, possible values); with a custom
    simulator its keys must be keyword parameters of the simulator (unless it takes
    ``**kwargs``). An unknown key gets "did you mean ...?".

    Raises
    ------
    DesignError

    Examples
    --------
    >>> check_scenario({"treatment_slowng": 0.3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alstrials.errors.DesignError: unknown scenario parameter 'treatment_slowng'. Did you mean ...
    """
    if simulator is None:
        from alstrials.data.simulate.scenario import scenario_from_dict

        scenario_from_dict(dict(scenario))
        return
    try:
        parameters = inspect.signature(simulator).parameters
    except (TypeError, ValueError):  # a builtin or C function: nothing to check against
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    names = [
        name
        for name, p in parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name not in ("n_per_arm", "seed")
    ]
    for key in scenario:
        if key not in names:
            raise DesignError(
                f"unknown scenario parameter {key!r} for the simulator "
                f"{_simulator_name(simulator)}.{did_you_mean(key, names)} "
                f"Its parameters: {', '.join(names)}"
            )


def _describe(exc: BaseException) -> str:
    """``"Type: message"``, with the place it was raised for an unexpected exception type."""
    text = f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, EXPECTED_ERRORS):
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            last = frames[-1]
            text += f" (in {last.name}, {Path(last.filename).name}:{last.lineno})"
    return text


def _run_one(
    index: int,
    seed: int,
    n_per_arm: int,
    scenario: Mapping[str, Any],
    analysis: str | Callable,
    simulator: Simulator | None,
) -> dict[str, Any]:
    """Simulate and analyse one replicate; every outcome (even an exception) becomes a row."""
    analyse = get_analysis(analysis)
    make = simulator or _default_simulator
    row: dict[str, Any] = {"replicate": index, "seed": seed}
    outcome: ReplicateOutcome | None = None
    error, unexpected = "", False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # recorded on the replicate, not printed
        try:
            trial = make(n_per_arm=n_per_arm, seed=seed, **scenario)
            metadata = getattr(trial, "metadata", None)
            row["truth"] = true_effect(analysis, metadata) if metadata else None
            outcome = analyse(trial)
            if not isinstance(outcome, ReplicateOutcome):
                raise TypeError(
                    f"the analysis returned {type(outcome).__name__}, not a ReplicateOutcome"
                )
        except Exception as exc:  # recorded per replicate: see the module docstring
            outcome, error = None, _describe(exc)
            unexpected = not isinstance(exc, EXPECTED_ERRORS)
    messages: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in messages and len(messages) < _MAX_WARNINGS:
            messages.append(text)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if outcome is None:
        row.update(asdict(ReplicateOutcome(np.nan, np.nan, np.nan, np.nan, False)))
    else:
        row.update(asdict(outcome))
        finite = bool(np.isfinite(outcome.estimate) and np.isfinite(outcome.p))
        row["converged"] = bool(outcome.converged) and finite and not warned
    row.update(error=error, unexpected=unexpected, warnings="; ".join(messages))
    return row


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
    return [_run_one(i, s, n_per_arm, scenario, analysis, simulator) for i, s in batch]


def _executor_map(
    batches: list[list[tuple[int, int]]],
    run: Callable[..., list[dict[str, Any]]],
    *,
    workers: int,
    client: Any,
    spawn: bool = False,
) -> Iterable[list[dict[str, Any]]]:
    """Yield batch results as they finish, on Dask, local processes or in this process.

    ``spawn=True`` starts the local processes fresh instead of forking (JAX deadlocks after a fork).
    """
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
    context = multiprocessing.get_context("spawn") if spawn else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(run, batch, one_thread=True) for batch in batches]
        for future in as_completed(futures):
            yield future.result()


def _connect(scheduler: str, timeout: float) -> Any:
    """A ``distributed.Client`` connected to ``scheduler``, or one clear SimulationError."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SimulationError(
            f"cannot connect to the Dask scheduler at {scheduler!r} within {timeout:g} s "
            f"({exc}); check the address, or start a scheduler (`dask scheduler`) and workers"
        ) from None


def _check_outcome(result: SimulationPowerResult, journal: Path | None) -> None:
    """Raise when no replicate could be used; warn about failures that look like bugs."""
    where = f" (replicates kept in {journal})" if journal is not None else ""
    if result.n_used == 0:
        raise SimulationError(
            f"none of the {result.n_sims} replicates of {result.analysis} could be used "
            f"({result.n_failed} failed, {result.n_not_converged} did not converge){where}; "
            f"most frequent: {result.top_problems()}"
        )
    table = result.replicates
    unexpected = table[table["unexpected"].fillna(False).astype(bool)]
    if len(unexpected):
        warnings.warn(
            f"{len(unexpected)} of {result.n_sims} replicates of {result.analysis} failed with an "
            f"unexpected error, most likely a bug in the analysis or simulator{where}: "
            f"{unexpected['error'].iloc[0]}",
            AlstrialsWarning,
            stacklevel=3,
        )


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
    connect_timeout: float = 10.0,
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
        ``{"treatment_slowing": 0.3, "follow_up_months": 12}``. Checked before any replicate
        runs (:func:`check_scenario`).
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
    connect_timeout : float
        Seconds to wait for the scheduler at ``scheduler`` before giving up.
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
        Power, bias and coverage on the replicates that ran and converged (``n_used``), with
        ``n_failed`` and ``n_not_converged`` beside them.

    Raises
    ------
    DesignError
        Impossible settings, an unknown analysis, or a scenario key the simulator does not take.
    SimulationError
        No usable replicate (every one failed or did not converge), or no Dask scheduler at
        ``scheduler``.
    JournalError
        A corrupt line in the journal of ``results_dir``.

    Examples
    --------
    >>> import alstrials as at
    >>> res = at.power.simulate({"follow_up_months": 6}, n_per_arm=40, n_sims=4, seed=1,
    ...                         workers=1, progress=False)
    >>> res.n_sims, res.n_used
    (4, 4)
    """
    if n_sims < 1 or n_per_arm < 2:
        raise DesignError("n_sims must be >= 1 and n_per_arm >= 2")
    if not 0 < alpha < 1:
        raise DesignError(f"alpha must be in (0, 1), got {alpha}")
    scenario = dict(scenario or {})
    get_analysis(analysis)  # fail early on an unknown name
    check_scenario(scenario, simulator)  # and on a misspelt scenario key
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
    seeds = replicate_seeds(seed, n_sims)
    journal, done = open_journal(None if results_dir is None else Path(results_dir), spec, seeds)
    todo = [(i, s) for i, s in enumerate(seeds) if i not in done]

    own_client = None
    if client is None and scheduler is not None and todo:
        client = own_client = _connect(scheduler, connect_timeout)
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
    result = SimulationPowerResult.from_replicates(
        table,
        alpha=alpha,
        truth=truth,
        n_per_arm=n_per_arm,
        analysis=str(spec["analysis"]),
        scenario=scenario,
        seed=seed,
    )
    _check_outcome(result, journal)
    return result


def power_curve(
    grid: Sequence[Mapping[str, Any]] | pd.DataFrame,
    *,
    seed: int = 0,
    **kwargs: Any,
) -> PowerCurveResult:
    """Simulated power over a grid of designs/scenarios.

    Each grid point is a mapping of ``n_per_arm`` and/or scenario parameters; the other
    arguments are those of :func:`simulate`. Grid point ``j`` uses the ``j``-th child seed of
    ``seed``, so adding points at the end leaves earlier points unchanged. Every point's
    scenario is checked (:func:`check_scenario`) before the first replicate runs.
    """
    points = grid.to_dict("records") if isinstance(grid, pd.DataFrame) else list(grid)
    if not points:
        raise DesignError("the grid is empty")
    base_scenario = dict(kwargs.pop("scenario", None) or {})
    results_dir = kwargs.pop("results_dir", None)
    planned = []
    for j, point in enumerate(points):
        point = dict(point)
        n = point.pop("n_per_arm", kwargs.get("n_per_arm", 150))
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise DesignError(f"grid point {j}: n_per_arm must be an integer, got {n!r}")
        try:
            check_scenario({**base_scenario, **point}, kwargs.get("simulator"))
        except DesignError as exc:
            raise DesignError(f"grid point {j} ({points[j]}): {exc}") from None
        planned.append((int(n), point))
    point_seeds = replicate_seeds(seed, len(points))
    options = {k: v for k, v in kwargs.items() if k != "n_per_arm"}
    results = []
    for j, ((n, point), point_seed) in enumerate(zip(planned, point_seeds, strict=True)):
        folder = None if results_dir is None else Path(results_dir) / f"point_{j:03d}"
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
