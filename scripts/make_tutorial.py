"""Write docs/tutorial.ipynb from the cells below (the test suite executes its code cells)."""

from __future__ import annotations

import json
from pathlib import Path

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        "# alstrials tutorial: one ALS trial from data to an interim decision\n\n"
        "We load the bundled example trial, check it, ask the questions of the field (does "
        "treatment slow ALSFRS-R decline? does the MRI composite sign predict shorter survival? "
        "does an MRI biomarker track function?), then plan the next trial and monitor this one.",
    ),
    ("code", "import alstrials as at\n\ntrial = at.load_example()\ntrial"),
    (
        "markdown",
        "## 1. Data\nFour canonical tables. `validate()` raises a "
        "`DataValidationError` naming table, column, subject and row; `lenient=True` sets rows "
        "aside with an exclusion log instead.",
    ),
    ("code", "report = trial.validate()\nprint(report.to_text())\nat.cohort_summary(trial)"),
    (
        "code",
        "scored = at.score_alsfrs(trial.alsfrs, trial.subjects)\n"
        "scored[['subject_id', 'months', 'alsfrs_total', 'kings_stage', 'mitos_stage']].head()",
    ),
    (
        "markdown",
        "## 2. Does treatment slow ALSFRS-R decline?\nRandom intercept and slope "
        "LMM (matches lme4), then the MMRM at scheduled visits (matches nlme).",
    ),
    (
        "code",
        "from alstrials.data.frames import long_frame, change_frame, survival_frame\n\n"
        "long = long_frame(trial)\n"
        "lmm = at.fit_lmm(long, 'alsfrs_total ~ months * arm', group='subject_id', "
        "random='~months')\n"
        "lmm.contrast({'slope difference': {'months:arm[T.active]': 1.0}})",
    ),
    (
        "code",
        "changes = change_frame(trial).assign(arm=lambda d: d['arm'].astype(str))\n"
        "mmrm = at.fit_mmrm(changes, outcome='change', visit='visit', group='subject_id', "
        "arm='arm', covariates=('base',))\nmmrm.effects",
    ),
    ("code", "ax = at.plot_alsfrs_trajectories(trial)"),
    ("markdown", "## 3. Does the composite MRI sign predict shorter survival?"),
    (
        "code",
        "surv = survival_frame(trial)\n"
        "cox = at.fit_cox(surv, 'months', 'event', 'active + composite_sign + age')\ncox.coef",
    ),
    (
        "code",
        "km = at.kaplan_meier(surv.assign(sign=surv['composite_sign'].map({1.0: 'positive', "
        "0.0: 'negative'})), 'months', 'event', by='sign')\nax = at.plot_km(km)",
    ),
    ("code", "at.diagnostic_accuracy(tp=120, fp=13, fn=51, tn=57)  # the published 2x2 table"),
    (
        "markdown",
        "## 4. Does cord area track function?\nA bivariate mixed model with correlated "
        "random slopes.",
    ),
    (
        "code",
        "tracking = at.biomarker_tracking(trial, biomarker='cord_csa_mm2')\n"
        "tracking.slope_correlation, tracking.slope_correlation_ci",
    ),
    (
        "markdown",
        "## 5. Plan the next trial\nAnalytic sample size from this trial's variance "
        "components, and simulated power under the calibrated simulator.",
    ),
    (
        "code",
        "g = lmm.random_cov.to_numpy()\n"
        "at.power.lmm_slope(delta=0.25, t=[0, 3, 6, 9, 12, 15, 18], sig2_slope=g[1, 1], "
        "sig2_resid=lmm.residual_var, sig2_int=g[0, 0], cov_int_slope=g[0, 1], power=0.8)",
    ),
    (
        "code",
        "sim = at.power.simulate({'follow_up_months': 12}, analysis='lmm_slope', "
        "n_per_arm=60, n_sims=8, seed=1, workers=1, progress=False)\nsim.summary()",
    ),
    (
        "markdown",
        "## 6. Monitor this trial\nA three-look design with futility, and the trial "
        "as it was known at calendar month 9.",
    ),
    (
        "code",
        "design = at.group_sequential(3, alpha=0.025, boundary='ld-obrien-fleming', "
        "futility='ld-obrien-fleming')\ndesign.table",
    ),
    (
        "code",
        "early = at.cut_at(trial, 9.0)\n"
        "fit9 = at.fit_lmm(long_frame(early), 'alsfrs_total ~ months * arm', group='subject_id', "
        "random='~months')\nrow = fit9.fixed.loc['months:arm[T.active]']\n"
        "from alstrials.design.interim import interim_analysis\n"
        "max_info = design.inflation * ((1.96 + 0.8416) / 0.15) ** 2\n"
        "interim_analysis(design, z=[row['estimate'] / row['se']], "
        "info=[row['se'] ** -2 / max_info])",
    ),
]


def main() -> None:
    cells = []
    for kind, text in CELLS:
        cell = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        cells.append(cell)
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    target = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"
    target.write_text(json.dumps(notebook, indent=1) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
