"""The Spark engine: the local engine's plan run across Spark partitions, giving the same numbers.

Design (see also ``spark_read`` and ``spark_tasks``):

1. Read. Spark splits the dataset files; executors parse each split with the local reader's pandas
   rules (CSV and JSON Lines come in as text lines, so no JVM type inference is involved), so every
   chunk has the dtypes the local reader gives it. Bias type inference works on dtype *kinds* and
   values merged across chunks, so the chunk boundaries do not change it.
2. Pass 1 (``mapInPandas``). Per chunk: predicted labels from a predictor built on the executor,
   ``BiasCounts.from_frame`` and ``FlipTestData.from_frame`` with the chunk's dataset position as
   ``row_offset``, and the seeded ``RowSample`` candidates. The driver merges the pickled partial
   results; the merges are associative and commutative when rows carry positions, so the merged
   counts, flip-test rows and sample equal the local engine's, and ``pre_training_bias_section`` /
   ``post_training_bias_section`` give identical sections. Runs with SHAP or PDP first count the
   rows of every split so that positions (and so the sample) are exact.
3. Baseline on the driver, from the config or by clustering the merged sample with
   ``np.random.default_rng(seed)`` (the same call as the local engine).
4. Pass 2 (``mapInPandas``). Kernel SHAP of every chunk, the coalition plan drawn from a fresh
   ``default_rng(seed)`` per chunk as the local engine does. The driver collects the local values,
   aggregates them exactly (mean_abs, median, mean_sq over all rows) and writes one part file per
   Spark partition: ``explanations_shap/part-<number:05d>-<run id>.csv`` (header row; the join
   source column first when ``joinsource_name_or_index`` is set; rows in dataset order inside a part,
   parts numbered in dataset order). Clarify's Spark jobs also write part files, not ``out.csv``.
5. PDP over the merged sample in one executor task. analysis.json, the config copy and the reports
   are written by the driver through ``clarion.engine.outputs``; executors never write to the output
   directory, so a failed run leaves nothing behind.

Memory on the driver: count tables (small), the row sample, flip-test rows (only with FT), and the
local SHAP values (N x M x K floats, needed for the exact median).
"""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from clarion.engine.local import SAMPLE_ROWS, PassOneResult, _seed, bias_sections
from clarion.engine.plan import AnalysisPlan
from clarion.engine.spark_read import SourceScan, open_source, with_exact_offsets
from clarion.engine.spark_session import executor_errors, run_job, session_for_run, temporary_conf
from clarion.engine.spark_tasks import PAYLOAD_SCHEMA, ShapPart, decode, explain_rows, partial_dependence, pass_one
from clarion.errors import DataError, NotSupportedError
from clarion.progress import progress_bar

SHAP_DIR = "explanations_shap"
ARROW_BATCH_ROWS = 100_000


def run_spark(
    plan: AnalysisPlan,
    raw_config: dict[str, Any],
    output_dir: str | Path,
    master: str | None = None,
    session: Any = None,
) -> dict[str, Any]:
    """Run ``plan`` on Spark (``session``, or a session for ``master``) and write the outputs; returns analysis.json."""
    from clarion.engine.outputs import write_analysis, write_reports

    _refuse_unsupported(plan)
    seed = _seed(plan)
    with session_for_run(master, session) as spark:
        with temporary_conf(spark, {"spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH_ROWS)}):
            frame, scan = open_source(spark, plan, ARROW_BATCH_ROWS)
            if plan.shap or plan.pdp:
                with progress_bar("Counting rows per split", total=None):
                    scan, _ = with_exact_offsets(spark, frame, scan)
            with progress_bar("Reading data and computing statistics (Spark)", total=None):
                result = _pass_one(frame, plan, scan, seed)
            analysis: dict[str, Any] = {"version": "1.0"}
            analysis.update(bias_sections(plan, result))
            shap_parts: list[ShapPart] = []
            if plan.shap or plan.pdp:
                analysis["explanations"], shap_parts = _explanations(spark, frame, plan, scan, result, seed, output_dir)
    if shap_parts and plan.config.methods.shap.save_local_shap_values:  # type: ignore[union-attr]
        write_part_files(Path(output_dir) / SHAP_DIR, shap_parts)
    write_analysis(output_dir, analysis, raw_config)
    write_reports(output_dir, plan.config)
    return analysis


def _refuse_unsupported(plan: AnalysisPlan) -> None:
    shap = plan.config.methods.shap
    if shap is not None and (shap.text_config is not None or shap.image_config is not None):
        raise NotSupportedError("methods.shap: text and image explanations are not supported yet by the Spark engine")
    if plan.config.dataset_type == "application/x-image":
        raise NotSupportedError("dataset_type: 'application/x-image' is not supported yet by the Spark engine")


def _pass_one(frame: Any, plan: AnalysisPlan, scan: SourceScan, seed: int) -> PassOneResult:
    task = executor_errors(pass_one)
    rows = run_job(
        lambda: frame.mapInPandas(lambda it: task(it, plan, scan, seed, SAMPLE_ROWS), PAYLOAD_SCHEMA).collect()
    )
    result = PassOneResult()
    for part in decode(rows):
        if result.roles is None:
            result.roles, result.spec = part.roles, part.spec
        if part.counts is not None:
            result.counts = part.counts if result.counts is None else result.counts.merge(part.counts)
        if part.flip_test is not None:
            result.flip_test = part.flip_test if result.flip_test is None else result.flip_test.merge(part.flip_test)
        if part.sample is not None:
            result.sample = result.sample.merge(part.sample)
        result.rows += part.rows
    if result.roles is None:
        raise DataError(f"{plan.data_uri}: the dataset is empty")
    return result


def _explanations(
    spark: Any,
    frame: Any,
    plan: AnalysisPlan,
    scan: SourceScan,
    result: PassOneResult,
    seed: int,
    output_dir: str | Path,
) -> tuple[dict[str, Any], list[ShapPart]]:
    from clarion.engine.explain import shap_baseline
    from clarion.explain import concat_results
    from clarion.explain.baseline import write_baseline_csv
    from clarion.explain.outputs import kernel_shap_section

    roles = result.roles
    assert roles is not None
    features = list(roles.features)
    config = plan.config
    section: dict[str, Any] = {}
    parts: list[ShapPart] = []
    global_shap = None
    names: tuple[str, ...] | None = None
    if plan.shap:
        shap_config = config.methods.shap
        assert shap_config is not None
        baseline = shap_baseline(plan, result.sample.rows[features], seed)
        task = executor_errors(explain_rows)
        with progress_bar("Explaining rows (Kernel SHAP on Spark)", total=None):
            rows = run_job(
                lambda: frame.mapInPandas(
                    lambda it: task(it, plan, scan, roles, baseline, seed), PAYLOAD_SCHEMA
                ).collect()
            )
        parts = decode(rows)
        if not parts:
            raise DataError(f"{plan.data_uri}: the dataset is empty")
        shap_result = concat_results([p.result for p in parts])
        names = shap_result.output_names
        write_baseline_csv(baseline, Path(output_dir) / SHAP_DIR / "baseline.csv")
        section["kernel_shap"] = kernel_shap_section(shap_result, shap_config.agg_method)
        global_shap = section["kernel_shap"][names[0]]["global_shap_values"]
    if plan.pdp:
        sample_rows = result.sample.rows[features]
        task = executor_errors(partial_dependence)
        with progress_bar("Partial dependence (Spark)", total=None, unit="features"):
            collected = run_job(
                lambda: (
                    spark.sparkContext.parallelize([0], 1)
                    .mapPartitions(lambda it: task(it, plan, sample_rows, global_shap))
                    .collect()
                )
            )
        _, section["pdp"] = pickle.loads(bytes(collected[0]["payload"].iloc[0]))
    return section, parts


def write_part_files(directory: Path, parts: list[ShapPart]) -> list[Path]:
    """One CSV per Spark partition, ``part-<number:05d>-<run id>.csv``, numbered and ordered by dataset position."""
    from clarion.data.atomic import write_with
    from clarion.explain.outputs import local_values_frame

    run_id = uuid.uuid4()
    by_partition: dict[int, list[ShapPart]] = {}
    for part in parts:  # parts arrive in dataset order
        by_partition.setdefault(part.partition, []).append(part)
    written = []
    for number, (_, group) in enumerate(sorted(by_partition.items(), key=lambda item: item[1][0].position)):
        frames = [local_values_frame(p.result, p.joinsource) for p in group]
        table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        path = directory / f"part-{number:05d}-{run_id}.csv"
        written.append(write_with(path, lambda handle, table=table: table.to_csv(handle, index=False)))
    return written
