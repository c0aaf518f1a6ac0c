"""The analysis plan: what a config asks for, checked once before any data is read."""

from __future__ import annotations

from dataclasses import dataclass

from clarion.config import AnalysisConfig
from clarion.errors import ConfigError, NotSupportedError


@dataclass(frozen=True)
class AnalysisPlan:
    """The methods to run and what they need (a model, a dataset)."""

    config: AnalysisConfig
    data_uri: str
    pre_training_bias: bool
    post_training_bias: bool
    shap: bool
    pdp: bool
    report: bool

    @property
    def predictions_for_bias(self) -> bool:
        """Post-training bias needs the model unless the dataset already holds predicted labels."""
        c = self.config
        return self.post_training_bias and c.predicted_label is None and c.predicted_label_dataset_uri is None

    @property
    def images(self) -> bool:
        return self.config.dataset_type == "application/x-image"

    @property
    def time_series(self) -> bool:
        """Time-series explanations (``methods.asymmetric_shapley_value``), run by ``analyse_time_series``."""
        return self.config.methods.asymmetric_shapley_value is not None

    @property
    def needs_model(self) -> bool:
        return self.predictions_for_bias or self.shap or self.pdp or self.time_series

    @property
    def seed(self) -> int:
        """``methods.shap.seed`` (0 when unset): the row sample's keys, the baseline and the coalition plans."""
        shap = self.config.methods.shap
        return shap.seed if shap is not None and shap.seed is not None else 0


def make_plan(config: AnalysisConfig, data_uri: str | None) -> AnalysisPlan:
    """Check that clarion can run ``config`` and decide the dataset location (argument over ``dataset_uri``)."""
    _refuse_unsupported(config)
    uri = data_uri or config.dataset_uri
    if not uri:
        raise ConfigError("dataset_uri: no dataset given (set dataset_uri in the config or pass --data)")
    m = config.methods
    plan = AnalysisPlan(
        config=config,
        data_uri=uri,
        pre_training_bias=m.pre_training_bias is not None,
        post_training_bias=m.post_training_bias is not None,
        shap=m.shap is not None,
        pdp=m.pdp is not None,
        report=m.report is not None,
    )
    if plan.time_series:
        if config.predictor is None:
            raise ConfigError("predictor: required for methods.asymmetric_shapley_value")
        return plan
    if not (plan.pre_training_bias or plan.post_training_bias or plan.shap or plan.pdp):
        raise ConfigError("methods: no analysis method requested (pre_training_bias, post_training_bias, shap, pdp)")
    if plan.needs_model and config.predictor is None:
        raise ConfigError("predictor: required for post_training_bias (without predicted_label), shap and pdp")
    if plan.pre_training_bias or plan.post_training_bias:
        _check_bias_keys(config)
    return plan


def _check_bias_keys(config: AnalysisConfig) -> None:
    for key, given in (
        ("label", config.label is not None),
        ("label_values_or_threshold", bool(config.label_values_or_threshold)),
        ("facet", bool(config.facet)),
    ):
        if not given:
            raise ConfigError(f"{key}: required for bias metrics")


def _refuse_unsupported(config: AnalysisConfig) -> None:
    _check_time_series(config)
    _check_dict_template(config)
    shap = config.methods.shap
    if config.dataset_type == "application/x-image":
        if shap is None or shap.image_config is None:
            raise ConfigError("methods.shap.image_config: required for dataset_type application/x-image")
        if config.methods.pre_training_bias or config.methods.post_training_bias or config.methods.pdp:
            raise NotSupportedError("methods: image datasets support shap (with image_config) only, as in Clarify")
    elif shap is not None and shap.image_config is not None:
        raise ConfigError("methods.shap.image_config: needs dataset_type application/x-image (a folder of images)")


def _check_time_series(config: AnalysisConfig) -> None:
    """Time series go together: the data config, the asymmetric Shapley method, JSON data, no other analysis."""
    m = config.methods
    data, method = config.time_series_data_config is not None, m.asymmetric_shapley_value is not None
    if data and not method:
        raise ConfigError("methods.asymmetric_shapley_value: required with time_series_data_config")
    if method and not data:
        raise ConfigError("time_series_data_config: required for methods.asymmetric_shapley_value")
    if not data:
        return
    if config.dataset_type != "application/json":
        raise ConfigError(f"dataset_type: time series are read from application/json, got {config.dataset_type}")
    others = [k for k in ("pre_training_bias", "post_training_bias", "shap", "pdp") if getattr(m, k) is not None]
    if others:
        raise NotSupportedError(f"methods.{others[0]}: not available with time series (as in Clarify)")


def _check_dict_template(config: AnalysisConfig) -> None:
    """A dict content_template (the SDK's schema allows one) has no documented meaning for JSON requests."""
    p = config.predictor
    if p is None or not isinstance(p.content_template, dict):
        return
    json_types = ("application/json", "application/jsonlines")
    request = p.content_type or (config.dataset_type if config.dataset_type in json_types else "text/csv")
    if request in json_types or config.time_series_data_config is not None:
        raise NotSupportedError(
            f"predictor.content_template: a dict template is not supported for {request} requests; give a string"
        )


def describe_methods(config: AnalysisConfig) -> str:
    """A one-line summary such as ``pre_training_bias (8 metrics), shap, report``."""
    m = config.methods
    parts = []
    if m.pre_training_bias:
        parts.append(f"pre_training_bias ({len(m.pre_training_bias.methods)} metrics)")
    if m.post_training_bias:
        parts.append(f"post_training_bias ({len(m.post_training_bias.methods)} metrics)")
    for name in ("shap", "pdp", "report", "asymmetric_shapley_value"):
        if getattr(m, name) is not None:
            parts.append(name)
    return ", ".join(parts) or "no methods"
