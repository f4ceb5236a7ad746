"""The reproducibility record of an analysis run: ``manifest.json``.

It lists every file the run wrote (path, size, SHA-256), so a reader can check that a folder of
results is complete and unaltered, and everything needed to rerun it:

``alstrials_version``, ``python``, ``platform``
    The package, the interpreter and the operating system.
``dependencies``
    Installed versions of numpy, scipy, pandas, statsmodels, lifelines, formulaic, matplotlib,
    dask, pyarrow and threadpoolctl (``null`` for one that is not installed).
``blas``
    The BLAS/LAPACK and OpenMP libraries in use (from ``threadpoolctl.threadpool_info()``):
    ``user_api``, ``internal_api`` (openblas, mkl, blis...), ``version``, ``architecture``
    (the kernel, e.g. Haswell) and ``num_threads``. Results may differ in the last digits
    between BLAS builds; this says which one produced them.
``command``
    The command line (``sys.argv``, or the arguments the CLI was given).
``seed``
    The random seed of the run (given, or that of a simulated trial), ``null`` if none.
``git_commit`` and ``git_dirty``
    The commit of the alstrials checkout that ran (``git rev-parse HEAD``), and whether it had
    uncommitted changes; both absent outside a git checkout. Looking them up never fails a run.
``input_tables``
    For each table of the analysed :class:`~alstrials.data.schema.TrialData`, the number of rows
    and the SHA-256 of its canonical CSV bytes (:func:`table_sha256`), so two runs on the same
    data carry the same hashes whatever the file format they were read from.
``input_files``
    The SHA-256 of each file of the trial folder read (``--data``), when there was one.
``configs``
    The configuration files read (``analyses/configs/*.toml``): path and SHA-256.
``inputs``
    What the caller adds (data source, scripts, steps run and skipped, ...).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from alstrials.data.schema import TrialData

__all__ = [
    "write_manifest",
    "sha256",
    "table_sha256",
    "trial_table_hashes",
    "folder_file_hashes",
    "dependency_versions",
    "blas_info",
    "git_state",
    "RECORDED_PACKAGES",
]

RECORDED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "lifelines",
    "formulaic",
    "matplotlib",
    "dask",
    "pyarrow",
    "threadpoolctl",
)
"""The dependencies whose versions the manifest records."""

_BLAS_KEYS = ("user_api", "internal_api", "version", "architecture", "threading_layer")
_GIT_TIMEOUT_SECONDS = 5.0


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_sha256(frame: pd.DataFrame) -> str:
    """Hex SHA-256 of a table's canonical CSV bytes: columns in order, no index, ``\\n`` line
    ends, numbers written exactly (round-trip precision), missing values empty, UTF-8.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1.5, None], "s": ["p", "q"]})
    >>> table_sha256(a) == table_sha256(a.copy()) != table_sha256(a.iloc[::-1])
    True
    """
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def trial_table_hashes(trial: TrialData) -> dict[str, dict[str, object]]:
    """``{table: {"rows": n, "sha256": hex}}`` for every table of ``trial`` (the data snapshot
    identifier of a run), plus the exclusion log when it has rows."""
    from alstrials.data.schema import TABLES

    frames = {name: trial.table(name) for name in TABLES}
    if len(trial.exclusions):
        frames["exclusions"] = trial.exclusions
    return {
        name: {"rows": int(len(frame)), "sha256": table_sha256(frame)}
        for name, frame in frames.items()
    }


def folder_file_hashes(folder: str | Path) -> dict[str, str]:
    """``{file name: hex SHA-256}`` of the regular, non-hidden files at the top of ``folder``
    (a trial folder: its tables, exclusion log and ``trial.json``)."""
    root = Path(folder)
    return {
        path.name: sha256(path)
        for path in sorted(root.iterdir())
        if path.is_file() and not path.name.startswith(".")
    }


def dependency_versions(packages: Iterable[str] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (``None`` when it is not installed); nothing is
    imported."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def blas_info() -> list[dict[str, object]]:
    """The thread-pool libraries (BLAS, LAPACK, OpenMP) loaded by numpy and scipy, as
    ``threadpoolctl.threadpool_info()`` reports them (file paths left out); ``[]`` when
    threadpoolctl is not installed."""
    try:
        import numpy  # noqa: F401 - load the BLAS numpy and scipy link
        import scipy.linalg  # noqa: F401
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    libraries = []
    for lib in threadpool_info():
        entry: dict[str, object] = {k: lib[k] for k in _BLAS_KEYS if k in lib}
        entry["num_threads"] = lib.get("num_threads")
        libraries.append(entry)
    return sorted(libraries, key=lambda e: (str(e.get("user_api")), str(e.get("internal_api"))))


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, a hung git, ...
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(folder: str | Path | None = None) -> dict[str, object]:
    """``{"git_commit": sha, "git_dirty": bool}`` of the git checkout holding ``folder``
    (default: the installed alstrials package); ``{}`` when it is not in a checkout, git is
    missing or slow (5 s timeout). Never raises."""
    where = Path(folder) if folder is not None else Path(__file__).resolve().parents[1]
    if folder is None and _git(where, "ls-files", "--error-unmatch", "__init__.py") is None:
        return {}  # an installed copy (e.g. in a virtualenv inside some other repository)
    commit = _git(where, "rev-parse", "HEAD")
    if commit is None or len(commit) < 40:
        return {}
    state: dict[str, object] = {"git_commit": commit}
    status = _git(where, "status", "--porcelain", "--untracked-files=no")
    if status is not None:
        state["git_dirty"] = bool(status)
    return state


def _file_entries(out: Path, files: Iterable[Path]) -> list[dict[str, object]]:
    entries = []
    for file in sorted({Path(f) for f in files}):
        entries.append(
            {
                "path": file.relative_to(out).as_posix(),
                "bytes": file.stat().st_size,
                "sha256": sha256(file),
            }
        )
    return entries


def _config_entries(configs: Iterable[str | Path]) -> list[dict[str, str]]:
    return [{"path": Path(c).as_posix(), "sha256": sha256(Path(c))} for c in configs]


def write_manifest(
    out: Path,
    files: Iterable[Path],
    *,
    inputs: Mapping[str, object],
    trial: TrialData | None = None,
    data_folder: str | Path | None = None,
    configs: Iterable[str | Path] = (),
    seed: int | None = None,
    command: Sequence[str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Path:
    """Write ``out/manifest.json`` (see the module docstring for every key).

    Parameters
    ----------
    out : Path
        The output folder; ``files`` are listed relative to it.
    files : iterable of Path
        The files the run wrote.
    inputs : mapping
        The caller's record (data source, scripts, steps...), under ``"inputs"``.
    trial : TrialData, optional
        The analysed trial: its tables are hashed (``input_tables``); its ``metadata["seed"]``
        is the seed when ``seed`` is not given.
    data_folder : str or Path, optional
        The trial folder read, whose files are hashed (``input_files``).
    configs : iterable of path
        Configuration files read (path and hash under ``configs``).
    seed : int, optional
        The run's random seed.
    command : sequence of str, optional
        The command line (default: ``sys.argv``).
    extra : mapping, optional
        More top-level keys (e.g. ``literature``).

    Returns
    -------
    Path
        The manifest file.
    """
    from alstrials import __version__

    if seed is None and trial is not None:
        meta_seed = trial.metadata.get("seed")
        seed = meta_seed if isinstance(meta_seed, int) else None
    manifest: dict[str, Any] = {
        "alstrials_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": dependency_versions(),
        "blas": blas_info(),
        "command": list(sys.argv if command is None else command),
        "seed": seed,
        **git_state(),
        "configs": _config_entries(configs),
        "inputs": dict(inputs),
        "files": _file_entries(out, files),
    }
    if trial is not None:
        manifest["input_tables"] = trial_table_hashes(trial)
    if data_folder is not None:
        manifest["input_files"] = folder_file_hashes(data_folder)
    manifest.update(extra or {})
    target = out / "manifest.json"
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return target
