"""One run of an analysis, whatever the runner: pass one, the bias sections, the explanations step, the outputs.

A runner (``LocalRunner``, ``SparkRunner``) says where chunks are read and computed and how partial
results travel; ``analyse`` says what is computed, in which order, from the merged results.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from clarion.engine.core.explanations import ExplainRunner, explanations
from clarion.engine.core.passes import PassOne, bias_sections
from clarion.engine.core.spec import RunSpec
from clarion.engine.multimodal import run_images
from clarion.engine.outputs import write_analysis, write_reports
from clarion.engine.plan import AnalysisPlan
from clarion.errors import DataError

VERSION = "1.0"


class Runner(ExplainRunner, Protocol):
    """Where pass one runs: ``pass_one`` resolves the run spec and merges every chunk's ``PassOne``."""

    def pass_one(self, plan: AnalysisPlan) -> tuple[RunSpec, PassOne]: ...


def merge_pass_one(plan: AnalysisPlan, parts: Iterable[tuple[RunSpec, PassOne]]) -> tuple[RunSpec, PassOne]:
    """Merge per-chunk results (in dataset order); the run spec is the first chunk's."""
    run: RunSpec | None = None
    merged = PassOne()
    for spec, part in parts:
        run = run or spec
        merged = merged.merge(part)
    if run is None:
        raise DataError(f"{plan.data_uri}: the dataset is empty")
    return run, merged


def analyse(plan: AnalysisPlan, runner: Runner, output_dir: str | Path) -> dict[str, Any]:
    """The analysis.json document of a tabular (or text) run; explanations write their files as they finish."""
    run, result = runner.pass_one(plan)
    analysis: dict[str, Any] = {"version": VERSION}
    analysis.update(bias_sections(run, result))
    if plan.shap or plan.pdp:
        analysis["explanations"] = explanations(run, result, runner, output_dir)
    return analysis


def analyse_images(plan: AnalysisPlan, output_dir: str | Path) -> dict[str, Any]:
    """The analysis.json document of an image dataset (heat maps and out.jsonl are written on the way)."""
    return {"version": VERSION, "explanations": run_images(plan, Path(output_dir))}


def write_outputs(
    output_dir: str | Path, plan: AnalysisPlan, analysis: dict[str, Any], raw_config: dict[str, Any]
) -> None:
    """The config copy, analysis.json (last but for the reports) and the reports ``methods.report`` asks for."""
    write_analysis(output_dir, analysis, raw_config)
    write_reports(output_dir, plan.config)
