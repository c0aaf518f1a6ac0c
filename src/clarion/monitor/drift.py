"""Bias drift as Model Monitor judges it: a violation when the current value is farther from the metric's fair
value than the baseline value.

Distance from fair: |value - fair|, with fair values from the metric catalogue: 0 for the differences (CI, DPL,
DPPL, AD, ...), the divergences (KL, JS, LP, TVD, KS) and GE; 1 for DI. DI is measured linearly from 1, as the
documentation words the rule ("closer to" the fair value): a baseline DI of 0.8 allows 0.8 to 1.2, and 1.25 is a
violation although it is the reciprocal of 0.8. CI has no
"fair" value in the usual sense (it describes the data, not a decision); it is judged from 0 (balanced
groups), as Model Monitor reports CI violations. Unknown metric codes are not judged.

``tolerance`` (default 0, Model Monitor's rule) lets the distance grow by that much before it counts, to absorb
the sampling noise of small monitoring windows. Distances within 1e-9 (relative) count as equal, so floating
point rounding of an unchanged value never counts.
"""

from __future__ import annotations

import math

from clarion.results.catalogue import METRICS

ROUNDING = 1e-9


def fair_value(code: str) -> float | None:
    """The metric's fair value (0 for differences and divergences, 1 for DI); None for an unknown code."""
    info = METRICS.get(code.upper())
    return None if info is None else info.fair


def distance_from_fair(code: str, value: float) -> float | None:
    """How far ``value`` is from fair: |value - fair| (None: unknown code or NaN)."""
    fair = fair_value(code)
    if fair is None or math.isnan(value):
        return None
    return abs(value - fair)


def is_bias_drift(code: str, baseline: float | None, current: float | None, tolerance: float = 0.0) -> bool:
    """True when ``current`` is farther from the fair value than ``baseline`` (by more than ``tolerance``).

    Missing values (null in either analysis.json) and unknown codes never count."""
    if baseline is None or current is None:
        return False
    base = distance_from_fair(code, baseline)
    now = distance_from_fair(code, current)
    if base is None or now is None:
        return False
    if math.isinf(now):
        return not math.isinf(base)
    limit = base + tolerance
    return now > limit + ROUNDING * max(1.0, abs(limit))
