"""Where data lives: a local path or any fsspec URI, one file or a directory of part files.

Compression: a file whose name ends in a compression suffix fsspec knows (``.gz``, ``.bz2``, ``.zst``, ...)
or that starts with the gzip magic bytes is decompressed on the fly.

Stray part files: in a directory, a file whose extension (after any compression suffix) belongs to another
dataset type than the config's (``.parquet`` in a CSV dataset, ``.csv`` in a Parquet one, ...) is a
DataError naming it; files without an extension (Spark's ``part-00000``) or with an unknown one are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import fsspec
from fsspec.utils import infer_compression

from clarion.errors import DataError

_SKIP_PREFIXES = (".", "_")  # hidden files, _SUCCESS and _metadata markers of Spark/Hadoop outputs
GZIP_MAGIC = b"\x1f\x8b"
EXTENSIONS = {
    "text/csv": (".csv", ".tsv"),
    "application/jsonlines": (".jsonl", ".jsonlines", ".ndjson", ".json"),
    "application/json": (".json", ".jsonl"),
    "application/x-parquet": (".parquet", ".pq", ".parq"),
}


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset; ``uri`` is what fsspec opens and ``name`` is what errors show."""

    uri: str
    name: str


def list_files(uri: str, dataset_type: str | None = None) -> list[DataFile]:
    """The files of a dataset: ``uri`` itself, or every file below it in sorted order (recursively).

    With ``dataset_type``, a part file whose extension says it is of another type is a DataError.
    """
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
    files = [DataFile(uri=_unstrip(fs, protocol, p), name=_unstrip(fs, protocol, p)) for p in paths]
    if dataset_type is not None:
        for data_file in files:
            check_extension(data_file, dataset_type)
    return files


def check_extension(data_file: DataFile, dataset_type: str) -> None:
    """A DataError when the file's extension (after any compression suffix) says it is of another dataset type."""
    name = data_file.name.rsplit("/", 1)[-1].lower()
    if infer_compression(name) is not None:
        name = name.rsplit(".", 1)[0]
    own = EXTENSIONS.get(dataset_type, ())
    if name.endswith(own):
        return
    for other, extensions in EXTENSIONS.items():
        if other != dataset_type and name.endswith(extensions) and not (own and name.endswith(own)):
            raise DataError(
                f"{data_file.name}: a {other} file in a {dataset_type} dataset; remove it from the dataset folder "
                "or set dataset_type"
            )


def compression_of(data_file: DataFile) -> str | None:
    """fsspec's compression name from the file name, else "gzip" for gzip magic bytes, else None."""
    by_name = infer_compression(data_file.uri.split("?", 1)[0])
    if by_name is not None:
        return by_name
    with fsspec.open(data_file.uri, "rb") as handle:
        return "gzip" if handle.read(2) == GZIP_MAGIC else None


@contextmanager
def open_binary(data_file: DataFile) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed."""
    with fsspec.open(data_file.uri, "rb", compression=compression_of(data_file)) as handle:
        yield handle


@contextmanager
def open_text(data_file: DataFile, **kwargs: Any) -> Iterator[IO[str]]:
    """The file as UTF-8 text (a byte-order mark dropped), decompressed; ``kwargs`` go to fsspec.open."""
    options = {"encoding": "utf-8-sig", "newline": ""} | kwargs
    with fsspec.open(data_file.uri, "rt", compression=compression_of(data_file), **options) as handle:
        yield handle


def _skipped(path: str, root: str) -> bool:
    relative = path[len(root) :].lstrip("/")
    return any(part.startswith(_SKIP_PREFIXES) for part in relative.split("/"))


def _unstrip(fs: fsspec.AbstractFileSystem, protocol: str, path: str) -> str:
    if protocol in ("file", "local"):
        return path
    return fs.unstrip_protocol(path)
