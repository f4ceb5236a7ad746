"""Descriptive analysis: validation report, cohort table by arm, enrolment and ALSFRS-R
trajectory figures. Run alone with ``python analyses/01_descriptive.py --out DIR``."""

from alstrials.workflows import descriptive
from alstrials.workflows.scripts import script_main

STEPS = descriptive.STEPS

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS))
