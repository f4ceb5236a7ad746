"""A manifest of the files an analysis run wrote: path, size and SHA-256 of each, and how they
were made, so a reader can check that a folder of results is complete and unaltered."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["write_manifest", "sha256"]


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out: Path, files: Iterable[Path], *, inputs: Mapping[str, object]) -> Path:
    """Write ``out/manifest.json`` listing ``files`` (relative to ``out``) and the ``inputs``
    (seed, data source, analysis names...) with the alstrials, Python and platform versions."""
    from alstrials import __version__

    entries = []
    for file in sorted({Path(f) for f in files}):
        entries.append(
            {
                "path": file.relative_to(out).as_posix(),
                "bytes": file.stat().st_size,
                "sha256": sha256(file),
            }
        )
    manifest = {
        "alstrials_version": __version__,
        "python": platform.python_version(),
        "inputs": dict(inputs),
        "files": entries,
    }
    target = out / "manifest.json"
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return target
