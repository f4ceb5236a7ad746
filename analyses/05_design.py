"""Design and monitoring: sample size for a next trial from this trial's estimates, a
group-sequential design, and a scripted interim analysis with its DMC report. Parameters:
``configs/05_design.toml`` (and the interim design file it names). Run alone:
``python analyses/05_design.py --out DIR``."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from alstrials.data.frames import long_frame
from alstrials.data.schema import TrialData
from alstrials.design import power
from alstrials.design.sequential import group_sequential
from alstrials.models.lmm import fit_lmm
from alstrials.reporting.sequential_plots import plot_boundaries
from alstrials.workflows import design
from alstrials.workflows.interim import read_plan, run_interim
from alstrials.workflows.scripts import CONFIG_FOLDER, load_config, script_main, select_steps
from alstrials.workflows.step import Outputs, Step

CONFIG = load_config(
    __file__,
    {
        "sample_size": {
            "visits": "numbers",
            "slowing": "numbers",
            "hazard_ratios": "numbers",
            "power": "number",
            "alpha": "number",
        },
        "group_sequential": {
            "k": "integer",
            "alpha": "number",
            "beta": "number",
            "boundary": "string",
            "futility": "string",
        },
        "interim": {"design_file": "string", "cutoff_months": "number"},
    },
)
INTERIM_DESIGN = Path(__file__).parent / CONFIG_FOLDER / CONFIG["interim"]["design_file"]
PLAN = read_plan(INTERIM_DESIGN)  # checked when the script is loaded, before any step runs


def sample_size_step(trial: TrialData, out: Outputs) -> None:
    config = CONFIG["sample_size"]
    placebo = trial.replace(subjects=trial.subjects[trial.subjects["arm"] == trial.arms[0]])
    fit = fit_lmm(
        long_frame(placebo), "alsfrs_total ~ months", group="subject_id", random="~months"
    )
    g = fit.random_cov.to_numpy()
    slope = float(fit.fixed.loc["months", "estimate"])
    rows = []
    for slowing in config["slowing"]:
        res = power.lmm_slope(
            delta=abs(slope) * slowing,
            t=config["visits"],
            sig2_slope=g[1, 1],
            sig2_resid=fit.residual_var,
            sig2_int=g[0, 0],
            cov_int_slope=g[0, 1],
            power=config["power"],
            alpha=config["alpha"],
        )
        rows.append(
            {
                "endpoint": "ALSFRS-R slope (LMM)",
                "slowing": slowing,
                "effect": abs(slope) * slowing,
                "n_per_arm": res.n_per_group_ceil,
            }
        )
    for hr in config["hazard_ratios"]:
        ev = power.events(hr=hr, power=config["power"], alpha=config["alpha"])
        rows.append(
            {
                "endpoint": "composite event (Cox)",
                "slowing": np.nan,
                "effect": hr,
                "events": ev.events_ceil,
            }
        )
    out.table("sample_size_next_trial", pd.DataFrame(rows), index=False)
    inputs = pd.Series(
        {
            "placebo slope": slope,
            "sig2_int": g[0, 0],
            "sig2_slope": g[1, 1],
            "cov_int_slope": g[0, 1],
            "sig2_resid": fit.residual_var,
            "visits": str([float(v) for v in config["visits"]]),
        },
        name="value",
    )
    out.table("sample_size_inputs", inputs.to_frame())


def sequential_step(trial: TrialData, out: Outputs) -> None:
    gs = group_sequential(**CONFIG["group_sequential"])
    out.table("group_sequential_design", gs.table)
    out.figure("group_sequential_boundaries", plot_boundaries(gs))


def interim_step(trial: TrialData, out: Outputs) -> None:
    plan = PLAN
    if "n_total" not in plan.options:  # the projection of look dates uses the trial's size
        plan = dataclasses.replace(plan, options={**plan.options, "n_total": trial.n_subjects})
    cutoff = float(CONFIG["interim"]["cutoff_months"])
    report = run_interim(trial, plan, cutoff=cutoff, out=out.folder / "interim")
    out.files.extend(report.files)


_LIBRARY = {step.name: step for step in design.STEPS}
_CUTOFF = CONFIG["interim"]["cutoff_months"]
STEPS = select_steps(
    (
        Step("sample_size", _LIBRARY["sample_size"].description, sample_size_step),
        Step(
            "group_sequential",
            f"a {CONFIG['group_sequential']['k']}-look group-sequential design",
            sequential_step,
        ),
        Step(
            "interim",
            f"scripted interim analysis at calendar month {_CUTOFF:g} with DMC report",
            interim_step,
        ),
    ),
    CONFIG,
    script=__file__,
)

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS, script=__file__))
