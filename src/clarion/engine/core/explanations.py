"""The explanations step: Kernel SHAP over every row (pass two), text SHAP, and PDP over the row sample.

The runner decides where chunks are explained and where the model is called; this module decides
what is computed: the baseline (the config's rows or file, or clusters of the pass-one row sample,
drawn with ``default_rng(seed)``), each chunk's values with coalitions drawn from a fresh
``default_rng(seed)`` and each row's dataset position (so values do not depend on the chunking), the
aggregation into ``kernel_shap`` and ``pdp``, and which files go to ``explanations_shap/``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from clarion.config.methods import ShapConfig
from clarion.engine.core.blocks import Predict, model_predict, shap_values
from clarion.engine.core.passes import PassOne
from clarion.engine.core.spec import RunSpec
from clarion.engine.multimodal import explain_texts, write_text_explanations
from clarion.engine.plan import AnalysisPlan
from clarion.errors import ConfigError, DataError
from clarion.explain import ShapResult, concat_results, kernel_shap_section, pdp_section
from clarion.explain.baseline import baseline_from_config, write_baseline_csv
from clarion.explain.pdp import top_features
from clarion.explain.text import TextShapResult
from clarion.predictors import Predictor, model_outputs
from clarion.progress import progress_bar
from clarion.results import layout

T = TypeVar("T")


@dataclass(frozen=True)
class ShapPart:
    """Kernel SHAP values of one chunk (rows from dataset ``position`` on) and the partition it ran in."""

    position: int
    partition: int
    result: ShapResult
    joinsource: pd.Series | None


class TaskRunner(Protocol):
    """Where work that needs the model runs."""

    def call(self, task: Callable[[], T]) -> T:
        """``task()`` where the work runs (this process, or one executor task); its result comes back here."""
        ...


class KeptValues(Protocol):
    """Local SHAP values kept where they were computed (Spark executors), never gathered in one place."""

    def section(self, shap_config: ShapConfig, output: Path) -> dict[str, Any]:
        """The ``kernel_shap`` section (``kernel_shap_section``'s numbers); the local values written into the run
        folder ``output`` when ``save_local_shap_values`` is set."""
        ...


class ExplainRunner(TaskRunner, Protocol):
    """Where pass two's chunks are explained and where the model is called."""

    def explain_rows(self, run: RunSpec, result: PassOne, baseline: pd.DataFrame) -> list[ShapPart] | KeptValues:
        """``explain_chunk`` over every chunk of the dataset (``result``: pass one's); parts in dataset order, or
        the values kept where they were computed."""
        ...

    def all_rows(self, run: RunSpec) -> pd.DataFrame:
        """Every row of the dataset, in order (text runs explain them in one call)."""
        ...

    def with_model(self, task: Callable[[Predictor], T]) -> T:
        """``task(predictor)`` where the model can be called; its result comes back here."""
        ...

    def save_local_values(self, parts: list[ShapPart], values: ShapResult, output: Path) -> None:
        """Write the local SHAP values (``values``: all ``parts`` in order) into the run folder ``output``."""
        ...


def output_names(predictor: Predictor, rows: pd.DataFrame) -> tuple[str, ...]:
    """The model's output names (label headers or label0...), from one call on the first row."""
    return tuple(model_outputs(predictor.predict(rows.iloc[:1]))[1])


def shap_baseline(plan: AnalysisPlan, sample: pd.DataFrame) -> pd.DataFrame:
    """The SHAP baseline: the config's rows or file, or clusters of the row sample (``default_rng(seed)``)."""
    config = plan.config
    assert config.methods.shap is not None
    return baseline_from_config(
        config.methods.shap,
        sample,
        np.random.default_rng(plan.seed),
        features_expr=config.features,
        dataset_type=config.dataset_type,
    )


def explain_chunk(
    run: RunSpec,
    chunk: pd.DataFrame,
    position: int,
    predict: Predict,
    names: Sequence[str],
    baseline: pd.DataFrame,
    *,
    partition: int = 0,
    row_outputs: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> ShapPart:
    """Kernel SHAP values of one chunk (rows from ``position`` on); coalitions from the seed and row positions."""
    rows = chunk[run.features]
    shap_config = run_shap_config(run)
    result = shap_values(
        rows, baseline, predict, names, shap_config, run.plan.seed, position, row_outputs=row_outputs, progress=progress
    )
    return ShapPart(position, partition, result, joinsource_of(run, chunk))


def run_shap_config(run: RunSpec) -> ShapConfig:
    """``methods.shap`` with ``features_to_explain`` as the run spec resolved them (names)."""
    shap_config = run.plan.config.methods.shap
    assert shap_config is not None
    if run.shap_features is not None:
        shap_config = shap_config.model_copy(update={"features_to_explain": list(run.shap_features)})
    return shap_config


def joinsource_of(run: RunSpec, chunk: pd.DataFrame) -> pd.Series | None:
    """The chunk's join-source column (written beside the local values), None without one."""
    joinsource = run.roles.joinsource
    return chunk[joinsource].reset_index(drop=True) if joinsource is not None else None


def explanations(run: RunSpec, result: PassOne, runner: ExplainRunner, output_dir: str | Path) -> dict[str, Any]:
    """The ``explanations`` object of analysis.json; writes the baseline and the local values."""
    plan = run.plan
    output = Path(output_dir)
    section: dict[str, Any] = {}
    global_shap = None
    if plan.shap:
        shap_config = plan.config.methods.shap
        assert shap_config is not None
        if shap_config.text_config is not None:
            section["kernel_shap"] = _text_section(run, runner, result.output_names, output)
        else:
            section["kernel_shap"] = _tabular_section(run, result, runner, output)
        first = next(iter(section["kernel_shap"].values()))
        global_shap = first.get("global_shap_values")
    if plan.pdp:
        rows = result.sample.rows[run.features]
        pdp_config = plan.config.methods.pdp
        assert pdp_config is not None
        features = run.pdp_features
        if features is None:
            if global_shap is None:  # config validation refuses methods.pdp without features or shap
                raise ConfigError("methods.pdp.features: required when SHAP values are not available")
            features = tuple(top_features(global_shap, pdp_config.top_k_features))
        task = functools.partial(_partial_dependence, rows, features, pdp_config.grid_resolution, result.output_names)
        section["pdp"] = runner.with_model(task)
    return section


def _partial_dependence(
    rows: pd.DataFrame,
    features: tuple[str, ...],
    grid_resolution: int,
    names: tuple[str, ...] | None,
    predictor: Predictor,
) -> list[dict[str, Any]]:
    with progress_bar("Partial dependence", total=None, unit="features"):
        found = names or output_names(predictor, rows)
        return pdp_section(rows, model_predict(predictor), found, features, grid_resolution)


def _tabular_section(run: RunSpec, result: PassOne, runner: ExplainRunner, output: Path) -> dict[str, Any]:
    shap_config = run.plan.config.methods.shap
    assert shap_config is not None
    baseline = shap_baseline(run.plan, result.sample.rows[run.features])
    parts = runner.explain_rows(run, result, baseline)
    if not isinstance(parts, list):
        write_baseline_csv(baseline, output / layout.BASELINE_CSV)
        return parts.section(shap_config, output)
    if not parts:
        raise DataError(f"{run.plan.data_uri}: the dataset is empty")
    shap_result = concat_results([p.result for p in parts])
    write_baseline_csv(baseline, output / layout.BASELINE_CSV)
    if shap_config.save_local_shap_values:
        runner.save_local_values(parts, shap_result, output)
    return kernel_shap_section(shap_result, shap_config.agg_method)


def _text_section(run: RunSpec, runner: ExplainRunner, names: tuple[str, ...] | None, output: Path) -> dict[str, Any]:
    """Text runs explain the whole dataset in one call (texts are few; the coalition plan is per unit count)."""
    frame = runner.all_rows(run)
    rows = frame[run.features]
    joinsource = frame[run.roles.joinsource] if run.roles.joinsource is not None else None

    text_result = runner.with_model(functools.partial(_explain_texts, run.plan, rows, names))
    return write_text_explanations(run.plan, text_result, joinsource, output)


def _explain_texts(
    plan: AnalysisPlan, rows: pd.DataFrame, names: tuple[str, ...] | None, predictor: Predictor
) -> TextShapResult:
    return explain_texts(plan, rows, model_predict(predictor), names or output_names(predictor, rows))
