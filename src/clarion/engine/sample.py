"""A seeded, mergeable uniform sample of rows: each row draws a random key, the k smallest keys stay.

Keeping the k smallest keys is associative and commutative, so chunks (or Spark partitions) can be
sampled independently and merged, and the result does not depend on how the data was split when the
keys are drawn from a per-row seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RowSample:
    """At most ``capacity`` rows with their sort keys; ``rows`` keeps the original row order."""

    capacity: int
    keys: np.ndarray
    positions: np.ndarray
    rows: pd.DataFrame

    @staticmethod
    def empty(capacity: int) -> RowSample:
        return RowSample(capacity, np.empty(0), np.empty(0, dtype=np.int64), pd.DataFrame())

    def add(self, chunk: pd.DataFrame, first_position: int, seed: int) -> RowSample:
        """Offer the rows of ``chunk`` (global positions ``first_position...``) to the sample."""
        positions = np.arange(first_position, first_position + len(chunk), dtype=np.int64)
        keys = _row_keys(positions, seed)
        return self.merge(RowSample(self.capacity, keys, positions, chunk.reset_index(drop=True)))

    def merge(self, other: RowSample) -> RowSample:
        if other.rows.empty and len(other.keys) == 0:
            return self
        if self.rows.empty and len(self.keys) == 0:
            frames, keys, positions = [other.rows], other.keys, other.positions
        else:
            frames = [self.rows, other.rows]
            keys = np.concatenate([self.keys, other.keys])
            positions = np.concatenate([self.positions, other.positions])
        rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if len(keys) > self.capacity:
            keep = np.argpartition(keys, self.capacity - 1)[: self.capacity]
        else:
            keep = np.arange(len(keys))
        keep = keep[np.argsort(positions[keep], kind="stable")]
        return RowSample(self.capacity, keys[keep], positions[keep], rows.iloc[keep].reset_index(drop=True))


def _row_keys(positions: np.ndarray, seed: int) -> np.ndarray:
    """A uniform key in [0, 1) per global row position, independent of chunking (splitmix64 hash)."""
    with np.errstate(over="ignore"):
        z = positions.astype(np.uint64) + np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
