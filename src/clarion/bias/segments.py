"""``segment_config``: bias metrics per segment of the dataset, as the SDK's SegmentationConfig describes them.

Each segment config names a column and N segments (lists of values); rows are split into N + 1 segments,
the last one, ``__default__``, holding every row no list covers. For a continuous column a segment value is
an interval string (``"[1, 4]"``, ``"(30, 50]"``, ``"(7, 9)"``); otherwise values match the column's values
(a number given as text, or text given as a number, matches too). A row in several segments belongs to the
first. ``display_aliases`` name the N segments, or the N + 1 with the default one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clarion.bias.segment_spec import SegmentSpec, parse_interval


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
