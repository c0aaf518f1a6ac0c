"""The exact median by counts (``clarion.engine.spark_median``) equals np.median, whatever the partitioning.

No Spark here: partitions are numpy arrays and the count / gather passes are plain sums, as the Spark
engine runs them over executors (tests/test_spark_shap.py runs them on a real session).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from clarion.engine import spark_median
from clarion.engine.spark_median import (
    bucket_counts,
    cell_ranges,
    exact_median,
    key_values,
    order_keys,
    values_in,
)


def median_by_counts(parts):
    """exact_median over ``parts`` (arrays of (n_i, M, K) values); returns the (M, K) medians and the count passes."""
    shape = parts[0].shape[1:]
    filled = [p for p in parts if len(p)]
    ranges = [cell_ranges(p) for p in filled]
    nan = np.logical_or.reduce([r[0] for r in ranges])
    low = np.minimum.reduce([r[1] for r in ranges])
    high = np.maximum.reduce([r[2] for r in ranges])
    passes = []

    def count(targets):
        passes.append(len(targets.cells))
        return sum(bucket_counts(p, targets) for p in filled)

    def gather(targets):
        found = [values_in(p, targets) for p in filled]
        return [np.concatenate([f[t] for f in found]) for t in range(len(targets.cells))]

    rows = sum(len(p) for p in parts)
    return exact_median(rows, nan, low, high, count, gather).reshape(shape), passes


def test_order_keys_sort_like_the_floats_and_invert():
    values = np.array([-np.inf, -1e308, -2.5, -1e-320, -0.0, 0.0, 1e-320, 3.0, 1e308, np.inf])
    keys = order_keys(values)
    assert np.all(np.diff(keys) > 0)
    assert np.array_equal(key_values(keys), values)
    assert np.signbit(key_values(keys))[4] and not np.signbit(key_values(keys))[5]


@pytest.mark.parametrize("gather_limit", [0, 5, 4096])
@pytest.mark.parametrize("case", ["normal", "ties", "zeros", "nan", "inf", "huge_range"])
def test_equals_np_median_for_any_partitioning(monkeypatch, gather_limit, case):
    monkeypatch.setattr(spark_median, "GATHER_LIMIT", gather_limit)
    rng = np.random.default_rng(zlib.crc32(f"{case} {gather_limit}".encode()))
    for _ in range(40):
        n, m, k = int(rng.integers(1, 200)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
        values = rng.normal(size=(n, m, k))
        if case == "ties":
            values = np.round(values)
        elif case == "zeros":
            values[rng.random(values.shape) < 0.6] = 0.0
        elif case == "nan":
            values[rng.random(values.shape) < 0.02] = np.nan
        elif case == "inf":
            values[rng.random(values.shape) < 0.1] = np.inf * rng.choice([-1.0, 1.0])
        elif case == "huge_range":
            values = values * 10.0 ** rng.integers(-300, 300, size=values.shape)
        cuts = np.sort(rng.integers(0, n + 1, int(rng.integers(0, 6))))
        got, passes = median_by_counts(np.split(values, cuts))
        assert np.array_equal(got, np.median(values, axis=0), equal_nan=True)
        if gather_limit == 0 and n > 1 and case == "normal":  # distinct values: intervals to narrow
            assert passes  # the counting passes ran (down to single keys)
            assert len(passes) <= 64 // 8 + 1


def test_count_passes_hold_only_buckets_not_rows(monkeypatch):
    """A million values in four partitions: each counting pass returns targets x BUCKETS numbers."""
    monkeypatch.setattr(spark_median, "GATHER_LIMIT", 1000)
    rng = np.random.default_rng(5)
    values = rng.standard_t(3, size=(1_000_000, 1, 1))
    got, passes = median_by_counts(np.array_split(values, 4))
    assert got[0, 0] == np.median(values[:, 0, 0])
    assert 1 <= len(passes) <= 4 and all(targets == 2 for targets in passes)
