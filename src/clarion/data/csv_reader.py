"""text/csv in chunks: quote-aware byte blocks of whole records, each parsed by pandas' C reader.

Column names: ``headers`` from the config; a first line equal to those headers is a header row and
skipped. Without ``headers`` the first line is the header row, unless every field of it is a number,
in which case the columns are ``column_0``, ``column_1``, ... (Clarify's naming). A row with too many
or too few fields is a DataError naming the file and line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

import fsspec
import pandas as pd

from clarion.data.options import ReadOptions
from clarion.data.sources import DataFile
from clarion.errors import DataError

_LINE_IN_MESSAGE = re.compile(r"line (\d+)")


def csv_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
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
    elif all(is_number(f) for f in first_fields):
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
                yield parse_csv_block(block, names, data_file.name, first_line, usecols)
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


def parse_csv_block(
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


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
