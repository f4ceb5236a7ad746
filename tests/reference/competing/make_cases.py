"""Competing-risks cases for the R references of alstrials.models.competing.

Run from this folder:  python make_cases.py  (then  Rscript competing.R)
Writes cr_main.csv (400 subjects, two arms, three causes, times on a half-month grid so that
events and censorings tie, 3 covariates) and cr_edge.csv (40 subjects, whole-month times,
heavy ties, one cause that occurs in one arm only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CAUSES = ("death", "tracheostomy", "permanent_ventilation")


def simulate(n: int, seed: int, grid: float, rates: tuple[float, float, float]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    active = rng.integers(0, 2, n)
    age = np.round(rng.normal(60, 10, n), 1)
    fvc = np.round(rng.normal(0, 1, n), 3)
    lp = np.array([-0.4 * active + 0.03 * (age - 60), 0.3 * active - 0.4 * fvc, 0.2 * fvc])
    times = np.array([rng.exponential(1 / (r * np.exp(l))) for r, l in zip(rates, lp, strict=True)])
    t_event = times.min(axis=0)
    cause = times.argmin(axis=0)
    t_cens = np.minimum(rng.uniform(6, 24, n), 18.0)
    t = np.minimum(t_event, t_cens)
    t = np.maximum(np.ceil(t / grid) * grid, grid)
    status = np.where(t_event <= t_cens, np.array(CAUSES, dtype=object)[cause], "censored")
    code = np.where(status == "censored", 0, cause + 1)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "months": t,
            "status": status,
            "code": code,
            "arm": np.where(active == 1, "active", "placebo"),
            "active": active,
            "age": age,
            "fvc_z": fvc,
            "site": rng.choice(["bulbar", "spinal"], n),
        }
    )


def main() -> None:
    simulate(400, 20240601, 0.5, (0.04, 0.02, 0.015)).to_csv("cr_main.csv", index=False)
    edge = simulate(40, 7, 1.0, (0.08, 0.05, 0.03))
    # tracheostomy only in the active arm: a zero-incidence curve and an extreme Gray's test
    trach = edge["status"] == "tracheostomy"
    edge.loc[trach & (edge["arm"] == "placebo"), ["status", "code"]] = ["death", 1]
    edge.to_csv("cr_edge.csv", index=False)


if __name__ == "__main__":
    main()
