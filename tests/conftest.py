"""Shared fixtures: paths to the R reference values and their data."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # tests never open windows

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def r_reference() -> dict:
    """The R results shipped in tests/reference/r_reference.json (see its README)."""
    return json.loads((REFERENCE_DIR / "r_reference.json").read_text())
