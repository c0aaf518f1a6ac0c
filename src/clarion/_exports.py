"""Package names loaded on first use (PEP 562), so ``import clarion`` and the CLI start fast.

A package ``__init__`` lists where each public name lives and takes its module ``__getattr__`` and
``__dir__`` from ``lazy_names``; type checkers read the names from its ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_names(
    package: str, where: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``where`` maps a name to its submodule ``package.<module>``."""

    def get(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def names() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return get, names
