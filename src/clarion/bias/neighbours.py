"""k-nearest-neighbour votes over distinct vectors with multiplicities, exact against scikit-learn's.

``votes`` searches each distinct query once in a KD tree over the distinct reference vectors (each with its
row count and positive count) and returns the vote and whether rows tied at the k-th distance could swing
it; ``Reference`` is scikit-learn's KNeighborsClassifier fitted on every reference row in dataset order, the
answer for those ambiguous queries. See ``clarion.bias.fliptest`` for why the votes are exact.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from clarion.bias.inference import safe_divide
from clarion.bias.table import MetricError

LEAF_SIZE = 30  # smclarify's (scikit-learn's default)
THREAD_MIN_QUERIES = 4096
_EPS = float(np.finfo(np.float64).eps)


def brute_tolerance(a_vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Twice a bound on |brute-force squared distance - KD-tree squared distance| per query."""
    n_features = a_vectors.shape[1]
    a_norm = float(np.einsum("ij,ij->i", a_vectors, a_vectors).max())
    q_norm = np.einsum("ij,ij->i", queries, queries)
    return 2 * 8 * (n_features + 4) * _EPS * (q_norm + a_norm)


def votes(
    a_vectors: np.ndarray,
    a_count: np.ndarray,
    a_pos: np.ndarray,
    queries: np.ndarray,
    k: int,
    tolerance: np.ndarray,
    *,
    squared: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """(vote positive, ambiguous) per query: the k-neighbour vote over distinct a vectors with multiplicities.

    Distances compared are the KD tree's (``squared``: their squares, rows within ``tolerance`` of the k-th
    count as tied). A query is ambiguous when the tied rows at the k-th distance can swing the vote.
    """
    from sklearn.neighbors import KDTree  # scikit-learn is imported only by runs that compute FT

    tree = KDTree(a_vectors, leaf_size=LEAF_SIZE, metric="euclidean")
    n_queries = len(queries)
    k_query = min(k + 1, len(a_vectors))  # one past the k-th row at most: shows whether the k-th distance is tied
    dist, ind = _query(tree, queries, k_query)
    key = dist * dist if squared else dist
    count, pos = a_count[ind], a_pos[ind]
    position = (np.cumsum(count, axis=1) < k).sum(axis=1)  # first neighbour where k rows are reached
    radius = key[np.arange(n_queries), position]
    inside = key < (radius - tolerance)[:, None]
    tied = ~inside & (key <= (radius + tolerance)[:, None])
    n_in, p_in = (count * inside).sum(axis=1), (pos * inside).sum(axis=1)
    n_tied, p_tied = (count * tied).sum(axis=1), (pos * tied).sum(axis=1)
    complete = np.full(n_queries, k_query == len(a_vectors)) | (key[:, -1] > radius + tolerance)
    incomplete = np.flatnonzero(~complete)
    if len(incomplete):  # more rows may sit at the k-th distance than the search returned: take them all
        n_in[incomplete], p_in[incomplete], n_tied[incomplete], p_tied[incomplete] = _within(
            tree, a_count, a_pos, queries[incomplete], radius[incomplete], tolerance[incomplete], squared=squared
        )
    need = k - n_in
    pos_low = p_in + np.maximum(0, need - (n_tied - p_tied))
    pos_high = p_in + np.minimum(need, p_tied)
    vote_low, vote_high = 2 * pos_low > k, 2 * pos_high > k
    return vote_low, vote_low != vote_high


def _within(
    tree: Any,
    a_count: np.ndarray,
    a_pos: np.ndarray,
    queries: np.ndarray,
    radius: np.ndarray,
    tolerance: np.ndarray,
    *,
    squared: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows (count, positives) strictly inside and tied at ``radius`` for each query, from a radius search."""
    reach = radius + tolerance
    search = (np.sqrt(reach) if squared else reach) * (1 + 8 * _EPS) + np.finfo(np.float64).tiny
    ind, dist = tree.query_radius(queries, r=search, return_distance=True)
    lengths = np.array([len(i) for i in ind])
    owner = np.repeat(np.arange(len(queries)), lengths)
    ind, dist = np.concatenate(ind).astype(np.intp), np.concatenate(dist)
    key = dist * dist if squared else dist
    inside = key < (radius - tolerance)[owner]
    tied = ~inside & (key <= reach[owner])
    n = len(queries)

    def total(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(owner[mask], weights=weights[ind[mask]], minlength=n)

    return total(a_count, inside), total(a_pos, inside), total(a_count, tied), total(a_pos, tied)


def _query(tree: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The tree's k nearest (distances, indices) per query, on all cores (the search releases the GIL)."""
    workers = os.cpu_count() or 1
    if workers == 1 or len(queries) < THREAD_MIN_QUERIES:
        return tree.query(queries, k=k)
    blocks = np.array_split(queries, workers * 4)
    with ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(lambda block: tree.query(block, k=k), blocks))
    return np.concatenate([a[0] for a in answers]), np.concatenate([a[1] for a in answers])


@dataclass(frozen=True)
class Reference:
    """scikit-learn's KNeighborsClassifier fitted on every facet-a row in dataset order, as smclarify fits it."""

    matrix: np.ndarray
    facet_d: np.ndarray
    positive: np.ndarray
    keys: np.ndarray
    k: int
    dtype: np.dtype

    def _rows(self, side: np.ndarray) -> np.ndarray:
        return self.keys[side[self.keys]]

    def _inputs(self, rows: np.ndarray) -> np.ndarray:
        return self.matrix[rows].astype(self.dtype, copy=False)

    @cached_property
    def _model(self) -> Any:
        from sklearn.neighbors import KNeighborsClassifier  # see votes

        rows = self._rows(~self.facet_d)
        model = KNeighborsClassifier(
            n_neighbors=self.k, weights="uniform", algorithm="auto", leaf_size=LEAF_SIZE, p=2, metric="minkowski"
        )
        try:
            model.fit(self._inputs(rows), self.positive[rows])
        except ValueError as exc:
            raise MetricError(str(exc).splitlines()[0]) from exc
        return model

    def predict(self, queries: np.ndarray) -> np.ndarray:
        try:
            return self._model.predict(queries.astype(self.dtype, copy=False)).astype(bool)
        except ValueError as exc:
            raise MetricError(str(exc).splitlines()[0]) from exc

    def flip_test(self) -> float:
        rows = self._rows(self.facet_d)
        as_if_a = self.predict(self.matrix[rows])
        model_d = self.positive[rows]
        flipped_pos = int(np.sum(model_d & ~as_if_a))
        flipped_neg = int(np.sum(~model_d & as_if_a))
        return float(safe_divide(flipped_pos - flipped_neg, len(rows)))
