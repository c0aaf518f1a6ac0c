"""SageMaker data capture (``application/sagemakercapturejson``) and Model Monitor ground-truth files.

A capture file is JSON Lines; each line is one inference request::

    {"captureData": {
        "endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",  "data": "39,7,...", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.23", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "5c1c...", "inferenceId": "optional", "inferenceTime": "2024-01-01T00:00:00Z"},
     "eventVersion": "0"}

``encoding`` is ``CSV`` or ``JSON`` (``data`` is the body as text) or ``BASE64`` (``data`` is the body base64
encoded). A request body may hold several rows (one per CSV or JSON Lines line); the response then holds one
result per row.

A ground-truth file (Model Monitor's merge format) is JSON Lines too::

    {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "5c1c..."}, "eventVersion": "0"}

Records are merged by ``inferenceId`` when the capture record has one, else by ``eventId`` (Model Monitor's
rule). A label body with several lines gives the labels of the request's rows in order.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import jmespath
import numpy as np
import pandas as pd

from clarion.data.sources import list_files
from clarion.errors import ClarionError, DataError, PredictorError
from clarion.predictors.codecs import ResponseCodec
from clarion.predictors.predictions import Predictions, concat_predictions

ENCODINGS = ("CSV", "JSON", "BASE64")
EVENT_ID = "event_id"
INFERENCE_TIME = "inference_time"


@dataclass(frozen=True)
class CapturedBody:
    """One captured request or response: ``text`` is the decoded body."""

    content_type: str
    mode: str
    encoding: str
    text: str


@dataclass(frozen=True)
class CaptureRecord:
    """One captured inference; ``where`` is ``file:line`` for error messages."""

    event_id: str
    inference_id: str | None
    inference_time: str | None
    input: CapturedBody | None
    output: CapturedBody | None
    where: str

    @property
    def merge_key(self) -> str:
        """The id ground truth is matched on: ``inferenceId`` when present, else ``eventId``."""
        return self.inference_id or self.event_id


def decode_body(data: object, encoding: object, where: str) -> str:
    """The body as text: ``data`` itself for CSV/JSON, base64-decoded UTF-8 for BASE64."""
    if not isinstance(data, str):
        raise DataError(f"{where}: 'data' must be a string, got {type(data).__name__}")
    enc = str(encoding).upper() if encoding is not None else "CSV"
    if enc not in ENCODINGS:
        raise DataError(f"{where}: unknown encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")
    if enc != "BASE64":
        return data
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise DataError(f"{where}: BASE64 data cannot be decoded: {exc}") from None


def _json_lines(uri: str) -> Iterator[tuple[dict, str]]:
    """(object, 'file:line') for every non-blank line of every file at ``uri``."""
    import fsspec

    for data_file in list_files(uri):
        with fsspec.open(data_file.uri, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{data_file.name}:{number}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{where}: invalid JSON: {exc.msg}") from None
                if not isinstance(obj, dict):
                    raise DataError(f"{where}: expected a JSON object, got {type(obj).__name__}")
                yield obj, where


def _body(obj: object, key: str, where: str) -> CapturedBody | None:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise DataError(f"{where}: captureData.{key} must be an object")
    return CapturedBody(
        content_type=str(obj.get("observedContentType") or ""),
        mode=str(obj.get("mode") or ""),
        encoding=str(obj.get("encoding") or "CSV").upper(),
        text=decode_body(obj.get("data"), obj.get("encoding"), f"{where}: captureData.{key}"),
    )


def _event_id(obj: dict, where: str) -> tuple[str, dict]:
    meta = obj.get("eventMetadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("eventId"), str) or not meta["eventId"]:
        raise DataError(f"{where}: eventMetadata.eventId is missing")
    return meta["eventId"], meta


def read_capture(uri: str) -> list[CaptureRecord]:
    """Every capture record of a file or a directory of capture files (recursively, in path order)."""
    records = []
    for obj, where in _json_lines(uri):
        data = obj.get("captureData")
        if not isinstance(data, dict):
            raise DataError(f"{where}: captureData is missing; not a SageMaker data-capture record")
        event_id, meta = _event_id(obj, where)
        inference_id = meta.get("inferenceId")
        time = meta.get("inferenceTime")
        records.append(
            CaptureRecord(
                event_id=event_id,
                inference_id=str(inference_id) if inference_id else None,
                inference_time=str(time) if time else None,
                input=_body(data.get("endpointInput"), "endpointInput", where),
                output=_body(data.get("endpointOutput"), "endpointOutput", where),
                where=where,
            )
        )
    if not records:
        raise DataError(f"{uri}: no capture records found")
    return records


def read_ground_truth(uri: str) -> dict[str, list[str]]:
    """Ground-truth labels by event id: each record's ``groundTruthData`` body split into one label per line."""
    labels: dict[str, list[str]] = {}
    for obj, where in _json_lines(uri):
        truth = obj.get("groundTruthData")
        if not isinstance(truth, dict):
            raise DataError(f"{where}: groundTruthData is missing; not a ground-truth record")
        event_id, _ = _event_id(obj, where)
        text = decode_body(truth.get("data"), truth.get("encoding"), f"{where}: groundTruthData")
        if event_id in labels:
            raise DataError(f"{where}: ground truth for event {event_id!r} is given twice")
        labels[event_id] = _lines(text)
    if not labels:
        raise DataError(f"{uri}: no ground-truth records found")
    return labels


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def parse_inputs(
    records: Sequence[CaptureRecord], columns: Sequence[str], features: str | None = None
) -> tuple[pd.DataFrame, list[int]]:
    """The captured request rows as a frame with ``columns``, and how many rows each record holds.

    CSV bodies: one row per line. JSON / JSON Lines bodies: one row per line (JSON Lines) or the whole body
    (JSON); ``features`` (a JMESPath expression) picks the values, else the value itself is the row (a list)
    or the rows (a list of lists)."""
    rows: list[list[object]] = []
    counts: list[int] = []
    expr = jmespath.compile(features) if features else None
    for record in records:
        body = record.input
        if body is None:
            raise DataError(f"{record.where}: captureData.endpointInput is missing (capture the requests)")
        media = _media_type(body.content_type) or "text/csv"
        found: list[list[object]]
        if media == "text/csv":
            found = [list(row) for row in csv.reader(io.StringIO(body.text)) if row]
        elif media in ("application/jsonlines", "application/json"):
            found = _json_rows(body.text, media, expr, record.where)
        else:
            raise DataError(f"{record.where}: cannot read captured input of type {body.content_type!r}")
        for row in found:
            if len(row) != len(columns):
                raise DataError(
                    f"{record.where}: captured input row has {len(row)} values, expected {len(columns)} "
                    f"({', '.join(columns)})"
                )
        rows.extend(found)
        counts.append(len(found))
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.apply(_numeric_if_possible), counts


def _json_rows(text: str, media: str, expr: object, where: str) -> list[list[object]]:
    docs = [json.loads(line) for line in _lines(text)] if media == "application/jsonlines" else [json.loads(text)]
    rows: list[list[object]] = []
    for doc in docs:
        value = expr.search(doc) if expr is not None else doc  # type: ignore[attr-defined]
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            rows.extend(value)
        elif isinstance(value, list):
            rows.append(value)
        else:
            raise DataError(f"{where}: captured JSON input holds no feature list (set the config's 'features')")
    return rows


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    converted = pd.to_numeric(column, errors="coerce")
    return column if converted.isna().any() and not column.isna().all() else converted


def parse_outputs(records: Sequence[CaptureRecord], counts: Sequence[int], codec: ResponseCodec) -> Predictions:
    """The captured responses decoded as the model's answers (``codec`` reads label/probability), one per row.

    A record's own ``observedContentType`` decides how its body is read."""
    parts = []
    for record, n in zip(records, counts, strict=True):
        body = record.output
        if body is None:
            raise DataError(f"{record.where}: captureData.endpointOutput is missing (capture the responses)")
        media = _media_type(body.content_type) or codec.accept_type
        reader = codec if media == codec.accept_type else _with_accept_type(codec, media, record.where)
        try:
            parts.append(reader.decode(body.text.encode("utf-8"), n))
        except PredictorError as exc:
            raise DataError(f"{record.where}: captured output: {exc}") from None
    return concat_predictions(parts)


def _with_accept_type(codec: ResponseCodec, media: str, where: str) -> ResponseCodec:
    """The codec for a body of another content type: label/probability kept only where they fit (column
    indices for CSV, JMESPath expressions for JSON)."""
    kind = int if media == "text/csv" else str

    def keep(ref: str | int | None) -> str | int | None:
        return ref if isinstance(ref, kind) and not isinstance(ref, bool) else None

    try:
        return ResponseCodec(
            accept_type=media, label=keep(codec.label), probability=keep(codec.probability),
            label_headers=codec.label_headers,
        )  # fmt: skip
    except ClarionError as exc:
        raise DataError(f"{where}: captured output of type {media!r} cannot be read: {exc}") from None


def merge_ground_truth(
    records: Sequence[CaptureRecord], counts: Sequence[int], truth: dict[str, list[str]]
) -> np.ndarray:
    """The label of every captured row, in order; DataError naming the first record without (enough) labels."""
    labels: list[str] = []
    for record, n in zip(records, counts, strict=True):
        found = truth.get(record.merge_key)
        if found is None:
            raise DataError(f"{record.where}: no ground truth for event {record.merge_key!r}")
        if len(found) != n:
            raise DataError(
                f"{record.where}: ground truth for event {record.merge_key!r} has {len(found)} labels, "
                f"the request has {n} rows"
            )
        labels.extend(found)
    return np.asarray(labels, dtype=object)


def row_metadata(records: Sequence[CaptureRecord], counts: Sequence[int]) -> pd.DataFrame:
    """``event_id`` and ``inference_time`` of every captured row."""
    ids = [r.merge_key for r, n in zip(records, counts, strict=True) for _ in range(n)]
    times = [r.inference_time for r, n in zip(records, counts, strict=True) for _ in range(n)]
    return pd.DataFrame({EVENT_ID: ids, INFERENCE_TIME: times})


__all__ = [
    "CaptureRecord",
    "CapturedBody",
    "decode_body",
    "merge_ground_truth",
    "parse_inputs",
    "parse_outputs",
    "read_capture",
    "read_ground_truth",
    "row_metadata",
]
