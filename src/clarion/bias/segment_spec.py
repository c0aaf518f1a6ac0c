"""A resolved ``segment_config``: the segments' column, values and names, and interval values.

The run spec (``clarion.engine.core.spec.resolve_segments``) builds them from the config. No pandas here:
``clarion validate`` and the bias-only column selection resolve segments before any data is read. The rows'
segments are assigned in ``clarion.bias.segments``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

DEFAULT_SEGMENT = "__default__"
_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^,\s\])]+)\s*([\])])\s*$")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    closed_low: bool
    closed_high: bool

    def contains(self, x: np.ndarray) -> np.ndarray:
        above = x >= self.low if self.closed_low else x > self.low
        below = x <= self.high if self.closed_high else x < self.high
        return above & below


@dataclass(frozen=True)
class SegmentSpec:
    """One segment config, resolved: the column, the N value lists, the N + 1 segment names."""

    column: str
    segments: tuple[tuple[Any, ...], ...]
    names: tuple[str, ...]
    config_name: str | None
    name_or_index: str | int


def parse_interval(text: Any) -> Interval | None:
    """``"(30, 50]"`` -> Interval(30, 50, False, True); None when ``text`` is no interval string."""
    if not isinstance(text, str):
        return None
    match = _INTERVAL.match(text)
    if match is None:
        return None
    try:
        low, high = float(match.group(2)), float(match.group(3))
    except ValueError:
        return None
    return Interval(low, high, match.group(1) == "[", match.group(4) == "]")
