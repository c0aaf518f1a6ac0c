"""Transport policy: how rows are cut into requests, and when and how long to wait before a retry.

Batching: consecutive rows go into one request while the body stays at or below ``max_bytes`` and
the row count at or below ``max_rows``. Retries: 429, 5xx, timeouts and connection errors are retried
up to ``max_retries`` times; the wait before retry r (0-based) is drawn uniformly from
[0, min(cap, base * 2**r)] ("full jitter"). A server's ``Retry-After`` (seconds or an HTTP date) replaces
that draw, honoured up to ``retry_after_cap_seconds`` (30 s): a longer ``Retry-After`` waits the cap.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import numpy as np

from clarion.errors import PredictorError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_CAP_SECONDS = 30.0


def split_batches(
    row_sizes: np.ndarray, *, max_bytes: int, max_rows: int | None, separator: int, overhead: int
) -> list[slice]:
    """Consecutive row ranges, greedily as long as possible, whose body (rows + separators + overhead) fits."""
    sizes = np.asarray(row_sizes, dtype=np.int64) + separator
    too_big = np.flatnonzero(sizes + overhead > max_bytes)
    if too_big.size:
        i = int(too_big[0])
        raise PredictorError(
            f"row {i} needs {int(sizes[i]) + overhead} bytes, more than the {max_bytes} bytes allowed per request "
            "(raise predictor.max_payload_mb)"
        )
    ends = np.cumsum(sizes)
    batches = []
    start = 0
    n = len(sizes)
    base = 0
    while start < n:
        # last row index whose cumulative size stays within budget
        stop = int(np.searchsorted(ends, base + max_bytes - overhead, side="right"))
        stop = max(stop, start + 1)
        if max_rows is not None:
            stop = min(stop, start + max_rows)
        stop = min(stop, n)
        batches.append(slice(start, stop))
        base = int(ends[stop - 1])
        start = stop
    return batches


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; ``max_retries`` retries after the first attempt."""

    max_retries: int = 5
    base_seconds: float = 0.1
    cap_seconds: float = 5.0
    retry_after_cap_seconds: float = RETRY_AFTER_CAP_SECONDS

    def delay(self, retry: int, rng: np.random.Generator, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based): min(Retry-After, its cap), else jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap_seconds)
        return float(rng.uniform(0.0, min(self.cap_seconds, self.base_seconds * 2.0**retry)))

    @staticmethod
    def retryable_status(status: int) -> bool:
        return status in RETRY_STATUSES or 500 <= status < 600


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(seconds, 0.0)
