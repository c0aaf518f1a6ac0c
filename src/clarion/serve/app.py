"""``clarion serve``: any model file behind the SageMaker container contract.

``GET /ping`` -> 200. ``POST /invocations`` with many rows per request, one result per row, in order.
Requests: ``text/csv`` (rows, no header), ``application/jsonlines`` (per line ``{"features": [...]}``, a list,
or ``{"name": value, ...}``), ``application/json`` (a list of such records, or ``{"instances": [...]}``).
Answers by ``Accept``: ``text/csv`` one line per row (the score, or the comma-separated probabilities, or
the label); ``application/jsonlines`` one object per line ``{"predicted_label": .., "score": ..}``
(``"probabilities": [...]`` for multiclass); ``application/json`` ``{"predictions": [those objects]}``.
Bad input answers 400 with a one-line reason; a failing model 500.

The same invocations answer at ``POST /endpoints/{name}/invocations``, the path of SageMaker's runtime API
(``InvokeEndpoint``), so boto3 code with ``endpoint_url`` pointed at ``clarion serve`` runs unchanged.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from clarion.errors import ClarionError
from clarion.predictors.models import Model, load_model
from clarion.predictors.predictions import Predictions, predicted_labels

CSV = "text/csv"
JSONLINES = "application/jsonlines"
JSON = "application/json"


class BadRequest(Exception):
    """The request could not be read as rows."""


def _media(header: str | None, default: str) -> str:
    if not header:
        return default
    first = header.split(",")[0].split(";")[0].strip().lower()
    if first in ("", "*/*"):
        return default
    if first in ("application/x-jsonlines", "application/jsonl"):
        return JSONLINES
    return first


def _names(model: Model, width: int) -> list[str]:
    if model.feature_names is not None and len(model.feature_names) == width:
        return list(model.feature_names)
    return [f"f{i}" for i in range(width)]


def parse_rows(body: bytes, content_type: str, model: Model) -> pd.DataFrame:
    """The request's rows as a frame named after the model's features."""
    if not body.strip():
        raise BadRequest("empty request body")
    if content_type == CSV:
        try:
            frame = pd.read_csv(io.BytesIO(body), header=None, skip_blank_lines=True)
        except (ValueError, pd.errors.ParserError) as exc:
            raise BadRequest(f"cannot read CSV: {str(exc).splitlines()[0]}") from exc
        frame.columns = _names(model, frame.shape[1])
        # an empty field of a text column is an empty text (e.g. a masked text unit), not a missing value
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column].dtype):
                frame[column] = frame[column].fillna("")
        return frame
    if content_type == JSONLINES:
        records = []
        for number, line in enumerate(body.decode("utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    raise BadRequest(f"line {number}: not JSON") from exc
        return _frame_from_records(records, model)
    if content_type == JSON:
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise BadRequest("body is not JSON") from exc
        if isinstance(document, dict):
            for key in ("instances", "records", "data"):
                if isinstance(document.get(key), list):
                    document = document[key]
                    break
        records = document if isinstance(document, list) else [document]
        if records and not isinstance(records[0], (list, dict)):
            records = [records]  # one record given as a bare list of values
        return _frame_from_records(records, model)
    raise BadRequest(
        f"unsupported Content-Type {content_type}; use text/csv, application/jsonlines or application/json"
    )


def _frame_from_records(records: list[Any], model: Model) -> pd.DataFrame:
    rows: list[list[Any]] = []
    named: list[dict[str, Any]] = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict) and "features" in record:
            record = record["features"]
        if isinstance(record, list):
            rows.append(record)
        elif isinstance(record, dict):
            named.append(record)
        else:
            raise BadRequest(f"record {number}: expected a list of values or an object")
    if rows and named:
        raise BadRequest("records mix lists of values and objects")
    if named:
        frame = pd.DataFrame(named)
        if model.feature_names is not None:
            missing = [n for n in model.feature_names if n not in frame.columns]
            if missing:
                raise BadRequest(f"records lack features {missing[:5]}")
            frame = frame[list(model.feature_names)]
        return frame
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise BadRequest(f"records have different numbers of values {sorted(widths)}")
    frame = pd.DataFrame(rows)
    frame.columns = _names(model, frame.shape[1])
    return frame.infer_objects()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def is_regression(model: Model) -> bool:
    """Whether ``model`` predicts a number rather than a class (then its predicted label is that number)."""
    from clarion.predictors.models import LightGBMModel, SklearnModel, XGBoostModel

    if isinstance(model, SklearnModel):
        return getattr(model.estimator, "classes_", None) is None
    if isinstance(model, XGBoostModel):
        return model.objective.startswith(("reg:", "count:", "survival:"))
    if isinstance(model, LightGBMModel):
        return not model.objective.startswith(("binary", "multiclass", "cross_entropy"))
    return False


def answer_objects(p: Predictions, *, regression: bool = False) -> list[dict[str, Any]]:
    """One ``{"predicted_label", "score" | "probabilities"}`` object per row.

    A classifier's label is its class (a single score s gives 1 when s > 0.5); a regressor's label is
    the predicted value itself, which is also its score.
    """
    if regression and p.labels is None and p.scores is not None and p.scores.shape[1] == 1:
        labels = p.scores[:, 0]
    else:
        labels = predicted_labels(p, 0.5)
    out: list[dict[str, Any]] = []
    scores = p.scores
    for i in range(len(p)):
        item: dict[str, Any] = {"predicted_label": _plain(labels[i])}
        if scores is not None:
            if scores.shape[1] == 1:
                item["score"] = float(scores[i, 0])
            else:
                item["probabilities"] = [float(v) for v in scores[i]]
        out.append(item)
    return out


def render(p: Predictions, accept: str, *, regression: bool = False) -> tuple[bytes, str]:
    """The response body for ``accept`` and its media type."""
    if accept == CSV:
        if p.scores is not None:
            if p.scores.shape[1] == 1:
                return ("\n".join(map(repr, p.scores[:, 0].tolist())) + "\n").encode(), CSV
            text = pd.DataFrame(p.scores).to_csv(header=False, index=False, lineterminator="\n")
            return text.encode(), CSV
        return ("\n".join(str(_plain(v)) for v in p.labels) + "\n").encode(), CSV  # type: ignore[union-attr]
    objects = answer_objects(p, regression=regression)
    if accept == JSONLINES:
        return ("\n".join(json.dumps(o) for o in objects) + "\n").encode(), JSONLINES
    return json.dumps({"predictions": objects}).encode(), JSON


def create_app(model_path: str) -> FastAPI:
    """A FastAPI app serving the model stored at ``model_path``."""
    model = load_model(model_path)
    regression = is_regression(model)
    app = FastAPI(title="clarion serve", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/ping")
    def ping() -> Response:
        return Response(status_code=200)

    @app.post("/invocations")
    @app.post("/endpoints/{endpoint_name}/invocations")
    async def invocations(request: Request) -> Response:
        body = await request.body()
        content_type = _media(request.headers.get("content-type"), CSV)
        accept = _media(request.headers.get("accept"), content_type if content_type != JSON else JSON)
        if accept not in (CSV, JSONLINES, JSON):
            return PlainTextResponse(f"unsupported Accept {accept}", status_code=406)
        try:
            frame = parse_rows(body, content_type, model)
        except BadRequest as exc:
            return PlainTextResponse(str(exc), status_code=415 if "Content-Type" in str(exc) else 400)
        except UnicodeDecodeError:
            return PlainTextResponse("request body is not UTF-8", status_code=400)
        try:
            predictions = model.predict(frame)
        except ClarionError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        content, media = render(predictions, accept, regression=regression)
        return Response(content=content, media_type=media)

    return app
