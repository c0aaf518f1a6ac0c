"""Facet columns from a separate dataset (``facet_dataset_uri``), joined to the dataset's rows.

As Clarify specifies: the facet dataset (CSV, its columns named by ``facet_headers``) holds the facet
columns; with ``joinsource_name_or_index`` it also holds the id column under the same name and each dataset
row takes the facet values of its id, otherwise rows are paired by position (same number of rows). Every
column of the facet dataset except the id is joined; the joined columns are facets for the bias metrics,
never model inputs. Ids follow ``clarion.data.join`` (compared as text; missing, unmatched or repeated ids
are DataErrors naming the id).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import pandas as pd

from clarion.data.join import id_key
from clarion.data.options import ReadOptions
from clarion.data.readers import read_chunks
from clarion.data.roles import resolve
from clarion.errors import DataError


def join_facets(
    chunks: Iterator[pd.DataFrame],
    *,
    uri: str,
    headers: Sequence[str] | None,
    joinsource: str | int | None,
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    """The dataset's chunks with the facet dataset's columns added (by id when ``joinsource`` is set)."""
    options = ReadOptions(dataset_type="text/csv", headers=tuple(headers) if headers else None, chunk_rows=chunk_rows)
    if joinsource is None:
        yield from _by_position(chunks, read_chunks(uri, options), uri)
        return
    first = next(chunks, None)
    if first is None:
        return
    id_name = resolve(joinsource, list(first.columns), "joinsource_name_or_index")
    assert id_name is not None
    facets = _facets_by_id(read_chunks(uri, options), id_name, uri)
    columns = list(next(iter(facets.values())).index) if facets else []
    seen: set[str] = set()
    for chunk in itertools.chain([first], chunks):
        _check_names(chunk, columns, uri)
        rows = []
        for raw in chunk[id_name].tolist():
            key = id_key(raw)
            if key in seen:
                raise DataError(f"joinsource_name_or_index: id {key!r} appears more than once in the dataset")
            seen.add(key)
            if key not in facets:
                raise DataError(f"{uri}: no facet values for id {key!r} (joinsource_name_or_index {id_name!r})")
            rows.append(facets[key])
        yield _with_columns(chunk, pd.DataFrame(rows, columns=columns))
    unused = [key for key in facets if key not in seen]
    if unused:
        raise DataError(f"{uri}: id {unused[0]!r} has facet values but no row in the dataset")


def _facets_by_id(parts: Iterator[pd.DataFrame], id_name: str, uri: str) -> dict[str, pd.Series]:
    facets: dict[str, pd.Series] = {}
    for part in parts:
        if id_name not in part.columns:
            raise DataError(
                f"{uri}: the facet dataset has no id column {id_name!r} (joinsource_name_or_index); "
                f"its columns are {list(part.columns)}"
            )
        values = part.drop(columns=[id_name])
        for raw_id, (_, row) in zip(part[id_name].tolist(), values.iterrows(), strict=True):
            key = id_key(raw_id)
            if key in facets:
                raise DataError(f"{uri}: id {key!r} appears more than once in the facet dataset")
            facets[key] = row
    return facets


def _by_position(chunks: Iterator[pd.DataFrame], parts: Iterator[pd.DataFrame], uri: str) -> Iterator[pd.DataFrame]:
    buffer = pd.DataFrame()
    for chunk in chunks:
        while len(buffer) < len(chunk):
            nxt = next(parts, None)
            if nxt is None:
                break
            buffer = pd.concat([buffer, nxt], ignore_index=True) if len(buffer) else nxt
        if len(buffer) < len(chunk):
            raise DataError(f"{uri}: the facet dataset has fewer rows than the dataset")
        part, buffer = buffer.iloc[: len(chunk)], buffer.iloc[len(chunk) :]
        _check_names(chunk, list(part.columns), uri)
        yield _with_columns(chunk, part)
    if len(buffer) or next(parts, None) is not None:
        raise DataError(f"{uri}: the facet dataset has more rows than the dataset")


def _check_names(chunk: pd.DataFrame, columns: list[str], uri: str) -> None:
    clash = [c for c in columns if c in chunk.columns]
    if clash:
        raise DataError(f"{uri}: facet column {clash[0]!r} is also a column of the dataset")


def _with_columns(chunk: pd.DataFrame, facets: pd.DataFrame) -> pd.DataFrame:
    joined = chunk.copy()
    for name in facets.columns:
        joined[name] = pd.Series(facets[name].to_numpy(), index=chunk.index).infer_objects()
    joined.attrs = dict(chunk.attrs)
    return joined
