"""Codecs: feature rows -> request bodies (content_type), response bodies -> Predictions (accept_type).

Requests (Clarify's templates, see the SDK's ``ModelConfig``):
- ``text/csv``: one row per line, no header.
- ``application/jsonlines``: one line per row, ``content_template`` with ``$features`` replaced by the JSON
  list of the row's values, e.g. ``{"features":$features}``.
- ``application/json``: each row rendered by ``record_template`` (``$features`` -> list of values,
  ``$feature_names`` -> list of names, ``$features_kvp`` -> ``{"name": value, ...}``, ``"${Name}"`` ->
  the value of feature Name), then ``content_template`` with ``$records`` (a JSON list of the records, many
  rows per request) or ``$record`` (one row per request).
- ``application/x-npy``: the rows of a request as one NumPy ``.npy`` array of float64, shape (rows, features)
  (numeric features only).

Responses: one result per row, in order.
- ``text/csv``: one line per row; ``label`` / ``probability`` are column indices; without them a line is one
  score, or several scores. A cell may hold a JSON list (``Current,"[0.1, 0.9]"``).
- ``application/jsonlines``: one JSON value per line; ``label`` / ``probability`` are JMESPath expressions
  into it; without them a line is a number or a list of numbers.
- ``application/json``: one JSON document; the JMESPath expressions (or the document itself) give a list
  with one entry per row (for ``$record`` requests: the entry of the single row).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jmespath
import numpy as np
import pandas as pd

from clarion.errors import ConfigError, PredictorError
from clarion.predictors.predictions import Predictions

NPY = "application/x-npy"
NPY_HEADER_BYTES = 128  # numpy's .npy header for a 2-D float array (version 1.0, padded to 64-byte multiples)
VALUE_CHARS = 40  # the most of a value or a server's text that a message shows
_NAME_PLACEHOLDER = re.compile(r'"?\$\{([^}]+)\}"?')


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _float_rows(frame: pd.DataFrame) -> np.ndarray:
    """The rows as little-endian float64 (application/x-npy carries numbers only)."""
    try:
        return np.ascontiguousarray(frame.to_numpy(dtype="<f8"))
    except (TypeError, ValueError):
        kinds = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        raise PredictorError(
            f"content_type application/x-npy needs numeric features; not numeric: {kinds[:5]}"
        ) from None


def _python_rows(frame: pd.DataFrame) -> list[list[Any]]:
    return [list(row) for row in frame.itertuples(index=False, name=None)]


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"))


@dataclass(frozen=True)
class RequestCodec:
    """Turns feature rows into request bodies of one content type."""

    content_type: str
    content_template: str | None = None
    record_template: str | None = None

    @property
    def one_row_per_request(self) -> bool:
        """``$record`` templates send a single row per request."""
        return self.content_type == "application/json" and "$records" not in (self.content_template or "")

    def encode(self, frame: pd.DataFrame) -> EncodedRows:
        """All rows encoded once, each followed by its separator (newline, or comma for JSON records)."""
        if self.content_type == NPY:
            return EncodedRows.from_rows(self.encode_rows(frame), b"")
        if self.content_type == "text/csv":
            fast = _arrow_csv(frame)
            if fast is not None:
                return fast
            return EncodedRows.from_rows(_csv_rows(frame), b"\n")
        if self.content_type == "application/jsonlines":
            template = self.content_template or '{"features":$features}'
            head, _, tail = template.partition("$features")
            numeric = _numeric_csv_lines(frame)
            if numeric is not None and "$features" not in tail:
                prefix, suffix = head.encode() + b"[", b"]" + tail.encode()
                return EncodedRows.from_rows([prefix + line + suffix for line in numeric], b"\n")
            return EncodedRows.from_rows(self.encode_rows(frame), b"\n")
        return EncodedRows.from_rows(self.encode_rows(frame), self.separator())

    def encode_rows(self, frame: pd.DataFrame) -> list[bytes]:
        """Each row's encoded text (without separators), in order (the reference, row by row)."""
        if self.content_type == "text/csv":
            return _csv_rows(frame)
        if self.content_type == "application/jsonlines":
            template = self.content_template or '{"features":$features}'
            return [template.replace("$features", _dumps(row)).encode() for row in _python_rows(frame)]
        if self.content_type == "application/json":
            return _json_records(frame, self.record_template or "$features")
        if self.content_type == NPY:
            return [row.tobytes() for row in _float_rows(frame)]
        raise PredictorError(f"content_type {self.content_type} is not supported for tabular rows")

    def separator(self) -> bytes:
        if self.content_type == NPY:
            return b""
        return b"," if self.content_type == "application/json" else b"\n"

    def overhead(self) -> int:
        """Bytes a request adds around its rows (whose sizes include their separators)."""
        if self.content_type == NPY:
            return NPY_HEADER_BYTES
        if self.content_type == "application/json":
            return len((self.content_template or "$records").encode()) + 2
        return 0

    def body(self, rows: EncodedRows, batch: slice) -> bytes:
        """The request body for rows ``batch``."""
        chunk = rows.data[int(rows.offsets[batch.start]) : int(rows.offsets[batch.stop])]
        if self.content_type == NPY:
            count = batch.stop - batch.start
            width = int(rows.offsets[batch.start + 1] - rows.offsets[batch.start]) // 8 if count else 0
            buffer = io.BytesIO()
            np.save(buffer, np.frombuffer(chunk, dtype="<f8").reshape(count, width), allow_pickle=False)
            return buffer.getvalue()
        if self.content_type != "application/json":
            return chunk
        template = self.content_template or "$records"
        if "$records" in template:
            head, _, tail = template.partition("$records")
            return head.encode() + b"[" + chunk[:-1] + b"]" + tail.encode()
        head, _, tail = template.partition("$record")
        return head.encode() + chunk[:-1] + tail.encode()

    def join(self, rows: Sequence[bytes]) -> bytes:
        """One request body from rows given one by one."""
        encoded = EncodedRows.from_rows(list(rows), self.separator())
        return self.body(encoded, slice(0, len(encoded)))


@dataclass(frozen=True)
class EncodedRows:
    """Encoded rows in one buffer: row i is ``data[offsets[i]:offsets[i + 1]]``, separator included."""

    data: bytes
    offsets: np.ndarray

    @classmethod
    def from_rows(cls, rows: list[bytes], separator: bytes) -> EncodedRows:
        sizes = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows)) + len(separator)
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        data = separator.join(rows) + separator if rows else b""
        return cls(data=data, offsets=offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)


def _arrow_csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """CSV without header by Arrow's writer (shortest round-trip floats), or None when Arrow cannot write it."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        table = pa.Table.from_pandas(frame, preserve_index=False)
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    except Exception:  # unusual column types: the pandas writer handles them
        return None
    return sink.getvalue()


def _arrow_csv(frame: pd.DataFrame) -> EncodedRows | None:
    if len(frame) == 0 or frame.shape[1] == 0:
        return None
    data = _arrow_csv_bytes(frame)
    if data is None:
        return None
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    if len(ends) != len(frame) or ends[-1] != len(data) - 1:
        return None  # a value holds a line break
    offsets = np.zeros(len(frame) + 1, dtype=np.int64)
    offsets[1:] = ends + 1
    return EncodedRows(data=data, offsets=offsets)


def _numeric_csv_lines(frame: pd.DataFrame) -> list[bytes] | None:
    """Rows of a finite all-number frame as comma-joined JSON numbers, or None."""
    if len(frame) == 0 or frame.shape[1] == 0 or not all(dt.kind in "iuf" for dt in frame.dtypes):
        return None
    if not np.isfinite(frame.to_numpy(dtype=float)).all():
        return None
    data = _arrow_csv_bytes(frame)
    if data is None:
        return None
    lines = data.split(b"\n")[:-1]
    return lines if len(lines) == len(frame) else None


def _csv_rows(frame: pd.DataFrame) -> list[bytes]:
    text = frame.to_csv(header=False, index=False, lineterminator="\n")
    lines = text.encode().split(b"\n")[:-1]
    if len(lines) == len(frame):
        return lines
    # a value holds a line break: quote row by row
    rows = []
    for row in _python_rows(frame):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(row)
        rows.append(buffer.getvalue()[:-1].encode())
    return rows


def _json_records(frame: pd.DataFrame, template: str) -> list[bytes]:
    names = [str(c) for c in frame.columns]
    rows = _python_rows(frame)
    if "$features_kvp" in template:
        return [template.replace("$features_kvp", _dumps(dict(zip(names, row, strict=True)))).encode() for row in rows]
    if "$features" in template or "$feature_names" in template:
        with_names = template.replace("$feature_names", _dumps(names))
        return [with_names.replace("$features", _dumps(row)).encode() for row in rows]
    placeholders = _NAME_PLACEHOLDER.findall(template)
    missing = sorted(set(placeholders) - set(names))
    if missing:
        raise ConfigError(f"predictor.record_template: placeholders {missing} are not feature names")
    if not placeholders:
        raise ConfigError("predictor.record_template: expected $features, $features_kvp or ${Name} placeholders")
    position = {n: i for i, n in enumerate(names)}
    out = []
    for row in rows:

        def value(match: re.Match[str], row: list[Any] = row) -> str:
            return _dumps(row[position[match.group(1)]])

        out.append(_NAME_PLACEHOLDER.sub(value, template).encode())
    return out


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"expected a number, got {clip(repr(value), VALUE_CHARS)}")


def _score_vector(value: Any) -> list[float]:
    """A score or list of scores; strings holding a number or a JSON list are read too."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
    if isinstance(value, list):
        return [_number(v) for v in value]
    return [_number(value)]


def _label_values(values: list[Any]) -> np.ndarray:
    """Labels as numbers when they all read as numbers (ints when integral), else as strings."""
    try:
        numbers = np.array([_number(v) for v in values], dtype=float)
    except (ValueError, TypeError):
        return np.array([str(v) if not isinstance(v, str) else v for v in values], dtype=object)
    if np.all(np.abs(numbers) < 2.0**53) and np.all(numbers == np.round(numbers)):
        return numbers.astype(np.int64)
    return numbers


@dataclass(frozen=True)
class ResponseCodec:
    """Reads one result per row from response bodies of one accept type."""

    accept_type: str
    label: str | int | None = None
    probability: str | int | None = None
    label_headers: tuple[str, ...] | None = None
    # clarion-internal: JSON responses as a list of per-record objects found at record_path, and labels that
    # may be missing (null) for every record, as clarion serve answers binary models.
    record_path: str | None = None
    label_optional: bool = False

    def __post_init__(self) -> None:
        if self.accept_type == "text/csv":
            for key in ("label", "probability"):
                value = getattr(self, key)
                if value is not None and not isinstance(value, int):
                    raise ConfigError(
                        f"predictor.{key}: expected a column index for accept_type text/csv, got {value!r}"
                    )
        else:
            for key in ("label", "probability"):
                value = getattr(self, key)
                if isinstance(value, int):
                    raise ConfigError(
                        f"predictor.{key}: expected a JMESPath expression for accept_type {self.accept_type}"
                    )
                if value is not None:
                    try:
                        jmespath.compile(value)
                    except jmespath.exceptions.JMESPathError as exc:
                        raise ConfigError(f"predictor.{key}: invalid JMESPath expression {value!r}") from exc

    def decode(self, body: bytes, n_rows: int, *, single_record: bool = False) -> Predictions:
        """Predictions for ``n_rows`` rows; PredictorError when the count or a value is wrong."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PredictorError("response is not UTF-8 text") from exc
        if self.accept_type == "text/csv":
            fast = self._fast_csv(body)
            if fast is not None:
                if len(fast) != n_rows:
                    raise PredictorError(f"expected {n_rows} results, got {len(fast)}")
                return fast
            records = self._csv_records(text)
        elif self.accept_type == "application/jsonlines":
            records = self._jsonlines_records(text)
        else:
            records = self._json_records(text, single_record)
        if len(records) != n_rows:
            raise PredictorError(f"expected {n_rows} results, got {len(records)}")
        return self._to_predictions(records)

    def _fast_csv(self, body: bytes) -> Predictions | None:
        """The common answers (numbers, or an index-picked label / number) parsed in C; None -> read row by row."""
        if not body.strip():
            return None
        try:
            frame = pd.read_csv(io.BytesIO(body), header=None, skip_blank_lines=True)
        except (ValueError, pd.errors.ParserError):
            return None
        if frame.isna().to_numpy().any():
            return None  # short lines are filled with missing values: read row by row to report them
        width = frame.shape[1]
        if self.label is None and self.probability is None:
            if not all(dt.kind in "iuf" for dt in frame.dtypes):
                return None
            return Predictions(scores=frame.to_numpy(dtype=float), label_headers=self.label_headers)
        picks = [i for i in (self.label, self.probability) if i is not None]
        if any(not -width <= int(i) < width for i in picks):  # CSV answers pick columns by index
            return None
        scores = None
        if self.probability is not None:
            column: pd.Series = frame.iloc[:, int(self.probability)]
            if column.dtype.kind not in "iuf":
                return None  # e.g. a JSON list per cell
            scores = column.to_numpy(dtype=float).reshape(-1, 1)
        labels = None
        if self.label is not None:
            column = frame.iloc[:, int(self.label)]
            if column.dtype.kind in "iuf":
                labels = _label_values(column.to_numpy(dtype=float).tolist())
            else:
                labels = np.array([str(v).strip() for v in column.tolist()], dtype=object)
        return Predictions(labels=labels, scores=scores, label_headers=self.label_headers)

    # Each record is a pair (label or None, scores or None).
    def _csv_records(self, text: str) -> list[tuple[Any, Any]]:
        lines = [line for line in text.splitlines() if line.strip()]
        records = []
        for number, fields in enumerate(csv.reader(lines), start=1):
            try:
                records.append(self._pick_csv(fields))
            except (IndexError, ValueError) as exc:
                raise PredictorError(f"response line {number}: {_short(exc)}") from exc
        return records

    def _pick_csv(self, fields: list[str]) -> tuple[Any, Any]:
        if self.label is None and self.probability is None:
            if len(fields) == 1:
                return None, _score_vector(fields[0])
            return None, [_number(f) for f in fields]
        label = fields[self.label].strip() if self.label is not None else None  # type: ignore[index]
        scores = _score_vector(fields[self.probability]) if self.probability is not None else None  # type: ignore[index]
        return label, scores

    def _jsonlines_records(self, text: str) -> list[tuple[Any, Any]]:
        records = []
        for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
            try:
                records.append(self._pick_json(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise PredictorError(f"response line {number}: {_short(exc)}") from exc
        return records

    def _pick_json(self, value: Any) -> tuple[Any, Any]:
        if self.label is None and self.probability is None:
            return None, _score_vector(value)
        label = None
        if self.label is not None:
            label = _compiled(self.label).search(value) if self.label_optional else self._search(self.label, value)
        scores = _score_vector(self._search(self.probability, value)) if self.probability is not None else None
        return label, scores

    @staticmethod
    def _search(expression: Any, value: Any) -> Any:
        found = _compiled(expression).search(value)
        if found is None:
            raise ValueError(f"JMESPath {expression!r} found nothing")
        return found

    def _json_records(self, text: str, single_record: bool) -> list[tuple[Any, Any]]:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise PredictorError(f"response is not JSON: {_short(exc)}") from exc
        if single_record:
            try:
                return [self._pick_json(document)]
            except (ValueError, TypeError) as exc:
                raise PredictorError(f"response: {_short(exc)}") from exc
        if self.record_path is not None:
            items = jmespath.search(self.record_path, document)
            if not isinstance(items, list):
                raise PredictorError(f"response: JMESPath {self.record_path!r} found no list of results")
            records = []
            for i, item in enumerate(items):
                try:
                    records.append(self._pick_json(item))
                except (ValueError, TypeError) as exc:
                    raise PredictorError(f"response record {i + 1}: {_short(exc)}") from exc
            return records
        try:
            labels = self._search(self.label, document) if self.label is not None else None
            scores = self._search(self.probability, document) if self.probability is not None else None
        except ValueError as exc:
            raise PredictorError(f"response: {_short(exc)}") from exc
        if labels is None and scores is None:
            scores = document
        columns = [c for c in (labels, scores) if c is not None]
        if not all(isinstance(c, list) for c in columns):
            raise PredictorError("response: expected a list with one result per record")
        if len({len(c) for c in columns}) != 1:
            raise PredictorError(f"response: label and probability lists differ in length {[len(c) for c in columns]}")
        n = len(columns[0])
        records = []
        for i in range(n):
            try:
                records.append(
                    (
                        labels[i] if labels is not None else None,
                        _score_vector(scores[i]) if scores is not None else None,
                    )
                )
            except (ValueError, TypeError) as exc:
                raise PredictorError(f"response record {i + 1}: {_short(exc)}") from exc
        return records

    def _to_predictions(self, records: list[tuple[Any, Any]]) -> Predictions:
        labels = [r[0] for r in records]
        scores = [r[1] for r in records]
        headers = self.label_headers
        score_array = None
        if records and scores[0] is not None:
            widths = {len(s) for s in scores}
            if len(widths) != 1:
                raise PredictorError(f"the model answered score vectors of different lengths {sorted(widths)}")
            score_array = np.asarray(scores, dtype=float)
        label_array = None
        if self.label_optional and any(v is None for v in labels):
            if not all(v is None for v in labels):
                raise PredictorError("the model answered a label for some rows only")
            labels = [None] * len(labels)
        if records and labels[0] is not None:
            if isinstance(labels[0], list):
                # a list of class names per record with a score each: the label is the best-scoring name
                if score_array is None or score_array.shape[1] != len(labels[0]):
                    raise PredictorError("the model answered a list of labels without one score per label")
                best = np.argmax(score_array, axis=1)
                label_array = _label_values([row[i] for row, i in zip(labels, best, strict=True)])
                if headers is None:
                    headers = tuple(str(v) for v in labels[0])
            else:
                label_array = _label_values(labels)
        if label_array is None and score_array is None:
            label_array = np.array([], dtype=float)
        return Predictions(labels=label_array, scores=score_array, label_headers=headers)


@functools.lru_cache(maxsize=64)
def _compiled(expression: str) -> Any:
    return jmespath.compile(expression)


def _short(exc: BaseException) -> str:
    return clip(str(exc), 2 * VALUE_CHARS)


def clip(text: str, limit: int = VALUE_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters (an ellipsis marks a cut)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
