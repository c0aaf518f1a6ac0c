"""Calling models: Predictions, the Predictor protocol and ``build_predictor``.

codecs      rows -> request bodies (content_type, templates); responses -> Predictions (accept_type)
policy      batching under payload/row limits; retry backoff and Retry-After
remote      the policy around any remote endpoint: Caller (concurrency, retries), RemotePredictor (batching,
            count checks)
deadline    one deadline for a whole HTTP exchange
http        HttpEndpoint / HttpPredictor: the container contract over HTTP
shadow      ShadowEndpoint / ShadowPredictor: start a server (or any resource), use it, always stop it
sagemaker   SageMaker endpoints through boto3: InvokeEndpoint, and shadow endpoints from a model_name
images      ImagePredictor: image models, one image per request, under the same policy
trust       which config keys make clarion run code (refused in job mode unless allowed)
models      in-process models (scikit-learn, XGBoost, LightGBM, callables)
inprocess   InProcessPredictor
build       build_predictor(config, feature_names), build_image_predictor(config), shared_endpoint(config)
binding     --model: bind_model(config, model)
readiness   readiness(config): can the model be called from here (imports the transports)

Names are loaded on first use: ``clarion.predictors.binding`` (the CLI's ``--model``) does not import httpx,
boto3 or pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion._exports import lazy_names

if TYPE_CHECKING:
    from clarion.predictors.binding import bind_model
    from clarion.predictors.build import Predictor, build_image_predictor, build_predictor, shared_endpoint
    from clarion.predictors.codecs import RequestCodec, ResponseCodec
    from clarion.predictors.http import HttpEndpoint, HttpPredictor, HttpSettings
    from clarion.predictors.inprocess import InProcessPredictor
    from clarion.predictors.models import CallableModel, load_model
    from clarion.predictors.policy import RetryPolicy, split_batches
    from clarion.predictors.predictions import (
        Predictions,
        concat_predictions,
        model_outputs,
        output_names,
        predicted_labels,
    )
    from clarion.predictors.readiness import readiness
    from clarion.predictors.remote import Caller, RemotePredictor, Retryable, TransportSettings
    from clarion.predictors.sagemaker import SageMakerPredictor, ShadowSageMakerEndpoint
    from clarion.predictors.shadow import ShadowEndpoint, ShadowPredictor, clarion_serve_command, free_port

_EXPORTS = {
    "binding": ("bind_model",),
    "readiness": ("readiness",),
    "build": (
        "Predictor",
        "build_image_predictor",
        "build_predictor",
        "shared_endpoint",
    ),
    "codecs": (
        "RequestCodec",
        "ResponseCodec",
    ),
    "http": (
        "HttpEndpoint",
        "HttpPredictor",
        "HttpSettings",
    ),
    "inprocess": ("InProcessPredictor",),
    "models": (
        "CallableModel",
        "load_model",
    ),
    "policy": (
        "RetryPolicy",
        "split_batches",
    ),
    "predictions": (
        "Predictions",
        "concat_predictions",
        "model_outputs",
        "output_names",
        "predicted_labels",
    ),
    "remote": (
        "Caller",
        "RemotePredictor",
        "Retryable",
        "TransportSettings",
    ),
    "sagemaker": (
        "SageMakerPredictor",
        "ShadowSageMakerEndpoint",
    ),
    "shadow": (
        "ShadowEndpoint",
        "ShadowPredictor",
        "clarion_serve_command",
        "free_port",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "CallableModel",
    "Caller",
    "HttpEndpoint",
    "HttpPredictor",
    "HttpSettings",
    "InProcessPredictor",
    "Predictions",
    "Predictor",
    "RemotePredictor",
    "Retryable",
    "RequestCodec",
    "ResponseCodec",
    "RetryPolicy",
    "SageMakerPredictor",
    "ShadowEndpoint",
    "ShadowPredictor",
    "ShadowSageMakerEndpoint",
    "TransportSettings",
    "bind_model",
    "build_image_predictor",
    "build_predictor",
    "clarion_serve_command",
    "concat_predictions",
    "free_port",
    "load_model",
    "model_outputs",
    "output_names",
    "predicted_labels",
    "readiness",
    "shared_endpoint",
    "split_batches",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, __all__)
