"""Where the Spark engine's chunks come from: Spark's splits of the files, or whole files.

- ``SplitSource``: Spark splits the files; executors parse each split's lines (CSV, JSON Lines) or
  Arrow batches (Parquet) with the local reader's rules (``spark_read``). Many tasks per file.
- ``FileSource``: one task per file, read whole by the local reader (``clarion.data.read_chunks``),
  so chunks, dtypes and errors are the local engine's. Used for ``application/json`` (one document
  is not splittable) and for CSV files whose quoted fields hold line breaks (Spark splits text at
  every line break): a CSV run starts with splits, and an executor that meets a line with an odd
  number of quote characters stops the job; the run then starts again with whole files.

Both give ``(dataset position, chunk)`` pairs to a chunk task and collect what it emits. With a
separate predicted-label dataset (``predicted_label_dataset_uri``) the driver reads it once
(``clarion.data.join``), broadcasts it, and executors join it to each chunk by id (with a join
source) or by dataset position (exact offsets); the driver checks that the row counts agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

from clarion.data import read_chunks
from clarion.data.join import PredictedLabels, id_key, load_predicted_labels
from clarion.data.options import ReadOptions
from clarion.data.roles import resolve
from clarion.data.sources import DataFile, list_files
from clarion.engine.core import read_options
from clarion.engine.plan import AnalysisPlan
from clarion.engine.spark_read import SourceScan, iter_chunks, open_split_scan, with_exact_offsets
from clarion.engine.spark_session import WholeFilesNeeded, executor_errors, run_job
from clarion.engine.spark_tasks import PAYLOAD_SCHEMA, decode, emit
from clarion.errors import ClarionError, DataError, NotSupportedError

if TYPE_CHECKING:
    from pyspark import Broadcast
    from pyspark.sql import DataFrame, SparkSession

Chunks = Iterator[tuple[int, pd.DataFrame]]
ChunkTask = Callable[[Chunks], Iterator[pd.DataFrame]]
FILE_STRIDE = 1 << 40  # pseudo positions of whole files before their rows are counted


class Source(Protocol):
    def collect(self, task: ChunkTask) -> list[Any]:
        """Run ``task`` over the chunks of every partition; the rows it emitted (``position``, ``payload``)."""
        ...

    def with_exact_offsets(self) -> tuple[Source, int]:
        """This source with every chunk at its exact dataset position, and the number of rows."""
        ...

    def with_text_columns(self, text_columns: tuple[str, ...]) -> Source:
        """This source with CSV ``text_columns`` read as text (typed later over the whole column)."""
        ...


@dataclass(frozen=True)
class Labels:
    """A separate predicted-label column, broadcast to the executors and joined to chunks there."""

    values: Broadcast[PredictedLabels]

    def join(self, chunks: Chunks) -> Chunks:
        labels = self.values.value
        for position, chunk in chunks:
            yield position, labels.attach(chunk, position)


def _joined(chunks: Chunks, labels: Labels | None) -> Chunks:
    return chunks if labels is None else labels.join(chunks)


@dataclass(frozen=True)
class SplitSource:
    spark: SparkSession
    frame: DataFrame
    scan: SourceScan
    labels: Labels | None = None

    def collect(self, task: ChunkTask) -> list[Any]:
        scan, labels = self.scan, self.labels
        return run_job(
            lambda: self.frame.mapInPandas(
                lambda batches: task(_joined(iter_chunks(batches, scan), labels)), PAYLOAD_SCHEMA
            ).collect()
        )

    def with_exact_offsets(self) -> tuple[SplitSource, int]:
        scan, rows = with_exact_offsets(self.spark, self.frame, self.scan)
        return replace(self, scan=scan), rows

    def with_text_columns(self, text_columns: tuple[str, ...]) -> SplitSource:
        options = replace(self.scan.options, text_columns=text_columns or None)
        return replace(self, scan=replace(self.scan, options=options))

    def has_odd_quote_lines(self) -> bool:
        """Whether a line holds an odd number of double quotes (a quoted field continues on the next line)."""
        value = F.col("value")
        quotes = F.length(value) - F.length(F.regexp_replace(value, '"', ""))
        return bool(run_job(lambda: self.frame.where(quotes % 2 == 1).limit(1).count()))


@dataclass(frozen=True)
class FileSource:
    spark: SparkSession
    files: tuple[DataFile, ...]
    options: ReadOptions
    offsets: tuple[int, ...] | None = None
    labels: Labels | None = None

    def collect(self, task: ChunkTask) -> list[Any]:
        options, offsets, labels = self.options, self.offsets, self.labels
        items = list(enumerate(self.files))
        frames = run_job(
            lambda: (
                self.spark.sparkContext.parallelize(items, len(items))
                .mapPartitions(lambda part: task(_joined(_file_chunks(part, options, offsets), labels)))
                .collect()
            )
        )
        return [frame.iloc[0] for frame in frames]

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


def needs_whole_files(spark: SparkSession, plan: AnalysisPlan, error: ClarionError) -> bool:
    """Whether a failed CSV run over Spark's splits should read whole files: an executor said so, or a data
    error came first from another split while some line holds an odd number of quotes."""
    if plan.config.dataset_type != "text/csv" or not isinstance(error, DataError):
        return False
    if isinstance(error, WholeFilesNeeded):
        return True
    frame, scan = open_split_scan(spark, plan, 1)
    return SplitSource(spark, frame, scan).has_odd_quote_lines()


def open_source(spark: SparkSession, plan: AnalysisPlan, chunk_rows: int, *, whole_files: bool = False) -> Source:
    """The plan's dataset as a source with exact positions when the run needs them (sample, joined labels)."""
    if plan.config.facet_dataset_uri is not None:
        raise NotSupportedError("facet_dataset_uri: not supported yet by the Spark engine (use the local engine)")
    source: SplitSource | FileSource
    if whole_files or plan.config.dataset_type == "application/json":
        options = read_options(plan, chunk_rows)
        source = FileSource(spark, tuple(list_files(plan.data_uri, plan.config.dataset_type)), options)
    else:
        frame, scan = open_split_scan(spark, plan, chunk_rows)
        source = SplitSource(spark, frame, scan)
    if not (plan.shap or plan.pdp or plan.config.predicted_label_dataset_uri):
        return source
    exact, rows = source.with_exact_offsets()
    labels = _predicted_labels(spark, plan, rows, chunk_rows)
    if labels is None:
        return exact
    joinsource = labels.values.value.joinsource
    if joinsource is not None:
        check_joined_ids(exact, labels, joinsource)
    return replace(exact, labels=labels)


def _predicted_labels(spark: SparkSession, plan: AnalysisPlan, rows: int, chunk_rows: int) -> Labels | None:
    """The separate predicted-label column (``clarion.data.join``), checked to have one value per dataset row."""
    c = plan.config
    uri = c.predicted_label_dataset_uri
    if uri is None:
        return None
    labels = load_predicted_labels(
        uri=uri,
        headers=c.predicted_label_headers,
        predicted_label=c.predicted_label,
        joinsource=_joinsource_column(plan, chunk_rows),
        chunk_rows=chunk_rows,
    )
    labels.check_rows(rows)
    return Labels(spark.sparkContext.broadcast(labels))


def check_joined_ids(source: Source, labels: Labels, joinsource: str) -> None:
    """Ids joined by name: every id once in the dataset, every predicted label used (one light pass)."""
    task = executor_errors(_chunk_ids)
    ids = (key for chunk_ids in decode(source.collect(lambda chunks: task(chunks, joinsource))) for key in chunk_ids)
    labels.values.value.check_ids(ids)


def _chunk_ids(chunks: Chunks, joinsource: str) -> Iterator[pd.DataFrame]:
    for position, chunk in chunks:
        if joinsource not in chunk.columns:
            raise DataError(f"joinsource_name_or_index: column {joinsource!r} not found in the dataset")
        yield emit(position, [id_key(value) for value in chunk[joinsource].tolist()])


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
