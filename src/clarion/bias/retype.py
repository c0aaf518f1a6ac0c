"""Types of CSV columns counted as text: decided once over the whole column, so chunking cannot change them.

pandas' CSV parser types each column from the set of its texts: int64 when all parse as integers (uint64
or text past the int64 range), float64 when all parse as numbers, bool when all are True/False spellings,
text otherwise. Parsed in chunks, one chunk holding a ``?`` would type differently from the others, and
value matching would depend on where the ``?`` falls. Counting the raw texts and typing their distinct
values afterwards, by the same parser, gives exactly the whole-file result. With empty cells present, an
integer column becomes float64 and a bool column stays object, as in a whole-file read.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd


def dtype_kind(dtype: Any) -> str:
    """The dtype family type inference cares about: bool, int, float, category or object (strings, mixed)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "object"


def csv_column_types(texts: Sequence[str], *, has_missing: bool) -> tuple[str, dict[str, Any]]:
    """(dtype kind, text -> typed value) for a CSV column whose non-empty cells hold exactly ``texts``."""
    if not texts:
        return ("float" if has_missing else "object"), {}
    quoted = "\n".join('"' + text.replace('"', '""') + '"' for text in texts) + "\n"
    series = pd.read_csv(
        io.StringIO(quoted), header=None, names=["v"], skip_blank_lines=False, low_memory=False, dtype=None
    )["v"]
    kind = dtype_kind(series.dtype)
    values = series.tolist()
    if kind == "int" and has_missing:
        kind, values = "float", [float(v) for v in values]
    elif kind == "bool" and has_missing:
        kind = "object"
    return kind, dict(zip(texts, values, strict=True))
