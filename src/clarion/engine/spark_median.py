"""The exact median of local values spread over partitions, without gathering them: selection by counts.

np.median over N rows is the value of rank N // 2 of each (feature, output) cell (0-based, in sorted order)
when N is odd, and the mean (a + b) / 2 of the values of ranks N // 2 - 1 and N // 2 when N is even; a cell
holding a NaN has median NaN. Each wanted rank (a *target*) is found by narrowing an interval of
order keys (float64 bits mapped to int64 so that integer order is float order, ``order_keys``):

1. the interval starts as [min key, max key] of the cell, holding all its N values;
2. a counting pass splits every open interval into at most ``BUCKETS`` equal ranges of keys; each partition
   counts its values per range (``bucket_counts``); summed over partitions, the range holding the target's
   rank becomes the new interval (at most 64 / log2(BUCKETS) passes until it is one key, one value);
3. once an interval holds at most ``GATHER_LIMIT`` values (or is one key), one pass gathers those values
   (``values_in``) and the target is the value of its rank among them.

Executors only return counts and the few values of the last intervals, so the driver holds O(targets x
BUCKETS) numbers, not N x M x K. The result is the exact order statistic, so the median equals np.median's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

BUCKETS = 256
GATHER_LIMIT = 4096
_LOW_BITS = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_SHIFT_BITS = int(np.log2(BUCKETS))


def order_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys of float64 values with the same order (-0.0 just below 0.0; NaN not allowed)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    return np.where(bits < 0, bits ^ _LOW_BITS, bits)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The float64 values of order keys (``order_keys`` is its own inverse on the bits)."""
    keys = np.asarray(keys, dtype=np.int64)
    return np.where(keys < 0, keys ^ _LOW_BITS, keys).view(np.float64)


@dataclass(frozen=True)
class Targets:
    """Open intervals of order keys: ``cells`` (index into the flattened M x K cells) and [``low``, ``high``]."""

    cells: np.ndarray  # int64
    low: np.ndarray  # int64
    high: np.ndarray  # int64

    def shifts(self) -> np.ndarray:
        """Right shift of (key - low) that maps each interval onto at most BUCKETS buckets."""
        widths = [int(h) - int(lo) for lo, h in zip(self.low.tolist(), self.high.tolist(), strict=True)]
        return np.array([max(0, w.bit_length() - _SHIFT_BITS) for w in widths], dtype=np.uint64)


def cell_ranges(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per flattened cell of (n, M, K) values: NaN present, min key and max key of the other values."""
    flat = values.reshape(values.shape[0], -1)
    nan = np.isnan(flat).any(axis=0)
    keys = order_keys(np.where(np.isnan(flat), 0.0, flat))
    if flat.shape[0] == 0:
        big = np.iinfo(np.int64)
        return nan, np.full(flat.shape[1], big.max), np.full(flat.shape[1], big.min)
    return nan, keys.min(axis=0), keys.max(axis=0)


def bucket_counts(values: np.ndarray, targets: Targets) -> np.ndarray:
    """(targets, BUCKETS) counts of a partition's (n, M, K) values per bucket of each target's interval."""
    flat = values.reshape(values.shape[0], -1)
    counts = np.zeros((len(targets.cells), BUCKETS), dtype=np.int64)
    shifts = targets.shifts()
    for t, (cell, low, high) in enumerate(zip(targets.cells, targets.low, targets.high, strict=True)):
        column = flat[:, cell]
        keys = order_keys(column[~np.isnan(column)])
        inside = keys[(keys >= low) & (keys <= high)]
        offsets = (inside.astype(np.uint64) - np.uint64(low.astype(np.uint64))) >> shifts[t]
        counts[t] = np.bincount(offsets.astype(np.int64), minlength=BUCKETS)[:BUCKETS]
    return counts


def values_in(values: np.ndarray, targets: Targets) -> list[np.ndarray]:
    """A partition's values inside each target's interval."""
    flat = values.reshape(values.shape[0], -1)
    found = []
    for cell, low, high in zip(targets.cells, targets.low, targets.high, strict=True):
        column = flat[:, cell]
        column = column[~np.isnan(column)]
        keys = order_keys(column)
        found.append(column[(keys >= low) & (keys <= high)])
    return found


Count = Callable[[Targets], np.ndarray]  # (targets, BUCKETS) counts summed over every partition
Gather = Callable[[Targets], Sequence[np.ndarray]]  # each target's values from every partition


def exact_median(
    rows: int, nan: np.ndarray, low: np.ndarray, high: np.ndarray, count: Count, gather: Gather
) -> np.ndarray:
    """(cells,) medians of ``rows`` values per flattened cell, np.median's; ``nan``, ``low``, ``high``: per cell
    over all partitions (``cell_ranges`` merged); ``count`` and ``gather`` run a pass over the partitions."""
    cells = len(nan)
    if rows == 0:
        return np.full(cells, np.nan)
    ranks = [rows // 2 - 1, rows // 2] if rows % 2 == 0 else [rows // 2]
    open_cells = np.flatnonzero(~nan)
    target_cells = np.repeat(open_cells, len(ranks))
    rank = np.tile(np.array(ranks, dtype=np.int64), len(open_cells))
    lows, highs = np.repeat(low[open_cells], len(ranks)), np.repeat(high[open_cells], len(ranks))
    held = np.full(len(target_cells), rows, dtype=np.int64)
    found = np.zeros(len(target_cells))
    pending = np.ones(len(target_cells), dtype=bool)
    while True:
        single = pending & (lows == highs)
        found[single] = key_values(lows[single])
        pending &= ~single
        narrow = pending & (held > GATHER_LIMIT)
        if not narrow.any():
            break
        which = np.flatnonzero(narrow)
        targets = Targets(target_cells[which], lows[which], highs[which])
        counts, shifts = count(targets), targets.shifts()
        for i, t in enumerate(which):
            below = np.cumsum(counts[i])
            bucket = int(np.searchsorted(below, rank[t], side="right"))
            rank[t] -= int(below[bucket - 1]) if bucket else 0
            held[t] = int(counts[i, bucket])
            start = int(lows[t]) + (bucket << int(shifts[i]))
            lows[t], highs[t] = start, min(int(highs[t]), start + (1 << int(shifts[i])) - 1)
    which = np.flatnonzero(pending)
    if len(which):
        gathered = gather(Targets(target_cells[which], lows[which], highs[which]))
        for t, values in zip(which, gathered, strict=True):
            found[t] = np.sort(values)[rank[t]]
    medians = np.full(cells, np.nan)
    pairs = found.reshape(len(open_cells), len(ranks))
    medians[open_cells] = pairs.mean(axis=1) if len(ranks) == 2 else pairs[:, 0]
    return medians
