"""The row sample: uniform keys per row position, so the sample does not depend on chunking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clarion.engine.sample import RowSample, _row_keys


def sample_in_chunks(frame: pd.DataFrame, chunk: int, capacity: int, seed: int) -> RowSample:
    sample = RowSample.empty(capacity)
    for start in range(0, len(frame), chunk):
        sample = sample.add(frame.iloc[start : start + chunk], start, seed)
    return sample


def test_sample_is_the_rows_with_the_smallest_keys_whatever_the_chunking():
    frame = pd.DataFrame({"x": np.arange(1000), "y": np.arange(1000) * 2.0})
    keys = _row_keys(np.arange(1000), seed=5)
    expected = np.sort(np.argsort(keys)[:50])
    for chunk in (7, 100, 1000):
        sample = sample_in_chunks(frame, chunk, 50, seed=5)
        assert sample.rows["x"].tolist() == expected.tolist()


def test_merge_is_commutative_and_keeps_row_order():
    frame = pd.DataFrame({"x": np.arange(300)})
    left = RowSample.empty(40).add(frame.iloc[:150], 0, 1)
    right = RowSample.empty(40).add(frame.iloc[150:], 150, 1)
    a, b = left.merge(right), right.merge(left)
    assert a.rows["x"].tolist() == b.rows["x"].tolist() == sorted(a.rows["x"].tolist())
    assert len(a.rows) == 40


def test_keys_look_uniform():
    keys = _row_keys(np.arange(200_000), seed=0)
    assert 0 <= keys.min() and keys.max() < 1
    counts, _ = np.histogram(keys, bins=10, range=(0, 1))
    assert np.all(np.abs(counts - 20_000) < 1_000)  # about 7 standard deviations
