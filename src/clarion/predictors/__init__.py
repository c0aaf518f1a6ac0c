"""Calling models: Predictions, the Predictor protocol and ``build_predictor``.

codecs      rows -> request bodies (content_type, templates); responses -> Predictions (accept_type)
policy      batching under payload/row limits; retry backoff
http        HttpPredictor: the container contract over HTTP (concurrency, retries, count checks)
shadow      ShadowEndpoint / ShadowPredictor: start a server, use it, always stop it
models      in-process models (scikit-learn, XGBoost, LightGBM, callables)
inprocess   InProcessPredictor
build       build_predictor(config, feature_names)
"""

from clarion.predictors.build import Predictor, build_predictor
from clarion.predictors.codecs import RequestCodec, ResponseCodec
from clarion.predictors.http import HttpPredictor, HttpSettings
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
from clarion.predictors.shadow import ShadowEndpoint, ShadowPredictor, clarion_serve_command, free_port

__all__ = [
    "CallableModel",
    "HttpPredictor",
    "HttpSettings",
    "InProcessPredictor",
    "Predictions",
    "Predictor",
    "RequestCodec",
    "ResponseCodec",
    "RetryPolicy",
    "ShadowEndpoint",
    "ShadowPredictor",
    "build_predictor",
    "clarion_serve_command",
    "concat_predictions",
    "free_port",
    "load_model",
    "model_outputs",
    "output_names",
    "predicted_labels",
    "split_batches",
]
