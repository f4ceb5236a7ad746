"""Cox fit speed: alstrials.fit_cox against lifelines CoxPHFitter, measured in the same run.

Cases: 4 covariates on 50,000 right-censored subjects, and on 200,000 counting-process
(start, stop] rows. Both fits use Efron ties. Prints each time (best of ``--repeat``), the ratio
lifelines / alstrials (> 1 means alstrials is faster) and the largest relative difference
between the two coefficient vectors.

Run: python benchmarks/bench_cox.py [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def simulate_subjects(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=(n, 4))
    x[:, 3] = rng.integers(0, 2, n)
    beta = np.array([0.3, -0.2, 0.1, 0.5])
    t = rng.exponential(1 / np.exp(x @ beta))
    c = rng.exponential(1.5, n)
    # round times so that ties occur, as in monthly trial data
    d = pd.DataFrame(x, columns=["x1", "x2", "x3", "x4"])
    d["time"] = np.maximum(np.round(np.minimum(t, c), 3), 0.001)
    d["event"] = (t <= c).astype(int)
    return d


def simulate_counting(n_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    n = n_rows // 4
    base = simulate_subjects(n, rng)
    cuts = np.sort(rng.uniform(0, 1, (n, 3)), axis=1) * base["time"].to_numpy()[:, None]
    cuts = np.round(cuts, 3)
    starts = np.column_stack([np.zeros(n), cuts])
    stops = np.column_stack([cuts, base["time"].to_numpy()])
    rows = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 4),
            "start": starts.ravel(),
            "stop": stops.ravel(),
        }
    )
    for c in ["x1", "x2", "x3", "x4"]:
        rows[c] = np.repeat(base[c].to_numpy(), 4)
    rows["x1"] += rng.normal(scale=0.3, size=rows.shape[0])  # time-varying covariate
    last = np.tile([False, False, False, True], n)
    rows["event"] = (np.repeat(base["event"].to_numpy(), 4) * last).astype(int)
    return rows[rows["stop"] > rows["start"]].reset_index(drop=True)


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter

    from alstrials.models.survival import fit_cox

    rng = np.random.default_rng(args.seed)
    formula = "x1 + x2 + x3 + x4"
    cols = ["x1", "x2", "x3", "x4"]

    d = simulate_subjects(50_000, rng)
    t_ours, ours = best_of(lambda: fit_cox(d, "time", "event", formula), args.repeat)
    t_ll, ll = best_of(
        lambda: CoxPHFitter().fit(d[[*cols, "time", "event"]], "time", "event"), args.repeat
    )
    diff = np.max(np.abs(ours.coef["estimate"].to_numpy() / ll.params_[cols].to_numpy() - 1))
    print(f"right-censored, {len(d):,} subjects, {int(d['event'].sum()):,} events, 4 covariates")
    print(f"  alstrials.fit_cox      {t_ours:8.3f} s")
    print(f"  lifelines CoxPHFitter  {t_ll:8.3f} s")
    print(f"  ratio lifelines/ours   {t_ll / t_ours:8.2f}   max rel coef diff {diff:.2e}")

    cp = simulate_counting(200_000, rng)
    t_ours, ours = best_of(
        lambda: fit_cox(cp, "stop", "event", formula, start="start"), args.repeat
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' convergence chatter
        t_ll, ll = best_of(
            lambda: CoxTimeVaryingFitter().fit(
                cp[["id", "start", "stop", "event", *cols]],
                id_col="id",
                event_col="event",
                start_col="start",
                stop_col="stop",
            ),
            args.repeat,
        )
    diff = np.max(np.abs(ours.coef["estimate"].to_numpy() / ll.params_[cols].to_numpy() - 1))
    print(f"counting process, {len(cp):,} rows, {int(cp['event'].sum()):,} events, 4 covariates")
    print(f"  alstrials.fit_cox            {t_ours:8.3f} s")
    print(f"  lifelines CoxTimeVaryingFitter {t_ll:6.3f} s")
    print(f"  ratio lifelines/ours         {t_ll / t_ours:8.2f}   max rel coef diff {diff:.2e}")

    t_rob, _ = best_of(
        lambda: fit_cox(cp, "stop", "event", formula, start="start", cluster="id"), 1
    )
    print(f"  alstrials.fit_cox, cluster-robust SE: {t_rob:.3f} s")


if __name__ == "__main__":
    main()
