"""manifest.json: the reproducibility record of a run (versions, BLAS, input hashes, command
line, seed, git commit, configuration files and the files written)."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alstrials.data.io import read_trial
from alstrials.data.simulate import simulate_trial
from alstrials.reporting import manifest as mf

PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "lifelines", "formulaic", "matplotlib")


@pytest.fixture(scope="module")
def trial():  # noqa: ANN201
    return simulate_trial(n_per_arm=5, seed=11, follow_up_months=6)


def _write(tmp_path: Path, trial, **kwargs) -> dict:  # noqa: ANN001
    out = tmp_path / "out"
    out.mkdir(parents=True)
    result = out / "tables" / "a.csv"
    result.parent.mkdir()
    result.write_text("x\n1\n")
    path = mf.write_manifest(out, [result], inputs={"data": "test"}, trial=trial, **kwargs)
    assert path == out / "manifest.json"
    return json.loads(path.read_text())


def test_dependency_versions_are_the_installed_ones(trial, tmp_path) -> None:  # noqa: ANN001
    record = _write(tmp_path, trial)
    for name in (*PACKAGES, "dask"):
        assert record["dependencies"][name] == importlib.metadata.version(name)
    assert mf.dependency_versions(["no-such-package-alstrials"]) == {
        "no-such-package-alstrials": None
    }


def test_blas_library_and_kernel(trial, tmp_path) -> None:  # noqa: ANN001
    from threadpoolctl import threadpool_info

    record = _write(tmp_path, trial)
    blas = [lib for lib in record["blas"] if lib["user_api"] == "blas"]
    assert blas, record["blas"]
    expected = {(lib["internal_api"], lib["version"]) for lib in threadpool_info()}
    for lib in blas:
        assert (lib["internal_api"], lib["version"]) in expected
        assert isinstance(lib["num_threads"], int) and lib["num_threads"] >= 1
        if lib["internal_api"] == "openblas":  # OpenBLAS names its kernel
            assert lib["architecture"]
        assert "filepath" not in lib  # no local paths in the record


def test_command_line_and_seed(trial, tmp_path) -> None:  # noqa: ANN001
    record = _write(tmp_path / "a", trial, command=["alstrials", "run", "x"], seed=7)
    assert record["command"] == ["alstrials", "run", "x"] and record["seed"] == 7
    default = _write(tmp_path / "b", trial)
    assert default["command"] == sys.argv
    assert default["seed"] == trial.metadata["seed"] == 11  # the simulated trial's seed


def test_input_tables_hash_the_canonical_table_bytes(trial, tmp_path) -> None:  # noqa: ANN001
    record = _write(tmp_path / "a", trial)
    tables = record["input_tables"]
    assert set(tables) == {"subjects", "alsfrs", "mri", "events"}
    for name, entry in tables.items():
        frame = trial.table(name)
        assert entry["rows"] == len(frame)
        assert entry["sha256"] == mf.table_sha256(frame)
    # the same data read from CSV and from Parquet carry the same hashes
    csv = read_trial(trial.write(tmp_path / "csv"))
    parquet = read_trial(trial.write(tmp_path / "parquet", format="parquet"))
    assert mf.trial_table_hashes(csv) == mf.trial_table_hashes(parquet) == tables
    # one changed value changes the hash of that table only
    alsfrs = trial.alsfrs.copy()
    alsfrs.loc[alsfrs.index[0], "q1_speech"] = 4 - alsfrs["q1_speech"].iloc[0]
    changed = mf.trial_table_hashes(trial.replace(alsfrs=alsfrs))
    assert changed["alsfrs"]["sha256"] != tables["alsfrs"]["sha256"]
    assert changed["subjects"] == tables["subjects"]


def test_input_files_and_configs_are_hashed(trial, tmp_path) -> None:  # noqa: ANN001
    folder = trial.write(tmp_path / "trial")
    config = tmp_path / "configs" / "01_x.toml"
    config.parent.mkdir()
    config.write_text("steps = []\n")
    record = _write(tmp_path, trial, data_folder=folder, configs=[config])
    files = record["input_files"]
    assert {"subjects.csv", "alsfrs.csv", "mri.csv", "events.csv", "trial.json"} <= set(files)
    for name, digest in files.items():
        assert digest == mf.sha256(folder / name)
    assert record["configs"] == [{"path": config.as_posix(), "sha256": mf.sha256(config)}]


def test_written_files_are_listed_with_size_and_hash(trial, tmp_path) -> None:  # noqa: ANN001
    record = _write(tmp_path, trial)
    (entry,) = record["files"]
    assert entry == {
        "path": "tables/a.csv",
        "bytes": 4,
        "sha256": mf.sha256(tmp_path / "out" / "tables" / "a.csv"),
    }
    assert record["inputs"] == {"data": "test"}
    assert "input_files" not in record  # no folder was read


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_of_the_checkout() -> None:
    package = Path(mf.__file__).resolve().parents[1]
    head = subprocess.run(
        ["git", "-C", str(package), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    state = mf.git_state()
    if head.returncode != 0:  # an installed copy, not a checkout
        assert state == {}
    else:
        assert state["git_commit"] == head.stdout.strip()
        assert isinstance(state["git_dirty"], bool)


def test_git_state_is_absent_outside_a_checkout_and_never_fails(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    assert mf.git_state(tmp_path) == {}

    def hung(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise subprocess.TimeoutExpired(cmd="git", timeout=5)

    monkeypatch.setattr(mf.subprocess, "run", hung)
    assert mf.git_state() == {}

    def missing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise FileNotFoundError("git")

    monkeypatch.setattr(mf.subprocess, "run", missing)
    assert mf.git_state() == {}


def test_manifest_without_git_has_no_git_keys(trial, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(mf, "_git", lambda *a: None)
    record = _write(tmp_path, trial)
    assert "git_commit" not in record and "git_dirty" not in record
