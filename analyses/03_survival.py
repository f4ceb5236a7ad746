"""Survival analyses: Kaplan-Meier, log-rank and RMST by arm and by the composite MRI sign; Cox
models with baseline and time-varying MRI covariates; accuracy of the sign; CAFS and the
Finkelstein-Schoenfeld test. Run alone: ``python analyses/03_survival.py --out DIR``."""

from alstrials.workflows import survival
from alstrials.workflows.scripts import script_main

STEPS = survival.STEPS

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS))
