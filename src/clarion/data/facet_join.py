"""Facet columns from a separate dataset (``facet_dataset_uri``), joined to the dataset's rows.

As Clarify specifies: the facet dataset (CSV, its columns named by ``facet_headers``) holds the facet
columns, joined by id or by position as ``clarion.data.side_join`` describes; with
``joinsource_name_or_index`` it also holds the id column under the same name. Every column of the facet
dataset except the id is joined; the joined columns are facets for the bias metrics, never model inputs,
and must not share a name with a column of the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from clarion.data.options import ReadOptions
from clarion.data.readers import read_chunks
from clarion.data.side_join import SideTable, join_stream, load_side
from clarion.errors import DataError


@dataclass(frozen=True)
class FacetSide:
    """The facet dataset as a ``side_join.Side``."""

    uri: str
    headers: tuple[str, ...] | None
    chunk_rows: int
    kind: str = "facet"
    noun: str = "facet values"
    some: str = "facet values"

    def parts(self, id_name: str | None) -> Iterator[pd.DataFrame]:
        return read_chunks(self.uri, ReadOptions("text/csv", headers=self.headers, chunk_rows=self.chunk_rows))

    def select(self, part: pd.DataFrame, id_name: str | None) -> pd.DataFrame:
        return part.drop(columns=[id_name]) if id_name is not None else part

    def attach(self, chunk: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        clash = [c for c in rows.columns if c in chunk.columns]
        if clash:
            raise DataError(f"{self.uri}: facet column {clash[0]!r} is also a column of the dataset")
        joined = chunk.copy()
        for name in rows.columns:
            joined[name] = pd.Series(rows[name].to_numpy(), index=chunk.index).infer_objects()
        joined.attrs = dict(chunk.attrs)
        return joined


def join_facets(
    chunks: Iterator[pd.DataFrame],
    *,
    uri: str,
    headers: Sequence[str] | None,
    joinsource: str | int | None,
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    """The dataset's chunks with the facet dataset's columns added (by id when ``joinsource`` is set)."""
    return join_stream(chunks, FacetSide(uri, tuple(headers) if headers else None, chunk_rows), joinsource)


def load_facets(*, uri: str, headers: Sequence[str] | None, joinsource: str | None, chunk_rows: int) -> SideTable:
    """Read the facet dataset once (``joinsource``: the id column's name in the dataset, or None)."""
    return load_side(FacetSide(uri, tuple(headers) if headers else None, chunk_rows), joinsource)
