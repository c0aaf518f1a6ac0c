"""Building blocks of the config model: closed models, strict scalars, case-insensitive enums.

Clarify's schema is closed (unknown keys are refused), its ints refuse floats and booleans, and it
compares enum strings case-insensitively. Floats here also accept ints (``1`` for ``1.0``), the one
place where clarion is more lenient than the SDK schema; they refuse NaN and infinities (which Python's
JSON reader accepts as ``NaN`` / ``Infinity``). Scalar values (label and facet values) refuse them too.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt, StrictStr


class ClosedModel(BaseModel):
    """A frozen config section that refuses keys it does not define."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _strict_float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


StrictNumber = Annotated[float, BeforeValidator(_strict_float)]
NameOrIndex = StrictStr | StrictInt


def _scalar(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a string or a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a string or a finite number, got {value!r}")
    return value


ScalarValue = Annotated[int | float | str, BeforeValidator(_scalar)]


def lower_choice(*choices: str) -> Any:
    """A string validated case-insensitively against ``choices`` and stored lower-cased."""
    allowed = {c.lower() for c in choices}

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"expected one of {sorted(allowed)}, got {value!r}")
        if value.lower() not in allowed:
            raise ValueError(f"expected one of {', '.join(sorted(allowed))}, got {value!r}")
        return value.lower()

    return Annotated[str, BeforeValidator(check)]


def positive_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value


PositiveInt = Annotated[int, BeforeValidator(positive_int)]

__all__ = [
    "ClosedModel",
    "NameOrIndex",
    "PositiveInt",
    "ScalarValue",
    "StrictBool",
    "StrictInt",
    "StrictNumber",
    "StrictStr",
    "lower_choice",
]
