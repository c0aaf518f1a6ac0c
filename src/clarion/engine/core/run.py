"""One run of an analysis, whatever the runner: pass one, the bias sections, the explanations step, the outputs.

A runner (``LocalRunner``, ``SparkRunner``) says where chunks are read and computed and how partial
results travel; ``analyse`` says what is computed, in which order, from the merged results;
``write_run`` writes the files every run has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from clarion.data.sources import list_files
from clarion.data.timeseries_reader import load_time_series
from clarion.engine.core.explanations import ExplainRunner, TaskRunner, explanations
from clarion.engine.core.passes import PassOne, bias_sections
from clarion.engine.core.spec import RunSpec
from clarion.engine.multimodal import explain_image_files, write_image_explanations
from clarion.engine.plan import AnalysisPlan
from clarion.errors import DataError
from clarion.explain.image import list_image_files
from clarion.explain.timeseries_run import explain_items
from clarion.predictors.forecast import open_forecast_model
from clarion.report.render import write_reports
from clarion.results.write import write_analysis

VERSION = "1.0"


class Runner(ExplainRunner, Protocol):
    """Where pass one runs: ``pass_one`` resolves the run spec and merges every chunk's ``PassOne``.

    ``text_columns``: CSV columns to read as text and type over the whole column, from then on (later
    passes read them the same way).
    """

    def pass_one(self, plan: AnalysisPlan, text_columns: tuple[str, ...]) -> tuple[RunSpec, PassOne]: ...


def pass_one_description(text_columns: tuple[str, ...]) -> str:
    if text_columns:
        return "Reading data again (columns typed over all rows)"
    return "Reading data and computing statistics"


def merge_pass_one(plan: AnalysisPlan, parts: Iterable[tuple[RunSpec, PassOne]]) -> tuple[RunSpec, PassOne]:
    """Merge per-chunk results (in dataset order); the run spec is the first chunk's."""
    run: RunSpec | None = None
    merged = PassOne()
    for spec, part in parts:
        if run is None:
            run = spec
        elif spec.roles.columns != run.roles.columns:
            first, other = list(run.roles.columns), list(spec.roles.columns)
            raise DataError(f"{plan.data_uri}: columns {other} differ from the first file's {first}")
        merged = merged.merge(part)
    if run is None:
        raise DataError(f"{plan.data_uri}: the dataset is empty")
    return run, merged


def analyse(plan: AnalysisPlan, runner: Runner, output_dir: str | Path) -> dict[str, Any]:
    """The analysis.json document of a tabular (or text) run; explanations write their files as they finish."""
    run, result = runner.pass_one(plan, ())
    mixed = result.counts.mixed_type_columns() if result.counts is not None else ()
    if mixed and plan.config.dataset_type == "text/csv":  # chunks typed a counted column differently
        run, result = runner.pass_one(plan, mixed)
    analysis: dict[str, Any] = {"version": VERSION}
    analysis.update(bias_sections(run, result))
    if plan.shap or plan.pdp:
        analysis["explanations"] = explanations(run, result, runner, output_dir)
    return analysis


def analyse_images(plan: AnalysisPlan, runner: TaskRunner, output_dir: str | Path) -> dict[str, Any]:
    """The analysis.json document of an image dataset; the heat maps and out.jsonl are written here."""
    files = list_image_files(plan.data_uri)
    result = runner.call(functools.partial(explain_image_files, plan, files))
    return {"version": VERSION, "explanations": write_image_explanations(plan, result, Path(output_dir))}


def analyse_time_series(plan: AnalysisPlan, output_dir: str | Path) -> dict[str, Any]:
    """The analysis.json document of a time-series run; out.jsonl is written here (items in file order)."""
    config = plan.config
    assert config.time_series_data_config is not None and config.methods.asymmetric_shapley_value is not None
    assert config.predictor is not None
    items = [
        item
        for data_file in list_files(plan.data_uri, config.dataset_type)
        for item in load_time_series(data_file, config.time_series_data_config)
    ]
    if not items:
        raise DataError(f"{plan.data_uri}: the dataset holds no time series")
    with open_forecast_model(config.predictor, config.time_series_data_config) as model:
        section = explain_items(
            items,
            model.for_item,
            config.methods.asymmetric_shapley_value,
            config.time_series_data_config,
            Path(output_dir),
        )
    return {"version": VERSION, "explanations": {"asymmetric_shapley_value": section}}


def write_run(
    output_dir: str | Path,
    plan: AnalysisPlan,
    raw_config: dict[str, Any],
    compute: Callable[[Path], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``compute(folder)`` (it writes the explanation files and returns analysis.json's document), then write
    the config copy, analysis.json and the reports into ``output_dir``.

    Callers that want a run committed as a whole (the CLI, the processor, jobs) pass a staging folder of
    ``clarion.results.staged_run`` as ``output_dir``.
    """
    folder = Path(output_dir)
    analysis = compute(folder)
    write_analysis(folder, analysis, raw_config)
    write_reports(folder, plan.config)
    return analysis
