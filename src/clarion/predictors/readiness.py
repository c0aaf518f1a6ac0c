"""Whether a config can call its model from here (``clarion validate``), without calling it.

Kept apart from ``binding`` because the checks need the transports (httpx for the ping, boto3 for SageMaker,
the model loaders), which a config that calls no model never imports.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from clarion.config.model import AnalysisConfig
from clarion.errors import ConfigError
from clarion.predictors.binding import MODEL_KEYS
from clarion.predictors.http import HttpEndpoint, safe_url
from clarion.predictors.models import CallableModel
from clarion.predictors.remote import TransportSettings
from clarion.predictors.sagemaker import aws_problem

PING_SECONDS = 5.0


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
