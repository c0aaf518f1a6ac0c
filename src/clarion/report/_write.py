"""Report files are written whole or not at all (temporary file in the target folder, then rename)."""

from __future__ import annotations

from pathlib import Path

from clarion.data.atomic import write_bytes_atomic
from clarion.errors import OutputError


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so readers see either the old file or the complete new one."""
    try:
        return write_bytes_atomic(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write report: {exc.strerror or exc}") from exc
