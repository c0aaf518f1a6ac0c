"""Mergeable sufficient statistics for bias metrics.

Per facet column, ``BiasCounts`` holds the number of rows for each raw tuple
(facet value, group value, label value, predicted label value), the row position where each facet value
first appears, and per column a ``ColumnSummary`` (dtype kind, first row's value). That is all
type inference and every metric need, so chunks can be counted independently and merged
(associative and commutative) before anything is binarised; the result equals one pass over all rows.
Memory grows with the number of distinct tuples, never with the number of rows.

Columns read as CSV text (``text_columns``, or the chunk's ``attrs[TEXT_COLUMNS_ATTR]`` set by the CSV
reader) are counted by their raw texts; ``typed()`` then types each such column once over all its values
(``clarion.bias.retype``), and turns the integers of a column that is float overall into floats, so that
the typed counts equal those of one whole-file read whatever the chunk size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from clarion.bias.retype import csv_column_types, dtype_kind
from clarion.bias.spec import BiasColumns
from clarion.data.options import TEXT_COLUMNS_ATTR
from clarion.errors import DataError


class _Missing:
    """The one value standing for a null cell (NaN, None, NaT), so that nulls group together."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "nan"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

KINDS = ("bool", "int", "float", "object", "category")


def merge_kinds(a: str, b: str) -> str:
    """The kind of the concatenation of two columns: equal kinds stay, int with float is float, else object."""
    if a == b:
        return a
    if {a, b} == {"int", "float"}:
        return "float"
    return "object"


@dataclass(frozen=True)
class ColumnSummary:
    """Per-column facts type inference needs: dtype kind, and the value at the earliest row seen."""

    kind: str
    first_row: int | None
    first_value: Any
    text: bool = False  # raw CSV text, typed by ``BiasCounts.typed()``
    chunk_kinds: frozenset[str] = frozenset()  # bool / int / float / text of the chunks that had values

    def merge(self, other: ColumnSummary) -> ColumnSummary:
        first_row: int | None
        if other.first_row is not None and (self.first_row is None or other.first_row < self.first_row):
            first_row, first_value = other.first_row, other.first_value
        else:
            first_row, first_value = self.first_row, self.first_value
        kind = "object" if self.text or other.text else merge_kinds(self.kind, other.kind)
        return ColumnSummary(
            kind, first_row, first_value, self.text or other.text, self.chunk_kinds | other.chunk_kinds
        )

    @property
    def mixed(self) -> bool:
        """Whether chunks typed this column differently in a way values cannot be reconciled (not int/float)."""
        return not self.text and len(self.chunk_kinds) > 1 and self.chunk_kinds != {"int", "float"}


def _python_values(uniques: Any) -> list[Any]:
    values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    return [MISSING if _is_null(v) else v for v in values]


def _is_null(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _factorize(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes shifted by one (0 = null) and the matching values, MISSING first."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64) + 1, [MISSING, *_python_values(uniques)]


def _count_tuples(code_arrays: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the stacked code arrays (shape k x m) and how often each occurs."""
    total = 1
    for size in sizes:
        total *= size
    if total < 2**62:
        combined = np.zeros(len(code_arrays[0]), dtype=np.int64)
        for codes, size in zip(code_arrays, sizes, strict=True):
            combined = combined * size + codes
        if total <= max(4 * len(combined), 1 << 16):
            counts = np.bincount(combined, minlength=total)
            keys = np.flatnonzero(counts)
            counts = counts[keys]
        else:
            keys, counts = np.unique(combined, return_counts=True)
        decoded = []
        for size in reversed(sizes):
            keys, rem = np.divmod(keys, size)
            decoded.append(rem)
        return np.stack(decoded[::-1]), counts
    stacked = np.stack(code_arrays, axis=1)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return rows.T, counts


def _first_rows(codes: np.ndarray, row_offset: int) -> dict[int, int]:
    """Code -> position of its first row.

    ``pd.factorize`` numbers values in order of first appearance (0 is null here), so a value's first row is
    where the running maximum of the non-null codes grows; when the codes are not in that order, a sort finds
    the first rows instead.
    """
    if len(codes) == 0:
        return {}
    present = np.where(codes > 0, codes, 0)
    running = np.maximum.accumulate(present)
    rises = np.flatnonzero(np.diff(running, prepend=0) > 0)
    if not np.array_equal(present[rises], np.arange(1, len(rises) + 1)):
        uniq, index = np.unique(codes, return_index=True)
        return {int(c): int(i) + row_offset for c, i in zip(uniq, index, strict=True)}
    first: dict[int, int] = {}
    nulls = np.flatnonzero(codes == 0)
    if len(nulls):
        first[0] = int(nulls[0]) + row_offset
    first.update((c, i + row_offset) for c, i in zip(present[rises].tolist(), rises.tolist(), strict=True))
    return first


@dataclass(frozen=True)
class BiasCounts:
    """Row counts per (facet value, group value, label value, predicted label value), per facet column."""

    columns: BiasColumns
    summaries: Mapping[str, ColumnSummary]
    cells: Mapping[str, Mapping[tuple[Any, Any, Any, Any], int]]
    first_seen: Mapping[str, Mapping[Any, int]]
    anchored: bool = True

    @classmethod
    def from_frame(
        cls,
        chunk: pd.DataFrame,
        columns: BiasColumns,
        *,
        row_offset: int | None = None,
        text_columns: Collection[str] | None = None,
    ) -> BiasCounts:
        """Count one chunk; ``row_offset`` is the position of its first row in the whole dataset.

        Row positions only decide the order of first appearance (one-vs-rest facet entries, the first row's
        value). With ``row_offset`` every merge is commutative; without it a merge reads as "self, then other".
        ``text_columns`` (default: the chunk's ``attrs[TEXT_COLUMNS_ATTR]``) hold raw CSV text.
        """
        if text_columns is None:
            text_columns = chunk.attrs.get(TEXT_COLUMNS_ATTR, ())
        anchored = row_offset is not None
        row_offset = row_offset or 0
        wanted = [columns.label, *columns.facets]
        wanted += [c for c in (columns.group, columns.predicted_label) if c is not None]
        missing = [c for c in wanted if c not in chunk.columns]
        if missing:
            raise DataError(f"bias: columns {missing} not found in the data; columns are {list(chunk.columns)}")
        summaries = {}
        for name in dict.fromkeys(wanted):
            series = chunk[name]
            first = None if series.empty else series.iloc[0]
            summaries[name] = ColumnSummary(
                kind=dtype_kind(series.dtype),
                first_row=None if series.empty else row_offset,
                first_value=MISSING if first is None or _is_null(first) else _python_values(np.array([first]))[0],
                text=name in text_columns,
                chunk_kinds=_chunk_kind(series),
            )
        n = len(chunk)
        label_codes, label_values = _factorize(chunk[columns.label])
        if columns.group is not None:
            group_codes, group_values = _factorize(chunk[columns.group])
        else:
            group_codes, group_values = np.zeros(n, dtype=np.int64), [MISSING]
        if columns.predicted_label is not None:
            pred_codes, pred_values = _factorize(chunk[columns.predicted_label])
        else:
            pred_codes, pred_values = np.zeros(n, dtype=np.int64), [MISSING]
        cells: dict[str, dict[tuple[Any, Any, Any, Any], int]] = {}
        first_seen: dict[str, dict[Any, int]] = {}
        for facet in columns.facets:
            facet_codes, facet_values = _factorize(chunk[facet])
            sizes = [len(facet_values), len(group_values), len(label_values), len(pred_values)]
            keys, counts = _count_tuples([facet_codes, group_codes, label_codes, pred_codes], sizes)
            table: dict[tuple[Any, Any, Any, Any], int] = {}
            for f, g, y, p, c in zip(*(k.tolist() for k in keys), counts.tolist(), strict=True):
                key = (facet_values[f], group_values[g], label_values[y], pred_values[p])
                table[key] = table.get(key, 0) + c
            cells[facet] = table
            first_seen[facet] = {facet_values[code]: row for code, row in _first_rows(facet_codes, row_offset).items()}
        return cls(columns, summaries, cells, first_seen, anchored)

    def merge(self, other: BiasCounts) -> BiasCounts:
        """The counts of both parts together (associative and commutative)."""
        if other.columns != self.columns:
            raise ValueError("cannot merge bias counts of different columns")
        if not (self.anchored and other.anchored):
            other = other._shifted(self.row_count)
        summaries = {name: s.merge(other.summaries[name]) for name, s in self.summaries.items()}
        cells = {}
        first_seen = {}
        for facet in self.columns.facets:
            table = dict(self.cells[facet])
            for key, count in other.cells[facet].items():
                table[key] = table.get(key, 0) + count
            cells[facet] = table
            seen = dict(self.first_seen[facet])
            for value, row in other.first_seen[facet].items():
                seen[value] = min(row, seen.get(value, row))
            first_seen[facet] = seen
        return BiasCounts(self.columns, summaries, cells, first_seen, self.anchored and other.anchored)

    def _shifted(self, rows: int) -> BiasCounts:
        summaries = {
            n: replace(s, first_row=None if s.first_row is None else s.first_row + rows)
            for n, s in self.summaries.items()
        }
        first_seen = {f: {v: r + rows for v, r in seen.items()} for f, seen in self.first_seen.items()}
        return BiasCounts(self.columns, summaries, self.cells, first_seen, self.anchored)

    def typed(self) -> BiasCounts:
        """The counts with every text column typed over all its values, and ints of float columns as floats."""
        maps: dict[str, Callable[[Any], Any]] = {}
        summaries = dict(self.summaries)
        for name, summary in self.summaries.items():
            if summary.text:
                counts = self.value_counts(name)
                texts = [v for v in counts if v is not MISSING]
                kind, mapping = csv_column_types(texts, has_missing=counts.get(MISSING, 0) > 0)
                maps[name] = functools.partial(_mapped, mapping)
                first = summary.first_value
                summaries[name] = ColumnSummary(kind, summary.first_row, mapping.get(first, first))
            elif summary.kind == "float":
                maps[name] = _as_float
                summaries[name] = ColumnSummary("float", summary.first_row, _as_float(summary.first_value))
        if not maps:
            return self
        same = _identity
        label, group, predicted = (
            maps.get(c or "", same) for c in (self.columns.label, self.columns.group, self.columns.predicted_label)
        )
        cells = {}
        first_seen = {}
        for facet in self.columns.facets:
            f_map = maps.get(facet, same)
            table: dict[tuple[Any, Any, Any, Any], int] = {}
            for (f, g, y, p), count in self.cells[facet].items():
                key = (f_map(f), group(g), label(y), predicted(p))
                table[key] = table.get(key, 0) + count
            cells[facet] = table
            seen: dict[Any, int] = {}
            for value, row in self.first_seen[facet].items():
                value = f_map(value)
                seen[value] = min(row, seen.get(value, row))
            first_seen[facet] = seen
        return BiasCounts(self.columns, summaries, cells, first_seen, self.anchored)

    def mixed_type_columns(self) -> tuple[str, ...]:
        """Columns whose type depended on the chunk (e.g. one ``?`` among integers): read them as text."""
        return tuple(name for name, summary in self.summaries.items() if summary.mixed)

    @property
    def row_count(self) -> int:
        return sum(self.cells[self.columns.facets[0]].values()) if self.columns.facets else 0

    def value_counts(self, column: str) -> dict[Any, int]:
        """Rows per value of one counted column (label, predicted label, group or a facet)."""
        facet = column if column in self.columns.facets else self.columns.facets[0]
        position = {"facet": 0, "group": 1, "label": 2, "predicted_label": 3}
        if column in self.columns.facets:
            index = position["facet"]
        elif column == self.columns.label:
            index = position["label"]
        elif column == self.columns.predicted_label:
            index = position["predicted_label"]
        elif column == self.columns.group:
            index = position["group"]
        else:
            raise KeyError(column)
        result: dict[Any, int] = {}
        for key, count in self.cells[facet].items():
            result[key[index]] = result.get(key[index], 0) + count
        return result


def _chunk_kind(series: pd.Series) -> frozenset[str]:
    """The kind of one chunk's column as a one-item set (empty when every cell is null)."""
    kind = dtype_kind(series.dtype)
    if kind in ("bool", "int", "category"):
        return frozenset([kind])
    if series.isna().all():
        return frozenset()
    if kind == "float":
        return frozenset(["float"])
    return frozenset(["bool" if pd.api.types.infer_dtype(series, skipna=True) == "boolean" else "text"])


def _identity(value: Any) -> Any:
    return value


def _as_float(value: Any) -> Any:
    """An int (not a bool) as a float, as a float column holds it; anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def merge_all(parts: list[BiasCounts]) -> BiasCounts:
    """Merge a non-empty list of counts."""
    result = parts[0]
    for part in parts[1:]:
        result = result.merge(part)
    return result


def _mapped(mapping: dict[Any, Any], value: Any) -> Any:
    """``value`` as the column's type decided over all its values (unchanged when not in ``mapping``)."""
    return mapping.get(value, value)
