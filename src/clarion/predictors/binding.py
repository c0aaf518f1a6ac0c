"""Binding a config to a model (``--model``): which predictor key a model string sets.

``--model`` is a model file or fsspec URI (-> ``predictor.model_uri``), ``package.module:function``
(-> ``model_callable``) or an http(s):// URL (-> ``endpoint_url``); it replaces the config's model, SageMaker
names included, and keeps the request and response keys.
"""

from __future__ import annotations

import re

from clarion.config.model import AnalysisConfig
from clarion.config.predictor import PredictorConfig
from clarion.errors import ConfigError

_CALLABLE = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")
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
