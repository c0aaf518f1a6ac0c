"""application/jsonlines and application/json: features, label and other columns by JMESPath.

The ``features`` expression gives the features of a record: a list (a single value, such as a text, is a
one-feature list), named by position from ``headers``
(when ``headers`` has one more entry than there are features, its last entry names the label, as
Clarify's guide says), else ``column_0``...; or an object, whose keys are the names (matched to
``headers`` by name, letter case ignored, and put in ``headers`` order; keys that disagree with
``headers`` are a DataError listing both). ``label``, ``predicted_label`` and ``joinsource`` are
expressions, each giving one column named by the expression (or the label header). Files may be gzip
compressed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import jmespath
import pandas as pd

from clarion.data.options import ReadOptions
from clarion.data.sources import DataFile, open_text
from clarion.errors import DataError


@dataclass(frozen=True)
class JsonColumns:
    features: jmespath.parser.ParsedResult | None
    extras: tuple[tuple[str, jmespath.parser.ParsedResult], ...]  # (column name, expression)


def json_columns(options: ReadOptions) -> JsonColumns:
    extras = []
    for key in ("label", "predicted_label", "joinsource"):
        ref = getattr(options, key)
        if ref is None:
            continue
        if not isinstance(ref, str):
            raise DataError(f"{key}: expected a JMESPath expression for {options.dataset_type} data, got {ref!r}")
        extras.append((ref, _compile(key, ref)))
    features = _compile("features", options.features) if options.features else None
    return JsonColumns(features=features, extras=tuple(extras))


def _compile(key: str, expression: str) -> jmespath.parser.ParsedResult:
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.ParseError as exc:
        raise DataError(f"{key}: invalid JMESPath expression {expression!r}: {exc}") from None


def _feature_names(count: int, options: ReadOptions) -> tuple[list[str], str | None]:
    """Names of the features and, when ``headers`` has one extra entry, the label's name."""
    headers = list(options.headers or [])
    if len(headers) == count + 1 and options.label is not None:
        return headers[:count], headers[count]
    if len(headers) == count:
        return headers, None
    if headers:
        raise DataError(f"headers: {len(headers)} names given for {count} features")
    return [f"column_{i}" for i in range(count)], None


def records_to_frame(
    records: list[object], columns: JsonColumns, options: ReadOptions, where: Callable[[int], str]
) -> pd.DataFrame:
    rows: list[list[object]] = []
    extra_values: list[list[object]] = [[] for _ in columns.extras]
    width: int | None = None
    keys: list[str] | None = None
    for index, record in enumerate(records):
        if columns.features is not None:
            values = columns.features.search(record)
            if isinstance(values, dict):
                if keys is None:
                    keys = list(values)
                elif set(values) != set(keys):
                    raise DataError(f"{where(index)}: expected the features {keys}, got {list(values)}")
                values = [values[k] for k in keys]
            elif isinstance(values, str | int | float) and keys is None and width in (None, 1):
                values = [values]  # a single feature, e.g. a text: "features": "text"
            elif not isinstance(values, list) or keys is not None:
                raise DataError(f"{where(index)}: features expression {options.features!r} found no list")
            if width is None:
                width = len(values)
            elif len(values) != width:
                raise DataError(f"{where(index)}: expected {width} features, got {len(values)}")
            rows.append(values)
        for slot, (_, expression) in zip(extra_values, columns.extras, strict=True):
            slot.append(expression.search(record))
    label_name = None
    if keys is not None:
        names = keys
        order = _named_order(keys, options, where(0))
    else:
        names, label_name = _feature_names(width or 0, options)
        order = None
    frame = (
        pd.DataFrame(rows, columns=names) if columns.features is not None else pd.DataFrame(index=range(len(records)))
    )
    if order is not None:
        frame = frame.rename(columns=dict(zip(names, order[0], strict=True)))[order[1]]
    for (name, _), values in zip(columns.extras, extra_values, strict=True):
        if label_name is not None and name == options.label:
            name = label_name
        frame[name] = pd.Series(values, index=frame.index)
    return frame


def _named_order(keys: list[str], options: ReadOptions, where: str) -> tuple[list[str], list[str]] | None:
    """(config name of each key, column order) when ``headers`` names the features; None without headers."""
    headers = list(options.headers or [])
    if not headers:
        return None
    by_folded = {h.casefold(): h for h in headers}
    folded = [k.casefold() for k in keys]
    if len(set(folded)) == len(folded) and all(f in by_folded for f in folded):
        names = [by_folded[f] for f in folded]
        rest = [h for h in headers if h not in names]
        if not rest or (len(rest) == 1 and options.label is not None):
            return names, [h for h in headers if h in names]
    raise DataError(f"{where}: the features' names {keys} do not match headers in the config {headers}")


def jsonlines_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    columns = json_columns(options)
    try:
        with open_text(data_file, newline=None) as handle:
            for lines in _numbered_batches(handle, options.chunk_rows):
                records = []
                for number, line in lines:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise DataError(f"{data_file.name}:{number}: invalid JSON: {exc.msg}") from None
                places = [f"{data_file.name}:{n}" for n, _ in lines]
                yield records_to_frame(records, columns, options, places.__getitem__)
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}: not UTF-8 text ({exc.reason})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{data_file.name}: cannot read: {exc}") from None


def _numbered_batches(lines: Iterable[str], size: int) -> Iterator[list[tuple[int, str]]]:
    """Batches of up to ``size`` non-blank lines with their 1-based line numbers."""
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        batch.append((number, line))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def json_chunks(data_file: DataFile, options: ReadOptions) -> Iterator[pd.DataFrame]:
    """A whole JSON document: ``features`` gives a 2-D list; ``label`` etc. give one list each."""
    try:
        with open_text(data_file, newline=None) as handle:
            document = json.load(handle)
    except json.JSONDecodeError as exc:
        raise DataError(f"{data_file.name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{data_file.name}: not UTF-8 text ({exc.reason})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{data_file.name}: cannot read: {exc}") from None
    columns = json_columns(options)
    matrix = columns.features.search(document) if columns.features is not None else None
    if not isinstance(matrix, list) or not all(isinstance(row, list) for row in matrix):
        raise DataError(f"{data_file.name}: features expression {options.features!r} found no list of rows")
    width = len(matrix[0]) if matrix else 0
    names, label_name = _feature_names(width, options)
    frame = pd.DataFrame(matrix, columns=names)
    for name, expression in columns.extras:
        values = expression.search(document)
        if not isinstance(values, list) or len(values) != len(frame):
            raise DataError(f"{data_file.name}: {name!r} must give a list of {len(frame)} values")
        frame[label_name if (label_name and name == options.label) else name] = values
    for start in range(0, len(frame), options.chunk_rows):
        yield frame.iloc[start : start + options.chunk_rows].reset_index(drop=True)
