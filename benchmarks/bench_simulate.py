"""Benchmark: simulate 10,000 subjects (5,000 per arm), monthly visits for 18 months, validate.

Target: simulation plus strict validation under 3 s on one core.
Usage: ``python benchmarks/bench_simulate.py [--repeat 5]`` (set OMP_NUM_THREADS=1 etc. to pin
one core; the simulator itself is single-threaded numpy).
"""

from __future__ import annotations

import argparse
import time

from alstrials.data.simulate import simulate_trial

TARGET_SECONDS = 3.0


def run_once(seed: int) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    trial = simulate_trial(
        n_per_arm=5000, seed=seed, visit_months=range(0, 19), follow_up_months=18.0
    )
    t1 = time.perf_counter()
    trial.validate()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run_once(0)  # warm-up (imports, caches)
    sims, vals = [], []
    trial = None
    for r in range(args.repeat):
        s, v, trial = run_once(r + 1)
        sims.append(s)
        vals.append(v)
    best = min(a + b for a, b in zip(sims, vals, strict=True))
    print(f"{trial!r}")
    print(f"simulate: median {sorted(sims)[len(sims) // 2]:.3f} s, min {min(sims):.3f} s")
    print(f"validate: median {sorted(vals)[len(vals) // 2]:.3f} s, min {min(vals):.3f} s")
    print(
        f"simulate + validate (best of {args.repeat}): {best:.3f} s; target {TARGET_SECONDS} s; "
        f"ratio {best / TARGET_SECONDS:.2f} of target"
    )


if __name__ == "__main__":
    main()
