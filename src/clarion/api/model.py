"""Model-side config classes of ``sagemaker.clarify``: ModelConfig, ModelPredictedLabelConfig, TimeSeriesModelConfig.

They write the ``predictor`` section (and ``probability_threshold``) exactly as the SDK v2 does. ModelConfig
also takes clarion's ways to reach a model outside SageMaker (keyword arguments after the SDK's):

- ``endpoint_url``: base URL of a server speaking the SageMaker container contract (``/invocations``).
- ``model_uri``: a model file (joblib/pickle scikit-learn estimator, XGBoost, LightGBM) called in-process,
  or served on 127.0.0.1 when ``shadow=True``.
- ``model_callable``: ``"package.module:function"`` taking a DataFrame, or such a function object (written
  as its import path; lambdas and local functions cannot be named and are refused).
- ``serve_command``: a command (list of arguments, ``{port}`` replaced by a free port) starting a server
  that speaks the container contract; clarion starts and stops it.
- ``shadow``: serve ``model_uri`` with ``clarion serve`` instead of calling it in-process (written only when true).
- Transport policy: ``max_payload_mb``, ``max_records_per_request``, ``max_concurrency``,
  ``timeout_seconds``, ``max_retries`` (written only when given).

With one of ``endpoint_url`` / ``model_uri`` / ``model_callable`` / ``serve_command`` the SDK's rule
(``endpoint_name``, or all of ``model_name`` + ``instance_count`` + ``instance_type``) no longer applies;
SageMaker names given alongside are still written, so one config can serve both worlds.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from clarion.api._common import ArgumentError, put

ACCEPT_TYPES = ("text/csv", "application/jsonlines", "application/json")
CONTENT_TYPES = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "application/x-npy",
)
ENDPOINT_NAME_PREFIX_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9])"


@dataclass(frozen=True)
class TimeSeriesModelConfig:
    """``forecast``: JMESPath to the forecast in the model response (``time_series_predictor_config``)."""

    forecast: str

    def __post_init__(self) -> None:
        if not isinstance(self.forecast, str):
            raise ArgumentError("TimeSeriesModelConfig.forecast: expected a JMESPath string")

    def get_time_series_model_config(self) -> dict[str, Any]:
        return {"forecast": self.forecast}


def callable_path(function: str | Callable[..., Any]) -> str:
    """``"module:qualname"`` of an importable function; a string is returned unchanged."""
    if isinstance(function, str):
        return function
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not callable(function) or not module or not qualname or "<" in qualname:
        raise ArgumentError(
            f"ModelConfig.model_callable: {function!r} cannot be imported by name; "
            "give a module-level function or a 'package.module:function' string"
        )
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class ModelConfig:
    """The model to explain or to obtain predictions from: the ``predictor`` section.

    SDK arguments (same order and defaults): ``model_name``, ``instance_count``, ``instance_type``
    (a shadow endpoint on SageMaker), or ``endpoint_name`` (an existing endpoint); ``accept_type``,
    ``content_type``, ``content_template``, ``record_template``, ``custom_attributes``,
    ``accelerator_type``, ``endpoint_name_prefix``, ``target_model``, ``time_series_model_config``.
    ``instance_count`` is written as ``initial_instance_count``. clarion's additions are keyword-only
    (see the module docstring).
    """

    model_name: str | None = None
    instance_count: int | None = None
    instance_type: str | None = None
    accept_type: str | None = None
    content_type: str | None = None
    content_template: str | None = None
    record_template: str | None = None
    custom_attributes: str | None = None
    accelerator_type: str | None = None
    endpoint_name_prefix: str | None = None
    target_model: str | None = None
    endpoint_name: str | None = None
    time_series_model_config: TimeSeriesModelConfig | None = None
    _: KW_ONLY  # clarion's additions are keyword-only; the SDK's positional order is kept above
    endpoint_url: str | None = None
    model_uri: str | None = None
    model_callable: str | Callable[..., Any] | None = None
    serve_command: list[str] | None = None
    shadow: bool = False
    max_payload_mb: float | None = None
    max_records_per_request: int | None = None
    max_concurrency: int | None = None
    timeout_seconds: float | None = None
    max_retries: int | None = None

    def __post_init__(self) -> None:
        self.get_predictor_config()  # validate early, as the SDK does in its constructor

    @property
    def predictor_config(self) -> dict[str, Any]:
        """The ``predictor`` section (the SDK's attribute of the same name)."""
        return self.get_predictor_config()

    def _clarion_sources(self) -> list[str]:
        names = ("endpoint_url", "model_uri", "model_callable", "serve_command")
        return [name for name in names if getattr(self, name) is not None]

    def get_predictor_config(self) -> dict[str, Any]:
        """The ``predictor`` section in the SDK's key order, then clarion's keys."""
        sources = self._clarion_sources()
        if len(sources) > 1:
            raise ArgumentError(f"ModelConfig: give only one of {', '.join(sources)}")
        sagemaker_model = all([self.model_name, self.instance_count, self.instance_type])
        if not sources and sagemaker_model == bool(self.endpoint_name):
            raise ArgumentError(
                "ModelConfig: give endpoint_name, or model_name with instance_count and instance_type"
                " (or a clarion model: endpoint_url, model_uri, model_callable or serve_command)"
            )
        if self.endpoint_name and any([self.model_name, self.instance_count, self.instance_type]):
            raise ArgumentError(
                "ModelConfig: endpoint_name cannot be given with model_name/instance_count/instance_type"
            )
        if self.endpoint_name and self.endpoint_name_prefix:
            raise ArgumentError("ModelConfig: endpoint_name_prefix cannot be given with endpoint_name")

        predictor: dict[str, Any]
        if self.endpoint_name:
            predictor = {"endpoint_name": self.endpoint_name}
        elif not sources:
            predictor = {
                "model_name": self.model_name,
                "instance_type": self.instance_type,
                "initial_instance_count": self.instance_count,
            }
        else:
            predictor = {}
            put(self.model_name, "model_name", predictor)
            put(self.instance_type, "instance_type", predictor)
            put(self.instance_count, "initial_instance_count", predictor)
        if self.endpoint_name_prefix:
            if re.search(ENDPOINT_NAME_PREFIX_PATTERN, self.endpoint_name_prefix) is None:
                raise ArgumentError(
                    f"ModelConfig.endpoint_name_prefix: must match {ENDPOINT_NAME_PREFIX_PATTERN},"
                    f" got {self.endpoint_name_prefix!r}"
                )
            predictor["endpoint_name_prefix"] = self.endpoint_name_prefix
        time_series = self.time_series_model_config
        if self.accept_type is not None:
            if self.accept_type not in ACCEPT_TYPES:
                raise ArgumentError(
                    f"ModelConfig.accept_type: expected one of {', '.join(ACCEPT_TYPES)}, got {self.accept_type!r}"
                )
            if time_series and self.accept_type == "text/csv":
                raise ArgumentError("ModelConfig.accept_type: must be JSON or JSON Lines for time series")
            predictor["accept_type"] = self.accept_type
        if self.content_type is not None:
            self._check_content_type()
            predictor["content_type"] = self.content_type
        put(self.content_template, "content_template", predictor)
        put(self.record_template, "record_template", predictor)
        put(self.custom_attributes, "custom_attributes", predictor)
        put(self.accelerator_type, "accelerator_type", predictor)
        put(self.target_model, "target_model", predictor)
        if time_series:
            predictor["time_series_predictor_config"] = time_series.get_time_series_model_config()

        put(self.endpoint_url, "endpoint_url", predictor)
        put(self.model_uri, "model_uri", predictor)
        if self.model_callable is not None:
            predictor["model_callable"] = callable_path(self.model_callable)
        put(self.serve_command, "serve_command", predictor)
        if self.shadow:
            predictor["shadow"] = True
        for name in ("max_payload_mb", "max_records_per_request", "max_concurrency", "timeout_seconds", "max_retries"):
            put(getattr(self, name), name, predictor)
        return predictor

    def _check_content_type(self) -> None:
        kind, template = self.content_type, self.content_template
        if kind not in CONTENT_TYPES:
            raise ArgumentError(f"ModelConfig.content_type: expected one of {', '.join(CONTENT_TYPES)}, got {kind!r}")
        if kind == "application/jsonlines":
            if template is None:
                raise ArgumentError("ModelConfig.content_template: required for content_type application/jsonlines")
            if "$features" not in template:
                raise ArgumentError(f"ModelConfig.content_template: must contain $features, got {template!r}")
        if kind == "application/json":
            if template is None or self.record_template is None:
                raise ArgumentError(
                    "ModelConfig.content_template, record_template: both required for content_type application/json"
                )
            if "$record" not in template:
                raise ArgumentError(f"ModelConfig.content_template: must contain $records or $record, got {template!r}")
        if self.time_series_model_config and kind not in ("application/json", "application/jsonlines"):
            raise ArgumentError("ModelConfig.content_type: must be JSON or JSON Lines for time series")


@dataclass(frozen=True)
class ModelPredictedLabelConfig:
    """How to read the predicted label / scores from the model's answer.

    ``label`` and ``probability``: index or JMESPath into the response; ``label_headers``: one name per
    score. They go into ``predictor``; ``probability_threshold`` (score > threshold -> label 1, default
    0.5 in the job) goes to the top level of the config.
    """

    label: str | int | None = None
    probability: str | int | None = None
    probability_threshold: float | None = None
    label_headers: list[str] | None = None

    def __post_init__(self) -> None:
        if self.probability_threshold is not None:
            try:
                float(self.probability_threshold)
            except (TypeError, ValueError):
                raise ArgumentError(
                    "ModelPredictedLabelConfig.probability_threshold: expected a number,"
                    f" got {self.probability_threshold!r}"
                ) from None

    def get_predictor_config(self) -> tuple[float | None, dict[str, Any]]:
        """``(probability_threshold, predictor keys)`` as the SDK returns them."""
        predictor: dict[str, Any] = {}
        put(self.label, "label", predictor)
        put(self.probability, "probability", predictor)
        put(self.label_headers, "label_headers", predictor)
        return self.probability_threshold, copy.deepcopy(predictor)
