"""Design and monitoring: sample size for a next trial from this trial's estimates, a
group-sequential design, and a scripted interim analysis with its DMC report.
Run alone: ``python analyses/05_design.py --out DIR``."""

from alstrials.workflows import design
from alstrials.workflows.scripts import script_main

STEPS = design.STEPS

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS))
