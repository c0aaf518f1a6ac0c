"""Dataset access: file listing, chunked readers, column roles and atomic writers."""

from clarion.data.atomic import atomic_open, write_json_atomic, write_text_atomic
from clarion.data.readers import DEFAULT_CHUNK_ROWS, ReadOptions, read_chunks
from clarion.data.roles import ColumnRoles, column_roles, resolve
from clarion.data.sources import DataFile, list_files

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
