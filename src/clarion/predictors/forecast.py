"""Forecasting models for time-series explanations: JSON requests from templates, forecasts by JMESPath.

A record is ``predictor.record_template`` with ``$start_time`` (the item's first timestamp), ``$end_time`` (its
last), ``$target_time_series`` (a list), ``$related_time_series`` (a list of lists) and ``$static_covariates``
(a list) replaced by their JSON. Without ``record_template`` the record is DeepAR's input,
``{"start": $start_time, "target": $target_time_series}`` with ``"dynamic_feat": $related_time_series`` when the
data has related series and ``"cat": $static_covariates`` when it has static covariates.

The request is ``predictor.content_template`` (default ``$record``), sent as ``predictor.content_type`` (default
application/json):

- application/json with ``$record`` (or ``$features``, read as the record): one record per request, whose answer
  gives one forecast at ``time_series_predictor_config.forecast`` (a one-element list of forecasts is unwrapped,
  here and in JSON Lines answers);
- application/json with ``$records``: a JSON list of records, whose answer gives a list of forecasts, in order;
- application/jsonlines: one line per record, the template with ``$features`` (or ``$record``) replaced by it.

The answer is read as ``predictor.accept_type`` (default the content type): a JSON document, or JSON Lines with one
forecast per line. NaN values are sent as ``null``.

The model is an HTTP endpoint (``predictor.endpoint_url``, ``POST /invocations``, with the predictor's retries and
limits), an existing SageMaker endpoint (``predictor.endpoint_name``, InvokeEndpoint through boto3, the same policy),
a shadow SageMaker endpoint made from ``predictor.model_name`` for the run (deleted afterwards, on error and on
Ctrl-C too), or ``predictor.model_callable``, a ``package.module:function`` that takes the request as parsed JSON
(JSON Lines: the list of lines) and returns the answer as JSON values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import jmespath
import numpy as np

from clarion.config.model import TimeSeriesDataConfig
from clarion.config.predictor import PredictorConfig
from clarion.data.timeseries_reader import SeriesItem
from clarion.errors import ConfigError, NotSupportedError, PredictorError
from clarion.predictors.http import HttpEndpoint
from clarion.predictors.models import import_callable
from clarion.predictors.remote import Caller, Endpoint, transport_settings
from clarion.predictors.sagemaker import RuntimeEndpoint, shadow_endpoint

Send = Callable[[bytes], bytes]
PLACEHOLDERS = ("$start_time", "$end_time", "$target_time_series", "$related_time_series", "$static_covariates")
JSON, JSONLINES = "application/json", "application/jsonlines"


def default_record_template(related: bool, static: bool) -> str:
    """DeepAR's record: start and target, with dynamic_feat and cat when the data has them."""
    parts = ['"start": $start_time', '"target": $target_time_series']
    if related:
        parts.append('"dynamic_feat": $related_time_series')
    if static:
        parts.append('"cat": $static_covariates')
    return "{" + ", ".join(parts) + "}"


class ForecastModel:
    """Turns one item's masked inputs of shape (n, series, steps) into forecasts of shape (n, horizon)."""

    def __init__(
        self,
        send: Send,
        p: PredictorConfig,
        data: TimeSeriesDataConfig | None = None,
        max_records: int = 1000,
    ) -> None:
        if p.time_series_predictor_config is None:
            raise ConfigError("predictor.time_series_predictor_config.forecast: required for time-series explanations")
        self.content_type = p.content_type or JSON
        self.accept_type = p.accept_type or self.content_type
        if self.content_type not in (JSON, JSONLINES) or self.accept_type not in (JSON, JSONLINES):
            key = "content_type" if self.content_type not in (JSON, JSONLINES) else "accept_type"
            raise ConfigError(f"predictor.{key}: time-series models take application/json or application/jsonlines")
        record = p.record_template
        if record is None:
            related = bool(data is not None and data.related_time_series)
            record = default_record_template(related, bool(data is not None and data.static_covariates))
        if "$target_time_series" not in record:
            raise ConfigError("predictor.record_template: must contain $target_time_series for time series")
        content = p.content_template if p.content_template is not None else "$record"
        if not isinstance(content, str):
            raise ConfigError("predictor.content_template: expected a string for time series")
        lines = self.content_type == JSONLINES
        if not any(k in content for k in ("$record", "$features")) or (lines and "$records" in content):
            expected = "$features or $record" if lines else "$record, $records or $features"
            raise ConfigError(f"predictor.content_template: expected a string with {expected}")
        self.send = send
        self._record = record
        self._content = content
        self._lines = lines
        self._many = lines or "$records" in content
        self._batch = max(1, min(max_records, p.max_records_per_request or max_records)) if self._many else 1
        try:
            self._forecast = jmespath.compile(p.time_series_predictor_config.forecast)
        except jmespath.exceptions.ParseError as exc:
            raise ConfigError(f"predictor.time_series_predictor_config.forecast: invalid JMESPath: {exc}") from None

    def for_item(
        self, item: SeriesItem, static_covariates: tuple[Any, ...] | None = None
    ) -> Callable[[np.ndarray], np.ndarray]:
        """The forecast function of ``item`` (its timestamps and static covariates, or ``static_covariates``, fixed)."""
        if static_covariates is not None:
            item = replace(item, static_covariates=tuple(static_covariates))

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
        return _fill(self._record, values)

    def _body(self, records: list[str]) -> bytes:
        if self._lines:
            lines = [_fill(self._content, {"$features": r, "$record": r}) for r in records]
            return ("\n".join(lines) + "\n").encode("utf-8")
        if "$records" in self._content:
            return self._content.replace("$records", "[" + ",".join(records) + "]").encode("utf-8")
        return _fill(self._content, {"$features": records[0], "$record": records[0]}).encode("utf-8")

    def _call(self, records: list[str]) -> list[list[float]]:
        text = self.send(self._body(records)).decode("utf-8", errors="replace")
        try:
            if self.accept_type == JSONLINES:
                documents = [json.loads(line) for line in text.splitlines() if line.strip()]
                forecasts = [_single(self._forecast.search(d)) for d in documents]
            else:
                found = self._forecast.search(json.loads(text))
                forecasts = found if self._many else [_single(found)]
        except json.JSONDecodeError as exc:
            raise PredictorError(f"the model's answer is not {self.accept_type} ({exc.msg})") from None
        if not isinstance(forecasts, list) or len(forecasts) != len(records):
            count = len(forecasts) if isinstance(forecasts, list) else 0
            raise PredictorError(
                f"predictor.time_series_predictor_config.forecast: expected {len(records)} forecasts, found {count}"
            )
        return [_forecast_values(f) for f in forecasts]


def _fill(template: str, values: dict[str, str]) -> str:
    """Replace placeholders, longest names first (``$records`` before ``$record``)."""
    for name in sorted(values, key=len, reverse=True):
        template = template.replace(name, values[name])
    return template


def _single(found: Any) -> Any:
    """One record's forecast: a list holding exactly one list of numbers is that list."""
    if isinstance(found, list) and len(found) == 1 and isinstance(found[0], list):
        return found[0]
    return found


@contextmanager
def open_forecast_model(p: PredictorConfig, data: TimeSeriesDataConfig | None = None) -> Iterator[ForecastModel]:
    """The forecasting model of the predictor section, open for the duration of the block."""
    if p.model_callable is not None and p.endpoint_url is None and p.endpoint_name is None:
        yield ForecastModel(_callable_send(p), p, data)
        return
    if p.endpoint_url is None and p.endpoint_name is None and p.model_name is None:
        raise NotSupportedError(
            "predictor: time-series explanations call predictor.endpoint_url, predictor.endpoint_name or"
            " predictor.model_name (SageMaker), or predictor.model_callable"
        )
    settings = transport_settings(p)
    model = ForecastModel(_unopened, p, data)  # the templates are checked before any endpoint is made
    shadow = None if p.endpoint_url is not None or p.endpoint_name is not None else shadow_endpoint(p, settings)
    try:
        endpoint: Endpoint
        if p.endpoint_url is not None:
            endpoint = HttpEndpoint(p.endpoint_url, settings)
        elif shadow is not None:
            endpoint = RuntimeEndpoint(shadow.start(), settings)
        else:
            endpoint = RuntimeEndpoint(str(p.endpoint_name), settings)
        endpoint.open()
        try:
            caller = Caller(endpoint, settings)
            where, content, accept = endpoint.where, model.content_type, model.accept_type
            model.send = lambda body: caller.call(body, content, accept, where)
            yield model
        finally:
            endpoint.close()
    finally:
        if shadow is not None:
            shadow.stop()


def _unopened(body: bytes) -> bytes:
    raise PredictorError("the forecasting model is not open")


def _callable_send(p: PredictorConfig) -> Send:
    """``model_callable`` as a transport: parsed JSON (JSON Lines: the list of lines) in, JSON values out."""
    function = import_callable(str(p.model_callable))
    lines = (p.content_type or JSON) == JSONLINES
    answers_lines = (p.accept_type or p.content_type or JSON) == JSONLINES

    def send(body: bytes) -> bytes:
        text = body.decode("utf-8")
        request = [json.loads(x) for x in text.splitlines() if x.strip()] if lines else json.loads(text)
        try:
            answer = function(request)
        except Exception as exc:
            raise PredictorError(f"the model callable failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
        if answers_lines:
            return "\n".join(json.dumps(a) for a in answer).encode("utf-8")
        return json.dumps(answer).encode("utf-8")

    return send


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
