"""Survival analyses: Kaplan-Meier, log-rank and RMST by arm and by the composite MRI sign; Cox
models with baseline and time-varying MRI covariates; accuracy of the sign (the published 2x2
table, kept apart from a user's results, and the sign's prognostic accuracy in the trial); CAFS
and the Finkelstein-Schoenfeld test; competing risks. Parameters: ``configs/03_survival.toml``.
Run alone: ``python analyses/03_survival.py --out DIR``."""

import pandas as pd

from alstrials.data.frames import survival_frame
from alstrials.data.schema import TrialData
from alstrials.models.accuracy import diagnostic_accuracy
from alstrials.models.cafs import cafs
from alstrials.models.finkelstein_schoenfeld import finkelstein_schoenfeld
from alstrials.models.survival import cox_zph, fit_cox, mri_counting_process
from alstrials.reporting.forest import forest_plot
from alstrials.workflows import survival
from alstrials.workflows.scripts import load_config, script_main, select_steps
from alstrials.workflows.step import Outputs, Step

CONFIG = load_config(
    __file__,
    {
        "cox": {
            "formula": "string",
            "time_varying_formula": "string",
            "time_varying_covariates": "strings",
        },
        "accuracy_literature": {
            "source": "string",
            "true_positives": "integer",
            "false_positives": "integer",
            "false_negatives": "integer",
            "true_negatives": "integer",
        },
        "accuracy_prognostic": {"horizon_months": "number"},
        "endpoints": {"month": "number"},
    },
)


def cox_step(trial: TrialData, out: Outputs) -> None:
    config = CONFIG["cox"]
    data = survival_frame(trial).dropna(subset=["composite_sign"])
    fit = fit_cox(data, "months", "event", config["formula"])
    out.table("cox_baseline", fit.coef)
    out.table("cox_zph", cox_zph(fit).summary())
    rows = mri_counting_process(trial, covariates=tuple(config["time_varying_covariates"]))
    if "composite_sign" in rows:
        rows = rows.assign(composite_sign=rows["composite_sign"].astype(float))
    tv = fit_cox(
        rows, "stop", "event", config["time_varying_formula"], start="start", cluster="subject_id"
    )
    out.table("cox_time_varying_mri", tv.coef)
    ax = forest_plot({"baseline MRI": fit.coef, "time-varying MRI": tv.coef})
    ax.set_title("Hazard ratios (Cox models)")
    out.figure("cox_forest", ax)


def accuracy_literature_step(trial: TrialData, out: Outputs) -> None:
    """The published 2x2 table (not the trial: ``trial`` is not used)."""
    config = CONFIG["accuracy_literature"]
    table = diagnostic_accuracy(
        tp=config["true_positives"],
        fp=config["false_positives"],
        fn=config["false_negatives"],
        tn=config["true_negatives"],
    )
    out.table("accuracy_literature_counts", table)


def accuracy_prognostic_step(trial: TrialData, out: Outputs) -> None:
    # Subjects censored before the horizon without an event have unknown status: left out.
    horizon = float(CONFIG["accuracy_prognostic"]["horizon_months"])
    data = survival_frame(trial).dropna(subset=["composite_sign"])
    data = data[data["event"] | (data["months"] >= horizon)]
    truth = (data["event"] & (data["months"] <= horizon)).to_numpy()
    table = diagnostic_accuracy(test=data["composite_sign"].to_numpy(dtype=bool), truth=truth)
    out.table(f"accuracy_sign_event_{horizon:g}_months", table)


def endpoints_step(trial: TrialData, out: Outputs) -> None:
    month = float(CONFIG["endpoints"]["month"])
    result = cafs(trial, month=month)
    out.table("cafs_scores", result.scores, index=False)
    out.table("cafs_test", result.summary())
    fs = finkelstein_schoenfeld(trial, horizon=month)
    out.table("finkelstein_schoenfeld", fs.summary())
    overview = pd.DataFrame(
        {
            "endpoint": [f"CAFS (month {month:g})", f"Finkelstein-Schoenfeld (month {month:g})"],
            "p": [result.p, fs.p],
        }
    )
    out.table("endpoint_overview", overview, index=False)


_LIBRARY = {step.name: step for step in survival.STEPS}
_HORIZON = CONFIG["accuracy_prognostic"]["horizon_months"]
STEPS = select_steps(
    (
        _LIBRARY["kaplan_meier"],
        _LIBRARY["kaplan_meier_sign"],
        Step("cox", _LIBRARY["cox"].description, cox_step, needs=("mri",)),
        Step(
            "accuracy_literature",
            "accuracy of the composite sign: the published 2x2 table (literature, not the trial)",
            accuracy_literature_step,
        ),
        Step(
            "accuracy_prognostic",
            f"composite sign at baseline vs an event within {_HORIZON:g} months",
            accuracy_prognostic_step,
            needs=("mri",),
        ),
        Step("endpoints", _LIBRARY["endpoints"].description, endpoints_step),
        _LIBRARY["competing_risks"],
    ),
    CONFIG,
    script=__file__,
)

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS, script=__file__))
