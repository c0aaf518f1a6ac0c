"""What a bias analysis looks at: column names resolved against the dataset, values and metric lists.

``BiasSpec.from_config`` resolves Clarify's name-or-index references (``label``, ``facet[i].name_or_index``,
``group_variable``, ``predicted_label``) against the dataset's column names, once, at the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clarion.config import AnalysisConfig
from clarion.data.roles import resolve
from clarion.errors import ConfigError

Scalar = int | float | str


@dataclass(frozen=True)
class BiasColumns:
    """Column names in a data chunk that bias counting reads."""

    label: str
    facets: tuple[str, ...]
    group: str | None = None
    predicted_label: str | None = None


@dataclass(frozen=True)
class FacetSpec:
    """A facet column and its sensitive values (categorical) or one threshold (continuous); None = one-vs-rest."""

    name: str
    values: tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class BiasSpec:
    """A resolved bias analysis: label, positive label values or threshold, facets, group, metrics."""

    label: str
    label_values: tuple[Scalar, ...]
    facets: tuple[FacetSpec, ...]
    group: str | None = None
    predicted_label: str | None = None
    pre_training_metrics: tuple[str, ...] = ()
    post_training_metrics: tuple[str, ...] = ()

    @classmethod
    def from_config(
        cls,
        config: AnalysisConfig,
        column_names: Sequence[str],
        *,
        predicted_label_column: str | None = None,
    ) -> BiasSpec:
        """Resolve the config's references against ``column_names``.

        ``predicted_label_column`` names a column holding the model's predicted labels when they do not come
        from the config's ``predicted_label`` (e.g. a column added by the runner after calling the model).
        """
        names = list(column_names)
        if config.label is None:
            raise ConfigError("label: required for bias metrics")
        if not config.label_values_or_threshold:
            raise ConfigError("label_values_or_threshold: required for bias metrics")
        if not config.facet:
            raise ConfigError("facet: required for bias metrics")
        label = resolve_column(config.label, names, "label")
        facets = tuple(
            FacetSpec(
                name=resolve_column(f.name_or_index, names, f"facet[{i}].name_or_index"),
                values=None if f.value_or_threshold is None else tuple(f.value_or_threshold),
            )
            for i, f in enumerate(config.facet)
        )
        group = None
        if config.group_variable is not None:
            group = resolve_column(config.group_variable, names, "group_variable")
        predicted = predicted_label_column
        if predicted is None and config.predicted_label is not None:
            predicted = resolve_column(config.predicted_label, names, "predicted_label")
        methods = config.methods
        return cls(
            label=label,
            label_values=tuple(config.label_values_or_threshold),
            facets=facets,
            group=group,
            predicted_label=predicted,
            pre_training_metrics=tuple(methods.pre_training_bias.methods) if methods.pre_training_bias else (),
            post_training_metrics=tuple(methods.post_training_bias.methods) if methods.post_training_bias else (),
        )

    @property
    def columns(self) -> BiasColumns:
        """The columns to count (facet columns deduplicated, in config order)."""
        return BiasColumns(
            label=self.label,
            facets=tuple(dict.fromkeys(f.name for f in self.facets)),
            group=self.group,
            predicted_label=self.predicted_label,
        )


def resolve_column(ref: Any, column_names: Sequence[str], key_path: str) -> str:
    """A column name from a name or a 0-based index; ConfigError naming ``key_path`` otherwise."""
    name = resolve(ref, column_names, key_path)
    assert name is not None
    return name


def bias_columns(spec: BiasSpec) -> BiasColumns:
    """The BiasColumns that ``spec`` needs counted."""
    return spec.columns
