"""Reading a dataset with Spark into the same pandas chunks, with the same types, as the local reader.

Spark splits the files (any URI Spark reads: file:, s3a:, hdfs:, gs:, directories of part files);
clarion parses each split on the executors with the local reader's own rules:

- text/csv and application/jsonlines are read by Spark as lines of text (no type inference in the
  JVM). Each Arrow batch of lines is parsed by pandas exactly as the local reader parses a block
  (``pd.read_csv`` with the same options; ``json.loads`` + the JMESPath extraction), so every chunk
  gets the dtypes pandas gives it locally and type inference (smclarify's rule on dtype kinds) sees
  the same kinds and values. A file's first record is a header row by the local rule
  (``clarion.data.csv_reader.csv_layout``).
- application/x-parquet is read by Spark's Parquet reader; its Arrow batches convert to the same
  pandas dtypes as pyarrow's ``to_pandas``.

Row positions. Each split is a (file, start byte) pair; rows keep their order inside it. Positions
only order rows for the bias counts (first appearance of a facet value, the first row's value), so
a single pass can use ``file rank * 2**44 + start byte + row in split``, which sorts like the real
positions. The seeded row sample needs the real positions (its keys hash them), so runs with SHAP or
PDP first count the rows of every split (a light pass over the text, no parsing) and use exact offsets.

Splits that cannot be parsed on their own raise ``WholeFilesNeeded``: a CSV line with an odd number of
double quotes (a quoted field holding a line break: Spark splits text at every line break), a
file whose header row names other columns than the first file's, or a gzip file without a compression
suffix (Spark's codecs go by the suffix). A header row naming ``headers`` in another order raises
``HeaderOrder``: the run starts again with every file's column order read first (``header_orders``), and
each split parses its file's columns by name. Lines come to the executors as bytes. The engine
then reads whole files instead (``spark_sources.FileSource``), as it does for application/json.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import pandas as pd
from pyspark.sql import functions as F

from clarion.data.csv_reader import PARQUET_MAGIC, csv_layout, parse_csv_block
from clarion.data.json_reader import json_columns, records_to_frame
from clarion.data.options import TEXT_COLUMNS_ATTR, ReadOptions
from clarion.data.parquet_reader import parquet_names
from clarion.data.sources import GZIP_MAGIC, DataFile, check_extension
from clarion.engine.core import read_options
from clarion.engine.plan import AnalysisPlan
from clarion.engine.spark_session import HeaderOrder, WholeFilesNeeded, executor_errors, run_job
from clarion.errors import DataError, NotSupportedError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

FILE_COLUMN = "__clarion_file__"
BLOCK_COLUMN = "__clarion_block__"
TEXT_TYPES = ("text/csv", "application/jsonlines")
FILE_STRIDE = 1 << 44  # pseudo positions: room for 16 TiB per file
BOM = "\ufeff"


def normalise_path(uri: str) -> str:
    """One spelling per file (Spark writes ``file:/x`` in metadata and ``file:///x`` in inputFiles)."""
    parsed = urlparse(uri)
    return f"{parsed.scheme or 'file'}://{parsed.netloc}{unquote(parsed.path)}"


@dataclass(frozen=True)
class SourceScan:
    """What executors need to turn Spark rows into pandas chunks with dataset positions."""

    dataset_type: str
    options: ReadOptions
    names: tuple[str, ...] | None  # CSV column names
    usecols: tuple[str, ...] | None  # CSV: parse only these columns (bias-only runs)
    file_ranks: Mapping[str, int]
    offsets: Mapping[tuple[int, int], int] | None = None  # exact first-row position per (file rank, start byte)
    file_names: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # CSV: a file's own column order

    def names_of(self, rank: int) -> tuple[str, ...] | None:
        """The CSV column names of file ``rank`` in file order (its header row's order, else ``names``)."""
        return self.file_names.get(rank, self.names)

    def base_offset(self, rank: int, block: int) -> int:
        if self.offsets is None:
            return rank * FILE_STRIDE + block
        return self.offsets[(rank, block)]

    def rank_of(self, file: str) -> int:
        return self.file_ranks[normalise_path(file)]


def open_split_scan(
    spark: SparkSession, plan: AnalysisPlan, chunk_rows: int, *, header_orders: bool = False
) -> tuple[DataFrame, SourceScan]:
    """The dataset as a Spark DataFrame (lines, or Parquet columns, plus file and split start) and its scan.

    ``header_orders``: read every CSV file's first record first (one job over the files' first splits), so that
    files whose header row orders the config's ``headers`` otherwise are parsed by name on every split."""
    c = plan.config
    if c.dataset_type not in (*TEXT_TYPES, "application/x-parquet"):
        raise NotSupportedError(f"dataset_type: {c.dataset_type!r} cannot be split by Spark; read it whole")
    reader = spark.read.option("recursiveFileLookup", "true")
    try:
        frame = (
            reader.parquet(plan.data_uri) if c.dataset_type == "application/x-parquet" else reader.text(plan.data_uri)
        )
        files = sorted(frame.inputFiles(), key=normalise_path)
    except Exception as exc:  # AnalysisException: path does not exist, unreadable, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{plan.data_uri}: cannot read dataset: {first}") from None
    if not files:
        raise DataError(f"{plan.data_uri}: the dataset directory holds no data files")
    for file in files:  # a stray part file of another format is refused, as the local reader refuses it
        check_extension(DataFile(uri=file, name=file), c.dataset_type)
    # text lines travel as bytes: executors decode them (a binary or gzip file is named, never an Arrow error)
    columns = [F.col("value").cast("binary").alias("value")] if c.dataset_type in TEXT_TYPES else ["*"]
    frame = frame.select(
        *columns,
        F.col("_metadata.file_path").alias(FILE_COLUMN),
        F.col("_metadata.file_block_start").alias(BLOCK_COLUMN),
    )
    options = read_options(plan, chunk_rows)
    names = usecols = None
    if c.dataset_type == "text/csv":
        names = tuple(c.headers) if c.headers else _names_from_first_line(spark, files[0])
        if options.usecols is not None:
            usecols = tuple(n for n in names if n in options.usecols or n == names[-1])
    ranks = {normalise_path(f): i for i, f in enumerate(files)}
    scan = SourceScan(c.dataset_type, options, names, usecols, ranks)
    if header_orders and c.dataset_type == "text/csv" and c.headers:
        scan = replace(scan, file_names=_header_orders(frame, scan))
    return frame, scan


def _header_orders(frame: DataFrame, scan: SourceScan) -> dict[int, tuple[str, ...]]:
    """File rank -> column names in file order, for the files whose header row permutes ``headers``."""
    task = executor_errors(_first_records)
    first = frame.where(F.col(BLOCK_COLUMN) == 0)
    rows = run_job(lambda: first.mapInPandas(lambda it: task(it), "file string, line binary").collect())
    orders = {}
    for row in rows:
        file, line = row["file"], bytes(row["line"])
        fields = next(csv.reader([_decode(line, file, 0).removeprefix(BOM)]))
        layout = csv_layout(fields, scan.options.headers, file)
        if layout.has_header_row and layout.order is not None:
            orders[scan.rank_of(file)] = tuple(layout.names)
    return orders


def _first_records(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The first non-blank line of every file whose first split this partition reads."""
    found: dict[str, bytes] = {}
    for batch in batches:
        for file, line in zip(batch[FILE_COLUMN].tolist(), batch["value"].tolist(), strict=True):
            if file not in found and line is not None and line.strip():
                found[file] = line
    if found:
        yield pd.DataFrame({"file": pd.Series(list(found), dtype=object), "line": pd.Series(list(found.values()))})


def _names_from_first_line(spark: SparkSession, first_file: str) -> tuple[str, ...]:
    """Column names from the first file's first record (header row, or ``column_i`` for a data row)."""
    lines = (
        spark.read.text(first_file)
        .where(F.col("_metadata.file_block_start") == 0)
        .where(F.trim(F.col("value")) != "")
        .limit(1)
        .collect()
    )
    if not lines:
        raise DataError(f"{first_file}: the dataset is empty")
    fields = next(csv.reader([lines[0]["value"].removeprefix(BOM)]))
    return tuple(csv_layout(fields, None, first_file).names)


def with_exact_offsets(spark: SparkSession, frame: DataFrame, scan: SourceScan) -> tuple[SourceScan, int]:
    """Count the rows of every split and return the scan with exact offsets, and the total row count."""
    if scan.dataset_type in TEXT_TYPES:
        counter = executor_errors(_count_split_rows)
        rows = run_job(
            lambda: frame.mapInPandas(lambda it: counter(it, scan), "rank long, block long, rows long").collect()
        )
        counts = [(r["rank"], r["block"], r["rows"]) for r in rows]
    else:
        rows = run_job(lambda: frame.groupBy(FILE_COLUMN, BLOCK_COLUMN).count().collect())
        counts = [(scan.rank_of(r[FILE_COLUMN]), r[BLOCK_COLUMN], r["count"]) for r in rows]
    merged: dict[tuple[int, int], int] = {}
    for rank, block, n in counts:
        merged[(rank, block)] = merged.get((rank, block), 0) + n
    offsets = {}
    position = 0
    for key in sorted(merged):
        offsets[key] = position
        position += merged[key]
    return replace(scan, offsets=offsets), position


# ---------------------------------------------------------------- executor side


def _runs(batch: pd.DataFrame) -> Iterator[tuple[str, int, pd.DataFrame]]:
    """Consecutive rows of one split (a split never spans partitions; its rows arrive in order)."""
    files = batch[FILE_COLUMN].to_numpy()
    blocks = batch[BLOCK_COLUMN].to_numpy()
    start = 0
    for i in range(1, len(batch) + 1):
        if i == len(batch) or files[i] != files[start] or blocks[i] != blocks[start]:
            yield str(files[start]), int(blocks[start]), batch.iloc[start:i]
            start = i


class _TextSplits:
    """Data lines per split: blank lines dropped, a file's header row dropped by the local reader's rule."""

    def __init__(self, scan: SourceScan) -> None:
        self.scan = scan
        self.header_pending: set[tuple[int, int]] = set()
        self.started: set[tuple[int, int]] = set()

    def lines(self, file: str, rank: int, block: int, values: list[bytes]) -> list[str]:
        key = (rank, block)
        raw = [v for v in values if v is not None]
        if key not in self.started:
            self.started.add(key)
            if block == 0:
                self.header_pending.add(key)
                if raw:
                    self._check_text(raw[0], file)
        lines = [line for line in (_decode(v, file, block) for v in raw) if line.strip()]
        csv_data = self.scan.dataset_type == "text/csv"
        if csv_data and any(line.count('"') % 2 for line in lines):
            raise WholeFilesNeeded(f"{file}: a quoted CSV field holds a line break")
        if key in self.header_pending and lines:
            self.header_pending.discard(key)
            if csv_data and self._is_header(lines[0], file, rank):
                lines = lines[1:]
        return lines

    def _check_text(self, first: bytes, file: str) -> None:
        """A file's first bytes: gzip data without a compression suffix is read whole (the local reader knows it by
        its magic bytes); a Parquet file in a CSV dataset is refused as the local reader refuses it."""
        if first.startswith(GZIP_MAGIC):
            raise WholeFilesNeeded(f"{file}: gzip-compressed data without a .gz suffix")
        if first.startswith(PARQUET_MAGIC) and self.scan.dataset_type == "text/csv":
            raise DataError(f"{file}: a Parquet file in a text/csv dataset (dataset_type is text/csv)")

    def _is_header(self, line: str, file: str, rank: int) -> bool:
        """The local reader's rule for the first record (``csv_layout``). A header row naming ``headers`` in another
        order than the scan knows needs the files' column orders first (``HeaderOrder``); one naming other columns
        than the first file's needs the local reader itself."""
        fields = next(csv.reader([line.removeprefix(BOM)]))
        layout = csv_layout(fields, self.scan.options.headers, file)
        if layout.has_header_row and tuple(layout.names) != self.scan.names_of(rank):
            if layout.order is not None:
                raise HeaderOrder(f"{file}: the header row orders the columns otherwise than headers")
            raise WholeFilesNeeded(f"{file}: the header row differs from the first file's")
        return layout.has_header_row


def _decode(line: bytes, file: str, block: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{_where(file, block)}: not UTF-8 text ({exc.reason})") from None


def _count_split_rows(batches: Iterator[pd.DataFrame], scan: SourceScan) -> Iterator[pd.DataFrame]:
    splits = _TextSplits(scan)
    counts: dict[tuple[int, int], int] = {}
    for batch in batches:
        for file, block, run in _runs(batch):
            rank = scan.rank_of(file)
            n = len(splits.lines(file, rank, block, run["value"].tolist()))
            counts[(rank, block)] = counts.get((rank, block), 0) + n
    yield pd.DataFrame([(r, b, n) for (r, b), n in counts.items()], columns=["rank", "block", "rows"], dtype="int64")


def iter_chunks(batches: Iterator[pd.DataFrame], scan: SourceScan) -> Iterator[tuple[int, pd.DataFrame]]:
    """(position of the first row, chunk) for every run of rows of a partition, parsed like the local reader."""
    splits = _TextSplits(scan)
    emitted: dict[tuple[int, int], int] = {}
    for batch in batches:
        for file, block, run in _runs(batch):
            rank = scan.rank_of(file)
            key = (rank, block)
            done = emitted.get(key, 0)
            if scan.dataset_type in TEXT_TYPES:
                lines = splits.lines(file, rank, block, run["value"].tolist())
                if not lines:
                    continue
                chunk = _parse_lines(lines, scan, file, rank, block, done)
            else:
                chunk = _parquet_chunk(run, scan, file)
            if len(chunk) == 0:
                continue
            emitted[key] = done + len(chunk)
            yield scan.base_offset(rank, block) + done, chunk


def _where(file: str, block: int) -> str:
    return file if block == 0 else f"{file} (split at byte {block})"


def _parse_lines(lines: list[str], scan: SourceScan, file: str, rank: int, block: int, done: int) -> pd.DataFrame:
    if scan.dataset_type == "text/csv":
        names = scan.names_of(rank)
        assert names is not None and scan.names is not None
        text = ("\n".join(lines) + "\n").encode("utf-8")
        usecols = list(scan.usecols) if scan.usecols is not None else None
        keep = [n for n in scan.options.text_columns or () if n in names and (usecols is None or n in usecols)]
        chunk = parse_csv_block(text, list(names), _where(file, block), done + 1, usecols, text_columns=keep)
        if names != scan.names:  # a permuted header row: columns by name, in headers order (as the local reader)
            chunk = chunk[[n for n in scan.names if n in chunk.columns]]
        if keep:
            chunk.attrs[TEXT_COLUMNS_ATTR] = tuple(keep)
        return chunk
    records = []
    for i, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"{_where(file, block)}: record {done + i + 1}: invalid JSON: {exc.msg}") from None
    columns = json_columns(scan.options)
    return records_to_frame(records, columns, scan.options, lambda i: f"{_where(file, block)}: record {done + i + 1}")


def _parquet_chunk(run: pd.DataFrame, scan: SourceScan, file: str) -> pd.DataFrame:
    chunk = run.drop(columns=[FILE_COLUMN, BLOCK_COLUMN]).reset_index(drop=True)
    headers = scan.options.headers
    names = parquet_names(list(chunk.columns), headers, file)
    if names is not None and headers:
        chunk = chunk.rename(columns=dict(zip(chunk.columns, names, strict=True)))[list(headers)]
    return chunk


__all__ = [
    "SourceScan",
    "iter_chunks",
    "normalise_path",
    "open_split_scan",
    "with_exact_offsets",
]
