"""Counting-process (start, stop] data for the coxph reference (run: python make_data.py).

1,500 subjects (seed 20261203), each followed from an entry time (delayed entry for a quarter of
them) and split at up to 3 visits into (start, stop] rows; ``dose`` changes at each visit (a
time-varying covariate), ``age`` and ``active`` are fixed, ``site`` (3 levels) is a stratum.
Times are rounded to 0.1 month so that event times tie (Efron and Breslow differ).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def simulate(n: int = 1500, seed: int = 20261203) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 10, n).round(1)
    active = rng.integers(0, 2, n)
    site = rng.integers(0, 3, n)
    entry = np.where(rng.random(n) < 0.25, rng.uniform(0, 6, n), 0.0).round(1)
    rows = []
    for i in range(n):
        visits = np.sort(rng.uniform(entry[i] + 0.5, 36, rng.integers(0, 4))).round(1)
        cuts = np.unique(np.r_[entry[i], visits])
        dose = rng.normal(1.0, 0.5, cuts.size).round(2)
        hazard = 0.04 * np.exp(0.03 * (age[i] - 60) - 0.4 * active[i] + 0.2 * site[i])
        end = entry[i] + rng.exponential(1 / hazard)
        cens = entry[i] + rng.uniform(3, 40)
        stop_all = np.round(min(end, cens), 1)
        died = int(end <= cens)
        for k, start in enumerate(cuts):
            if start >= stop_all:
                break
            stop = cuts[k + 1] if k + 1 < cuts.size and cuts[k + 1] < stop_all else stop_all
            last = stop == stop_all
            rows.append((i, start, stop, died * int(last), age[i], active[i], site[i], dose[k]))
            if last:
                break
    return pd.DataFrame(
        rows, columns=["id", "start", "stop", "event", "age", "active", "site", "dose"]
    )


if __name__ == "__main__":
    d = simulate()
    d = d[d["stop"] > d["start"]]
    d.to_csv(Path(__file__).with_name("counting.csv"), index=False)
    print(len(d), "rows,", int(d["event"].sum()), "events")
