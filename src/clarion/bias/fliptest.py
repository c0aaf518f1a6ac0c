"""Flip test (FT), with smclarify's numbers, a compact mergeable row accumulator and a deduplicated search.

FT = (F+ - F-) / n_d. smclarify fits scikit-learn's ``KNeighborsClassifier`` (k = 5, or 1 when facet a has
at most 9 rows; uniform weights, Minkowski p = 2, algorithm "auto", leaf size 30) on facet a's feature rows
with the model's predicted labels as targets, and predicts every facet-d row. F+ counts d rows the model
predicts positive while their a-neighbours say negative; F- the reverse. Features are the given feature
columns without the facet column; all must be numeric (or bool), otherwise the metric fails.

Same numbers, less work:

- Rows are kept once per distinct (features, facets, predicted label) tuple, features in the smallest type
  that holds them exactly, plus one integer key per row (``FlipTestData``).
- A facet-d vector's neighbours depend on the vector only: each distinct d vector is searched once and
  weighted by its count of model positives and negatives.
- Each distinct facet-a vector is indexed once (a KD tree) with its row count and positive count. For a
  query let r be the k-th smallest distance counting multiplicity. Every a row closer than r is among
  scikit-learn's k neighbours whatever its tie order, every row farther is not; of the rows at distance r
  it takes k - (rows closer) in an order internal to its search. When every such choice gives the same
  vote, the vote is exact. Otherwise (ambiguous) scikit-learn answers the query itself, fitted on all
  facet-a rows in dataset order exactly as smclarify fits it.
- Distances: with at most 15 features scikit-learn uses a KD tree, whose float64 sum of squares is the one
  computed here, so "at distance r" is exact equality. With more features it searches by brute force with
  the identity |x|^2 - 2 x.y + |y|^2; rows within that identity's rounding bound of r then count as tied,
  and an ambiguous query sends the whole facet to scikit-learn (its brute-force tie order depends on how it
  splits the work among threads). With at most 11 facet-a rows (brute force too) scikit-learn runs directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from clarion.bias.inference import safe_divide
from clarion.bias.neighbours import Reference, brute_tolerance, votes
from clarion.bias.spec import BiasColumns
from clarion.bias.table import MetricError

DEFAULT_NEIGHBOURS = 5
SMALL_FACET_ROWS = 9
TREE_MAX_FEATURES = 15  # scikit-learn's "auto" picks brute force above this many features


# ---------------------------------------------------------------------------------------------------------------
# Grouping identical rows


def group_rows(columns: Sequence[np.ndarray], n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first): dense ids of the distinct tuples over ``columns`` in first-appearance order, and the
    row where each id first appears. Values compare as pandas' factorize compares them (NaN equals NaN)."""
    codes = np.zeros(n_rows, dtype=np.int64)
    size = 1
    for column in columns:
        col_codes, uniques = pd.factorize(column, use_na_sentinel=False)
        card = max(len(uniques), 1)
        if size * card >= 2**62:
            codes, compressed = pd.factorize(codes)
            size = len(compressed)
        codes = codes * card + col_codes
        size *= card
    codes, _ = pd.factorize(codes)
    codes = codes.astype(np.int64, copy=False)
    # factorize numbers ids by first appearance: a row is a first appearance exactly where the running max grows
    running = np.maximum.accumulate(codes) if n_rows else codes
    first = np.flatnonzero(np.diff(running, prepend=-1) > 0)
    return codes, first


def _compact(values: np.ndarray) -> np.ndarray:
    """``values`` in the smallest type that converts back to the same float64 values (bool -> uint8)."""
    if values.dtype.kind == "b":
        return values.astype(np.uint8)
    if values.dtype.kind in "iu":
        if len(values) == 0:
            return values.astype(np.int8)
        lo, hi = int(values.min()), int(values.max())
        for candidate in (np.int8, np.int16, np.int32):
            info = np.iinfo(candidate)
            if info.min <= lo and hi <= info.max:
                return values.astype(candidate)
        return values
    floats = values.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = floats.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), floats, equal_nan=True):
        return narrow
    return floats


def _is_numeric(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _numeric_values(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


# ---------------------------------------------------------------------------------------------------------------
# The accumulator


@dataclass(frozen=True)
class _Table:
    """Distinct rows: compact feature columns (None for non-numeric ones), raw facet values, raw predictions."""

    features: tuple[np.ndarray | None, ...]
    facets: dict[str, np.ndarray]
    predicted: np.ndarray

    def __len__(self) -> int:
        return len(self.predicted)

    def columns(self) -> list[np.ndarray]:
        return [c for c in self.features if c is not None] + list(self.facets.values()) + [self.predicted]

    def take(self, rows: np.ndarray) -> _Table:
        return _Table(
            tuple(None if c is None else c[rows] for c in self.features),
            {name: values[rows] for name, values in self.facets.items()},
            self.predicted[rows],
        )

    @staticmethod
    def concat(tables: Sequence[_Table]) -> _Table:
        first = tables[0]
        return _Table(
            tuple(
                None if first.features[j] is None else np.concatenate([t.features[j] for t in tables])
                for j in range(len(first.features))
            ),
            {name: np.concatenate([t.facets[name] for t in tables]) for name in first.facets},
            np.concatenate([t.predicted for t in tables]),
        )


@dataclass(frozen=True)
class _Part:
    row_offset: int | None
    keys: np.ndarray  # row -> row of ``table``
    table: _Table


@dataclass(frozen=True)
class _Consolidated:
    table: _Table
    keys: np.ndarray  # every row in dataset order -> row of ``table``
    counts: np.ndarray  # rows per table row


@dataclass(frozen=True)
class FlipTestData:
    """The rows the flip test needs, each distinct (features, facets, prediction) tuple stored once."""

    feature_columns: tuple[str, ...]
    non_numeric: frozenset[str]
    dtypes: tuple[str, ...]  # numpy dtype of each feature column as read (the reference's input type)
    parts: tuple[_Part, ...]

    @classmethod
    def from_frame(
        cls,
        chunk: pd.DataFrame,
        columns: BiasColumns | Any,
        feature_columns: Sequence[str],
        *,
        row_offset: int | None = None,
    ) -> FlipTestData:
        """Keep one chunk's rows; ``feature_columns`` are the model's inputs (facet columns may be among them).

        ``columns`` is a BiasColumns (or anything with a ``columns`` BiasColumns, e.g. a BiasSpec). With
        ``row_offset`` merges order rows by dataset position; without it a merge reads as "self, then other".
        """
        if not isinstance(columns, BiasColumns):
            columns = columns.columns
        if columns.predicted_label is None:
            raise ValueError("the flip test needs a predicted label column")
        names = tuple(c for c in feature_columns if c not in (columns.label, columns.predicted_label))
        non_numeric = frozenset(c for c in names if not _is_numeric(chunk[c].dtype))
        raw = [None if c in non_numeric else _numeric_values(chunk[c]) for c in names]
        dtypes = tuple("object" if v is None else str(v.dtype) for v in raw)
        table = _Table(
            tuple(None if v is None else _compact(v) for v in raw),
            {f: chunk[f].to_numpy() for f in columns.facets},
            chunk[columns.predicted_label].to_numpy(),
        )
        codes, first = group_rows(table.columns(), len(chunk))
        part = _Part(row_offset, _narrow_keys(codes, len(first)), table.take(first))
        return cls(names, non_numeric, dtypes, (part,))

    def merge(self, other: FlipTestData) -> FlipTestData:
        """All rows of both, ordered by dataset position (associative and commutative)."""
        if other.feature_columns != self.feature_columns:
            raise ValueError("cannot merge flip-test rows with different feature columns")
        parts = self.parts + other.parts
        if all(p.row_offset is not None for p in parts):
            parts = tuple(sorted(parts, key=lambda p: p.row_offset or 0))
        dtypes = tuple(
            a if a == b else str(_common_dtype([a, b])) for a, b in zip(self.dtypes, other.dtypes, strict=True)
        )
        return FlipTestData(self.feature_columns, self.non_numeric | other.non_numeric, dtypes, parts)

    @property
    def row_count(self) -> int:
        return sum(len(p.keys) for p in self.parts)

    @cached_property
    def consolidated(self) -> _Consolidated:
        """One table of distinct rows over all parts, and every row's key into it in dataset order."""
        merged = _Table.concat([p.table for p in self.parts])
        codes, first = group_rows(merged.columns(), len(merged))
        starts = np.cumsum([0] + [len(p.table) for p in self.parts[:-1]])
        keys = np.concatenate([codes[start + p.keys] for start, p in zip(starts, self.parts, strict=True)])
        keys = _narrow_keys(keys, len(first))
        return _Consolidated(merged.take(first), keys, np.bincount(keys, minlength=len(first)))


def _narrow_keys(keys: np.ndarray, size: int) -> np.ndarray:
    return keys.astype(np.int32 if size < 2**31 else np.int64, copy=False)


def _common_dtype(dtypes: Sequence[str]) -> np.dtype:
    """The type of ``np.array(frame)`` for columns of these types, as scikit-learn then validates it."""
    kinds = {np.dtype(d).kind if d != "object" else "O" for d in dtypes}
    if "O" in kinds or ("b" in kinds and len(kinds) > 1):
        return np.dtype(np.float64)  # pandas makes an object array; scikit-learn converts it to float64
    return np.result_type(*[np.dtype(d) for d in dtypes]) if dtypes else np.dtype(np.float64)


# ---------------------------------------------------------------------------------------------------------------
# The metric


def flip_test(features: np.ndarray, facet_d: np.ndarray, predicted_positive: np.ndarray) -> float:
    """FT = (F+ - F-) / n_d for boolean facet-d and predicted-positive indicators (see the module docstring)."""
    features = np.asarray(features)
    facet_d = np.asarray(facet_d, dtype=bool)
    predicted_positive = np.asarray(predicted_positive, dtype=bool)
    n_rows = len(facet_d)
    columns = [features[:, j] for j in range(features.shape[1])] + [facet_d, predicted_positive]
    keys, first = group_rows(columns, n_rows)
    counts = np.bincount(keys, minlength=len(first))
    matrix = features[first].astype(np.float64)
    return _flip_test(matrix, facet_d[first], predicted_positive[first], counts, keys, features.dtype)


def flip_test_for_facet(
    data: FlipTestData, facet: str, d_values: frozenset[Any], predicted_values: frozenset[Any]
) -> float:
    """FT for one facet entry: facet d = rows whose raw facet value is in ``d_values``."""
    merged = data.consolidated
    table = merged.table
    facet_d = pd.Series(table.facets[facet]).isin(list(d_values)).to_numpy()
    n_d = int(merged.counts[facet_d].sum())
    if n_d == 0:
        raise MetricError("Facet set is empty")
    if n_d == data.row_count:
        raise MetricError("Negated Facet set is empty")
    keep = [j for j, c in enumerate(data.feature_columns) if c != facet]
    if any(data.feature_columns[j] in data.non_numeric for j in keep):
        raise MetricError("FlipTest does not support non-numeric columns")
    positive = pd.Series(table.predicted).isin(list(predicted_values)).to_numpy()
    matrix = np.empty((len(table), len(keep)), dtype=np.float64)
    for out, j in enumerate(keep):
        matrix[:, out] = table.features[j]
    dtype = _common_dtype([data.dtypes[j] for j in keep])
    return _flip_test(matrix, facet_d, positive, merged.counts, merged.keys, dtype)


def _flip_test(
    matrix: np.ndarray,
    facet_d: np.ndarray,
    positive: np.ndarray,
    counts: np.ndarray,
    keys: np.ndarray,
    dtype: np.dtype,
) -> float:
    """FT over distinct rows ``matrix`` (float64) with per-row facet-d, positive flags and row counts; ``keys``
    maps every dataset row, in order, to its distinct row (for scikit-learn's own answer when needed)."""
    n_d = int(counts[facet_d].sum())
    n_a = int(counts[~facet_d].sum())
    if n_d == 0:
        raise MetricError("Facet set is empty")
    if n_a == 0:
        raise MetricError("Negated Facet set is empty")
    k = DEFAULT_NEIGHBOURS if n_a > SMALL_FACET_ROWS else 1
    n_features = matrix.shape[1]
    brute = n_features > TREE_MAX_FEATURES or k >= n_a // 2
    # a KD tree reads float64 whatever the input type; brute force's tie order may depend on it
    reference = Reference(matrix, facet_d, positive, keys, k, dtype if brute else np.dtype(np.float64))
    if n_features == 0 or k >= n_a // 2 or not np.isfinite(matrix).all():
        return reference.flip_test()

    a_rows, d_rows = np.flatnonzero(~facet_d), np.flatnonzero(facet_d)
    a_codes, a_first = group_rows(list(matrix[a_rows].T), len(a_rows))
    a_vectors = matrix[a_rows[a_first]]
    a_count = np.bincount(a_codes, weights=counts[a_rows], minlength=len(a_first))
    a_pos = np.bincount(a_codes, weights=counts[a_rows] * positive[a_rows], minlength=len(a_first))
    d_codes, d_first = group_rows(list(matrix[d_rows].T), len(d_rows))
    queries = matrix[d_rows[d_first]]
    d_pos = np.bincount(d_codes, weights=counts[d_rows] * positive[d_rows], minlength=len(d_first))
    d_neg = np.bincount(d_codes, weights=counts[d_rows] * ~positive[d_rows], minlength=len(d_first))

    tolerance = brute_tolerance(a_vectors, queries) if brute else np.zeros(len(queries))
    vote, ambiguous = votes(a_vectors, a_count, a_pos, queries, k, tolerance, squared=brute)
    if ambiguous.any():
        if brute:
            return reference.flip_test()
        vote[ambiguous] = reference.predict(queries[ambiguous])
    flipped_pos = int(d_pos[~vote].sum())
    flipped_neg = int(d_neg[vote].sum())
    return float(safe_divide(flipped_pos - flipped_neg, n_d))
