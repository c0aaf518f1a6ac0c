"""``build_predictor``: the ``predictor`` section of a config -> a Predictor (in-process, HTTP, SageMaker, shadow).

Where the model is, in order: ``endpoint_url`` (a running server), ``serve_command`` (a server clarion
starts), ``model_uri`` with ``shadow: true`` (``clarion serve`` on the model file), ``model_uri``
(in-process), ``model_callable`` (in-process), then Clarify's ``endpoint_name`` (an existing SageMaker
endpoint) and ``model_name`` (a shadow SageMaker endpoint for the run), through boto3 (``sagemaker``).

Content type: ``predictor.content_type``, else the dataset type when it is CSV / JSON Lines / JSON, else
text/csv. Accept type: ``predictor.accept_type``, else the content type (Clarify's defaults; application/json for
application/x-npy requests, which have no text answer form of their own). A JSON Lines
request without ``content_template`` uses ``{"features":$features}``. Templates shape JSON and JSON Lines requests
only: CSV and application/x-npy requests ignore them (a template the SDK lets through there changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Protocol, runtime_checkable

import pandas as pd

from clarion.config.model import AnalysisConfig
from clarion.config.predictor import PredictorConfig
from clarion.errors import ConfigError, NotSupportedError
from clarion.predictors.binding import MODEL_KEYS
from clarion.predictors.codecs import _NAME_PLACEHOLDER, NPY, RequestCodec, ResponseCodec
from clarion.predictors.http import HttpEndpoint, HttpPredictor
from clarion.predictors.images import CallableImages, ImagePredictor, image_content_type
from clarion.predictors.inprocess import in_process_predictor, runs_in_process
from clarion.predictors.models import CallableModel
from clarion.predictors.predictions import Predictions
from clarion.predictors.remote import TransportSettings, transport_settings
from clarion.predictors.sagemaker import RuntimeEndpoint, SageMakerPredictor, ShadowSageMakerEndpoint, shadow_endpoint
from clarion.predictors.shadow import ShadowEndpoint, ShadowPredictor, clarion_serve_command

TABULAR_TYPES = ("text/csv", "application/jsonlines", "application/json")


@runtime_checkable
class Predictor(Protocol):
    """Calls a model: a context manager whose ``predict`` answers one result per row, in order."""

    def __enter__(self) -> Predictor: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def predict(self, features: pd.DataFrame) -> Predictions: ...


def build_predictor(config: AnalysisConfig, feature_names: list[str] | None) -> Predictor:
    """The Predictor the config asks for (not yet entered: use it in a ``with`` block)."""
    p = config.predictor
    if p is None:
        raise ConfigError("predictor: required to call the model (give predictor.endpoint_url or predictor.model_uri)")
    if p.time_series_predictor_config is not None:
        raise ConfigError(
            "predictor.time_series_predictor_config: a forecasting model explains time_series_data_config data with"
            " methods.asymmetric_shapley_value only (bias metrics, SHAP and PDP do not apply, as in Clarify)"
        )
    _check_record_template(p, feature_names)
    if p.endpoint_url is not None:
        return HttpPredictor(p.endpoint_url, *_codecs(config, p, shadow=False), transport_settings(p))
    if p.serve_command is not None or (p.model_uri is not None and p.shadow):
        command = p.serve_command if p.serve_command is not None else clarion_serve_command(p.model_uri)  # type: ignore[arg-type]
        if not any("{port}" in part for part in command):
            raise ConfigError("predictor.serve_command: must contain the placeholder {port}")
        request, response = _codecs(config, p, shadow=True)
        settings = transport_settings(p)
        endpoint = ShadowEndpoint(command, start_timeout=max(60.0, p.timeout_seconds))
        return ShadowPredictor(endpoint, lambda url: HttpPredictor(url, request, response, settings))
    if runs_in_process(config):  # model_uri or model_callable
        return in_process_predictor(config)
    if p.endpoint_name is not None:
        return SageMakerPredictor(p.endpoint_name, *_codecs(config, p, shadow=False), transport_settings(p))
    if p.model_name is not None:
        request, response = _codecs(config, p, shadow=False)
        settings = transport_settings(p)
        return ShadowPredictor(
            _sagemaker_shadow(p, settings), lambda name: SageMakerPredictor(name, request, response, settings)
        )
    raise ConfigError(
        "predictor: no model given; set predictor.endpoint_url, predictor.model_uri, predictor.model_callable, "
        "predictor.serve_command or a SageMaker predictor.endpoint_name / model_name, or pass --model PATH_OR_URL"
    )


@contextmanager
def shared_endpoint(config: AnalysisConfig) -> Iterator[AnalysisConfig]:
    """For engines that call the model from many tasks (Spark): a SageMaker ``model_name`` becomes one shadow
    endpoint for the whole run, created here and deleted on exit, error or Ctrl-C; the config yielded names it
    as ``endpoint_name``. Any other config is yielded unchanged."""
    p = config.predictor
    if p is None or p.model_name is None or any(getattr(p, key) is not None for key in MODEL_KEYS[:5]):
        yield config
        return
    endpoint = _sagemaker_shadow(p, transport_settings(p))
    try:
        name = endpoint.start()
        yield config.model_copy(update={"predictor": p.model_copy(update={"endpoint_name": name, "model_name": None})})
    finally:
        endpoint.stop()


def _sagemaker_shadow(p: PredictorConfig, settings: TransportSettings) -> ShadowSageMakerEndpoint:
    assert p.model_name is not None
    return shadow_endpoint(p, settings)


def build_image_predictor(config: AnalysisConfig) -> ImagePredictor | ShadowPredictor | CallableImages:
    """The image model the config asks for: ``(n, H, W, 3) uint8 -> n answers``, used in a ``with`` block.

    Remote models (endpoint_url, serve_command, SageMaker) get one image per request under the transport policy;
    ``model_callable`` is a function of the image array.
    """
    p = config.predictor
    if p is None:
        raise ConfigError("predictor: required to explain images")
    content_type = image_content_type(p.content_type)
    probability = p.probability if isinstance(p.probability, str) else None
    settings = transport_settings(p)
    if p.endpoint_url is not None:
        return ImagePredictor(HttpEndpoint(p.endpoint_url, settings), settings, content_type, probability=probability)
    if p.serve_command is not None:
        if not any("{port}" in part for part in p.serve_command):
            raise ConfigError("predictor.serve_command: must contain the placeholder {port}")
        endpoint = ShadowEndpoint(p.serve_command, start_timeout=max(60.0, p.timeout_seconds))
        return ShadowPredictor(
            endpoint,
            lambda url: ImagePredictor(HttpEndpoint(url, settings), settings, content_type, probability=probability),
        )
    if p.model_callable is not None:
        return CallableImages(CallableModel.from_spec(p.model_callable).function)
    if p.model_uri is None and p.endpoint_name is not None:
        return ImagePredictor(
            RuntimeEndpoint(p.endpoint_name, settings), settings, content_type, probability=probability
        )
    if p.model_uri is None and p.model_name is not None:
        return ShadowPredictor(
            _sagemaker_shadow(p, settings),
            lambda name: ImagePredictor(
                RuntimeEndpoint(name, settings), settings, content_type, probability=probability
            ),
        )
    raise NotSupportedError(
        "predictor: image models are called through endpoint_url, serve_command, model_callable "
        "(a function of an image array) or a SageMaker endpoint_name / model_name"
    )


def _codecs(config: AnalysisConfig, p: PredictorConfig, *, shadow: bool) -> tuple[RequestCodec, ResponseCodec]:
    content_type = p.content_type or (config.dataset_type if config.dataset_type in TABULAR_TYPES else "text/csv")
    if content_type not in (*TABULAR_TYPES, NPY):
        raise ConfigError(
            f"predictor.content_type: {content_type} is for images; tabular rows are sent as {TABULAR_TYPES}"
        )
    accept_type = p.accept_type or (content_type if content_type != NPY else "application/json")
    template = p.content_template if content_type in ("application/jsonlines", "application/json") else None
    if isinstance(template, dict):  # the schema allows it; what Clarify makes of it is not documented
        raise NotSupportedError(
            f"predictor.content_template: a dict template is not supported for {content_type} requests; give a string"
        )
    if content_type == "application/jsonlines" and template is None:
        template = '{"features":$features}'
    if content_type == "application/json":
        if template is None or p.record_template is None:
            if not shadow:
                raise ConfigError(
                    "predictor.content_template: content_template and record_template are required for "
                    "content_type application/json"
                )
            template = template or "$records"
        if "$record" not in template:
            raise ConfigError("predictor.content_template: must contain $records or $record for application/json")
    request = RequestCodec(content_type, content_template=template, record_template=p.record_template)
    headers = tuple(str(h) for h in p.label_headers) if p.label_headers is not None else None
    label, probability = p.label, p.probability
    label_optional, record_path = False, None
    if shadow and label is None and probability is None and accept_type != "text/csv":
        # clarion serve answers {"predicted_label": ..., "score" | "probabilities": ...} per row; a single score
        # is left to the probability threshold, as in-process
        label, probability = "probabilities && predicted_label", "score || probabilities"
        label_optional = True
        record_path = "predictions" if accept_type == "application/json" else None
    response = ResponseCodec(
        accept_type,
        label=label,
        probability=probability,
        label_headers=headers,
        record_path=record_path,
        label_optional=label_optional,
    )
    return request, response


def _check_record_template(p: PredictorConfig, feature_names: list[str] | None) -> None:
    """Placeholders name features; unknown names (None: known only once data is read) are checked per request."""
    if p.record_template is None or feature_names is None:
        return
    names = set(_NAME_PLACEHOLDER.findall(p.record_template))
    unknown = sorted(names - set(feature_names))
    if unknown:
        raise ConfigError(f"predictor.record_template: placeholders {unknown} are not feature names")
