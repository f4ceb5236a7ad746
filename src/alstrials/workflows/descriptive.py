"""Descriptive steps: data validation report, cohort table, enrolment and ALSFRS-R figures."""

from __future__ import annotations

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


def trajectories(trial: TrialData, out: Outputs) -> None:
    out.figure("alsfrs_trajectories", plot_alsfrs_trajectories(trial))
    out.figure("enrolment", plot_enrolment(trial))


STEPS = (
    Step("validation", "schema checks and exclusion log", validation),
    Step("cohort", "baseline characteristics by arm", cohort),
    Step("trajectories", "ALSFRS-R trajectories and enrolment figures", trajectories),
)
