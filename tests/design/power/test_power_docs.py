"""The runnable examples in docs/power.md."""

from __future__ import annotations

import doctest
from pathlib import Path

DOCS = Path(__file__).resolve().parents[3] / "docs" / "power.md"


def test_docs_examples_run():
    failures, attempted = doctest.testfile(str(DOCS), module_relative=False, verbose=False)
    assert attempted > 10
    assert failures == 0
