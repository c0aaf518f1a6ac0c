"""A second dataset joined to the dataset's chunks, by id or by row position.

Clarify's ``predicted_label_dataset_uri`` and ``facet_dataset_uri`` join the same way: with
``joinsource_name_or_index`` each dataset row takes the second dataset's row with the same id (the id
column under the same name in both); without it, rows are paired by position and the two datasets must
have the same number of rows. Ids are compared as text (``id_key``: ``7``, ``7.0`` and ``"7"`` are one
id). An id missing on either side or repeated on either side, and a row count that differs, is a
DataError naming the id or the file.

A ``Side`` says what differs between the two uses: how the second dataset is read, which of its columns
are joined, and how they are put beside a chunk. Here is what they share:

- ``join_stream``: a stream of chunks in dataset order, joined (the local engine; by position the second
  dataset is streamed alongside, by id it is loaded once);
- ``load_side``: the second dataset read once into a ``SideTable``, which joins any chunk at its dataset
  position wherever it is (Spark executors) and checks row counts (``check_rows``) and ids
  (``check_ids``) in one pass over the dataset.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from clarion.data.roles import resolve
from clarion.errors import DataError


class Side(Protocol):
    """One kind of second dataset (predicted labels, facets)."""

    @property
    def uri(self) -> str: ...

    @property
    def kind(self) -> str:
        """In messages: "the predicted-label dataset" has kind "predicted-label"."""
        ...

    @property
    def noun(self) -> str:
        """In messages: "no predicted label for id ..." has noun "predicted label"."""
        ...

    @property
    def some(self) -> str:
        """In messages: "id ... has a predicted label but no row in the dataset" has some "a predicted label"."""
        ...

    def parts(self, id_name: str | None) -> Iterator[pd.DataFrame]:
        """The second dataset's chunks (``id_name``: the id column when joined by id)."""
        ...

    def select(self, part: pd.DataFrame, id_name: str | None) -> pd.DataFrame:
        """The columns of ``part`` that are joined (never the id column)."""
        ...

    def attach(self, chunk: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        """``chunk`` with ``rows`` (selected columns, one row per chunk row, in order) beside it."""
        ...


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


def chunk_ids(chunk: pd.DataFrame, id_name: str) -> list[str]:
    """The ids of a dataset chunk (``id_key``); a DataError when the chunk has no id column."""
    if id_name not in chunk.columns:
        raise DataError(f"joinsource_name_or_index: column {id_name!r} not found in the dataset")
    return [id_key(value) for value in chunk[id_name].tolist()]


@dataclass(frozen=True)
class SideTable:
    """A second dataset's joined columns, loaded once: ``rows`` in file order, ``index`` id -> row (by id)."""

    side: Side
    rows: pd.DataFrame
    id_name: str | None = None
    index: dict[str, int] | None = None

    def join(self, chunk: pd.DataFrame, position: int) -> pd.DataFrame:
        """``chunk`` (its first row at dataset ``position``) with the joined columns."""
        if self.index is None:
            return self.side.attach(chunk, self.rows.iloc[position : position + len(chunk)])
        assert self.id_name is not None
        return self.side.attach(chunk, self.rows.iloc[[self._row(key) for key in chunk_ids(chunk, self.id_name)]])

    def join_all(self, chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Chunks in dataset order joined by id; ids repeated in the dataset or left unused are refused."""
        assert self.index is not None and self.id_name is not None
        seen: set[str] = set()
        for chunk in chunks:
            keys = chunk_ids(chunk, self.id_name)
            for key in keys:
                _check_new(key, seen)
                self._row(key)
            yield self.side.attach(chunk, self.rows.iloc[[self.index[key] for key in keys]])
        self._check_used(seen)

    def check_rows(self, dataset_rows: int) -> None:
        """Joined by position: the two datasets have the same number of rows."""
        if self.index is None:
            _check_count(self.side, len(self.rows), dataset_rows)

    def check_ids(self, dataset_ids: Iterable[str]) -> None:
        """Joined by id: the dataset's ids (in order) are distinct and every id here has its row."""
        if self.index is None:
            return
        seen: set[str] = set()
        for key in dataset_ids:
            _check_new(key, seen)
        self._check_used(seen)

    def _row(self, key: str) -> int:
        assert self.index is not None
        row = self.index.get(key)
        if row is None:
            side = self.side
            raise DataError(f"{side.uri}: no {side.noun} for id {key!r} (joinsource_name_or_index {self.id_name!r})")
        return row

    def _check_used(self, seen: set[str]) -> None:
        assert self.index is not None
        unused = next((key for key in self.index if key not in seen), None)
        if unused is not None:
            raise DataError(f"{self.side.uri}: id {unused!r} has {self.side.some} but no row in the dataset")


def _check_new(key: str, seen: set[str]) -> None:
    if key in seen:
        raise DataError(f"joinsource_name_or_index: id {key!r} appears more than once in the dataset")
    seen.add(key)


def _check_count(side: Side, side_rows: int, dataset_rows: int) -> None:
    if side_rows < dataset_rows:
        raise DataError(f"{side.uri}: the {side.kind} dataset has fewer rows than the dataset")
    if side_rows > dataset_rows:
        raise DataError(f"{side.uri}: the {side.kind} dataset has more rows than the dataset")


def load_side(side: Side, id_name: str | None) -> SideTable:
    """Read the second dataset once: by id (``id_name``, the id column in both datasets) or by position."""
    selected: list[pd.DataFrame] = []
    index: dict[str, int] | None = {} if id_name is not None else None
    for part in side.parts(id_name):
        if id_name is not None:
            assert index is not None
            if id_name not in part.columns:
                raise DataError(
                    f"{side.uri}: the {side.kind} dataset has no id column {id_name!r} "
                    f"(joinsource_name_or_index); its columns are {list(part.columns)}"
                )
            for key in map(id_key, part[id_name].tolist()):
                if key in index:
                    raise DataError(f"{side.uri}: id {key!r} appears more than once in the {side.kind} dataset")
                index[key] = len(index)
        selected.append(side.select(part, id_name))
    rows = pd.concat(selected, ignore_index=True) if len(selected) > 1 else _first(selected)
    return SideTable(side, rows, id_name, index)


def _first(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return frames[0].reset_index(drop=True) if frames else pd.DataFrame()


def join_stream(chunks: Iterator[pd.DataFrame], side: Side, joinsource: str | int | None) -> Iterator[pd.DataFrame]:
    """The dataset's chunks (in order) with the second dataset's columns; ``joinsource``: the config's
    name or index of the id column in the dataset (None: by position)."""
    if joinsource is None:
        yield from _by_position(chunks, side)
        return
    first = next(chunks, None)
    if first is None:
        return
    id_name = resolve(joinsource, list(first.columns), "joinsource_name_or_index")
    assert id_name is not None
    yield from load_side(side, id_name).join_all(itertools.chain([first], chunks))


def _by_position(chunks: Iterator[pd.DataFrame], side: Side) -> Iterator[pd.DataFrame]:
    parts = _Rechunk(side.parts(None))
    for chunk in chunks:
        part = parts.take(len(chunk))
        if len(part) != len(chunk):
            raise DataError(f"{side.uri}: the {side.kind} dataset has fewer rows than the dataset")
        yield side.attach(chunk, side.select(part, None))
    if len(parts.take(1)):
        raise DataError(f"{side.uri}: the {side.kind} dataset has more rows than the dataset")


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
