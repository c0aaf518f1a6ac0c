"""Engines run an analysis plan: ``local`` (one process, default) or ``spark``.

Both run the same core (``clarion.engine.core``); the engine modules are imported when a run starts,
so ``import clarion`` stays light and pyspark stays optional.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clarion.config import AnalysisConfig
from clarion.config.load import load_config_and_raw
from clarion.data import DEFAULT_CHUNK_ROWS
from clarion.engine.plan import AnalysisPlan, make_plan
from clarion.errors import ConfigError, NotSupportedError
from clarion.progress import set_quiet

CAPTURE_TYPE = "application/sagemakercapturejson"

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("local", "spark")


def run_analysis(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    *,
    data_uri: str | None = None,
    output_dir: str | Path,
    engine: str = "local",
    spark_master: str | None = None,
    spark_session: SparkSession | None = None,
    quiet: bool | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    model: str | None = None,
    resume: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run ``config`` on the dataset and write Clarify's outputs to ``output_dir``; return analysis.json.

    ``data_uri`` (a path or fsspec URI, file or directory) overrides the config's ``dataset_uri``.
    ``model`` (a model file, ``package.module:function`` or an http(s):// URL) replaces the config's model,
    SageMaker names included (``clarion.predictors.binding.bind_model``); analysis_config.json keeps the config.
    ``output_dir`` is a folder or any fsspec URI (``s3://``, ``gs://``, ``memory://``, ...); the run is staged
    and committed as a whole (``clarion.results.store``): a reader sees the previous run or this one, never a
    mix, and nothing changes there unless the whole analysis succeeds. The local engine saves Kernel SHAP
    chunks as they finish; ``resume=True`` reuses those of an interrupted run of the same config and data.
    ``workers``: local engine, processes explaining rows with a model that lives in this process (scikit-learn,
    XGBoost, LightGBM, a callable); None means every core, 1 keeps the work in this process. The values are
    the same whatever the count; models called over HTTP or SageMaker always stay in this process.
    """
    if quiet is not None:
        set_quiet(quiet)
    if isinstance(config, AnalysisConfig):
        parsed, raw = config, config.model_dump(mode="json", exclude_none=True)
    else:
        parsed, raw = load_config_and_raw(config)
    if data_uri is None and not isinstance(config, (AnalysisConfig, dict)):
        data_uri = _relative_to_config(parsed.dataset_uri, config)
    with tempfile.TemporaryDirectory(prefix="clarion-run-") as scratch:
        if parsed.dataset_type == CAPTURE_TYPE:  # data capture: the captured rows as a CSV dataset
            from clarion.engine.capture_input import captured_as_csv

            source = data_uri or parsed.dataset_uri
            if not source:
                raise ConfigError("dataset_uri: no dataset given (set dataset_uri in the config or pass --data)")
            parsed, data_uri = captured_as_csv(parsed, raw, source, Path(scratch))
        if model is not None:
            from clarion.predictors.binding import bind_model  # the predictors load when a run starts

            parsed = bind_model(parsed, model)
        plan: AnalysisPlan = make_plan(parsed, data_uri)
        if engine not in ENGINES:
            raise ConfigError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
        checkpoint = None
        from clarion.results.store import staged_run  # here: ``clarion validate`` imports this package

        with staged_run(output_dir) as staging:
            # The engines (numpy, scikit-learn, the predictors; pyspark) load when a run starts, not on import clarion.
            if engine == "local":
                from clarion.engine.checkpoint import ShapCheckpoint, checkpoint_folder, run_fingerprint
                from clarion.engine.local import run_local

                if plan.shap and not plan.images:
                    model_uri = parsed.predictor.model_uri if parsed.predictor is not None else None
                    fingerprint = run_fingerprint(raw, plan.data_uri, model or model_uri, chunk_rows)
                    checkpoint = ShapCheckpoint(checkpoint_folder(output_dir), fingerprint, resume=resume)
                analysis = run_local(plan, raw, staging, chunk_rows=chunk_rows, checkpoint=checkpoint, workers=workers)
            else:
                if importlib.util.find_spec("pyspark") is None:
                    raise NotSupportedError("engine spark: pyspark is not installed (pip install 'clarion[spark]')")
                from clarion.engine.spark import run_spark

                analysis = run_spark(plan, raw, staging, master=spark_master, session=spark_session)
        if checkpoint is not None:
            checkpoint.remove()
        return analysis


def _relative_to_config(dataset_uri: str | None, config_source: str | Path) -> str | None:
    """A relative local ``dataset_uri`` in a local config file is read relative to that file's folder."""
    if dataset_uri is None or "://" in dataset_uri or Path(dataset_uri).is_absolute():
        return None
    source = str(config_source)
    if "://" in source and not source.startswith("file://"):
        return None
    return str(Path(source.removeprefix("file://")).resolve().parent / dataset_uri)


__all__ = ["ENGINES", "run_analysis"]
