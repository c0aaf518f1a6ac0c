"""The Spark engine: the core's passes run across Spark partitions, giving the local engine's numbers.

Design (see also ``spark_read`` and ``spark_tasks``):

1. Read. Spark splits the dataset files; executors parse each split with the local reader's pandas
   rules (CSV and JSON Lines come in as text lines, so no JVM type inference is involved), so every
   chunk has the dtypes the local reader gives it. Bias type inference works on dtype *kinds* and
   values merged across chunks, so the chunk boundaries do not change it.
2. Pass one (``mapInPandas``): ``pass_one_chunk`` per chunk with the chunk's dataset position, the
   predictor built on the executor. The driver merges the pickled partial results; the merges are
   associative and commutative when rows carry positions, so the merged counts, flip-test rows and
   sample equal the local engine's and so do the bias sections. Runs with SHAP or PDP first count
   the rows of every split so that positions (and so the sample) are exact.
3. The explanations step (``clarion.engine.core.explanations``) on the driver, with this runner:
   pass two's chunks are explained on executors (``mapInPandas``); PDP, text SHAP (over every row, in
   order) and image datasets run in one executor task each, as one call does locally, so the seeded
   generator draws the same plans. Local SHAP values stay on the executors (``spark_values``): the
   global values come from sums continued partition by partition in dataset order (the local engine's,
   bit for bit), the median from an exact selection by counts (``spark_median``), and the local
   values are written as one part file per Spark partition,
   ``explanations_shap/part-<number:05d>-<run id>.csv`` (header row; the join source column first
   when ``joinsource_name_or_index`` is set; rows in dataset order inside a part, parts numbered in
   dataset order), fetched one partition at a time. Clarify's Spark jobs also write part files.
4. analysis.json, the config copy and the reports are written by the driver into the run's staging
   folder (part files included), so a failed run leaves nothing behind.

Memory on the driver: count tables (small), the row sample, flip-test rows (only with FT), per-partition
SHAP summaries (M x K numbers each), and one partition's local values while its part file is written.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from clarion.engine.core import (
    PassOne,
    RunSpec,
    ShapPart,
    analyse,
    analyse_images,
    analyse_time_series,
    merge_pass_one,
    pass_one_description,
    write_run,
)
from clarion.engine.plan import AnalysisPlan
from clarion.engine.spark_session import executor_errors, run_job, session_for_run, temporary_conf
from clarion.engine.spark_sources import Source, next_read, open_source
from clarion.engine.spark_tasks import (
    dataset_rows,
    decode,
    explain_rows,
    pass_one,
    payload_of,
    run_task,
    with_predictor,
)
from clarion.engine.spark_values import SparkValues, keep_values, part_file_text, write_part_files
from clarion.errors import ClarionError
from clarion.explain import ShapResult
from clarion.predictors import Predictor
from clarion.predictors.build import shared_endpoint
from clarion.progress import progress_bar
from clarion.results import layout

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

T = TypeVar("T")
ARROW_BATCH_ROWS = 100_000


def run_spark(
    plan: AnalysisPlan,
    raw_config: dict[str, Any],
    output_dir: str | Path,
    master: str | None = None,
    session: SparkSession | None = None,
) -> dict[str, Any]:
    """Run ``plan`` on Spark (``session``, or a session for ``master``) and write the outputs; returns analysis.json."""

    def compute(folder: Path) -> dict[str, Any]:
        # a SageMaker model_name: one shadow endpoint for all executors, not one per task
        with session_for_run(master, session) as spark, shared_endpoint(plan.config) as config:
            run_plan = dataclasses.replace(plan, config=config)
            if run_plan.images:
                return analyse_images(run_plan, SparkTasks(run_plan, spark), folder)
            if run_plan.time_series:  # items are explained on the driver, one model call per coalition batch
                return analyse_time_series(run_plan, folder)
            with temporary_conf(spark, {"spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH_ROWS)}):
                read = "splits"
                while True:
                    try:
                        return _analyse(spark, run_plan, folder, read)
                    except ClarionError as error:
                        read = next_read(spark, run_plan, error, read)

    return write_run(output_dir, plan, raw_config, compute)


def _analyse(spark: SparkSession, plan: AnalysisPlan, folder: Path, read: str) -> dict[str, Any]:
    with progress_bar("Opening the dataset", total=None):
        source = open_source(spark, plan, ARROW_BATCH_ROWS, read=read)
    return analyse(plan, SparkRunner(plan, spark, source), folder)


class SparkTasks:
    """Work that needs the model runs in one executor task; its result travels back pickled."""

    def __init__(self, plan: AnalysisPlan, spark: SparkSession) -> None:
        self.plan = plan
        self.spark = spark

    def call(self, task: Callable[[], T]) -> T:
        wrapped = executor_errors(run_task)
        collected = run_job(
            lambda: self.spark.sparkContext.parallelize([0], 1).mapPartitions(lambda it: wrapped(it, task)).collect()
        )
        return decode([payload_of(collected[0])])[0]

    def with_model(self, task: Callable[[Predictor], T]) -> T:
        return self.call(functools.partial(with_predictor, self.plan, task))


class SparkRunner(SparkTasks):
    """Chunks are Spark partitions' Arrow batches, computed on executors; partials travel pickled."""

    def __init__(self, plan: AnalysisPlan, spark: SparkSession, source: Source) -> None:
        super().__init__(plan, spark)
        self.source = source

    def pass_one(self, plan: AnalysisPlan, text_columns: tuple[str, ...]) -> tuple[RunSpec, PassOne]:
        task = executor_errors(pass_one)
        if text_columns:
            self.source = self.source.with_text_columns(text_columns)
        with progress_bar(pass_one_description(text_columns) + " (Spark)", total=None):
            rows = self.source.collect(lambda chunks: task(chunks, plan))
        return merge_pass_one(plan, decode(rows))

    def explain_rows(self, run: RunSpec, result: PassOne, baseline: pd.DataFrame) -> SparkValues:
        task = executor_errors(explain_rows)
        shap = self.plan.config.methods.shap
        assert shap is not None
        with progress_bar("Explaining rows (Kernel SHAP on Spark)", total=None):
            payloads = self.source.payloads(lambda chunks: task(chunks, run, baseline))
            return keep_values(payloads, shap.agg_method, self.plan.data_uri)

    def all_rows(self, run: RunSpec) -> pd.DataFrame:
        task = executor_errors(dataset_rows)
        chunks = decode(self.source.collect(task))
        return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)

    def save_local_values(self, parts: list[ShapPart], values: ShapResult, output: Path) -> None:
        """Parts held here (the explanations step keeps them on the executors: ``spark_values``), one file per
        partition."""
        shap = self.plan.config.methods.shap
        bare = shap is not None and shap.bare_feature_names
        by_partition: dict[int, list[ShapPart]] = {}
        for part in parts:  # parts arrive in dataset order
            by_partition.setdefault(part.partition, []).append(part)
        groups = sorted(by_partition.values(), key=lambda group: group[0].position)
        write_part_files(output / layout.SHAP_DIR, (part_file_text(group, bare) for group in groups))
