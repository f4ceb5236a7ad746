"""Write the simulated CSV data sets that make_reference.R fits with lme4/lmerTest.

Run from this folder: ``python make_data.py && Rscript make_reference.R``. Seeds are fixed, so the
CSV files are reproducible; the JSON written by R is what the tests compare against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def als_like(
    n_subjects,
    seed,
    sd=(5.0, 0.6),
    corr=-0.2,
    quad_sd=0.0,
    resid_sd=1.5,
    slope_effect=0.3,
    p_missed=0.15,
):
    """ALS-like trial: monthly visits 0..12, two arms, ~15% missed visits (baseline kept)."""
    rng = np.random.default_rng(seed)
    cov = np.array([[sd[0] ** 2, corr * sd[0] * sd[1]], [corr * sd[0] * sd[1], sd[1] ** 2]])
    b = rng.multivariate_normal([38.0, -1.0], cov, size=n_subjects)
    quad = rng.normal(0.0, quad_sd, size=n_subjects) if quad_sd > 0 else np.zeros(n_subjects)
    arm = np.where(np.arange(n_subjects) % 2 == 0, "placebo", "active")
    site = rng.choice(["spinal", "bulbar"], size=n_subjects, p=[0.7, 0.3])
    rows = []
    for i in range(n_subjects):
        for t in range(13):
            if t > 0 and rng.random() < p_missed:
                continue
            mu = b[i, 0] + (b[i, 1] + slope_effect * (arm[i] == "active")) * t + quad[i] * t**2
            mu -= 2.0 * (site[i] == "bulbar")
            rows.append((f"S{i:03d}", arm[i], site[i], float(t), mu + rng.normal(0.0, resid_sd)))
    return pd.DataFrame(rows, columns=["subject_id", "arm", "onset_site", "months", "alsfrs"])


if __name__ == "__main__":
    als_like(80, seed=20240601).round(4).to_csv("als_small.csv", index=False)
    als_like(60, seed=20240602, sd=(5.0, 0.8), corr=-0.3, quad_sd=0.04).round(4).to_csv(
        "als_quadratic.csv", index=False
    )
    als_like(40, seed=20240604, sd=(5.0, 0.0), corr=0.0).round(4).to_csv(
        "als_boundary.csv", index=False
    )
