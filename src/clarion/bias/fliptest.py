"""Flip test (FT), as smclarify approximates it for tabular data, with a mergeable row accumulator.

FT = (F+ - F-) / n_d. A k-nearest-neighbour classifier (Euclidean, uniform weights; k = 5, or 1 when facet a
has at most 9 rows) is fitted on facet a's feature rows with the model's predicted labels as targets, and
predicts every facet-d row. F+ counts d rows the model predicts positive while their a-neighbours say
negative; F- the reverse. Features are the given feature columns without the facet column; all must be
numeric (or bool), otherwise the metric fails.

Unlike the count table, FT needs the feature rows themselves: ``FlipTestData`` keeps them (as float64) with
the raw facet and predicted-label values, so that binarisation can happen after all chunks are merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clarion.bias.inference import safe_divide
from clarion.bias.spec import BiasColumns
from clarion.bias.table import MetricError

DEFAULT_NEIGHBOURS = 5
SMALL_FACET_ROWS = 9


@dataclass(frozen=True)
class _Part:
    row_offset: int | None
    features: np.ndarray
    facets: dict[str, np.ndarray]
    predicted: np.ndarray


def _is_numeric(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


@dataclass(frozen=True)
class FlipTestData:
    """Feature rows (float64), raw facet values and raw predicted labels of all rows, in dataset order."""

    feature_columns: tuple[str, ...]
    non_numeric: frozenset[str]
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
        matrix = np.full((len(chunk), len(names)), np.nan)
        for j, name in enumerate(names):
            if name not in non_numeric:
                matrix[:, j] = chunk[name].to_numpy(dtype=np.float64, na_value=np.nan)
        part = _Part(
            row_offset=row_offset,
            features=matrix,
            facets={f: chunk[f].to_numpy() for f in columns.facets},
            predicted=chunk[columns.predicted_label].to_numpy(),
        )
        return cls(names, non_numeric, (part,))

    def merge(self, other: FlipTestData) -> FlipTestData:
        """All rows of both, ordered by dataset position (associative and commutative)."""
        if other.feature_columns != self.feature_columns:
            raise ValueError("cannot merge flip-test rows with different feature columns")
        parts = self.parts + other.parts
        if all(p.row_offset is not None for p in parts):
            parts = tuple(sorted(parts, key=lambda p: p.row_offset))
        return FlipTestData(self.feature_columns, self.non_numeric | other.non_numeric, parts)

    @property
    def row_count(self) -> int:
        return sum(len(p.predicted) for p in self.parts)

    def arrays(self, facet: str) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
        """(feature matrix without the facet column, its column names, raw facet values, raw predictions)."""
        keep = [j for j, c in enumerate(self.feature_columns) if c != facet]
        names = [self.feature_columns[j] for j in keep]
        matrix = np.concatenate([p.features[:, keep] for p in self.parts])
        facet_values = np.concatenate([p.facets[facet] for p in self.parts])
        predicted = np.concatenate([p.predicted for p in self.parts])
        return matrix, names, facet_values, predicted


def flip_test(features: np.ndarray, facet_d: np.ndarray, predicted_positive: np.ndarray) -> float:
    """FT = (F+ - F-) / n_d for boolean facet-d and predicted-positive indicators (see the module docstring)."""
    from sklearn.neighbors import KNeighborsClassifier

    n_d = int(facet_d.sum())
    if n_d == 0:
        raise MetricError("Facet set is empty")
    if n_d == len(facet_d):
        raise MetricError("Negated Facet set is empty")
    rows_a = ~facet_d
    n_a = int(rows_a.sum())
    k = DEFAULT_NEIGHBOURS if n_a > SMALL_FACET_ROWS else 1
    knn = KNeighborsClassifier(n_neighbors=k, weights="uniform", p=2, metric="minkowski")
    try:
        knn.fit(features[rows_a], predicted_positive[rows_a])
        as_if_a = knn.predict(features[facet_d]).astype(bool)
    except ValueError as exc:
        raise MetricError(str(exc).splitlines()[0]) from exc
    model_d = predicted_positive[facet_d]
    flipped_pos = int(np.sum(model_d & ~as_if_a))
    flipped_neg = int(np.sum(~model_d & as_if_a))
    return float(safe_divide(flipped_pos - flipped_neg, n_d))


def flip_test_for_facet(
    data: FlipTestData, facet: str, d_values: frozenset[Any], predicted_values: frozenset[Any]
) -> float:
    """FT for one facet entry: facet d = rows whose raw facet value is in ``d_values``."""
    matrix, names, facet_values, predicted = data.arrays(facet)
    facet_d = pd.Series(facet_values).isin(list(d_values)).to_numpy()
    if not facet_d.any():
        raise MetricError("Facet set is empty")
    if facet_d.all():
        raise MetricError("Negated Facet set is empty")
    if any(n in data.non_numeric for n in names):
        raise MetricError("FlipTest does not support non-numeric columns")
    positive = pd.Series(predicted).isin(list(predicted_values)).to_numpy()
    return flip_test(matrix, facet_d, positive)
