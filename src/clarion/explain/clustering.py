"""Summarise a table into a few prototype rows: k-means for numeric data, k-prototypes for mixed data.

Numeric columns are standardised (z = (x - mean) / std; missing -> 0, the mean) so that no feature
dominates by its units; centres are reported in the original units as the mean of their members.
Categorical columns are compared by matching: k-prototypes (Huang 1998) minimises

    cost = sum_i [ ||z_i - mu_c(i)||^2 + gamma * #{j : cat_ij != mode_c(i),j} ],   gamma = 0.5,

(Huang suggests gamma between 0.5 and 0.7 times the numeric standard deviation, 1 after scaling),
alternating nearest-prototype assignment with mean / mode updates until assignments stop changing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

GAMMA = 0.5
MAX_CLUSTERS = 12
ELBOW_SHARE = 0.9
ELBOW_SAMPLE_ROWS = 2000


@dataclass(frozen=True, eq=False)
class Clustering:
    """labels: (n,) cluster of each row; cost: the objective above on standardised data."""

    labels: np.ndarray
    cost: float


def is_numeric_column(series: pd.Series) -> bool:
    """Numeric dtypes (not booleans) cluster by mean; anything else by mode."""
    return is_numeric_dtype(series.dtype) and not is_bool_dtype(series.dtype)


def _encode(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    num_cols = [j for j in range(frame.shape[1]) if is_numeric_column(frame.iloc[:, j])]
    cat_cols = [j for j in range(frame.shape[1]) if j not in num_cols]
    num = frame.iloc[:, num_cols].to_numpy(dtype=float) if num_cols else np.zeros((len(frame), 0))
    mean = np.nanmean(num, axis=0) if num_cols else np.zeros(0)
    std = np.nanstd(num, axis=0) if num_cols else np.zeros(0)
    z = (num - mean) / np.where(std > 0, std, 1.0)
    z = np.where(np.isnan(z), 0.0, z)
    codes = (
        np.stack([pd.factorize(frame.iloc[:, j], use_na_sentinel=False)[0] for j in cat_cols], axis=1)
        if cat_cols
        else np.zeros((len(frame), 0), dtype=np.intp)
    )
    return z, codes, num_cols, cat_cols


def cluster_rows(frame: pd.DataFrame, k: int, rng: np.random.Generator) -> Clustering:
    """k-means (all columns numeric) or k-prototypes (any categorical column) on the rows of ``frame``."""
    z, codes, _, _ = _encode(frame)
    k = max(1, min(k, len(frame)))
    if codes.shape[1] == 0:
        from sklearn.cluster import KMeans  # here, not at the top: every run imports this module, few cluster

        km = KMeans(n_clusters=k, n_init=4, random_state=int(rng.integers(2**31 - 1))).fit(z)
        return Clustering(labels=km.labels_, cost=float(km.inertia_))
    return kprototypes(z, codes, k, rng)


def kprototypes(
    z: np.ndarray, codes: np.ndarray, k: int, rng: np.random.Generator, n_init: int = 4, max_iter: int = 100
) -> Clustering:
    """Best of ``n_init`` k-prototypes runs, each seeded with k distinct random rows."""
    best: Clustering | None = None
    n = z.shape[0]
    for _ in range(n_init):
        start = rng.choice(n, size=k, replace=False)
        mu, modes = z[start].copy(), codes[start].copy()
        labels = np.full(n, -1)
        for _ in range(max_iter):
            cost = _costs(z, codes, mu, modes)
            new = cost.argmin(axis=1)
            if np.array_equal(new, labels):
                break
            labels = new
            mu, modes = _update(z, codes, labels, mu, modes)
        total = float(_costs(z, codes, mu, modes)[np.arange(n), labels].sum())
        if best is None or total < best.cost:
            best = Clustering(labels=labels, cost=total)
    assert best is not None
    return best


def _costs(z: np.ndarray, codes: np.ndarray, mu: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """(n, k) cost of every row against every prototype."""
    d = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)
    return d + GAMMA * (codes[:, None, :] != modes[None, :, :]).sum(axis=2)


def _update(
    z: np.ndarray, codes: np.ndarray, labels: np.ndarray, mu: np.ndarray, modes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Means and modes of each cluster's members (an empty cluster keeps its prototype)."""
    mu, modes = mu.copy(), modes.copy()
    k = mu.shape[0]
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros_like(mu)
    np.add.at(sums, labels, z)
    filled = counts > 0
    mu[filled] = sums[filled] / counts[filled, None]
    for j in range(codes.shape[1]):
        table = np.zeros((k, int(codes[:, j].max()) + 1), dtype=np.int64)
        np.add.at(table, (labels, codes[:, j]), 1)
        modes[filled, j] = table[filled].argmax(axis=1)  # ties: the smallest code, i.e. first seen
    return mu, modes


def prototypes(frame: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """One row per non-empty cluster: member means for numeric columns, member modes otherwise."""
    rows = []
    for c in np.unique(labels):
        members = frame.iloc[np.flatnonzero(labels == c)]
        row = {}
        for name in frame.columns:
            col = members[name]
            if is_numeric_column(col):
                row[name] = float(np.nanmean(col.to_numpy(dtype=float))) if col.notna().any() else np.nan
            else:
                values, first_codes = pd.factorize(col, use_na_sentinel=False)
                counts = np.bincount(values)
                row[name] = first_codes[int(counts.argmax())]
        rows.append(row)
    return pd.DataFrame(rows, columns=frame.columns)


def default_num_clusters(frame: pd.DataFrame, rng: np.random.Generator) -> int:
    """Elbow rule: the smallest k in 1..12 whose cost reduction reaches 90% of that of k = 12.

    Computed on at most 2000 rows drawn with ``rng``; never more clusters than distinct rows.
    """
    sample = frame
    if len(frame) > ELBOW_SAMPLE_ROWS:
        sample = frame.iloc[np.sort(rng.choice(len(frame), ELBOW_SAMPLE_ROWS, replace=False))]
    top = min(MAX_CLUSTERS, len(sample.drop_duplicates()))
    if top <= 1:
        return 1
    costs = np.array([cluster_rows(sample, k, rng).cost for k in range(1, top + 1)])
    costs = np.minimum.accumulate(costs)  # more clusters never cost more in exact arithmetic
    gain = costs[0] - costs[-1]
    if gain <= 0:
        return 1
    reached = (costs[0] - costs) >= ELBOW_SHARE * gain
    return int(np.argmax(reached)) + 1
