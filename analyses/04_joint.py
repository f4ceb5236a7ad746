"""Joint models: ALSFRS-R with the composite survival endpoint (one marker), and ALSFRS-R with
cord area and the competing causes death, tracheostomy and permanent ventilation (two
markers), reported beside the time-varying Cox model, with dynamic predictions of each cause's
cumulative incidence for two example patients. Run alone: ``python analyses/04_joint.py --out
DIR``.

The causes are modelled as competing (cause-specific hazards). To pool tracheostomy and
permanent ventilation into respiratory failure instead, run the step with
``joint.joint_competing_step(trial, out, causes="pooled")`` or fit
``alstrials.models.primary.fit_marker_cause_joint(trial, "pooled")`` (docs/joint.md)."""

from alstrials.workflows import joint
from alstrials.workflows.scripts import script_main

STEPS = joint.STEPS

if __name__ == "__main__":
    raise SystemExit(script_main(STEPS))
