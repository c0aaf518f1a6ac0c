"""Predicted labels from a separate dataset (``predicted_label_dataset_uri``), joined to the dataset's rows.

With ``joinsource_name_or_index`` the rows are paired by id: the predicted-label dataset (CSV, named by
``predicted_label_headers``) holds the id column under the same name, and each dataset row takes the
predicted label of its id. An id without a predicted label, a predicted label whose id has no row, or an id
appearing twice on either side is a DataError naming the id. Without a join source, rows are paired by
position and the two datasets must have the same number of rows.

Ids are compared as text (``7``, ``7.0`` and ``"7"`` are one id); the predicted labels are kept as the CSV
text and typed over the whole column with the other text columns (``clarion.bias.retype``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clarion.data.options import TEXT_COLUMNS_ATTR, ReadOptions
from clarion.data.readers import read_chunks
from clarion.data.roles import resolve
from clarion.errors import DataError

DEFAULT_LABEL_NAME = "predicted_label"


def predicted_label_name(predicted_label: str | int | None) -> str:
    """The column the joined predicted labels get: the config's name, else ``predicted_label``."""
    return predicted_label if isinstance(predicted_label, str) else DEFAULT_LABEL_NAME


def join_predicted_labels(
    chunks: Iterator[pd.DataFrame],
    *,
    uri: str,
    headers: Sequence[str] | None,
    predicted_label: str | int | None,
    joinsource: str | int | None,
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    """The dataset's chunks with the predicted-label column added (by id when ``joinsource`` is set).

    ``joinsource`` is the config's name or index of the id column in the dataset.
    """
    name = predicted_label_name(predicted_label)
    if joinsource is None:
        yield from _by_position(chunks, uri, headers, name, chunk_rows)
        return
    first = next(chunks, None)
    if first is None:
        return
    chunks = itertools.chain([first], chunks)
    joinsource = resolve(joinsource, list(first.columns), "joinsource_name_or_index")
    assert joinsource is not None
    text = (joinsource, name) if headers and name in headers else (joinsource,)
    labels = _labels_by_id(uri, headers, predicted_label, joinsource, chunk_rows, text)
    seen: set[str] = set()
    for chunk in chunks:
        if joinsource not in chunk.columns:
            raise DataError(f"joinsource_name_or_index: column {joinsource!r} not found in the dataset")
        values = []
        for raw in chunk[joinsource].tolist():
            key = id_key(raw)
            if key in seen:
                raise DataError(f"joinsource_name_or_index: id {key!r} appears more than once in the dataset")
            seen.add(key)
            if key not in labels:
                raise DataError(f"{uri}: no predicted label for id {key!r} (joinsource_name_or_index {joinsource!r})")
            values.append(labels[key])
        yield _with_column(chunk, name, values, text=name in text)
    unused = [key for key in labels if key not in seen]
    if unused:
        raise DataError(f"{uri}: id {unused[0]!r} has a predicted label but no row in the dataset")


def id_key(value: Any) -> str:
    """An id as text: integral numbers without a decimal part, text trimmed; empty ids are refused."""
    if value is None or (isinstance(value, float) and value != value):
        raise DataError("joinsource_name_or_index: a row has an empty id")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and "e" not in text.lower() else text


def _labels_by_id(
    uri: str,
    headers: Sequence[str] | None,
    predicted_label: str | int | None,
    joinsource: str,
    chunk_rows: int,
    text: tuple[str, ...],
) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for part in read_chunks(uri, _options(headers, text, chunk_rows)):
        if joinsource not in part.columns:
            raise DataError(
                f"{uri}: the predicted-label dataset has no id column {joinsource!r} "
                f"(joinsource_name_or_index); its columns are {list(part.columns)}"
            )
        column = _label_column(part, predicted_label, joinsource, uri)
        for raw_id, label in zip(part[joinsource].tolist(), column.tolist(), strict=True):
            key = id_key(raw_id)
            if key in labels:
                raise DataError(f"{uri}: id {key!r} appears more than once in the predicted-label dataset")
            labels[key] = label
    return labels


def _label_column(part: pd.DataFrame, predicted_label: str | int | None, joinsource: str, uri: str) -> pd.Series:
    if isinstance(predicted_label, str) and predicted_label in part.columns:
        return part[predicted_label]
    if isinstance(predicted_label, int) and not isinstance(predicted_label, bool):
        if not 0 <= predicted_label < part.shape[1]:
            raise DataError(f"predicted_label: column index {predicted_label} out of range in {uri}")
        return part.iloc[:, predicted_label]
    others = [c for c in part.columns if c != joinsource]
    if len(others) != 1:
        raise DataError(f"{uri}: cannot tell the predicted-label column among {others}; set predicted_label")
    return part[others[0]]


def _options(headers: Sequence[str] | None, text: tuple[str, ...], chunk_rows: int) -> ReadOptions:
    names = tuple(headers) if headers else None
    return ReadOptions(dataset_type="text/csv", headers=names, chunk_rows=chunk_rows, text_columns=text or None)


def _with_column(chunk: pd.DataFrame, name: str, values: Any, *, text: bool) -> pd.DataFrame:
    """``chunk`` with column ``name``; marked as CSV text when it was read as text."""
    joined = chunk.copy()
    joined[name] = pd.Series(values, index=chunk.index, dtype=object) if text else values
    marked = [c for c in chunk.attrs.get(TEXT_COLUMNS_ATTR, ()) if c != name] + ([name] if text else [])
    joined.attrs[TEXT_COLUMNS_ATTR] = tuple(marked)
    return joined


def _by_position(
    chunks: Iterator[pd.DataFrame], uri: str, headers: Sequence[str] | None, name: str, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    all_names = tuple(headers) if headers else None
    text = (name,) if all_names and name in all_names else ()
    labels = _Rechunk(read_chunks(uri, _options(headers, text, chunk_rows)))
    for chunk in chunks:
        part = labels.take(len(chunk))
        if len(part) != len(chunk):
            raise DataError(f"{uri}: the predicted-label dataset has fewer rows than the dataset")
        column = part[name] if name in part.columns else part.iloc[:, 0]
        yield _with_column(chunk, name, column.to_numpy(), text=name in text)
    if labels.take(1).shape[0]:
        raise DataError(f"{uri}: the predicted-label dataset has more rows than the dataset")


class _Rechunk:
    """Serve an iterator of frames as slices of any requested length."""

    def __init__(self, frames: Iterator[pd.DataFrame]) -> None:
        self._frames = frames
        self._buffer = pd.DataFrame()

    def take(self, n: int) -> pd.DataFrame:
        while len(self._buffer) < n:
            nxt = next(self._frames, None)
            if nxt is None:
                break
            self._buffer = pd.concat([self._buffer, nxt], ignore_index=True) if len(self._buffer) else nxt
        part, self._buffer = self._buffer.iloc[:n], self._buffer.iloc[n:].reset_index(drop=True)
        return part.reset_index(drop=True)


@dataclass(frozen=True)
class PredictedLabels:
    """A separate predicted-label column loaded once, joined to chunks wherever they are (Spark executors):
    by id (``joinsource`` set: ``by_id``) or by dataset position (``by_position``)."""

    uri: str
    name: str
    text: bool
    joinsource: str | None
    by_id: dict[str, Any] | None = None
    by_position: np.ndarray | None = None

    def attach(self, chunk: pd.DataFrame, position: int) -> pd.DataFrame:
        """``chunk`` (first row at dataset ``position``) with the predicted-label column."""
        if self.by_position is not None:
            return _with_column(chunk, self.name, self.by_position[position : position + len(chunk)], text=self.text)
        assert self.by_id is not None and self.joinsource is not None
        if self.joinsource not in chunk.columns:
            raise DataError(f"joinsource_name_or_index: column {self.joinsource!r} not found in the dataset")
        values = []
        for raw in chunk[self.joinsource].tolist():
            key = id_key(raw)
            if key not in self.by_id:
                raise DataError(
                    f"{self.uri}: no predicted label for id {key!r} (joinsource_name_or_index {self.joinsource!r})"
                )
            values.append(self.by_id[key])
        return _with_column(chunk, self.name, values, text=self.text)

    def check_rows(self, dataset_rows: int) -> None:
        """Joined by position: the two datasets have the same number of rows."""
        if self.by_position is None:
            return
        if len(self.by_position) < dataset_rows:
            raise DataError(f"{self.uri}: the predicted-label dataset has fewer rows than the dataset")
        if len(self.by_position) > dataset_rows:
            raise DataError(f"{self.uri}: the predicted-label dataset has more rows than the dataset")

    def check_ids(self, dataset_ids: Iterator[str]) -> None:
        """Joined by id: the dataset's ids (``id_key``), in order, are distinct and every label has its row."""
        if self.by_id is None:
            return
        seen: set[str] = set()
        for key in dataset_ids:
            if key in seen:
                raise DataError(f"joinsource_name_or_index: id {key!r} appears more than once in the dataset")
            seen.add(key)
        unused = [key for key in self.by_id if key not in seen]
        if unused:
            raise DataError(f"{self.uri}: id {unused[0]!r} has a predicted label but no row in the dataset")


def load_predicted_labels(
    *,
    uri: str,
    headers: Sequence[str] | None,
    predicted_label: str | int | None,
    joinsource: str | None,
    chunk_rows: int,
) -> PredictedLabels:
    """Read the predicted-label dataset once (``joinsource``: the id column's name in the dataset, or None)."""
    name = predicted_label_name(predicted_label)
    if joinsource is not None:
        text = (joinsource, name) if headers and name in headers else (joinsource,)
        labels = _labels_by_id(uri, headers, predicted_label, joinsource, chunk_rows, text)
        return PredictedLabels(uri, name, name in text, joinsource, by_id=labels)
    all_names = tuple(headers) if headers else None
    text_names = (name,) if all_names and name in all_names else ()
    parts = [
        part[name] if name in part.columns else part.iloc[:, 0]
        for part in read_chunks(uri, _options(headers, text_names, chunk_rows))
    ]
    values = pd.concat(parts, ignore_index=True).to_numpy() if parts else np.empty(0)
    return PredictedLabels(uri, name, bool(text_names), None, by_position=values)
