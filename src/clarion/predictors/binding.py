"""Binding a config to a model (``--model``) and telling whether a config can call its model from here.

``--model`` is a model file or fsspec URI (-> ``predictor.model_uri``), ``package.module:function``
(-> ``model_callable``) or an http(s):// URL (-> ``endpoint_url``); it replaces the config's model, SageMaker
names included, and keeps the request and response keys.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from clarion.config.model import AnalysisConfig
from clarion.config.predictor import PredictorConfig
from clarion.errors import ConfigError
from clarion.predictors.http import HttpEndpoint, safe_url
from clarion.predictors.models import CallableModel
from clarion.predictors.remote import TransportSettings
from clarion.predictors.sagemaker import aws_problem

_CALLABLE = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")
PING_SECONDS = 5.0
MODEL_KEYS = ("endpoint_url", "model_uri", "model_callable", "serve_command", "endpoint_name", "model_name")


def model_key(model: str) -> str:
    """Which predictor key ``--model`` sets: an http(s):// URL -> endpoint_url, ``package.module:function`` ->
    model_callable, anything else (a path or fsspec URI of a model file) -> model_uri."""
    if model.startswith(("http://", "https://")):
        return "endpoint_url"
    if _CALLABLE.fullmatch(model):
        return "model_callable"
    return "model_uri"


def bind_model(config: AnalysisConfig, model: str | None) -> AnalysisConfig:
    """``config`` with its model replaced by ``model`` (see ``model_key``); request/response keys are kept.

    The SageMaker names (endpoint_name, model_name and the shadow endpoint's settings) and clarion's other model
    keys are cleared; ``None`` returns ``config`` unchanged.
    """
    if model is None:
        return config
    if not model.strip():
        raise ConfigError("--model: expected a model file, 'package.module:function' or an http:// URL")
    p = config.predictor if config.predictor is not None else PredictorConfig()
    update: dict[str, object] = {key: None for key in MODEL_KEYS}
    update.update(shadow=False, endpoint_name_prefix=None, instance_type=None, initial_instance_count=None)
    update[model_key(model)] = model
    return config.model_copy(update={"predictor": p.model_copy(update=update)})


def readiness(config: AnalysisConfig, *, needs_model: bool) -> str | None:
    """Why ``config`` cannot call its model from here, with the key or flag that would fix it; None when it can.

    Checks what is knowable without running: a model is named, an endpoint_url answers ``GET /ping``, boto3, the
    AWS region and credentials for SageMaker names, the model file exists, the callable imports, the serve command
    is on PATH.
    """
    if not needs_model:
        return None
    p = config.predictor
    if p is None or not any(getattr(p, key) is not None for key in MODEL_KEYS):
        return "predictor: the analysis calls a model but the config names none; pass --model PATH_OR_URL"
    if p.endpoint_url is not None:
        with HttpEndpoint(p.endpoint_url, TransportSettings(timeout_seconds=PING_SECONDS)) as endpoint:
            if not endpoint.ping():
                return (
                    f"predictor.endpoint_url: GET {safe_url(endpoint.url)}/ping did not answer 200 within "
                    f"{PING_SECONDS:g} s; start the server, or pass --model PATH_OR_URL"
                )
        return None
    if p.serve_command is not None:
        if shutil.which(p.serve_command[0]) is None:
            return f"predictor.serve_command: {p.serve_command[0]!r} is not on PATH; pass --model PATH_OR_URL instead"
        return None
    if p.model_uri is not None:
        if "://" not in p.model_uri or p.model_uri.startswith("file://"):
            path = p.model_uri.removeprefix("file://")
            if not Path(path).is_file():
                return f"predictor.model_uri: file not found: {path}; fix the path or pass --model PATH_OR_URL"
        return None
    if p.model_callable is not None:
        try:
            CallableModel.from_spec(p.model_callable)
        except ConfigError as exc:
            return f"{exc}; pass --model PATH_OR_URL instead"
        return None
    key = "predictor.endpoint_name" if p.endpoint_name is not None else "predictor.model_name"
    if p.endpoint_name is None and (p.instance_type is None or p.initial_instance_count is None):
        missing = "instance_type" if p.instance_type is None else "initial_instance_count"
        return f"predictor.{missing}: required with predictor.model_name; set it, or pass --model PATH_OR_URL"
    return aws_problem(key)
