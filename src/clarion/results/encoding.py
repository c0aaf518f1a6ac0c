"""Clarify's number encoding in JSON: infinities as the strings "Infinity"/"-Infinity", NaN as null.

``encode`` maps Python values (numpy scalars included) to JSON-ready values; ``dumps`` gives the exact
text clarion writes for analysis.json (2-space indent, a final newline); ``decode_number`` is the inverse
for one number (ints stay ints, so a read-then-write round trip keeps every byte).
"""

from __future__ import annotations

import json
import math
from typing import Any


def encode(value: Any) -> Any:
    """Replace non-finite floats by Clarify's strings ("Infinity", "-Infinity"; NaN -> None), recursively."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return encode(value.item())
    return value


def dumps(document: Any, indent: int | None = 2) -> str:
    """JSON text of ``document`` with Clarify's number encoding and a final newline."""
    return json.dumps(encode(document), indent=indent, allow_nan=False) + "\n"


def decode_number(raw: Any) -> Any:
    """A JSON number as Clarify writes it: "Infinity"/"-Infinity"/"NaN" strings become floats; ints stay ints;
    numpy scalars become Python numbers; other values are returned unchanged (for the caller's validation)."""
    if isinstance(raw, str) and raw in ("Infinity", "-Infinity", "NaN", "inf", "-inf", "nan"):
        return float(raw)
    if not isinstance(raw, (bool, int, float, str)) and hasattr(raw, "item") and callable(raw.item):
        return raw.item()
    return raw
