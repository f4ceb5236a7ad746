"""Data for the cause-specific Cox references (riskRegression CSC, predictRisk, Score).

Run from this folder:  python make_data.py  (then  Rscript csc.R)
Writes train.csv (400 subjects) and test.csv (250 held-out subjects): three competing causes
with cause-specific hazards proportional in (active, age, fvc_z), uniform censoring, times
rounded to 0.05 month so that events of different causes and censorings tie (the Efron
baseline hazard and the product-limit all-cause survival are then exercised at tied times).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CAUSES = ("death", "tracheostomy", "permanent_ventilation")
RATES = (0.035, 0.02, 0.015)


def simulate(n: int, rng: np.random.Generator, start_id: int) -> pd.DataFrame:
    active = rng.integers(0, 2, n)
    age = np.round(rng.normal(60, 10, n), 1)
    fvc = np.round(rng.normal(0, 1, n), 3)
    lp = np.array(
        [
            -0.5 * active + 0.03 * (age - 60) - 0.2 * fvc,
            0.3 * active - 0.4 * fvc,
            0.02 * (age - 60) + 0.25 * fvc,
        ]
    )
    times = np.array([rng.exponential(1 / (r * np.exp(l))) for r, l in zip(RATES, lp, strict=True)])
    t_event = times.min(axis=0)
    cause = times.argmin(axis=0)
    t_cens = rng.uniform(4, 30, n)
    t = np.minimum(t_event, t_cens)
    t = np.maximum(np.round(t / 0.05) * 0.05, 0.05).round(2)
    status = np.where(t_event <= t_cens, np.array(CAUSES, dtype=object)[cause], "censored")
    code = np.where(status == "censored", 0, cause + 1)
    return pd.DataFrame(
        {
            "id": np.arange(start_id, start_id + n),
            "months": t,
            "status": status,
            "code": code,
            "active": active,
            "age": age,
            "fvc_z": fvc,
        }
    )


def main() -> None:
    rng = np.random.default_rng(20261203)
    simulate(400, rng, 1).to_csv("train.csv", index=False)
    simulate(250, rng, 401).to_csv("test.csv", index=False)


if __name__ == "__main__":
    main()
