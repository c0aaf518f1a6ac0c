"""Where the Spark engine's chunks come from: Spark's splits of the files, or whole files.

- ``SplitSource``: Spark splits the files; executors parse each split's lines (CSV, JSON Lines) or
  Arrow batches (Parquet) with the local reader's rules (``spark_read``). Many tasks per file.
- ``FileSource``: one task per file, read whole by the local reader (``clarion.data.read_chunks``),
  so chunks, dtypes and errors are the local engine's. Used for ``application/json`` (one document
  is not splittable) and for CSV files whose quoted fields hold line breaks (Spark splits text at
  every line break): a CSV run starts with splits, and an executor that meets a line with an odd
  number of quote characters stops the job; the run then starts again with whole files.

Both give ``(dataset position, chunk)`` pairs to a chunk task and collect what it emits. A separate
facet dataset (``facet_dataset_uri``) and predicted-label dataset (``predicted_label_dataset_uri``)
are read once by the driver (``clarion.data.side_join``), broadcast, and joined to each chunk on the
executors, in the local engine's order (facets, then predicted labels), by id (with a join source) or
by dataset position (exact offsets); the driver checks row counts and ids first (one light pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

from clarion.data import read_chunks
from clarion.data.facet_join import load_facets
from clarion.data.join import load_predicted_labels
from clarion.data.options import ReadOptions
from clarion.data.roles import resolve
from clarion.data.side_join import SideTable, chunk_ids
from clarion.data.sources import DataFile, list_files
from clarion.engine.core import read_options
from clarion.engine.plan import AnalysisPlan
from clarion.engine.spark_read import SourceScan, iter_chunks, open_split_scan, with_exact_offsets
from clarion.engine.spark_session import HeaderOrder, WholeFilesNeeded, executor_errors, run_job
from clarion.engine.spark_tasks import PAYLOAD_SCHEMA, Payload, decode, emit, payload_of
from clarion.errors import ClarionError, DataError

if TYPE_CHECKING:
    from pyspark import RDD, Broadcast
    from pyspark.sql import DataFrame, SparkSession

Chunks = Iterator[tuple[int, pd.DataFrame]]
ChunkTask = Callable[[Chunks], Iterator[pd.DataFrame]]
FILE_STRIDE = 1 << 40  # pseudo positions of whole files before their rows are counted


class Source(Protocol):
    def payloads(self, task: ChunkTask) -> RDD[Payload]:
        """``task`` over the chunks of every partition: what it emitted, as ``(position, payload)`` (lazy)."""
        ...

    def collect(self, task: ChunkTask) -> list[Payload]:
        """Run ``task`` over the chunks of every partition; what it emitted."""
        ...

    def with_exact_offsets(self) -> tuple[Source, int]:
        """This source with every chunk at its exact dataset position, and the number of rows."""
        ...

    def with_text_columns(self, text_columns: tuple[str, ...]) -> Source:
        """This source with CSV ``text_columns`` read as text (typed later over the whole column)."""
        ...


@dataclass(frozen=True)
class Joins:
    """Second datasets (facets, predicted labels), broadcast to the executors and joined to chunks there."""

    tables: tuple[Broadcast[SideTable], ...]

    def join(self, chunks: Chunks) -> Chunks:
        tables = [table.value for table in self.tables]
        for position, chunk in chunks:
            for table in tables:
                chunk = table.join(chunk, position)
            yield position, chunk


def _joined(chunks: Chunks, joins: Joins | None) -> Chunks:
    return chunks if joins is None else joins.join(chunks)


@dataclass(frozen=True)
class SplitSource:
    spark: SparkSession
    frame: DataFrame
    scan: SourceScan
    joins: Joins | None = None

    def payloads(self, task: ChunkTask) -> RDD[Payload]:
        scan, joins = self.scan, self.joins
        frame = self.frame.mapInPandas(lambda batches: task(_joined(iter_chunks(batches, scan), joins)), PAYLOAD_SCHEMA)
        return frame.rdd.map(payload_of)

    def collect(self, task: ChunkTask) -> list[Payload]:
        return run_job(lambda: self.payloads(task).collect())

    def with_exact_offsets(self) -> tuple[SplitSource, int]:
        scan, rows = with_exact_offsets(self.spark, self.frame, self.scan)
        return replace(self, scan=scan), rows

    def with_text_columns(self, text_columns: tuple[str, ...]) -> SplitSource:
        options = replace(self.scan.options, text_columns=text_columns or None)
        return replace(self, scan=replace(self.scan, options=options))

    def has_odd_quote_lines(self) -> bool:
        """Whether a line holds an odd number of double quotes (a quoted field continues on the next line)."""
        value = F.col("value").cast("string")
        quotes = F.length(value) - F.length(F.regexp_replace(value, '"', ""))
        return bool(run_job(lambda: self.frame.where(quotes % 2 == 1).limit(1).count()))


@dataclass(frozen=True)
class FileSource:
    spark: SparkSession
    files: tuple[DataFile, ...]
    options: ReadOptions
    offsets: tuple[int, ...] | None = None
    joins: Joins | None = None

    def payloads(self, task: ChunkTask) -> RDD[Payload]:
        options, offsets, joins = self.options, self.offsets, self.joins
        items = list(enumerate(self.files))
        return (
            self.spark.sparkContext.parallelize(items, len(items))
            .mapPartitions(lambda part: task(_joined(_file_chunks(part, options, offsets), joins)))
            .map(payload_of)
        )

    def collect(self, task: ChunkTask) -> list[Payload]:
        return run_job(lambda: self.payloads(task).collect())

    def with_exact_offsets(self) -> tuple[FileSource, int]:
        counter = executor_errors(_count_file_rows)
        options = self.options
        items = list(enumerate(self.files))
        counts = run_job(
            lambda: (
                self.spark.sparkContext.parallelize(items, len(items))
                .mapPartitions(lambda part: counter(part, options))
                .collect()
            )
        )
        sizes = dict(counts)
        if not items:
            return self, 0
        starts = np.concatenate([[0], np.cumsum([sizes[rank] for rank in range(len(items))])])
        return replace(self, offsets=tuple(int(s) for s in starts[:-1])), int(starts[-1])

    def with_text_columns(self, text_columns: tuple[str, ...]) -> FileSource:
        return replace(self, options=replace(self.options, text_columns=text_columns or None))


def _file_chunks(
    items: Iterable[tuple[int, DataFile]], options: ReadOptions, offsets: tuple[int, ...] | None
) -> Chunks:
    for rank, data_file in items:
        position = offsets[rank] if offsets is not None else rank * FILE_STRIDE
        for chunk in read_chunks(data_file.uri, options):
            yield position, chunk
            position += len(chunk)


def _count_file_rows(items: Iterator[tuple[int, DataFile]], options: ReadOptions) -> Iterator[tuple[int, int]]:
    for rank, data_file in items:
        yield rank, sum(len(chunk) for chunk in read_chunks(data_file.uri, options))


READS = ("splits", "splits by header order", "whole files")  # how a run reads the dataset, tried in this order


def next_read(spark: SparkSession, plan: AnalysisPlan, error: ClarionError, read: str) -> str:
    """How to read the dataset after a run reading it by ``read`` failed with ``error`` (``error`` re-raised when
    no other way helps): splits knowing each file's header order, else whole files."""
    if read == "splits" and isinstance(error, HeaderOrder):
        return "splits by header order"
    if read != "whole files" and needs_whole_files(spark, plan, error):
        return "whole files"
    raise error


def needs_whole_files(spark: SparkSession, plan: AnalysisPlan, error: ClarionError) -> bool:
    """Whether a failed CSV run over Spark's splits should read whole files: an executor said so, or a data
    error came first from another split while some line holds an odd number of quotes."""
    if isinstance(error, WholeFilesNeeded):
        return True
    if plan.config.dataset_type != "text/csv" or not isinstance(error, DataError):
        return False
    frame, scan = open_split_scan(spark, plan, 1)
    return SplitSource(spark, frame, scan).has_odd_quote_lines()


def open_source(spark: SparkSession, plan: AnalysisPlan, chunk_rows: int, *, read: str = "splits") -> Source:
    """The plan's dataset as a source (``read``: one of ``READS``) with exact positions when the run needs them
    (sample, joined datasets)."""
    source: SplitSource | FileSource
    if read == "whole files" or plan.config.dataset_type == "application/json":
        options = read_options(plan, chunk_rows)
        source = FileSource(spark, tuple(list_files(plan.data_uri, plan.config.dataset_type)), options)
    else:
        frame, scan = open_split_scan(spark, plan, chunk_rows, header_orders=read == "splits by header order")
        source = SplitSource(spark, frame, scan)
    c = plan.config
    if not (plan.shap or plan.pdp or c.predicted_label_dataset_uri or c.facet_dataset_uri):
        return source
    exact, rows = source.with_exact_offsets()
    tables = _side_tables(plan, chunk_rows)
    if not tables:
        return exact
    for table in tables:
        table.check_rows(rows)
    by_id = [table for table in tables if table.id_name is not None]
    if by_id:
        check_joined_ids(exact, by_id)
    return replace(exact, joins=Joins(tuple(spark.sparkContext.broadcast(table) for table in tables)))


def _side_tables(plan: AnalysisPlan, chunk_rows: int) -> list[SideTable]:
    """The facet and predicted-label datasets, read once, in the order the local engine joins them."""
    c = plan.config
    joinsource = _joinsource_column(plan, chunk_rows) if c.joinsource_name_or_index is not None else None
    tables = []
    if c.facet_dataset_uri is not None:
        tables.append(
            load_facets(uri=c.facet_dataset_uri, headers=c.facet_headers, joinsource=joinsource, chunk_rows=chunk_rows)
        )
    if c.predicted_label_dataset_uri is not None:
        tables.append(
            load_predicted_labels(
                uri=c.predicted_label_dataset_uri,
                headers=c.predicted_label_headers,
                predicted_label=c.predicted_label,
                joinsource=joinsource,
                chunk_rows=chunk_rows,
            )
        )
    return tables


def check_joined_ids(source: Source, tables: list[SideTable]) -> None:
    """Ids joined by name: every id once in the dataset, every id of a second dataset used (one light pass)."""
    id_name = tables[0].id_name
    assert id_name is not None
    task = executor_errors(_chunk_ids)
    ids = [key for keys in decode(source.collect(lambda chunks: task(chunks, id_name))) for key in keys]
    for table in tables:
        table.check_ids(ids)


def _chunk_ids(chunks: Chunks, id_name: str) -> Iterator[pd.DataFrame]:
    for position, chunk in chunks:
        yield emit(position, chunk_ids(chunk, id_name))


def _joinsource_column(plan: AnalysisPlan, chunk_rows: int) -> str | None:
    """The dataset's id column: the config's name (a JSON expression names the column it makes) or index."""
    ref = plan.config.joinsource_name_or_index
    if ref is None or isinstance(ref, str):
        return ref
    names = list(plan.config.headers or [])
    if not names:
        first = next(read_chunks(plan.data_uri, read_options(plan, chunk_rows)), None)
        names = list(first.columns) if first is not None else []
    return resolve(ref, names, "joinsource_name_or_index")
