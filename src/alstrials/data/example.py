"""The bundled example trial: ``load_example()`` and how the bundled copy is made.

The copy in ``alstrials/data/example/`` (``subjects.csv``, ``alsfrs.csv``, ``mri.csv``,
``events.csv``) is :func:`make_example` written by :func:`write_example_csv`, i.e.
``simulate_trial(n_per_arm=200, seed=20250601)`` with the default :class:`Scenario`. Regenerate
it with ``python scripts/make_example.py``; a test checks that a fresh simulation equals the
bundled copy exactly.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from alstrials.data.schema import DEFAULT_ARMS, TABLES, TrialData
from alstrials.data.simulate import Scenario, simulate_trial

__all__ = ["load_example", "make_example", "write_example_csv", "EXAMPLE_SEED", "EXAMPLE_N_PER_ARM"]

EXAMPLE_SEED = 20250601
"""Seed of the bundled example."""
EXAMPLE_N_PER_ARM = 200
"""Subjects per arm in the bundled example."""


def _metadata() -> dict[str, object]:
    return {
        "source": "alstrials bundled example (simulated)",
        "generator": "alstrials.simulate_trial",
        "seed": EXAMPLE_SEED,
        "n_per_arm": EXAMPLE_N_PER_ARM,
        "scenario": Scenario().to_dict(),
    }


def make_example() -> TrialData:
    """Simulate the example trial afresh (what the bundled copy holds).

    Returns
    -------
    TrialData

    Examples
    --------
    >>> make_example().n_subjects
    400
    """
    return simulate_trial(n_per_arm=EXAMPLE_N_PER_ARM, seed=EXAMPLE_SEED)


def write_example_csv(trial: TrialData, folder: str | Path) -> Path:
    """Write the four tables as ``<table>.csv`` (UTF-8, ``\\n`` line ends, shortest round-trip
    float text) into ``folder``.

    Parameters
    ----------
    trial : TrialData
        The trial.
    folder : str or Path
        Created if needed.

    Returns
    -------
    Path
        The folder.

    Examples
    --------
    >>> import tempfile
    >>> out = write_example_csv(make_example(), tempfile.mkdtemp())
    >>> sorted(p.name for p in out.iterdir())
    ['alsfrs.csv', 'events.csv', 'mri.csv', 'subjects.csv']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        trial.table(table).to_csv(
            folder / f"{table}.csv", index=False, lineterminator="\n", encoding="utf-8"
        )
    return folder


def load_example() -> TrialData:
    """The bundled example trial: 200 subjects per arm, calibrated default scenario.

    Returns
    -------
    TrialData
        Canonical tables read from the package's CSV copy; ``metadata`` records the seed and
        scenario that generated it.

    References
    ----------
    See ``docs/simulator.md`` for the generative model and its calibration.

    Examples
    --------
    >>> trial = load_example()
    >>> trial.n_subjects, trial.arms
    (400, ('placebo', 'active'))
    """
    base = resources.files("alstrials.data").joinpath("example")
    frames = {}
    for table in TABLES:
        with base.joinpath(f"{table}.csv").open("r", encoding="utf-8") as fh:
            frames[table] = pd.read_csv(
                fh, float_precision="round_trip", dtype={"subject_id": str}, keep_default_na=True
            )
    return TrialData.from_frames(
        frames["subjects"],
        frames["alsfrs"],
        frames["mri"],
        frames["events"],
        arms=DEFAULT_ARMS,
        metadata=_metadata(),
    )
