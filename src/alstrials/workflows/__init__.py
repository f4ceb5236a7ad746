"""Analysis workflows: each step takes a trial and an output folder, runs library analyses and
writes tables (CSV) and figures (PNG). `alstrials demo`, `alstrials run` and the scripts in
``analyses/`` all call these, so a script never does statistics the library should own."""

from alstrials.workflows.registry import STEPS, run_steps

__all__ = ["STEPS", "run_steps"]
