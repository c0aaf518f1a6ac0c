"""Feature-attribution drift as Model Monitor measures it: NDCG of the live ranking, scored with baseline gains.

F = features by baseline attribution (descending), F' = features by live attribution (descending), a(f) = the
baseline attribution of f:

    DCG = Σ_i a(F'_i) / log2(i + 1),   iDCG = Σ_i a(F_i) / log2(i + 1),   NDCG = DCG / iDCG  (in [0, 1])

Only the baseline's features count; a feature the live run lacks ranks last. Ties in the live values keep the
baseline order, so identical attributions give exactly 1. iDCG = 0 (no attribution at all) gives 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

DEFAULT_THRESHOLD = 0.9


def ndcg(baseline: Mapping[str, float], live: Mapping[str, float]) -> float:
    """NDCG of ``live``'s feature order, with the gains from ``baseline`` (feature -> global attribution)."""
    ideal = sorted(baseline, key=lambda f: -baseline[f])
    rank = {f: i for i, f in enumerate(ideal)}
    ordered = sorted(ideal, key=lambda f: (-live.get(f, -math.inf), rank[f]))
    idcg = _dcg([baseline[f] for f in ideal])
    if idcg == 0:
        return 1.0
    return _dcg([baseline[f] for f in ordered]) / idcg


def _dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))
