"""Predicted labels from a separate dataset (``predicted_label_dataset_uri``), joined to the dataset's rows.

The predicted-label dataset (CSV, named by ``predicted_label_headers``) is joined by id or by position as
``clarion.data.side_join`` describes; with ``joinsource_name_or_index`` it holds the id column under the
same name. The predicted label is its ``predicted_label`` column (by name, or by index when joined by id),
else its only other column (by id) or its first column (by position). It joins as the config's
``predicted_label`` name, else ``predicted_label``. When ``predicted_label_headers`` names the column it
is kept as the CSV text and typed over the whole column with the other text columns
(``clarion.bias.retype``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from clarion.data.options import TEXT_COLUMNS_ATTR, ReadOptions
from clarion.data.readers import read_chunks
from clarion.data.side_join import SideTable, id_key, join_stream, load_side
from clarion.errors import DataError

DEFAULT_LABEL_NAME = "predicted_label"

__all__ = [
    "DEFAULT_LABEL_NAME",
    "PredictedLabelSide",
    "id_key",
    "join_predicted_labels",
    "load_predicted_labels",
    "predicted_label_name",
]


def predicted_label_name(predicted_label: str | int | None) -> str:
    """The column the joined predicted labels get: the config's name, else ``predicted_label``."""
    return predicted_label if isinstance(predicted_label, str) else DEFAULT_LABEL_NAME


@dataclass(frozen=True)
class PredictedLabelSide:
    """The predicted-label dataset as a ``side_join.Side``."""

    uri: str
    headers: tuple[str, ...] | None
    predicted_label: str | int | None
    chunk_rows: int
    kind: str = "predicted-label"
    noun: str = "predicted label"
    some: str = "a predicted label"

    @property
    def name(self) -> str:
        return predicted_label_name(self.predicted_label)

    @property
    def text(self) -> bool:
        """Whether the label column is read as text (``predicted_label_headers`` names it)."""
        return bool(self.headers) and self.name in (self.headers or ())

    def parts(self, id_name: str | None) -> Iterator[pd.DataFrame]:
        text = ((id_name,) if id_name is not None else ()) + ((self.name,) if self.text else ())
        options = ReadOptions("text/csv", headers=self.headers, chunk_rows=self.chunk_rows, text_columns=text or None)
        return read_chunks(self.uri, options)

    def select(self, part: pd.DataFrame, id_name: str | None) -> pd.DataFrame:
        if id_name is None:
            column = part[self.name] if self.name in part.columns else part.iloc[:, 0]
        else:
            column = self._by_id_column(part, id_name)
        return pd.DataFrame({self.name: column.to_numpy()})

    def _by_id_column(self, part: pd.DataFrame, id_name: str) -> pd.Series:
        label = self.predicted_label
        if isinstance(label, str) and label in part.columns:
            return part[label]
        if isinstance(label, int) and not isinstance(label, bool):
            if not 0 <= label < part.shape[1]:
                raise DataError(f"predicted_label: column index {label} out of range in {self.uri}")
            return part.iloc[:, label]
        others = [c for c in part.columns if c != id_name]
        if len(others) != 1:
            raise DataError(f"{self.uri}: cannot tell the predicted-label column among {others}; set predicted_label")
        return part[others[0]]

    def attach(self, chunk: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        """``chunk`` with the label column; marked as CSV text when it was read as text."""
        joined = chunk.copy()
        values = rows[self.name].to_numpy()
        joined[self.name] = pd.Series(values, index=chunk.index, dtype=object) if self.text else values
        marked = [c for c in chunk.attrs.get(TEXT_COLUMNS_ATTR, ()) if c != self.name]
        joined.attrs[TEXT_COLUMNS_ATTR] = (*marked, self.name) if self.text else tuple(marked)
        return joined


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
    side = PredictedLabelSide(uri, tuple(headers) if headers else None, predicted_label, chunk_rows)
    return join_stream(chunks, side, joinsource)


def load_predicted_labels(
    *,
    uri: str,
    headers: Sequence[str] | None,
    predicted_label: str | int | None,
    joinsource: str | None,
    chunk_rows: int,
) -> SideTable:
    """Read the predicted-label dataset once (``joinsource``: the id column's name in the dataset, or None)."""
    side = PredictedLabelSide(uri, tuple(headers) if headers else None, predicted_label, chunk_rows)
    return load_side(side, joinsource)
