"""Dataset access: file listing, chunked readers, column roles and atomic writers.

Names are loaded on first use: ``DEFAULT_CHUNK_ROWS`` or ``ReadOptions`` do not import the readers (pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clarion.data.atomic import atomic_open, write_json_atomic, write_text_atomic
    from clarion.data.options import DEFAULT_CHUNK_ROWS, ReadOptions
    from clarion.data.readers import read_chunks
    from clarion.data.roles import ColumnRoles, column_roles, resolve
    from clarion.data.sources import DataFile, list_files

_EXPORTS = {
    "atomic": ("atomic_open", "write_json_atomic", "write_text_atomic"),
    "options": ("DEFAULT_CHUNK_ROWS", "ReadOptions"),
    "readers": ("read_chunks",),
    "roles": ("ColumnRoles", "column_roles", "resolve"),
    "sources": ("DataFile", "list_files"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "ColumnRoles",
    "DataFile",
    "ReadOptions",
    "atomic_open",
    "column_roles",
    "list_files",
    "read_chunks",
    "resolve",
    "write_json_atomic",
    "write_text_atomic",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'clarion.data' has no attribute {name!r}")
    return getattr(importlib.import_module(f"clarion.data.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
