"""Write als_trial.csv: a small simulated ALS trial for the Kenward-Roger / LS-means references.

150 subjects, arms "control"/"treated", visits at months 3, 6, 9, 12 (``visitc`` = "m03" ...),
change from baseline ALSFRS-R ``chg`` with baseline ``base`` and a 3-level ``onset`` factor;
monotone dropout and a few missed visits. Rerun: ``python tests/reference/kr/make_data.py``
(then ``Rscript tests/reference/kr/make_reference.R``).
"""

from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    rng = np.random.default_rng(20240611)
    n = 150
    rows = []
    for i in range(n):
        arm = "treated" if i % 2 else "control"
        base = rng.normal(38.0, 5.0)
        onset = rng.choice(["bulbar", "limb", "mixed"], p=[0.3, 0.6, 0.1])
        b0, b1 = rng.normal(0.0, 2.0), rng.normal(0.0, 0.25)
        drop_at = 99
        for k, month in enumerate((3, 6, 9, 12)):
            if k > 0 and rng.random() < 0.12:
                drop_at = min(drop_at, k)
            if k >= drop_at or rng.random() < 0.04:
                continue
            slope = -0.9 * (1.0 - 0.3 * (arm == "treated"))
            mu = (
                slope * month
                + 0.12 * (base - 38.0)
                + {"bulbar": -1.0, "limb": 0.0, "mixed": 0.5}[onset]
            )
            y = mu + b0 + b1 * month + rng.normal(0.0, 1.5 + 0.1 * k)
            rows.append(
                (f"S{i:03d}", arm, round(base, 2), onset, month, f"m{month:02d}", round(y, 3))
            )
    frame = pd.DataFrame(rows, columns=["id", "arm", "base", "onset", "months", "visitc", "chg"])
    frame.to_csv(Path(__file__).with_name("als_trial.csv"), index=False)


if __name__ == "__main__":
    main()
