"""Chunked dataset readers: text/csv, application/jsonlines, application/json, application/x-parquet.

Every reader yields pandas DataFrames of at most ``chunk_rows`` rows with named columns, so memory
is bounded by the chunk size, not the file size. Errors name the file and the line.

Column names:
- CSV: ``headers`` from the config; a first line equal to those headers is a header row and skipped.
  Without ``headers`` the first line is the header row, unless every field of it is a number, in which
  case the columns are ``column_0``, ``column_1``, ... (Clarify's naming).
- JSON Lines / JSON: the ``features`` JMESPath gives the feature list, named by ``headers`` (when
  ``headers`` has one more entry than there are features, its last entry names the label, as Clarify's
  guide says), else ``column_0``...; ``label``, ``predicted_label`` and ``joinsource`` are JMESPath
  expressions, each giving one column named by the expression (or the label header).
- Parquet: the file's column names, or ``headers`` positionally when given.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
import jmespath
import pandas as pd

from clarion.data.sources import DataFile, list_files
from clarion.errors import DataError, NotSupportedError

DEFAULT_CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs from the config."""

    dataset_type: str
    headers: tuple[str, ...] | None = None
    features: str | None = None
    label: str | int | None = None
    predicted_label: str | int | None = None
    joinsource: str | int | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    usecols: tuple[str, ...] | None = None  # CSV only: parse just these columns (names from headers)


def read_chunks(uri: str, options: ReadOptions) -> Iterator[pd.DataFrame]:
    """Yield the dataset at ``uri`` (file, directory of part files, fsspec URI) as DataFrame chunks."""
    files = list_files(uri)
    readers = {
        "text/csv": _csv_chunks,
        "application/jsonlines": _jsonlines_chunks,
        "application/json": _json_chunks,
        "application/x-parquet": _parquet_chunks,
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


# ---------------------------------------------------------------- CSV

_LINE_IN_MESSAGE = re.compile(r"line (\d+)")


def _csv_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    first_fields = _first_csv_fields(data_file)
    if first_fields is None:
        return
    headers = list(options.headers) if options.headers else None
    if headers is not None:
        has_header_row = [f.strip() for f in first_fields] == headers
        names = headers
        if len(first_fields) != len(headers):
            raise DataError(
                f"{data_file.name}:1: headers in config do not match the number of columns in the dataset "
                f"({len(headers)} headers, {len(first_fields)} columns)"
            )
    elif all(_is_number(f) for f in first_fields):
        has_header_row = False
        names = [f"column_{i}" for i in range(len(first_fields))]
    else:
        has_header_row = True
        names = [f.strip() for f in first_fields]
    usecols = None
    if options.usecols is not None:
        # the last column stays, so rows with too few fields are still found
        usecols = [n for n in names if n in options.usecols or n == names[-1]]
    frames = _csv_frames(data_file, names, has_header_row, options.chunk_rows, usecols)
    yield from _exact_chunks(frames, options.chunk_rows)


def _csv_frames(
    data_file: DataFile, names: list[str], has_header_row: bool, chunk_rows: int, usecols: list[str] | None
) -> Iterator[pd.DataFrame]:
    try:
        with fsspec.open(data_file.uri, "rb") as handle:
            for first_line, block in _record_blocks(handle, chunk_rows, skip_first_record=has_header_row):
                yield _parse_csv_block(block, names, data_file.name, first_line, usecols)
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read CSV: {exc}") from None


def _exact_chunks(frames: Iterable[pd.DataFrame], size: int) -> Iterator[pd.DataFrame]:
    """Re-cut frames into chunks of exactly ``size`` rows (the last one may be shorter)."""
    pending: list[pd.DataFrame] = []
    held = 0
    for frame in frames:
        pending.append(frame)
        held += len(frame)
        if held < size:
            continue
        joined = pd.concat(pending, ignore_index=True) if len(pending) > 1 else frame.reset_index(drop=True)
        cut = (held // size) * size
        for start in range(0, cut, size):
            yield joined.iloc[start : start + size].reset_index(drop=True)
        pending = [joined.iloc[cut:]] if cut < held else []
        held -= cut
    if held:
        yield pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0].reset_index(drop=True)


def _record_blocks(handle: Any, chunk_rows: int, *, skip_first_record: bool) -> Iterator[tuple[int, bytes]]:
    """Byte blocks of whole CSV records, about ``chunk_rows`` records each, with their first file line.

    A block ends at a newline outside double quotes (RFC 4180 quoting: a record continues over line
    breaks while its quotes are unbalanced), so records never straddle blocks. Block sizes come from
    the average line length of the first megabyte.
    """
    head = handle.read(1 << 20)
    if not head:
        return
    block_bytes = max(1 << 16, int(len(head) / max(head.count(b"\n"), 1) * chunk_rows))
    buffer = head
    line = 1
    if skip_first_record:
        end = _first_record_end(buffer)
        while end < 0:
            more = handle.read(block_bytes)
            if not more:
                return
            buffer += more
            end = _first_record_end(buffer)
        line += buffer.count(b"\n", 0, end)
        buffer = buffer[end:]
    while True:
        if len(buffer) < block_bytes:
            more = handle.read(block_bytes - len(buffer))
            buffer += more
        else:
            more = b"x"
        if not more:
            if buffer.strip():
                yield line, buffer
            return
        end = _last_record_end(buffer)
        if end <= 0:  # one record longer than the block: read on
            more = handle.read(block_bytes)
            if not more:
                yield line, buffer
                return
            buffer += more
            continue
        block, buffer = buffer[:end], buffer[end:]
        if block.strip():
            yield line, block
        line += block.count(b"\n")


def _first_record_end(buffer: bytes) -> int:
    """Index just after the first newline outside quotes, or -1."""
    pos = buffer.find(b"\n")
    while pos >= 0:
        if buffer.count(b'"', 0, pos) % 2 == 0:
            return pos + 1
        pos = buffer.find(b"\n", pos + 1)
    return -1


def _last_record_end(buffer: bytes) -> int:
    """Index just after the last newline outside quotes, or -1."""
    pos = buffer.rfind(b"\n")
    while pos >= 0:
        if buffer.count(b'"', 0, pos) % 2 == 0:
            return pos + 1
        pos = buffer.rfind(b"\n", 0, pos)
    return -1


def _parse_csv_block(
    block: bytes, names: list[str], file_name: str, first_line: int, usecols: list[str] | None = None
) -> pd.DataFrame:
    """Parse one block with pandas; a row with too many or too few fields is a DataError naming its line."""
    try:
        frame = pd.read_csv(
            io.BytesIO(block),
            header=None,
            names=names,
            usecols=usecols,
            skip_blank_lines=True,
            low_memory=False,
            encoding="utf-8",
        )
    except pd.errors.ParserError as exc:
        match = _LINE_IN_MESSAGE.search(str(exc))
        line = first_line + int(match.group(1)) - 1 if match else first_line
        detail = _LINE_IN_MESSAGE.sub(f"line {line}", str(exc).split("C error: ")[-1].strip())
        raise DataError(f"{file_name}:{line}: {detail}") from None
    except ValueError as exc:
        raise DataError(f"{file_name}:{first_line}: cannot parse CSV: {exc}") from None
    if len(names) > 1 and frame.iloc[:, -1].isna().any():
        _check_field_counts(block.decode("utf-8"), len(names), file_name, first_line)
    return frame


def _check_field_counts(text: str, expected: int, file_name: str, first_line: int) -> None:
    """pandas pads short rows with missing values; find a row that really has too few fields."""
    reader = csv.reader(io.StringIO(text))
    line = first_line
    for record in reader:
        if record and len(record) != expected:
            raise DataError(f"{file_name}:{line}: Expected {expected} fields in line {line}, saw {len(record)}")
        line = first_line + reader.line_num


def _first_csv_fields(data_file: DataFile) -> list[str] | None:
    """The first non-empty record of the file (a header row or the first data row)."""
    try:
        with fsspec.open(data_file.uri, "rt", encoding="utf-8", newline="") as handle:
            for record in csv.reader(handle):
                if record and any(field.strip() for field in record):
                    return record
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}:1: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise DataError(f"{data_file.name}:1: cannot parse CSV: {exc}") from None
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read: {exc}") from None
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- JSON Lines and JSON


@dataclass(frozen=True)
class _JsonColumns:
    features: jmespath.parser.ParsedResult | None
    extras: tuple[tuple[str, jmespath.parser.ParsedResult], ...]  # (column name, expression)


def _json_columns(options: ReadOptions) -> _JsonColumns:
    extras = []
    for key in ("label", "predicted_label", "joinsource"):
        ref = getattr(options, key)
        if ref is None:
            continue
        if not isinstance(ref, str):
            raise DataError(f"{key}: expected a JMESPath expression for {options.dataset_type} data, got {ref!r}")
        extras.append((ref, _compile(key, ref)))
    features = _compile("features", options.features) if options.features else None
    return _JsonColumns(features=features, extras=tuple(extras))


def _compile(key: str, expression: str) -> jmespath.parser.ParsedResult:
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.ParseError as exc:
        raise DataError(f"{key}: invalid JMESPath expression {expression!r}: {exc}") from None


def _feature_names(count: int, options: ReadOptions) -> tuple[list[str], str | None]:
    """Names of the features and, when ``headers`` has one extra entry, the label's name."""
    headers = list(options.headers or [])
    if len(headers) == count + 1 and options.label is not None:
        return headers[:count], headers[count]
    if len(headers) == count:
        return headers, None
    if headers:
        raise DataError(f"headers: {len(headers)} names given for {count} features")
    return [f"column_{i}" for i in range(count)], None


def _records_to_frame(
    records: list[object], columns: _JsonColumns, options: ReadOptions, where: Callable[[int], str]
) -> pd.DataFrame:
    rows: list[list[object]] = []
    extra_values: list[list[object]] = [[] for _ in columns.extras]
    width: int | None = None
    for index, record in enumerate(records):
        if columns.features is not None:
            values = columns.features.search(record)
            if not isinstance(values, list):
                raise DataError(f"{where(index)}: features expression {options.features!r} found no list")
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise DataError(f"{where(index)}: expected {width} features, got {len(values)}")
            rows.append(values)
        for slot, (_, expression) in zip(extra_values, columns.extras, strict=True):
            slot.append(expression.search(record))
    names, label_name = _feature_names(width or 0, options)
    frame = (
        pd.DataFrame(rows, columns=names) if columns.features is not None else pd.DataFrame(index=range(len(records)))
    )
    for (name, _), values in zip(columns.extras, extra_values, strict=True):
        if label_name is not None and name == options.label:
            name = label_name
        frame[name] = values
    return frame


def _jsonlines_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    columns = _json_columns(options)
    try:
        with fsspec.open(data_file.uri, "rt", encoding="utf-8") as handle:
            for lines in _numbered_batches(handle, options.chunk_rows):
                records = []
                for number, line in lines:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise DataError(f"{data_file.name}:{number}: invalid JSON: {exc.msg}") from None
                places = [f"{data_file.name}:{n}" for n, _ in lines]
                yield _records_to_frame(records, columns, options, places.__getitem__)
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read: {exc}") from None


def _numbered_batches(lines: Iterable[str], size: int) -> Iterator[list[tuple[int, str]]]:
    """Batches of up to ``size`` non-blank lines with their 1-based line numbers."""
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        batch.append((number, line))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _json_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    """A whole JSON document: ``features`` gives a 2-D list; ``label`` etc. give one list each."""
    try:
        with fsspec.open(data_file.uri, "rt", encoding="utf-8") as handle:
            document = json.load(handle)
    except json.JSONDecodeError as exc:
        raise DataError(f"{data_file.name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read: {exc}") from None
    columns = _json_columns(options)
    matrix = columns.features.search(document) if columns.features is not None else None
    if not isinstance(matrix, list) or not all(isinstance(row, list) for row in matrix):
        raise DataError(f"{data_file.name}: features expression {options.features!r} found no list of rows")
    width = len(matrix[0]) if matrix else 0
    names, label_name = _feature_names(width, options)
    frame = pd.DataFrame(matrix, columns=names)
    for name, expression in columns.extras:
        values = expression.search(document)
        if not isinstance(values, list) or len(values) != len(frame):
            raise DataError(f"{data_file.name}: {name!r} must give a list of {len(frame)} values")
        frame[label_name if (label_name and name == options.label) else name] = values
    for start in range(0, len(frame), options.chunk_rows):
        yield frame.iloc[start : start + options.chunk_rows].reset_index(drop=True)


# ---------------------------------------------------------------- Parquet


def _parquet_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        with fsspec.open(data_file.uri, "rb") as handle:
            parquet = pq.ParquetFile(handle)
            names = parquet.schema_arrow.names
            if options.headers and len(options.headers) != len(names):
                raise DataError(
                    f"{data_file.name}: headers in config do not match the number of columns in the dataset "
                    f"({len(options.headers)} headers, {len(names)} columns)"
                )
            for batch in parquet.iter_batches(batch_size=options.chunk_rows):
                frame = batch.to_pandas()
                if options.headers:
                    frame.columns = list(options.headers)
                yield frame
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"{data_file.name}: cannot read Parquet: {exc}") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid for corrupt files
        if type(exc).__module__.startswith("pyarrow"):
            raise DataError(f"{data_file.name}: cannot read Parquet: {exc}") from None
        raise
