"""Descriptive steps: data validation report, cohort table, enrolment and ALSFRS-R figures."""

from __future__ import annotations

import pandas as pd

from alstrials.data.alsfrs import score_alsfrs
from alstrials.data.schema import TrialData
from alstrials.reporting.figures import plot_alsfrs_trajectories, plot_enrolment
from alstrials.reporting.tables import cohort_summary
from alstrials.workflows.step import Outputs, Step


def validation(trial: TrialData, out: Outputs) -> None:
    report = trial.validate(lenient=True)
    out.text("validation.txt", report.to_text() + "\n")
    out.table("exclusions", report.exclusions, index=False)


def cohort(trial: TrialData, out: Outputs) -> None:
    out.table("cohort_summary", cohort_summary(trial))


def staging(trial: TrialData, out: Outputs) -> None:
    scored = score_alsfrs(trial.alsfrs, trial.subjects)
    first = scored.sort_values(["subject_id", "months"]).drop_duplicates("subject_id")
    rows = []
    for system, column in (("King's", "kings_stage"), ("MiToS", "mitos_stage")):
        counts = first[column].astype(str).value_counts().sort_index()
        for stage, n in counts.items():
            rows.append(
                {
                    "system": system,
                    "stage": stage,
                    "subjects": int(n),
                    "percent": 100.0 * n / len(first),
                }
            )
    out.table("baseline_stages", pd.DataFrame(rows), index=False)


def trajectories(trial: TrialData, out: Outputs) -> None:
    out.figure("alsfrs_trajectories", plot_alsfrs_trajectories(trial))
    out.figure("enrolment", plot_enrolment(trial))


STEPS = (
    Step("validation", "schema checks and exclusion log", validation),
    Step("cohort", "baseline characteristics by arm", cohort),
    Step("staging", "King's and MiToS stages at baseline", staging),
    Step("trajectories", "ALSFRS-R trajectories and enrolment figures", trajectories),
)
