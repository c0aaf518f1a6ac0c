"""text/csv in chunks: quote-aware byte blocks of whole records, each parsed by pandas' C reader.

Column names: ``headers`` from the config. The first record is a header row, and never data, when its
fields (a UTF-8 byte-order mark removed, spaces trimmed) equal ``headers`` up to letter case and order;
a permuted header row is read by name (each column gets the config name it carries in the file) and
the chunks come in ``headers`` order. A first record naming at least half of the columns but not all of
them is refused (DataError listing both). Without ``headers`` the first record is the header row, unless
every field of it is a number, in which case the columns are ``column_0``, ``column_1``, ... (Clarify's
naming). Every record must have as many fields as there are columns, whichever columns are parsed; an
offending record is a DataError naming ``file:line``. gzip files (``.gz``, or gzip magic bytes) are read
through fsspec; a Parquet file met here is a DataError naming it.

``text_columns`` are kept as the text pandas' parser read (object dtype, empty and NA cells null), so that
their type can be decided once over the whole column (see ``clarion.bias.retype``), whatever the chunking.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clarion.data.options import TEXT_COLUMNS_ATTR, ReadOptions
from clarion.data.sources import DataFile, open_binary, open_text
from clarion.errors import DataError

BOM = b"\xef\xbb\xbf"
MIN_BLOCK_BYTES = 1 << 16  # smallest byte block parsed at once (pandas' per-call cost dominates below)
PARQUET_MAGIC = b"PAR1"
QUOTE, COMMA = ord('"'), ord(",")
COUNT_STEP = 1 << 18  # bytes compared at once when counting a byte (stays in the CPU cache)


@dataclass(frozen=True)
class CsvLayout:
    """How one file's records map to columns: ``names`` in file order, whether line 1 is a header row."""

    names: list[str]
    has_header_row: bool
    order: list[str] | None = None  # column order of the chunks when it differs from ``names``


def csv_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    first_fields = _first_csv_fields(data_file)
    if first_fields is None:
        return
    layout = csv_layout(first_fields, options.headers, data_file.name)
    names = layout.names
    usecols = None
    if options.usecols is not None:
        usecols = [n for n in names if n in options.usecols]
    text_columns = [n for n in (options.text_columns or ()) if n in names and (usecols is None or n in usecols)]
    frames = _csv_frames(data_file, layout, options.chunk_rows, usecols, text_columns)
    if layout.order is not None:
        order = [n for n in layout.order if usecols is None or n in usecols]
        frames = (frame[order] for frame in frames)
    for chunk in _exact_chunks(frames, options.chunk_rows):
        if text_columns:
            chunk.attrs[TEXT_COLUMNS_ATTR] = tuple(text_columns)
        yield chunk


def csv_layout(first_fields: Sequence[str], headers: Sequence[str] | None, file_name: str) -> CsvLayout:
    """Decide the column names of a file from its first record and the config's ``headers``."""
    fields = [f.strip() for f in first_fields]
    if headers is None:
        if all(is_number(f) for f in fields):
            return CsvLayout([f"column_{i}" for i in range(len(fields))], has_header_row=False)
        return CsvLayout(fields, has_header_row=True)
    headers = list(headers)
    if fields == headers:
        return CsvLayout(headers, has_header_row=True)
    by_folded = {h.casefold(): h for h in headers}
    folded = [f.casefold() for f in fields]
    if len(fields) == len(headers) and sorted(folded) == sorted(by_folded) and len(set(folded)) == len(folded):
        names = [by_folded[f] for f in folded]
        return CsvLayout(names, has_header_row=True, order=None if names == headers else headers)
    # A first record most of whose fields are column names (more than half, and at least two) is a header row
    # that disagrees with the config; a data row may hold one value that happens to equal a column name.
    named = sum(f in by_folded for f in folded)
    if named >= 2 and named * 2 > len(fields) and not all(is_number(f) for f in fields):
        raise DataError(
            f"{file_name}:1: the header row {list(first_fields)} does not match headers in the config {headers}"
        )
    if len(first_fields) != len(headers):
        raise DataError(
            f"{file_name}:1: headers in config do not match the number of columns in the dataset "
            f"({len(headers)} headers, {len(first_fields)} columns)"
        )
    return CsvLayout(headers, has_header_row=False)


def _csv_frames(
    data_file: DataFile, layout: CsvLayout, chunk_rows: int, usecols: list[str] | None, text_columns: list[str]
) -> Iterator[pd.DataFrame]:
    try:
        with open_binary(data_file) as handle:
            for offset, block in _record_blocks(handle, chunk_rows, skip_first_record=layout.has_header_row):
                try:
                    frame = parse_csv_block(block, layout.names, data_file.name, 0, usecols, text_columns=text_columns)
                except DataError:  # parse again, with the block's first line counted, for the message
                    line = _line_at(data_file, offset)
                    parse_csv_block(block, layout.names, data_file.name, line, usecols, text_columns=text_columns)
                    raise
                yield frame
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{data_file.name}: cannot read CSV: {exc}") from None


def _line_at(data_file: DataFile, offset: int) -> int:
    """The file line (1-based) holding byte ``offset`` of the decompressed file."""
    lines = 1
    with open_binary(data_file) as handle:
        while offset > 0:
            piece = handle.read(min(offset, 1 << 24))
            if not piece:
                break
            lines += piece.count(b"\n")
            offset -= len(piece)
    return lines


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
    """Byte blocks of whole CSV records, about ``chunk_rows`` records each, with their first byte's offset.

    A block ends at a newline outside double quotes (RFC 4180 quoting: a record continues over line
    breaks while its quotes are unbalanced), so records never straddle blocks. Block sizes come from
    the average line length of the first megabyte. A leading UTF-8 byte-order mark is dropped. Offsets
    count the bytes of the decompressed file (the mark included); ``_line_at`` turns one into a line.
    """
    head = handle.read(max(MIN_BLOCK_BYTES, 1 << 10) * 16)
    offset = 0
    if head.startswith(BOM):
        head = head[len(BOM) :]
        offset = len(BOM)
    if not head:
        return
    block_bytes = max(MIN_BLOCK_BYTES, int(len(head) / max(head.count(b"\n"), 1) * chunk_rows))
    buffer = head
    if skip_first_record:
        end = _first_record_end(buffer)
        while end < 0:
            more = handle.read(block_bytes)
            if not more:
                return
            buffer += more
            end = _first_record_end(buffer)
        offset += end
        buffer = buffer[end:]
    pending, quotes = buffer, _quotes_before(buffer, len(buffer))  # start of the next block, its quote count
    while True:
        more = b""
        if len(pending) < block_bytes:
            more = handle.read(block_bytes - len(pending))
            if not more:
                if not _blank(pending):
                    yield offset, pending
                return
        end = _last_record_end(more, quotes)
        if end >= 0:  # the block ends in the new bytes: copy once
            block = b"".join((pending, memoryview(more)[:end])) if pending else more[:end]
            pending = more[end:]
        else:
            end = _last_record_end(pending)
            if end <= 0:  # one record longer than the block: read on
                extra = handle.read(block_bytes)
                if not extra:
                    yield offset, pending + more
                    return
                pending = b"".join((pending, more, extra))
                quotes = _quotes_before(pending, len(pending))
                continue
            block, pending = pending[:end], pending[end:] + more
        quotes = _quotes_before(pending, len(pending))
        if not _blank(block):
            yield offset, block
        offset += len(block)


def _blank(block: bytes) -> bool:
    """Whether ``block`` holds only ASCII white space (what ``bytes.strip`` removes), without copying it."""
    return not block or block.isspace()


def count_byte(buffer: bytes, byte: int, start: int = 0, end: int | None = None) -> int:
    """How many times ``byte`` occurs in ``buffer[start:end]``.

    numpy compares and counts in cache-sized steps (bytes.count goes byte by byte, several times slower).
    """
    view = np.frombuffer(buffer, dtype=np.uint8)[start:end]
    return sum(int(np.count_nonzero(view[i : i + COUNT_STEP] == byte)) for i in range(0, len(view), COUNT_STEP))


def _quotes_before(buffer: bytes, end: int) -> int:
    """How many double quotes ``buffer[:end]`` holds (one memchr scan when there are none)."""
    if buffer.find(b'"', 0, end) < 0:
        return 0
    return count_byte(buffer, QUOTE, 0, end)


def _first_record_end(buffer: bytes) -> int:
    """Index just after the first newline outside quotes, or -1."""
    pos = buffer.find(b"\n")
    while pos >= 0:
        if _quotes_before(buffer, pos) % 2 == 0:
            return pos + 1
        pos = buffer.find(b"\n", pos + 1)
    return -1


def _last_record_end(buffer: bytes, quotes_before: int = 0) -> int:
    """Index just after the last newline outside quotes, or -1; ``quotes_before`` quotes precede ``buffer``."""
    pos = buffer.rfind(b"\n")
    while pos >= 0:
        if (quotes_before + _quotes_before(buffer, pos)) % 2 == 0:
            return pos + 1
        pos = buffer.rfind(b"\n", 0, pos)
    return -1


def parse_csv_block(
    block: bytes,
    names: list[str],
    file_name: str,
    first_line: int,
    usecols: list[str] | None = None,
    *,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Parse one block with pandas; a record with too many or too few fields is a DataError naming its line.

    pandas pads short records with nulls and ignores extra fields when only some columns are parsed, so
    field counts are checked here whatever ``usecols`` is (see ``_field_counts_doubtful``).
    """
    parsed = None if usecols is None else [n for n in names if n in usecols or n == names[-1]]
    dtype = {name: object for name in text_columns if parsed is None or name in parsed} or None
    try:
        frame = pd.read_csv(
            io.BytesIO(block),
            header=None,
            names=names,
            usecols=parsed,
            dtype=dtype,
            skip_blank_lines=True,
            low_memory=False,
            encoding="utf-8",
        )
    except pd.errors.ParserError as exc:
        _check_records(block, len(names), file_name, first_line)
        raise DataError(f"{file_name}:{first_line}: cannot parse CSV: {_pandas_detail(exc)}") from None
    except ValueError as exc:
        raise DataError(f"{file_name}:{first_line}: cannot parse CSV: {exc}") from None
    if _field_counts_doubtful(block, names, frame, partial=usecols is not None):
        _check_records(block, len(names), file_name, first_line)
    if usecols is not None and names[-1] not in usecols:
        frame = frame.drop(columns=[names[-1]])
    return frame


def _field_counts_doubtful(block: bytes, names: list[str], frame: pd.DataFrame, *, partial: bool) -> bool:
    """Whether some record may have a wrong field count (then every record is checked).

    A short record leaves the last column null (it is always parsed). With every column parsed pandas
    refuses long records itself; with some, a block without quotes has exactly ``len(names) - 1`` commas
    per record, and a quoted block is parsed whole once more.
    """
    if len(names) > 1 and frame[names[-1]].isna().any():
        return True
    if not partial:
        return False
    if b'"' not in block:
        return count_byte(block, COMMA) != (len(names) - 1) * len(frame)
    try:
        pd.read_csv(io.BytesIO(block), header=None, names=names, dtype=object, skip_blank_lines=True)
    except pd.errors.ParserError:
        return True
    return False


def _pandas_detail(exc: Exception) -> str:
    return str(exc).split("C error: ")[-1].strip()


def _check_records(block: bytes, expected: int, file_name: str, first_line: int) -> None:
    """Walk the block record by record: a wrong field count or an unterminated quote names its line."""
    text = block.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = first_line
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = "unterminated quoted field" if "end of data" in str(exc) or "EOF" in str(exc) else str(exc)
            raise DataError(f"{file_name}:{start}: {reason}") from None
        if record and not (len(record) == 1 and record[0] in ("", "\r")) and len(record) != expected:
            raise DataError(f"{file_name}:{start}: Expected {expected} fields in line {start}, saw {len(record)}")
        start = first_line + reader.line_num


def _first_csv_fields(data_file: DataFile) -> list[str] | None:
    """The first non-empty record of the file (a header row or the first data row), BOM removed."""
    try:
        with open_binary(data_file) as raw:
            magic = raw.read(4)
        if magic == PARQUET_MAGIC:
            raise DataError(f"{data_file.name}: a Parquet file in a text/csv dataset (dataset_type is text/csv)")
        with open_text(data_file) as handle:
            for record in csv.reader(handle):
                if record and any(field.strip() for field in record):
                    return record
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}:1: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise DataError(f"{data_file.name}:1: cannot parse CSV: {exc}") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{data_file.name}: cannot read: {exc}") from None
    return None


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
