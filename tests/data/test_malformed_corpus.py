"""Every folder of the malformed corpus (tests/data/corpus.py) is refused with a message naming
what is wrong: by ``read_trial`` (a DataValidationError) and by ``alstrials validate`` (exit code
1, "INVALID", no traceback), in-process for every case and in a subprocess for a sample."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.data.corpus import CASES, Case, make_base

from alstrials.cli import main
from alstrials.data.io import read_trial
from alstrials.errors import DataValidationError

BY_NAME = {case.name: case for case in CASES}
SUBPROCESS_SAMPLE = (
    "csv-subjects-is-fifo",
    "csv-alsfrs-short-row",
    "csv-events-latin1",
    "parquet-events-timedelta-months",
    "parquet-mri-list-column",
    "json-list",
    "exclusions-row-not-integer",
    "csv-mri-both-formats",
    "value-subjects-age-inf",
)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        fmt: make_base(tmp_path_factory.mktemp(f"base-{fmt}") / "trial", fmt)
        for fmt in ("csv", "parquet")
    }


def _build(case: Case, bases: dict[str, Path], tmp_path: Path) -> Path:
    if case.needs_fifo and not hasattr(os, "mkfifo"):
        pytest.skip("named pipes need a POSIX system")
    folder = tmp_path / "trial"
    shutil.copytree(bases[case.base], folder, symlinks=True)
    case.corrupt(folder)
    return folder


def _check_message(case: Case, text: str) -> None:
    assert "Traceback" not in text, text
    for pattern in case.expect:
        assert re.search(pattern, text), f"{case.name}: {pattern!r} not in message:\n{text}"


def test_corpus_is_large_enough() -> None:
    kinds = [case.kind for case in CASES]
    assert len(CASES) >= 80
    assert kinds.count("file") >= 60


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_read_trial_refuses(case: Case, bases: dict[str, Path], tmp_path: Path) -> None:
    folder = _build(case, bases, tmp_path)
    with pytest.raises(DataValidationError, match=case.expect[0]) as info:
        read_trial(folder)
    _check_message(case, str(info.value))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_cli_validate_refuses(
    case: Case, bases: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _build(case, bases, tmp_path)
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert code == case.exit_code, out + err
    assert "INVALID" in out, out + err
    _check_message(case, out + err)


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_cli_validate_refuses_in_subprocess(
    name: str, bases: dict[str, Path], tmp_path: Path
) -> None:
    case = BY_NAME[name]
    folder = _build(case, bases, tmp_path)
    script = "import sys; from alstrials.cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", script, "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,  # a FIFO read would hang: fail instead of waiting forever
        check=False,
    )
    assert done.returncode == case.exit_code, done.stdout + done.stderr
    assert "INVALID" in done.stdout
    _check_message(case, done.stdout + done.stderr)
