"""Local SHAP values kept on the executors: the ``kernel_shap`` section and the part files without gathering them.

Pass two's ShapParts stay in a persisted RDD of ``(position, pickled ShapPart)``, partitioned as Spark explained
them. The driver only ever holds:

- one ``PartitionSummary`` per partition (first position, rows, the mergeable ``ShapSummary``, and per (feature,
  output) cell whether a NaN occurs and the least and greatest value), merged in dataset order;
- for ``agg_method`` "median", counts per bucket and the few values of the last intervals
  (``clarion.engine.spark_median``), so the median is the exact order statistic np.median gives;
- when local values are saved, one partition's part file at a time: each partition's CSV text is made on its
  executor (the local engine's columns and number format) and written by the driver into the run folder
  as ``explanations_shap/part-<number:05d>-<run id>.csv``, numbered in dataset order, so a run's outputs
  are still staged and committed together.
"""

from __future__ import annotations

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
from clarion.explain.aggregate import AggMethod
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


def _part_file_of(items: Iterator[Payload], bare: bool) -> Iterator[str]:
    yield part_file_text(_parts(items), bare)


def write_part_files(directory: Path, texts: Iterable[str]) -> list[Path]:
    """``part-<number:05d>-<run id>.csv`` for each text, numbered in the order given (dataset order)."""
    run_id = uuid.uuid4()
    return [
        write_with(directory / f"part-{number:05d}-{run_id}.csv", functools.partial(_write_text, text))
        for number, text in enumerate(texts)
    ]


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
            if shap_config.save_local_shap_values:
                self.write_part_files(output / layout.SHAP_DIR, bare=shap_config.bare_feature_names)
            summary = functools.reduce(ShapSummary.merge, (p.summary for p in self.partitions))
            if shap_config.agg_method == "median":
                values = self.median().reshape(summary.sums.values.shape)
            else:
                values = summary.sums.mean_values()
            return shap_section(summary, values)
        finally:
            self.kept.unpersist()

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

    def write_part_files(self, directory: Path, *, bare: bool) -> list[Path]:
        """One CSV per non-empty partition, made on its executor, fetched and written one at a time."""
        return write_part_files(directory, self._part_texts(bare))

    def _part_texts(self, bare: bool) -> Iterator[str]:
        context: SparkContext = self.kept.context
        kept, task = self.kept, executor_errors(_part_file_of)
        for partition in self.partitions:  # dataset order
            job = functools.partial(context.runJob, kept, lambda it: task(it, bare), partitions=[partition.index])
            yield run_job(job)[0]
