"""``segment_config`` resolved against the dataset's column names: the segments' columns, values and names.

No pandas here: ``clarion validate`` and the bias-only column selection resolve segments before any data is read.
The rows' segments are assigned in ``clarion.bias.segments``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clarion.config import AnalysisConfig
from clarion.data.roles import resolve
from clarion.errors import ConfigError

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


def resolve_segments(config: AnalysisConfig, columns: Sequence[str]) -> tuple[SegmentSpec, ...]:
    """The config's segment configs against the dataset's column names."""
    specs = []
    for i, segment in enumerate(config.segment_config or ()):
        key = f"segment_config[{i}]"
        column = resolve(segment.name_or_index, list(columns), f"{key}.name_or_index")
        assert column is not None
        lists = tuple(tuple(values) for values in segment.segments)
        if not lists or any(not values for values in lists):
            raise ConfigError(f"{key}.segments: expected one or more non-empty lists of values or intervals")
        aliases = list(segment.display_aliases or ())
        if aliases and len(aliases) not in (len(lists), len(lists) + 1):
            raise ConfigError(
                f"{key}.display_aliases: expected {len(lists)} or {len(lists) + 1} names, got {len(aliases)}"
            )
        names = aliases[: len(lists)] or [",".join(map(str, values)) for values in lists]
        names.append(aliases[len(lists)] if len(aliases) == len(lists) + 1 else DEFAULT_SEGMENT)
        specs.append(SegmentSpec(column, lists, tuple(names), segment.config_name, segment.name_or_index))
    return tuple(specs)
