"""Design steps: plan the next trial from this one (sample size for the ALSFRS-R slope from the
placebo arm's variance components, events for the composite endpoint), a group-sequential
design, and a scripted interim analysis of this trial with its DMC report."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alstrials.data.frames import long_frame
from alstrials.data.schema import TrialData
from alstrials.design import power
from alstrials.design.sequential import group_sequential
from alstrials.models.lmm import fit_lmm
from alstrials.reporting.sequential_plots import plot_boundaries
from alstrials.workflows.interim import InterimPlan, run_interim
from alstrials.workflows.step import Outputs, Step


def sample_size_step(trial: TrialData, out: Outputs) -> None:
    placebo = trial.replace(subjects=trial.subjects[trial.subjects["arm"] == trial.arms[0]])
    data = long_frame(placebo)
    fit = fit_lmm(data, "alsfrs_total ~ months", group="subject_id", random="~months")
    g = fit.random_cov.to_numpy()
    slope = float(fit.fixed.loc["months", "estimate"])
    visits = [0, 3, 6, 9, 12, 15, 18]
    rows = []
    for slowing in (0.2, 0.25, 0.3, 0.4):
        res = power.lmm_slope(
            delta=abs(slope) * slowing,
            t=visits,
            sig2_slope=g[1, 1],
            sig2_resid=fit.residual_var,
            sig2_int=g[0, 0],
            cov_int_slope=g[0, 1],
            power=0.8,
        )
        rows.append(
            {
                "endpoint": "ALSFRS-R slope (LMM)",
                "slowing": slowing,
                "effect": abs(slope) * slowing,
                "n_per_arm": res.n_per_group_ceil,
            }
        )
    for hr in (0.6, 0.7, 0.8):
        ev = power.events(hr=hr, power=0.8)
        rows.append(
            {
                "endpoint": "composite event (Cox)",
                "slowing": np.nan,
                "effect": hr,
                "events": ev.events_ceil,
            }
        )
    table = pd.DataFrame(rows)
    out.table("sample_size_next_trial", table, index=False)
    inputs = pd.Series(
        {
            "placebo slope": slope,
            "sig2_int": g[0, 0],
            "sig2_slope": g[1, 1],
            "cov_int_slope": g[0, 1],
            "sig2_resid": fit.residual_var,
            "visits": str(visits),
        },
        name="value",
    )
    out.table("sample_size_inputs", inputs.to_frame())


def sequential_step(trial: TrialData, out: Outputs) -> None:
    design = group_sequential(
        3, alpha=0.025, boundary="ld-obrien-fleming", futility="ld-obrien-fleming", beta=0.2
    )
    out.table("group_sequential_design", design.table)
    out.figure("group_sequential_boundaries", plot_boundaries(design))


def interim_step(trial: TrialData, out: Outputs) -> None:
    plan = InterimPlan(
        k=3,
        endpoint="slope",
        effect=0.15,
        futility="ld-obrien-fleming",
        options={"n_total": trial.n_subjects},
    )
    report = run_interim(trial, plan, cutoff=9.0, out=out.folder / "interim")
    out.files.extend(report.files)


STEPS = (
    Step(
        "sample_size", "sample size for a next trial from this trial's estimates", sample_size_step
    ),
    Step("group_sequential", "a 3-look group-sequential design with futility", sequential_step),
    Step("interim", "scripted interim analysis at calendar month 9 with DMC report", interim_step),
)
