"""Forecasting models for time-series explanations: JSON requests from templates, forecasts by JMESPath.

A record is ``predictor.record_template`` with ``$start_time`` (the item's first timestamp), ``$end_time`` (its
last), ``$target_time_series`` (a list), ``$related_time_series`` (a list of lists) and ``$static_covariates``
(a list) replaced by their JSON. The request is ``predictor.content_template`` (default ``$record``): with
``$record`` one record per request, whose answer gives one forecast at ``time_series_predictor_config.forecast``;
with ``$records`` a JSON list of records, whose answer gives a list of forecasts, one per record, in order.
NaN values are sent as ``null``.

The model is an HTTP endpoint (``predictor.endpoint_url``, ``POST /invocations``, application/json, with the
predictor's retries and limits), an existing SageMaker endpoint (``predictor.endpoint_name``, InvokeEndpoint through
boto3, the same policy) or ``predictor.model_callable``, a ``package.module:function`` that takes the
request as parsed JSON and returns the answer as JSON values.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jmespath
import numpy as np

from clarion.config.predictor import PredictorConfig
from clarion.data.timeseries_reader import SeriesItem
from clarion.errors import ConfigError, NotSupportedError, PredictorError
from clarion.predictors.http import HttpEndpoint
from clarion.predictors.policy import RetryPolicy
from clarion.predictors.remote import Caller, Endpoint, TransportSettings
from clarion.predictors.sagemaker import RuntimeEndpoint

Send = Callable[[bytes], bytes]
PLACEHOLDERS = ("$start_time", "$end_time", "$target_time_series", "$related_time_series", "$static_covariates")


class ForecastModel:
    """Turns one item's masked inputs of shape (n, series, steps) into forecasts of shape (n, horizon)."""

    def __init__(self, send: Send, p: PredictorConfig, max_records: int = 1000) -> None:
        if p.time_series_predictor_config is None:
            raise ConfigError("predictor.time_series_predictor_config.forecast: required for time-series explanations")
        if not isinstance(p.record_template, str) or "$target_time_series" not in p.record_template:
            raise ConfigError("predictor.record_template: required, with $target_time_series, for time series")
        content = p.content_template if p.content_template is not None else "$record"
        if not isinstance(content, str) or ("$record" not in content):
            raise ConfigError("predictor.content_template: expected a string with $record or $records")
        self._send = send
        self._record = p.record_template
        self._content = content
        self._many = "$records" in content
        self._batch = max(1, min(max_records, p.max_records_per_request or max_records)) if self._many else 1
        try:
            self._forecast = jmespath.compile(p.time_series_predictor_config.forecast)
        except jmespath.exceptions.ParseError as exc:
            raise ConfigError(f"predictor.time_series_predictor_config.forecast: invalid JMESPath: {exc}") from None

    def for_item(self, item: SeriesItem) -> Callable[[np.ndarray], np.ndarray]:
        """The forecast function of ``item`` (its timestamps and static covariates fixed)."""

        def forecast(batch: np.ndarray) -> np.ndarray:
            records = [self._encode(item, row) for row in batch]
            answers: list[list[float]] = []
            for start in range(0, len(records), self._batch):
                answers.extend(self._call(records[start : start + self._batch]))
            return np.asarray(answers, dtype=float)

        return forecast

    def _encode(self, item: SeriesItem, row: np.ndarray) -> str:
        values = {
            "$start_time": json.dumps(item.timestamps[0]),
            "$end_time": json.dumps(item.timestamps[-1]),
            "$target_time_series": json.dumps(_json_list(row[0])),
            "$related_time_series": json.dumps([_json_list(r) for r in row[1:]]),
            "$static_covariates": json.dumps(list(item.static_covariates)),
        }
        text = self._record
        for name in sorted(values, key=len, reverse=True):
            text = text.replace(name, values[name])
        return text

    def _call(self, records: list[str]) -> list[list[float]]:
        if self._many:
            body = self._content.replace("$records", "[" + ",".join(records) + "]")
        else:
            body = self._content.replace("$record", records[0])
        try:
            answer = json.loads(self._send(body.encode("utf-8")))
        except json.JSONDecodeError as exc:
            raise PredictorError(f"the model's answer is not JSON ({exc.msg})") from None
        found = self._forecast.search(answer)
        forecasts = found if self._many else [found]
        if not isinstance(forecasts, list) or len(forecasts) != len(records):
            count = len(forecasts) if isinstance(forecasts, list) else 0
            raise PredictorError(
                f"predictor.time_series_predictor_config.forecast: expected {len(records)} forecasts, found {count}"
            )
        return [_forecast_values(f) for f in forecasts]


@contextmanager
def open_forecast_model(p: PredictorConfig) -> Iterator[ForecastModel]:
    """The forecasting model of the predictor section, open for the duration of the block."""
    if p.endpoint_url is not None or p.endpoint_name is not None:
        settings = TransportSettings(
            max_payload_bytes=int(p.max_payload_mb * 1024 * 1024),
            max_records_per_request=p.max_records_per_request,
            max_concurrency=p.max_concurrency,
            timeout_seconds=p.timeout_seconds,
            retry=RetryPolicy(max_retries=p.max_retries),
            custom_attributes=p.custom_attributes,
            target_model=p.target_model,
        )
        endpoint: Endpoint
        if p.endpoint_url is not None:
            endpoint = HttpEndpoint(p.endpoint_url, settings)
        else:
            endpoint = RuntimeEndpoint(str(p.endpoint_name), settings)
        endpoint.open()
        try:
            caller = Caller(endpoint, settings)
            where = endpoint.where
            yield ForecastModel(lambda body: caller.call(body, "application/json", "application/json", where), p)
        finally:
            endpoint.close()
        return
    if p.model_callable is not None:
        function = _import(p.model_callable)

        def send(body: bytes) -> bytes:
            try:
                return json.dumps(function(json.loads(body))).encode("utf-8")
            except Exception as exc:
                raise PredictorError(f"the model callable failed: {type(exc).__name__}: {str(exc)[:200]}") from exc

        yield ForecastModel(send, p)
        return
    raise NotSupportedError(
        "predictor: time-series explanations call predictor.endpoint_url, predictor.endpoint_name (SageMaker)"
        " or predictor.model_callable"
    )


def _json_list(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values]


def _forecast_values(found: Any) -> list[float]:
    values = found if isinstance(found, list) else [found]
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise PredictorError(
            f"predictor.time_series_predictor_config.forecast: not numbers: {str(found)[:80]}"
        ) from None


def _import(spec: str) -> Callable[[Any], Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"predictor.model_callable: expected 'package.module:function', got {spec!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"predictor.model_callable: cannot import module {module_name!r}: {exc}") from exc
    for part in attribute.split("."):
        target = getattr(target, part, None)
    if not callable(target):
        raise ConfigError(f"predictor.model_callable: {spec!r} is not a callable")
    return target
