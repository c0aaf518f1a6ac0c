"""Local SHAP values kept on the executors: the ``kernel_shap`` section and the part files without gathering them.

Pass two's ShapParts stay in a persisted RDD of ``(position, pickled ShapPart)``, partitioned as Spark explained
them. The driver only ever holds:

- one ``PartitionSummary`` per partition (first position, rows, the ``ShapSummary``, and per (feature, output)
  cell whether a NaN occurs and the least and greatest value), in dataset order;
- the running sums behind the global values and standard errors (``GlobalSums``): one small job per partition,
  in dataset order, continues them over that partition's rows (``GlobalSums.extend``), row after row as numpy
  sums the whole (N, M, K) array locally, so they are the local engine's bit for bit. With one cell (one
  explained feature, one output) numpy sums the column pairwise instead, so that column's N terms come to the
  driver and are summed there;
- for ``agg_method`` "median", counts per bucket and the few values of the last intervals
  (``clarion.engine.spark_median``), so the median is the exact order statistic np.median gives;
- when local values are saved, one partition's part file at a time: the same per-partition job makes its CSV
  text on the executor (the local engine's columns and number format) and the driver writes it into the run
  folder as ``explanations_shap/part-<number:05d>-<run id>.csv``, numbered in dataset order, so a run's
  outputs are still staged and committed together.
"""

from __future__ import annotations

import dataclasses
import functools
import pickle
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pyspark import StorageLevel

from clarion.config.methods import ShapConfig
from clarion.data.atomic import write_with
from clarion.engine.core import ShapPart
from clarion.engine.spark_median import Targets, bucket_counts, cell_ranges, exact_median, values_in
from clarion.engine.spark_session import executor_errors, run_job
from clarion.engine.spark_tasks import Payload
from clarion.errors import DataError
from clarion.explain import concat_results
from clarion.explain.aggregate import AggMethod, GlobalSums, row_terms
from clarion.explain.outputs import ShapSummary, local_values_frame, shap_section, summarize
from clarion.results import layout

if TYPE_CHECKING:
    from pyspark import RDD, SparkContext


@dataclass(frozen=True)
class PartitionSummary:
    """One partition's rows: where they start, how many, their ``ShapSummary`` and per-cell NaN / min / max keys."""

    index: int
    position: int
    rows: int
    summary: ShapSummary
    nan: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _parts(items: Iterable[Payload]) -> list[ShapPart]:
    return [pickle.loads(payload) for _, payload in sorted(items, key=lambda item: item[0])]


def _values(items: Iterable[Payload]) -> np.ndarray | None:
    parts = _parts(items)
    return np.concatenate([p.result.values for p in parts]) if parts else None


def summarise_partition(index: int, items: Iterator[Payload], agg_method: AggMethod) -> Iterator[PartitionSummary]:
    parts = _parts(items)
    if not parts:
        return
    result = concat_results([p.result for p in parts])
    nan, low, high = cell_ranges(result.values)
    yield PartitionSummary(index, parts[0].position, result.num_rows, summarize(result, agg_method), nan, low, high)


def count_partition(items: Iterator[Payload], targets: Targets) -> Iterator[np.ndarray]:
    values = _values(items)
    if values is not None:
        yield bucket_counts(values, targets)


def gather_partition(items: Iterator[Payload], targets: Targets) -> Iterator[list[np.ndarray]]:
    values = _values(items)
    if values is not None:
        yield values_in(values, targets)


def part_file_text(parts: Sequence[ShapPart], bare: bool) -> str:
    """A partition's part file: its chunks' local values (join source first), in dataset order."""
    frames = [local_values_frame(p.result, p.joinsource, bare=bare) for p in parts]
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return table.to_csv(index=False)


def _row_terms(parts: Sequence[ShapPart], agg_method: AggMethod) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    result = concat_results([p.result for p in parts])
    return row_terms(result.values, result.stderr, agg_method, result.independent_rows, result.dof)


def continue_partition(
    items: Iterator[Payload], sums: GlobalSums | None, agg_method: AggMethod, bare: bool | None
) -> Iterator[tuple[GlobalSums, str | None]]:
    """``sums`` (of the rows before this partition; None: none) continued over this partition's rows, and its
    part file (``bare``: the column naming; None: no part file)."""
    parts = _parts(items)
    terms = _row_terms(parts, agg_method)
    if sums is None:
        sums = GlobalSums(0, *(np.zeros(t.shape[1:]) for t in terms))
        continued = GlobalSums(len(terms[0]), *(t.sum(axis=0) for t in terms))
    else:
        continued = sums.extend(terms)
    yield continued, part_file_text(parts, bare) if bare is not None else None


def partition_terms(items: Iterator[Payload], agg_method: AggMethod) -> Iterator[tuple[int, np.ndarray]]:
    parts = _parts(items)
    if parts:
        yield parts[0].position, np.stack(_row_terms(parts, agg_method))


def write_part_files(directory: Path, texts: Iterable[str]) -> list[Path]:
    """``part-<number:05d>-<run id>.csv`` for each text, numbered in the order given (dataset order)."""
    run_id = uuid.uuid4()
    return [write_part_file(directory / f"part-{n:05d}-{run_id}.csv", text) for n, text in enumerate(texts)]


def write_part_file(path: Path, text: str) -> Path:
    return write_with(path, functools.partial(_write_text, text))


def _write_text(text: str, handle: Any) -> None:
    handle.write(text)


def keep_values(payloads: RDD[Payload], agg_method: AggMethod, data_uri: str) -> SparkValues:
    """Persist pass two's ``(position, pickled ShapPart)`` on the executors and summarise every partition."""
    kept = payloads.persist(StorageLevel.MEMORY_AND_DISK)
    task = executor_errors(summarise_partition)
    try:
        found = run_job(lambda: kept.mapPartitionsWithIndex(lambda i, it: task(i, it, agg_method)).collect())
    except BaseException:
        kept.unpersist()
        raise
    return SparkValues(kept, sorted(found, key=lambda p: p.position), data_uri)


class SparkValues:
    """``KeptValues`` of the Spark engine (see the module docstring)."""

    def __init__(self, kept: RDD[Payload], partitions: Sequence[PartitionSummary], data_uri: str) -> None:
        self.kept = kept
        self.partitions = list(partitions)
        self.data_uri = data_uri

    def section(self, shap_config: ShapConfig, output: Path) -> dict[str, Any]:
        try:
            if not self.partitions:
                raise DataError(f"{self.data_uri}: the dataset is empty")
            agg = shap_config.agg_method
            bare = shap_config.bare_feature_names if shap_config.save_local_shap_values else None
            summary = functools.reduce(ShapSummary.merge, (p.summary for p in self.partitions))
            sums = self.walk(agg, bare, output / layout.SHAP_DIR)
            if sums.values.size == 1:  # one cell: numpy sums one column pairwise, so the column comes here
                sums = self.column_sums(agg)
            summary = dataclasses.replace(summary, sums=sums)
            values = self.median().reshape(sums.values.shape) if agg == "median" else sums.mean_values()
            return shap_section(summary, values)
        finally:
            self.kept.unpersist()

    def walk(self, agg_method: AggMethod, bare: bool | None, directory: Path) -> GlobalSums:
        """One job per partition in dataset order: the sums continued over its rows (so they are the local engine's
        bit for bit) and, with ``bare`` set, its part file, written here one at a time."""
        context: SparkContext = self.kept.context
        kept, task = self.kept, executor_errors(continue_partition)
        sums: GlobalSums | None = None
        run_id, written = uuid.uuid4(), 0
        for partition in self.partitions:
            function = functools.partial(task, sums=sums, agg_method=agg_method, bare=bare)
            job = functools.partial(context.runJob, kept, function, partitions=[partition.index])
            sums, text = run_job(job)[0]
            if text is not None:
                write_part_file(directory / f"part-{written:05d}-{run_id}.csv", text)
                written += 1
        assert sums is not None
        return sums

    def column_sums(self, agg_method: AggMethod) -> GlobalSums:
        """The sums of a one-cell run as numpy takes them: its (N,) column of each term, summed here."""
        task = executor_errors(partition_terms)
        found = run_job(lambda: self.kept.mapPartitions(lambda it: task(it, agg_method)).collect())
        terms = np.concatenate([t for _, t in sorted(found, key=lambda item: item[0])], axis=1)
        return GlobalSums(terms.shape[1], *(t.sum(axis=0) for t in terms))

    def median(self) -> np.ndarray:
        """(cells,) exact medians of every flattened (feature, output) cell over all rows."""
        count_task, gather_task = executor_errors(count_partition), executor_errors(gather_partition)
        kept = self.kept

        def count(targets: Targets) -> np.ndarray:
            return run_job(lambda: kept.mapPartitions(lambda it: count_task(it, targets)).treeReduce(np.add))

        def gather(targets: Targets) -> list[np.ndarray]:
            found = run_job(lambda: kept.mapPartitions(lambda it: gather_task(it, targets)).collect())
            return [np.concatenate([values[t] for values in found]) for t in range(len(targets.cells))]

        rows = sum(p.rows for p in self.partitions)
        nan = np.logical_or.reduce([p.nan for p in self.partitions])
        low = np.minimum.reduce([p.low for p in self.partitions])
        high = np.maximum.reduce([p.high for p in self.partitions])
        return exact_median(rows, nan, low, high, count, gather)
