"""Descriptive analysis: validation report, cohort table by arm, enrolment and ALSFRS-R
trajectory figures. Parameters: ``configs/01_descriptive.toml``. Run alone with
``python analyses/01_descriptive.py --out DIR``."""

from alstrials.workflows import descriptive
from alstrials.workflows.scripts import load_config, script_main, select_steps

CONFIG = load_config(__file__, {})
STEPS = select_steps(descriptive.STEPS, CONFIG, script=__file__)

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS, script=__file__))
