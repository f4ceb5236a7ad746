"""The bundled example equals a fresh simulation with the fixed seed and scenario."""

from __future__ import annotations

import pandas as pd

from alstrials.data.example import (
    EXAMPLE_N_PER_ARM,
    EXAMPLE_SEED,
    load_example,
    make_example,
    write_example_csv,
)
from alstrials.data.schema import TABLES


def test_bundled_copy_equals_fresh_simulation():
    bundled = load_example()
    fresh = make_example()
    for table in TABLES:
        pd.testing.assert_frame_equal(bundled.table(table), fresh.table(table))
    assert bundled.arms == fresh.arms


def test_example_is_valid_and_sized():
    trial = load_example()
    trial.validate()
    assert trial.n_subjects == 2 * EXAMPLE_N_PER_ARM
    assert trial.metadata["seed"] == EXAMPLE_SEED
    assert trial.events["event"].sum() > 0


def test_csv_writing_round_trips_exactly(tmp_path):
    fresh = make_example()
    write_example_csv(fresh, tmp_path)
    from importlib import resources

    bundled_dir = resources.files("alstrials.data").joinpath("example")
    for table in TABLES:
        written = (tmp_path / f"{table}.csv").read_bytes()
        assert written == bundled_dir.joinpath(f"{table}.csv").read_bytes(), table
