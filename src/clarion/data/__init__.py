"""Dataset access: file listing, chunked readers, column roles and atomic writers.

Names are loaded on first use: ``DEFAULT_CHUNK_ROWS`` or ``ReadOptions`` do not import the readers (pandas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion._exports import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _WHERE, __all__)
