"""BiasConfig of ``sagemaker.clarify``: positive label values, facet(s) and the CDDL/CDDPL group column."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from clarion.api._common import ArgumentError, put


@dataclass(frozen=True)
class BiasConfig:
    """The sensitive groups and the positive outcome, as the SDK writes them.

    ``facet_name`` is one column (name or index) or a list of columns. With one column,
    ``facet_values_or_threshold`` is None (each value against the rest) or a list of values / one
    threshold. With a list of columns it is None or a list with one entry (list or None) per column.
    ``group_name`` becomes ``group_variable``.

    Writes ``label_values_or_threshold``, ``facet`` (``[{"name_or_index", "value_or_threshold"?}]``)
    and ``group_variable`` when given.
    """

    label_values_or_threshold: list[int | float | str]
    facet_name: str | int | list[str] | list[int]
    facet_values_or_threshold: Any = None
    group_name: str | int | None = None

    def __post_init__(self) -> None:
        self._facets()  # validate early, as the SDK does in its constructor

    def _facets(self) -> list[dict[str, Any]]:
        names, values = self.facet_name, self.facet_values_or_threshold
        if not isinstance(names, list):
            facet: dict[str, Any] = {"name_or_index": names}
            put(values, "value_or_threshold", facet)
            return [facet]
        if not names:
            raise ArgumentError("BiasConfig.facet_name: give at least one facet")
        if values is None:
            return [{"name_or_index": name} for name in names]
        if len(values) != len(names):
            raise ArgumentError(
                f"BiasConfig.facet_values_or_threshold: {len(values)} entries for {len(names)} facet names"
            )
        facets = []
        for name, value in zip(names, values, strict=True):
            facet = {"name_or_index": name}
            put(value, "value_or_threshold", facet)
            facets.append(facet)
        return facets

    def get_config(self) -> dict[str, Any]:
        """``label_values_or_threshold``, ``facet`` and ``group_variable`` (when given)."""
        config: dict[str, Any] = {
            "label_values_or_threshold": copy.deepcopy(self.label_values_or_threshold),
            "facet": self._facets(),
        }
        put(self.group_name, "group_variable", config)
        return config
