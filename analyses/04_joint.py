"""Joint model of the ALSFRS-R trajectory and the composite survival endpoint, with a dynamic
prediction. Run alone: ``python analyses/04_joint.py --out DIR``."""

from alstrials.workflows import joint
from alstrials.workflows.scripts import script_main

STEPS = joint.STEPS

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS))
