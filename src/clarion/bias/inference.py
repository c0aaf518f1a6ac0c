"""Column type inference and binarisation, with smclarify's rules (the ones Clarify users' configs rely on).

Type of a label or facet column (smclarify ``series_datatype``):
  category dtype, or more than one value given                     -> categorical
  float                                                            -> continuous
  int, or strings that all cast to int64, with nunique/count >= 0.05 -> continuous
  anything else                                                    -> categorical
Categorical: a row is positive (facet d) when its value equals one of the given values; when no row matches,
the values are first converted to the type of the column's first row (``"1"`` -> ``1``) and matched again.
Continuous: one threshold t; positive (facet d) means t < value <= max, i.e. strictly above t. The written
string is the pandas interval(s) built from the breaks sorted([t, max]) (max left out when |max| == t).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clarion.bias.counts import MISSING, ColumnSummary

UNIQUENESS_THRESHOLD = 0.05


class DataType(enum.Enum):
    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"


class BinariseError(ValueError):
    """A column cannot be turned into a positive / facet-d indicator; the message is smclarify's."""


@dataclass(frozen=True)
class Binarisation:
    """Which raw values are positive (label) or in facet d; ``description`` is the value_or_threshold string."""

    positive: frozenset[Any]
    description: str
    error: str | None = None

    def __contains__(self, value: Any) -> bool:
        return value in self.positive


def safe_divide(a: float, b: float) -> float:
    """a / b with 0/0 -> 0.0 and x/0 -> +inf or -inf by the sign of x."""
    if b == 0 and a == 0:
        return 0.0
    if b == 0:
        return float("-inf") if a < 0 else float("inf")
    return a / b


def _present(counts: Mapping[Any, int]) -> list[Any]:
    return [v for v, c in counts.items() if c > 0 and v is not MISSING]


def _casts_to_int64(values: list[Any]) -> bool:
    try:
        pd.Series(values, dtype=object).astype("int64")
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def infer_type(summary: ColumnSummary, counts: Mapping[Any, int], values: Sequence[Any] | None) -> DataType:
    """Categorical or continuous, by smclarify's rule (see the module docstring)."""
    if summary.kind == "category" or (values is not None and len(values) > 1):
        return DataType.CATEGORICAL
    present = _present(counts)
    non_null = sum(c for v, c in counts.items() if v is not MISSING)
    uniqueness = safe_divide(len(present), non_null)
    if summary.kind == "object":
        if MISSING not in counts or counts[MISSING] == 0:
            if _casts_to_int64(present) and uniqueness >= UNIQUENESS_THRESHOLD:
                return DataType.CONTINUOUS
        return DataType.CATEGORICAL
    if summary.kind == "float":
        return DataType.CONTINUOUS
    if summary.kind == "int" and uniqueness >= UNIQUENESS_THRESHOLD:
        return DataType.CONTINUOUS
    return DataType.CATEGORICAL


def threshold_of(values: Sequence[Any] | None) -> float | int:
    """The one numeric threshold of a continuous column (a numeric string is read as a float)."""
    if not values:
        raise BinariseError("Threshold values must be provided for continuous features")
    t = values[0]
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        try:
            return float(t)
        except (TypeError, ValueError):
            raise BinariseError(
                "Facet/label value provided must be a single numeric threshold for continuous data"
            ) from None
    return t


def _numeric(values: list[Any]) -> dict[Any, Any]:
    if not values:
        return {}
    converted = pd.to_numeric(pd.Series(values, dtype=object)).tolist()
    return dict(zip(values, converted, strict=True))


def interval_string(threshold: float | int, column_max: float | int) -> str:
    """Clarify's value_or_threshold for a continuous column, e.g. ``"(0.5, 0.99]"``."""
    breaks = [threshold]
    if abs(column_max) not in breaks:
        breaks.append(column_max)
    intervals = pd.IntervalIndex.from_breaks(sorted(breaks))
    return ",".join(map(str, intervals))


def binarise_continuous(
    counts: Mapping[Any, int], values: Sequence[Any] | None, *, extra_max: float | None = None
) -> Binarisation:
    """Values strictly above the threshold (= inside (t, max]) are positive."""
    t = threshold_of(values)
    numeric = _numeric(_present(counts))
    if not numeric:
        raise BinariseError("Threshold values must be provided for continuous features")
    column_max = max(numeric.values())
    if extra_max is not None:
        column_max = max(column_max, extra_max)
    positive = frozenset(raw for raw, x in numeric.items() if x > t)
    return Binarisation(positive, interval_string(t, column_max))


def _convert_like(first_value: Any, values: Sequence[Any]) -> list[Any]:
    """smclarify ``convert_positive_label_values``: cast values to the type of the column's first value."""
    target = type(first_value)
    if first_value is MISSING:
        target = float
    if isinstance(values[0], target):
        return list(values)
    try:
        return [target(v) for v in values]
    except ValueError as exc:
        if "invalid literal for int() with base 10" in str(exc):
            try:
                return [float(v) for v in values]
            except ValueError:
                pass
    except TypeError:
        pass
    raise BinariseError(
        f"{_listed(values)} match no value of the column, whose values are {_kind_name(first_value)} "
        f"(e.g. {first_value!r})"
    )


def _listed(values: Sequence[Any]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def _kind_name(value: Any) -> str:
    if isinstance(value, bool):
        return "booleans"
    if isinstance(value, (int, float)):
        return "numbers"
    return "texts"


def _matching(present: list[Any], values: Sequence[Any]) -> frozenset[Any]:
    return frozenset(v for v in present if any(v == w for w in values))


def binarise_categorical(summary: ColumnSummary, counts: Mapping[Any, int], values: Sequence[Any]) -> Binarisation:
    """Rows equal to one of ``values`` are positive; values converted to the column's type if none matches."""
    present = _present(counts)
    positive = _matching(present, values)
    if not positive:
        positive = _matching(present, _convert_like(summary.first_value, values))
    return Binarisation(positive, ",".join(map(str, values)))


def one_vs_rest(first_seen: Mapping[Any, int]) -> list[tuple[Any, Binarisation]]:
    """One facet-d set per facet value, in order of first appearance (null values match nothing)."""
    ordered = sorted(first_seen, key=lambda v: first_seen[v])
    return [(v, Binarisation(frozenset() if v is MISSING else frozenset([v]), str(v))) for v in ordered]
