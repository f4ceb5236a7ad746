"""Fixtures: reference values for the analytic power functions (tests/reference/power)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

POWER_REF = Path(__file__).resolve().parents[2] / "reference" / "power"


@pytest.fixture(scope="session")
def rpact_survival() -> dict:
    """rpact 3.3.4 output of tests/reference/power/rpact_survival.R."""
    return json.loads((POWER_REF / "rpact_survival.json").read_text())


@pytest.fixture(scope="session")
def power_t_test() -> dict:
    """R stats::power.t.test output of tests/reference/power/power_t_test.R."""
    return json.loads((POWER_REF / "power_t_test.json").read_text())


@pytest.fixture(scope="session")
def longpower_published() -> dict:
    """Printed longpower output and published tables (see the file's "source" fields)."""
    return json.loads((POWER_REF / "longpower_published.json").read_text())
