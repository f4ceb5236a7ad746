"""Simulate the data set of the bivariate biomarker-function reference (seeded, deterministic).

Run from the repository root: ``python tests/reference/bivariate/make_data.py``; then
``Rscript tests/reference/bivariate/make_reference.R`` fits it with nlme. Writes
``subjects.csv`` (subject_id, arm), ``alsfrs.csv`` (subject_id, months, alsfrs_total: integer
ALSFRS-R totals at about 0, 3, 6, 9, 12 months) and ``mri.csv`` (subject_id, months,
cord_csa_mm2 at about 0, 6, 12 months, on other days than the clinic visits), with dropout.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(20261121)
    n = 160
    ids = [f"S{i:03d}" for i in range(n)]
    arm = rng.permutation(np.repeat(["placebo", "active"], n // 2))
    # random effects: (csa intercept, alsfrs intercept, csa slope, alsfrs slope)
    sd = np.array([6.0, 4.0, 0.25, 0.6])
    corr = np.array(
        [[1.0, 0.3, 0.2, 0.1], [0.3, 1.0, 0.1, 0.3], [0.2, 0.1, 1.0, 0.6], [0.1, 0.3, 0.6, 1.0]]
    )
    b = rng.multivariate_normal(np.zeros(4), corr * np.outer(sd, sd), size=n)
    active = arm == "active"
    slope_csa = -0.35 + 0.1 * active + b[:, 2]
    slope_fun = -0.9 + 0.25 * active + b[:, 3]
    last = rng.choice([6.0, 9.0, 12.0, 12.0, 12.0], size=n)  # dropout after this month
    alsfrs, mri = [], []
    for i in range(n):
        for m in (0.0, 3.0, 6.0, 9.0, 12.0):
            t = m + rng.uniform(-0.3, 0.3) if m > 0 else 0.0
            if m <= last[i] and rng.uniform() > 0.05:
                y = 38.0 + b[i, 1] + slope_fun[i] * t + rng.normal(0.0, 1.8)
                alsfrs.append((ids[i], round(t, 3), int(np.clip(np.round(y), 0, 48))))
        for m in (0.0, 6.0, 12.0):
            t = m + rng.uniform(0.1, 0.8)
            if m <= last[i] and rng.uniform() > 0.1:
                y = 75.0 + b[i, 0] + slope_csa[i] * t + rng.normal(0.0, 1.2)
                mri.append((ids[i], round(t, 3), round(y, 4)))
    pd.DataFrame({"subject_id": ids, "arm": arm}).to_csv(OUT / "subjects.csv", index=False)
    pd.DataFrame(alsfrs, columns=["subject_id", "months", "alsfrs_total"]).to_csv(
        OUT / "alsfrs.csv", index=False
    )
    pd.DataFrame(mri, columns=["subject_id", "months", "cord_csa_mm2"]).to_csv(
        OUT / "mri.csv", index=False
    )


if __name__ == "__main__":
    main()
