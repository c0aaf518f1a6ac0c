"""``segment_config``: bias metrics per segment of the dataset, as the SDK's SegmentationConfig describes them.

Each segment config names a column and N segments (lists of values); rows are split into N + 1 segments,
the last one, ``__default__``, holding every row no list covers. For a continuous column a segment value is
an interval string (``"[1, 4]"``, ``"(30, 50]"``, ``"(7, 9)"``); otherwise values match the column's values
(a number given as text, or text given as a number, matches too). A row in several segments belongs to the
first. ``display_aliases`` name the N segments, or the N + 1 with the default one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clarion.config import AnalysisConfig
from clarion.data.roles import resolve
from clarion.errors import ConfigError

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


def segment_of_rows(values: pd.Series, spec: SegmentSpec) -> np.ndarray:
    """For each row, the index of its segment (0..N-1), or N for the default segment."""
    result = np.full(len(values), len(spec.segments), dtype=np.int64)
    free = np.ones(len(values), dtype=bool)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    texts = values.astype(str).to_numpy()
    raw = values.to_numpy(dtype=object)
    for j, segment in enumerate(spec.segments):
        member = np.zeros(len(values), dtype=bool)
        for value in segment:
            interval = parse_interval(value)
            if interval is not None:
                member |= interval.contains(numbers)
            else:
                member |= (raw == value) | (texts == str(value))
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    member |= numbers == float(value)
        chosen = member & free
        result[chosen] = j
        free &= ~chosen
    return result
