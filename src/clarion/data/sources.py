"""Where data lives: a local path or any fsspec URI, one file or a directory of part files."""

from __future__ import annotations

from dataclasses import dataclass

import fsspec

from clarion.errors import DataError

_SKIP_PREFIXES = (".", "_")  # hidden files, _SUCCESS and _metadata markers of Spark/Hadoop outputs


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset; ``uri`` is what fsspec opens and ``name`` is what errors show."""

    uri: str
    name: str


def list_files(uri: str) -> list[DataFile]:
    """The files of a dataset: ``uri`` itself, or every file below it in sorted order (recursively)."""
    try:
        fs, path = fsspec.core.url_to_fs(uri)
    except (ImportError, ValueError) as exc:
        raise DataError(f"{uri}: cannot open dataset location: {exc}") from None
    protocol = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    try:
        if fs.isfile(path):
            return [DataFile(uri=uri, name=uri)]
        if not fs.isdir(path):
            raise DataError(f"{uri}: dataset not found")
        paths = sorted(p for p in fs.find(path) if not _skipped(p, path))
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"{uri}: cannot list dataset: {exc}") from None
    if not paths:
        raise DataError(f"{uri}: the dataset directory holds no data files")
    return [DataFile(uri=_unstrip(fs, protocol, p), name=_unstrip(fs, protocol, p)) for p in paths]


def _skipped(path: str, root: str) -> bool:
    relative = path[len(root) :].lstrip("/")
    return any(part.startswith(_SKIP_PREFIXES) for part in relative.split("/"))


def _unstrip(fs: fsspec.AbstractFileSystem, protocol: str, path: str) -> str:
    if protocol in ("file", "local"):
        return path
    return fs.unstrip_protocol(path)
