"""Simulate the data sets of the prediction-accuracy reference (seeded, deterministic).

Run from the repository root: ``python tests/reference/prediction/make_data.py``; then
``Rscript tests/reference/prediction/score.R`` scores them with riskRegression. Writes

* ``competing.csv``: ``id time event m1_* m2_*``: 300 subjects, ``event`` 0 (censored), 1
  (cause of interest) or 2 (competing cause), times rounded to 0.5 (ties between events and
  censorings), and the predicted risks of cause 1 of two "models" at the horizons 3, 6, 9
  (``m1_<t>`` continuous, ``m2_<t>`` rounded to 0.05 so that risks tie);
* ``survival.csv``: the same layout with one cause (``event`` 0 or 1), 250 subjects.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent
HORIZONS = (3.0, 6.0, 9.0)


def _case(rng: np.random.Generator, n: int, causes: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    rates = np.array([0.08, 0.05])[:causes] * np.exp(np.outer(x, [0.9, -0.4][:causes]))
    t_event = rng.exponential(1.0 / rates.sum(axis=1))
    cause = np.array([rng.choice(causes, p=r / r.sum()) + 1 for r in rates])
    t_cens = np.minimum(rng.uniform(2.0, 20.0, size=n), 15.0)
    time = np.round(np.minimum(t_event, t_cens) * 2) / 2
    time = np.maximum(time, 0.5)
    event = np.where(t_event <= t_cens, cause, 0)
    out = pd.DataFrame({"id": np.arange(1, n + 1), "time": time, "event": event})
    noisy = x + rng.normal(scale=0.8, size=n)
    for t in HORIZONS:
        tot = rates.sum(axis=1)
        true = rates[:, 0] / tot * (1.0 - np.exp(-tot * t))
        out[f"m1_{t:g}"] = true
        guess = 1.0 / (1.0 + np.exp(-(noisy - 1.5 + 0.1 * t)))
        out[f"m2_{t:g}"] = np.round(guess * 20) / 20
    return out


def main() -> None:
    rng = np.random.default_rng(20261202)
    _case(rng, 300, 2).to_csv(OUT / "competing.csv", index=False, float_format="%.17g")
    _case(rng, 250, 1).to_csv(OUT / "survival.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
