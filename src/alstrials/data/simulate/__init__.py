"""The calibrated generative model of a two-arm ALS trial (see ``docs/simulator.md``).

:func:`simulate_trial` returns a canonical :class:`~alstrials.data.schema.TrialData`;
:class:`Scenario` holds every parameter with its calibration source.
"""

from alstrials.data.simulate.scenario import Scenario, scenario_from_dict, scenario_from_toml
from alstrials.data.simulate.trial import STREAMS, simulate_trial, simulate_with_truth

__all__ = [
    "Scenario",
    "scenario_from_dict",
    "scenario_from_toml",
    "simulate_trial",
    "simulate_with_truth",
    "STREAMS",
]
