"""Chunked dataset readers: text/csv, application/jsonlines, application/json, application/x-parquet.

Every reader yields pandas DataFrames of at most ``chunk_rows`` rows with named columns, so memory
is bounded by the chunk size, not the file size. Errors name the file and the line.

How each format names its columns: csv_reader, json_reader and parquet_reader say.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from clarion.data.csv_reader import csv_chunks
from clarion.data.json_reader import json_chunks, jsonlines_chunks
from clarion.data.options import DEFAULT_CHUNK_ROWS, ReadOptions
from clarion.data.parquet_reader import parquet_chunks
from clarion.data.sources import list_files
from clarion.errors import DataError, NotSupportedError

__all__ = ["DEFAULT_CHUNK_ROWS", "ReadOptions", "read_chunks"]


def read_chunks(uri: str, options: ReadOptions) -> Iterator[pd.DataFrame]:
    """Yield the dataset at ``uri`` (file, directory of part files, fsspec URI) as DataFrame chunks."""
    files = list_files(uri, options.dataset_type)
    readers = {
        "text/csv": csv_chunks,
        "application/jsonlines": jsonlines_chunks,
        "application/json": json_chunks,
        "application/x-parquet": parquet_chunks,
    }
    reader = readers.get(options.dataset_type)
    if reader is None:
        raise NotSupportedError(f"dataset_type: {options.dataset_type!r} datasets are not supported yet")
    columns: list[str] | None = None
    for data_file in files:
        for chunk in reader(data_file, options):
            if columns is None:
                columns = list(chunk.columns)
            elif list(chunk.columns) != columns:
                raise DataError(
                    f"{data_file.name}: columns {list(chunk.columns)} differ from the first file's {columns}"
                )
            yield chunk
