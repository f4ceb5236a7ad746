"""Write a small synthetic MRI/events trial (seeded) for the counting-process reference.

Run: python make_mri_data.py && Rscript make_counting_reference.R
Every subject has a baseline scan at month 0 and follow-up scans about every 3 months (some
after the event time, some with a missing cord area), so R's tmerge and our LOCF rule agree.
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261121)
n = 120
ids = [f"S{i:03d}" for i in range(n)]
arm = rng.choice(["placebo", "active"], n)
subjects = pd.DataFrame(
    {
        "subject_id": ids,
        "arm": arm,
        "age": rng.normal(58, 9, n).round(1),
        "sex": rng.choice(["F", "M"], n),
        "onset_site": rng.choice(["bulbar", "spinal"], n),
        "onset_to_baseline_months": rng.uniform(6, 24, n).round(1),
        "delta_fs": rng.uniform(0.2, 1.5, n).round(2),
        "enrollment_month": rng.uniform(0, 12, n),
    }
)
rows, events = [], []
for i, sid in enumerate(ids):
    t_event = rng.exponential(20 if arm[i] == "active" else 15)
    t_cens = rng.uniform(6, 30)
    end, ev = min(t_event, t_cens), t_event <= t_cens
    csa = 75 + rng.normal(0, 5)
    sign = False
    for k, month in enumerate(np.arange(0, 33, 3.0)):
        month = month + (rng.uniform(-0.5, 0.5) if k else 0.0)
        csa -= rng.uniform(0, 2)
        sign = sign or rng.random() < 0.15
        rows.append(
            {
                "subject_id": sid,
                "months": round(month, 3),
                "cst_fa": 0.5,
                "precentral_thickness_mm": 2.5,
                "cord_csa_mm2": np.nan if rng.random() < 0.1 and k else round(csa, 2),
                "cst_flair_hyperintensity": sign,
                "motor_cortex_swi_hypointensity": sign,
                "composite_sign": sign,
            }
        )
    events.append(
        {
            "subject_id": sid,
            "months": round(end, 3),
            "event": ev,
            "event_type": "death" if ev else "censored",
        }
    )
subjects.to_csv("mri_subjects.csv", index=False)
pd.DataFrame(rows).to_csv("mri_scans.csv", index=False)
pd.DataFrame(events).to_csv("mri_events.csv", index=False)
