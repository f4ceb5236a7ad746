"""Simulation-based power: 1,000 simulated trials of 300 subjects (150 per arm) with 13 monthly
visits, each analysed by the LMM slope test; on local processes, then scaling over 1 and 2
workers of a Dask LocalCluster (processes on loopback).

Target (issue "Trial design"): under 30 s for the 1,000 trials on this machine's 2 cores.
Usage: ``python benchmarks/bench_power_simulate.py [--n-sims 1000]``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import alstrials as at

SCENARIO = {"visit_months": list(range(13)), "follow_up_months": 12}


def timed(**kwargs) -> tuple[float, object]:  # noqa: ANN003
    start = time.perf_counter()
    result = at.power.simulate(
        SCENARIO, analysis="lmm_slope", n_per_arm=150, seed=2026, progress=False, **kwargs
    )
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-sims", type=int, default=1000)
    parser.add_argument(
        "--dask-sims", type=int, default=200, help="trials per LocalCluster scaling run"
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"simulated power, LMM slope test, 300 subjects x 13 visits; {cores} cores")
    seconds, res = timed(n_sims=args.n_sims, workers=cores)
    print(
        f"local processes ({cores} workers): {args.n_sims} trials in {seconds:.1f} s "
        f"({1000 * seconds / args.n_sims:.1f} ms/trial); power {res.power:.3f} "
        f"(MC SE {res.mc_se:.3f}), failed {res.n_failed}; target < 30 s for 1,000"
    )
    seconds1, res1 = timed(n_sims=args.dask_sims, workers=1)
    print(f"in-process (1 worker): {args.dask_sims} trials in {seconds1:.1f} s")
    from distributed import Client, LocalCluster

    times = {}
    for n_workers in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with (
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                ) as cluster,
                Client(cluster) as client,
            ):
                start = time.perf_counter()
                dask_res = at.power.simulate(
                    SCENARIO,
                    analysis="lmm_slope",
                    n_per_arm=150,
                    seed=2026,
                    n_sims=args.dask_sims,
                    client=client,
                    progress=False,
                )
                times[n_workers] = time.perf_counter() - start
        same = dask_res.replicates["p"].equals(res1.replicates["p"])
        print(
            f"Dask LocalCluster, {n_workers} worker(s): {args.dask_sims} trials in "
            f"{times[n_workers]:.1f} s; identical to in-process results: {same}"
        )
    print(f"speed-up 1 -> 2 Dask workers: {times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
