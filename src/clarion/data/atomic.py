"""Atomic writes: a file appears whole or not at all (temp file in the same directory, then rename)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from clarion.errors import OutputError
from clarion.results.encoding import encode


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; on success rename it to ``path``, on error remove it."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
    binary = "b" in mode
    try:
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes 0600; a result file follows the umask
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else "") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_open(path, "w") as handle:
        handle.write(text)
    return Path(path)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_json_atomic(path: str | Path, document: Any, indent: int | None = 2) -> Path:
    """Write JSON atomically; infinities become "Infinity"/"-Infinity" as in Clarify's analysis.json."""
    return write_text_atomic(path, json.dumps(encode(document), indent=indent, allow_nan=False) + "\n")


def write_with(path: str | Path, writer: Callable[[IO[Any]], None], mode: str = "w") -> Path:
    """Atomically write ``path`` by handing an open temp file to ``writer``."""
    with atomic_open(path, mode) as handle:
        writer(handle)
    return Path(path)
