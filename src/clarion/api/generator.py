"""Assemble ``analysis_config.json`` from the config objects, key for key as the SDK v2 generator does.

Rules carried over from the SDK (``_AnalysisConfigGenerator``):
- bias runs: dataset keys, then ``label_values_or_threshold`` / ``facet`` / ``group_variable``, then
  ``methods``, then ``predictor`` and ``probability_threshold``; explainability runs put ``predictor``
  and ``probability_threshold`` before ``methods``.
- ``methods`` always starts with ``report: {"name": "report", "title": "Analysis Report"}``; a bias stage
  is written only when its selector is non-empty (``"all"`` by default).
- A ModelPredictedLabelConfig adds its keys to ``predictor`` (when there is one) and
  ``probability_threshold`` at the top level; a plain int/str in its place becomes ``predictor.label``.
- Without a ModelConfig, bias needs ``predicted_label`` or ``predicted_label_dataset_uri`` and
  explainability is refused.
"""

from __future__ import annotations

from typing import Any

from clarion.api._common import ArgumentError, put
from clarion.api.bias import BiasConfig
from clarion.api.data import DataConfig
from clarion.api.explain import AsymmetricShapleyValueConfig, ExplainabilityConfig, PDPConfig
from clarion.api.model import ModelConfig, ModelPredictedLabelConfig

MetricSelector = str | list[str]
Explainability = ExplainabilityConfig | list[ExplainabilityConfig]
LabelSource = ModelPredictedLabelConfig | int | str | None

REPORT = {"name": "report", "title": "Analysis Report"}


def build_pre_training_bias(
    data_config: DataConfig, bias_config: BiasConfig, methods: MetricSelector = "all"
) -> dict[str, Any]:
    """Config of ``run_pre_training_bias``."""
    config = {**data_config.get_config(), **bias_config.get_config()}
    return _add_methods(config, pre_training_methods=methods)


def build_post_training_bias(
    data_config: DataConfig,
    bias_config: BiasConfig,
    model_predicted_label_config: LabelSource = None,
    methods: MetricSelector = "all",
    model_config: ModelConfig | None = None,
) -> dict[str, Any]:
    """Config of ``run_post_training_bias``."""
    config = {**data_config.get_config(), **bias_config.get_config()}
    config = _add_methods(config, post_training_methods=methods)
    return _add_predictor(config, model_config, model_predicted_label_config)


def build_bias(
    data_config: DataConfig,
    bias_config: BiasConfig,
    model_config: ModelConfig | None = None,
    model_predicted_label_config: LabelSource = None,
    pre_training_methods: MetricSelector = "all",
    post_training_methods: MetricSelector = "all",
) -> dict[str, Any]:
    """Config of ``run_bias`` (pre- and post-training)."""
    config = {**data_config.get_config(), **bias_config.get_config()}
    config = _add_methods(
        config, pre_training_methods=pre_training_methods, post_training_methods=post_training_methods
    )
    return _add_predictor(config, model_config, model_predicted_label_config)


def build_explainability(
    data_config: DataConfig,
    model_config: ModelConfig,
    model_predicted_label_config: LabelSource,
    explainability_config: Explainability,
) -> dict[str, Any]:
    """Config of ``run_explainability``; time-series data and model need an AsymmetricShapleyValueConfig."""
    if not isinstance(model_config, ModelConfig):
        raise ArgumentError("model_config: a ModelConfig is required for explainability")
    data = data_config.get_config()
    has_ts_data = "time_series_data_config" in data
    has_ts_model = "time_series_predictor_config" in model_config.get_predictor_config()
    if isinstance(explainability_config, AsymmetricShapleyValueConfig):
        if not has_ts_data:
            raise ArgumentError("data_config: a TimeSeriesDataConfig is required with AsymmetricShapleyValueConfig")
        if not has_ts_model:
            raise ArgumentError("model_config: a TimeSeriesModelConfig is required with AsymmetricShapleyValueConfig")
        _check_static_covariates_baseline(explainability_config, data)
    elif has_ts_data or has_ts_model:
        raise ArgumentError("explainability_config: time-series data or model needs an AsymmetricShapleyValueConfig")
    config = _add_predictor(data, model_config, model_predicted_label_config, methods_pending=True)
    return _add_methods(config, explainability_config=explainability_config)


def build_bias_and_explainability(
    data_config: DataConfig,
    model_config: ModelConfig | None,
    model_predicted_label_config: LabelSource,
    explainability_config: Explainability,
    bias_config: BiasConfig,
    pre_training_methods: MetricSelector = "all",
    post_training_methods: MetricSelector = "all",
) -> dict[str, Any]:
    """Config of ``run_bias_and_explainability``; bias is not defined for time series."""
    data = data_config.get_config()
    model_is_ts = model_config is not None and "time_series_predictor_config" in model_config.get_predictor_config()
    if (
        isinstance(explainability_config, AsymmetricShapleyValueConfig)
        or "time_series_data_config" in data
        or model_is_ts
    ):
        raise ArgumentError("bias metrics are not defined for time series")
    config = {**data, **bias_config.get_config()}
    config = _add_methods(
        config,
        pre_training_methods=pre_training_methods,
        post_training_methods=post_training_methods,
        explainability_config=explainability_config,
    )
    return _add_predictor(config, model_config, model_predicted_label_config)


def _add_predictor(
    config: dict[str, Any],
    model_config: ModelConfig | None,
    label_source: LabelSource,
    *,
    methods_pending: bool = False,
) -> dict[str, Any]:
    config = {**config}
    if isinstance(model_config, ModelConfig):
        config["predictor"] = model_config.get_predictor_config()
    else:
        methods = config.get("methods", {})
        if methods_pending or {"shap", "pdp", "asymmetric_shapley_value"} & set(methods):
            raise ArgumentError("model_config: required when explainability methods are selected")
        if "predicted_label_dataset_uri" not in config and "predicted_label" not in config:
            raise ArgumentError(
                "model_config: required unless data_config gives predicted_label or predicted_label_dataset_uri"
            )
    if isinstance(label_source, ModelPredictedLabelConfig):
        threshold, predictor_keys = label_source.get_predictor_config()
        if predictor_keys and "predictor" in config:
            config["predictor"].update(predictor_keys)
        put(threshold, "probability_threshold", config)
    elif "predictor" in config:
        put(label_source, "label", config["predictor"])
    return config


def _add_methods(
    config: dict[str, Any],
    pre_training_methods: MetricSelector | None = None,
    post_training_methods: MetricSelector | None = None,
    explainability_config: Explainability | None = None,
) -> dict[str, Any]:
    if not any([pre_training_methods, post_training_methods, explainability_config]):
        raise ArgumentError(
            "methods: select at least one of pre_training_methods, post_training_methods, explainability_config"
        )
    config = {**config}
    methods: dict[str, Any] = {**config.get("methods", {})}
    methods["report"] = dict(REPORT)
    if pre_training_methods:
        methods["pre_training_bias"] = {"methods": pre_training_methods}
    if post_training_methods:
        methods["post_training_bias"] = {"methods": post_training_methods}
    if explainability_config is not None:
        if isinstance(explainability_config, AsymmetricShapleyValueConfig):
            methods.update(explainability_config.get_explainability_config())
        else:
            methods.update(_merge_explainability(explainability_config))
    config["methods"] = methods
    return config


def _merge_explainability(explainability_config: Explainability) -> dict[str, Any]:
    """One dict of method entries; PDP without features needs SHAP; no duplicates; no time-series method."""
    no_pdp_features = "pdp.features: required when no SHAPConfig is given"
    if isinstance(explainability_config, AsymmetricShapleyValueConfig):
        raise ArgumentError("explainability_config: AsymmetricShapleyValueConfig is for time series only")
    if not isinstance(explainability_config, list):
        entry = explainability_config.get_explainability_config()
        if isinstance(explainability_config, PDPConfig) and "features" not in entry["pdp"]:
            raise ArgumentError(no_pdp_features)
        return entry
    if not explainability_config:
        raise ArgumentError("explainability_config: give at least one explainability config")
    if any(isinstance(item, AsymmetricShapleyValueConfig) for item in explainability_config):
        raise ArgumentError("explainability_config: AsymmetricShapleyValueConfig is for time series only")
    merged: dict[str, Any] = {}
    for item in explainability_config:
        merged.update(item.get_explainability_config())
    if len(merged) != len(explainability_config):
        raise ArgumentError("explainability_config: the same method is given twice")
    if "shap" not in merged and "features" not in merged["pdp"]:
        raise ArgumentError(no_pdp_features)
    return merged


def _check_static_covariates_baseline(
    explainability_config: AsymmetricShapleyValueConfig, data: dict[str, Any]
) -> None:
    """Each item's static-covariate baseline must be a list with one value per static covariate column."""
    baseline = explainability_config.baseline
    if not isinstance(baseline, dict) or "static_covariates" not in baseline:
        return
    count = len(data["time_series_data_config"].get("static_covariates", []))
    if count == 0:
        raise ArgumentError(
            "asymmetric_shapley_value.baseline.static_covariates: given, but the TimeSeriesDataConfig"
            " has no static covariates"
        )
    for item_id, entry in baseline["static_covariates"].items():
        if not isinstance(entry, list):
            raise ArgumentError(f"asymmetric_shapley_value.baseline.static_covariates.{item_id}: expected a list")
        if len(entry) != count:
            raise ArgumentError(
                f"asymmetric_shapley_value.baseline.static_covariates.{item_id}: expected {count} values,"
                f" got {len(entry)}"
            )
