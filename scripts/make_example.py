"""Regenerate the bundled example trial in src/alstrials/data/example/.

Usage: ``python scripts/make_example.py`` (from the repository root). The example is
``simulate_trial(n_per_arm=EXAMPLE_N_PER_ARM, seed=EXAMPLE_SEED)`` with the default scenario;
tests/data/test_example.py checks that a fresh simulation equals the bundled copy exactly.
"""

from __future__ import annotations

from pathlib import Path

from alstrials.data.example import make_example, write_example_csv

OUT = Path(__file__).resolve().parents[1] / "src" / "alstrials" / "data" / "example"


def main() -> None:
    trial = make_example()
    trial.validate()
    write_example_csv(trial, OUT)
    print(f"wrote {trial!r} to {OUT}")


if __name__ == "__main__":
    main()
