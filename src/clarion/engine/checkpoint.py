"""Checkpoints of the Kernel SHAP pass, so that ``clarion run --resume`` continues a killed run.

Each explained chunk (rows ``position`` to ``position + rows``) is saved as ``chunk-<position>-<rows>.npz``
(the ShapResult's arrays and names; no pickle) as soon as it is done. A chunk's values depend only on its
rows, the baseline and the seed (its coalition plan comes from a fresh ``default_rng(seed)``), so a resumed
run that loads the saved chunks and explains the others gives the same bytes as an uninterrupted run.

The folder sits beside a local output (``.<name>.clarion-checkpoint``; in the temp folder for other URIs)
and holds a fingerprint of the run (the config, the dataset's files with their sizes and times, the model
file, the chunk size): a checkpoint of another run is never used. It is removed when the run is committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import fsspec
import numpy as np

from clarion.explain import ShapResult
from clarion.results.store import location

KEY_FILE = "fingerprint.json"
ARRAYS = ("values", "stderr", "base_values", "expected_value")


def checkpoint_folder(output: str | Path) -> Path:
    """Where the checkpoints of a run into ``output`` live."""
    loc = location(output)
    if loc.local is not None:
        return loc.local.parent / f".{loc.local.name}.clarion-checkpoint"
    digest = hashlib.sha256(loc.uri.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"clarion-checkpoint-{digest}"


def _file_stats(uri: str | None) -> list[list[Any]]:
    """(name, size, modification time or ETag) of every file of ``uri`` (a file or a folder)."""
    if not uri:
        return []
    try:
        fs, path = fsspec.core.url_to_fs(uri)
        found = fs.find(path, detail=True) if fs.isdir(path) else {path: fs.info(path)}
    except (OSError, ValueError):
        return [[uri, None, None]]
    stats = []
    for name, info in sorted(found.items()):
        stamp = info.get("mtime") or info.get("LastModified") or info.get("ETag") or info.get("created")
        stats.append([name, info.get("size"), str(stamp)])
    return stats


def run_fingerprint(raw_config: dict[str, Any], data_uri: str | None, model_uri: str | None, chunk_rows: int) -> str:
    """SHA-256 of what decides the explained values of every chunk."""
    document = {
        "config": raw_config,
        "data": _file_stats(data_uri),
        "model": _file_stats(model_uri),
        "chunk_rows": chunk_rows,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class ShapCheckpoint:
    """Saved chunks of one run's Kernel SHAP pass (see the module docstring)."""

    def __init__(self, folder: Path, fingerprint: str, *, resume: bool) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        key = folder / KEY_FILE
        same_run = key.is_file() and key.read_text(encoding="utf-8").strip() == fingerprint
        if not (resume and same_run):
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        if not key.is_file():
            _write_atomic(key, fingerprint.encode("utf-8"))

    def _path(self, position: int, rows: int) -> Path:
        return self.folder / f"chunk-{position:012d}-{rows}.npz"

    def load(self, position: int, rows: int) -> ShapResult | None:
        """The saved values of rows ``position`` to ``position + rows``, or None when not saved (or unreadable)."""
        path = self._path(position, rows)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as saved:
                meta = json.loads(str(saved["meta"]))
                arrays = {name: saved[name] for name in ARRAYS}
        except (OSError, ValueError, KeyError):
            return None
        return ShapResult(
            feature_names=tuple(meta["feature_names"]),
            output_names=tuple(meta["output_names"]),
            num_samples=int(meta["num_samples"]),
            exact=bool(meta["exact"]),
            model_rows=int(meta["model_rows"]),
            **arrays,
        )

    def save(self, position: int, result: ShapResult) -> None:
        meta = {
            "feature_names": list(result.feature_names),
            "output_names": list(result.output_names),
            "num_samples": int(result.num_samples),
            "exact": bool(result.exact),
            "model_rows": int(result.model_rows),
        }
        path = self._path(position, result.num_rows)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        with tmp.open("wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **{name: getattr(result, name) for name in ARRAYS})
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
