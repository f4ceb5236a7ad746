"""Longitudinal analyses: ALSFRS-R slope LMM by arm (primary analysis), MMRM at scheduled
visits, LMM with time-varying MRI covariates, and whether an MRI biomarker tracks function.
Run alone: ``python analyses/02_longitudinal.py --out DIR``."""

from alstrials.workflows import longitudinal
from alstrials.workflows.scripts import script_main

STEPS = longitudinal.STEPS

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS))
