"""Shared pieces of the Python API: the argument error and the "write the key only when given" rule."""

from __future__ import annotations

import copy
from typing import Any

from clarion.errors import ConfigError


class ArgumentError(ConfigError, ValueError):
    """An API argument is invalid.

    Raised wherever the SageMaker SDK raises ``ValueError``, ``TypeError``, ``AssertionError`` or
    ``AttributeError`` for the same arguments. It is also a ``ValueError``, so code written for the
    SDK's ``except ValueError`` keeps working, and a ``ConfigError`` for clarion's error handling.
    """


def put(value: Any, key: str, target: dict[str, Any]) -> None:
    """Set ``target[key] = value`` unless ``value`` is None (the SDK writes no key for an absent value)."""
    if value is not None:
        target[key] = copy.deepcopy(value)
