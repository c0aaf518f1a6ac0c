"""SageMakerClarifyProcessor (alias ClarifyProcessor): the SDK's run_* methods, run locally by clarion.

Each ``run_*`` method builds the same ``analysis_config.json`` as the SageMaker SDK v2 for the same
arguments, writes it to ``data_config.s3_analysis_config_output_path`` (default ``s3_output_path``) as
``analysis_config.json``, validates it with :func:`clarion.config.load_config` and runs it with
:func:`clarion.engine.run_analysis` on ``s3_data_input_path``, writing results to ``s3_output_path``.
Paths may be local or any fsspec URI. The call returns what ``run_analysis`` returns (the analysis
results) instead of starting a SageMaker processing job.

AWS-only arguments are accepted so SDK code runs unchanged, and are not used: ``role``,
``instance_count``, ``instance_type``, ``volume_size_in_gb``, ``volume_kms_key``, ``output_kms_key``,
``max_runtime_in_seconds``, ``sagemaker_session``, ``env``, ``tags``, ``network_config``,
``job_name_prefix``, ``version``, and per run ``wait`` (runs are always synchronous), ``job_name``,
``kms_key``, ``experiment_config``. ``logs=False`` silences progress output. ``skip_early_validation``
is accepted but the config is always validated (clarion cannot run an invalid one).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import fsspec

from clarion.api import generator
from clarion.api.bias import BiasConfig
from clarion.api.data import DataConfig
from clarion.api.generator import Explainability, LabelSource, MetricSelector
from clarion.api.model import ModelConfig, ModelPredictedLabelConfig
from clarion.config import load_config
from clarion.config.load import config_text
from clarion.errors import ClarionError, OutputError
from clarion.results import layout
from clarion.results.store import location

Engine = Literal["local", "spark"]
CONFIG_FILE = layout.CONFIG_FILE


def _engine_runner() -> Callable[..., dict[str, Any]]:
    """The engine entry point, imported when a run starts (the config classes do not need the engine); it
    commits the run to ``output_dir`` (any fsspec URI) as one complete run."""
    from clarion.engine import run_analysis

    return run_analysis


def config_location(data_config: DataConfig) -> str:
    """Where ``analysis_config.json`` goes: ``s3_analysis_config_output_path`` or ``s3_output_path``."""
    folder = data_config.s3_analysis_config_output_path or data_config.s3_output_path
    if "://" in folder:
        return posixpath.join(folder.rstrip("/"), CONFIG_FILE)
    return str(Path(folder) / CONFIG_FILE)


def write_analysis_config(config: dict[str, Any], location: str) -> None:
    """Write the config to a local path or fsspec URI (parent directories created), byte for byte as the SDK does."""
    try:
        with fsspec.open(location, "w", encoding="utf-8", auto_mkdir=True) as handle:
            handle.write(config_text(config))
    except OSError as exc:
        raise OutputError(f"{location}: cannot write the analysis config: {exc}") from None


def existing_run(output: str) -> str | None:
    """The location of a run's analysis.json or manifest at ``output``, None when there is no run there."""
    loc = location(output)
    for name in (layout.MANIFEST_FILE, layout.ANALYSIS_FILE):
        if loc.fs.exists(loc.join(name)):
            return loc.display(name)
    return None


class SageMakerClarifyProcessor:
    """Runs Clarify analyses locally; the constructor takes the SDK's arguments plus ``engine``, ``quiet``, ``model``,
    ``workers``.

    ``engine``: ``"local"`` (default) or ``"spark"`` (passed to ``run_analysis``). ``quiet``: no progress output.
    ``model``: a model file, ``package.module:function`` or an http(s):// URL used instead of the ModelConfig's
    SageMaker model (as ``clarion run --model``); the written analysis_config.json stays the SDK's. ``workers``:
    processes explaining rows with an in-process model (as ``clarion run --workers``; None: every core).
    The last config built is kept in ``_last_analysis_config``, as in the SDK.
    """

    def __init__(
        self,
        role: str | None = None,
        instance_count: int | None = None,
        instance_type: str | None = None,
        volume_size_in_gb: int = 30,
        volume_kms_key: str | None = None,
        output_kms_key: str | None = None,
        max_runtime_in_seconds: int | None = None,
        sagemaker_session: Any = None,
        env: dict[str, str] | None = None,
        tags: Any = None,
        network_config: Any = None,
        job_name_prefix: str | None = None,
        version: str | None = None,
        skip_early_validation: bool = False,
        *,
        engine: Engine = "local",
        quiet: bool = False,
        model: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.role = role
        self.instance_count = instance_count
        self.instance_type = instance_type
        self.volume_size_in_gb = volume_size_in_gb
        self.volume_kms_key = volume_kms_key
        self.output_kms_key = output_kms_key
        self.max_runtime_in_seconds = max_runtime_in_seconds
        self.sagemaker_session = sagemaker_session
        self.env = env
        self.tags = tags
        self.network_config = network_config
        self.job_name_prefix = job_name_prefix
        self.version = version
        self.skip_early_validation = skip_early_validation
        self.engine = engine
        self.quiet = quiet
        self.model = model
        self.workers = workers
        self._last_analysis_config: dict[str, Any] | None = None

    def run(self, **_: Any) -> None:
        """Not available: choose one of the run_* methods (as in the SDK)."""
        raise NotImplementedError(
            "Please choose a method of run_pre_training_bias, run_post_training_bias, run_bias, "
            "run_explainability or run_bias_and_explainability."
        )

    def _run(self, data_config: DataConfig, analysis_config: dict[str, Any], logs: bool) -> dict[str, Any]:
        self._last_analysis_config = analysis_config
        config_path = config_location(data_config)
        inside_output = data_config.s3_analysis_config_output_path is None
        if not inside_output:
            write_analysis_config(analysis_config, config_path)
        try:
            load_config(analysis_config)
        except ClarionError:
            # a refused config can be inspected where the SDK would have put it, unless that would mix it into
            # a previous run (the run's own copy is written with the run)
            if inside_output and existing_run(data_config.s3_output_path) is None:
                write_analysis_config(analysis_config, config_path)
            raise
        run_analysis = _engine_runner()
        return run_analysis(
            analysis_config,
            data_uri=data_config.s3_data_input_path,
            output_dir=data_config.s3_output_path,
            engine=self.engine,
            quiet=self.quiet or not logs,
            model=self.model,
            workers=self.workers,
        )

    def run_pre_training_bias(
        self,
        data_config: DataConfig,
        data_bias_config: BiasConfig,
        methods: MetricSelector = "all",
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Pre-training bias metrics (``methods``: ``"all"`` or codes such as ``["CI", "DPL"]``)."""
        config = generator.build_pre_training_bias(data_config, data_bias_config, methods)
        return self._run(data_config, config, logs)

    def run_post_training_bias(
        self,
        data_config: DataConfig,
        data_bias_config: BiasConfig,
        model_config: ModelConfig | None = None,
        model_predicted_label_config: ModelPredictedLabelConfig | None = None,
        methods: MetricSelector = "all",
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Post-training bias metrics from the model's predictions or a predicted-label column/dataset."""
        config = generator.build_post_training_bias(
            data_config, data_bias_config, model_predicted_label_config, methods, model_config
        )
        return self._run(data_config, config, logs)

    def run_bias(
        self,
        data_config: DataConfig,
        bias_config: BiasConfig,
        model_config: ModelConfig | None = None,
        model_predicted_label_config: ModelPredictedLabelConfig | None = None,
        pre_training_methods: MetricSelector = "all",
        post_training_methods: MetricSelector = "all",
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Pre- and post-training bias metrics in one run."""
        config = generator.build_bias(
            data_config, bias_config, model_config, model_predicted_label_config, pre_training_methods,
            post_training_methods,
        )  # fmt: skip
        return self._run(data_config, config, logs)

    def run_explainability(
        self,
        data_config: DataConfig,
        model_config: ModelConfig,
        explainability_config: Explainability,
        model_scores: LabelSource = None,
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """SHAP and/or PDP. ``model_scores``: a ModelPredictedLabelConfig, or the index/JMESPath of the score."""
        config = generator.build_explainability(data_config, model_config, model_scores, explainability_config)
        return self._run(data_config, config, logs)

    def run_bias_and_explainability(
        self,
        data_config: DataConfig,
        model_config: ModelConfig,
        explainability_config: Explainability,
        bias_config: BiasConfig,
        pre_training_methods: MetricSelector = "all",
        post_training_methods: MetricSelector = "all",
        model_predicted_label_config: ModelPredictedLabelConfig | None = None,
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Bias metrics and explanations in one run (one analysis.json, one report)."""
        config = generator.build_bias_and_explainability(
            data_config, model_config, model_predicted_label_config, explainability_config, bias_config,
            pre_training_methods, post_training_methods,
        )  # fmt: skip
        return self._run(data_config, config, logs)


ClarifyProcessor = SageMakerClarifyProcessor
