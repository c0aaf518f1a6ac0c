"""What a bias analysis looks at: column names (already resolved), values and metric lists.

The run spec (``clarion.engine.core.spec``) resolves Clarify's name-or-index references against the
dataset's column names once and builds the ``BiasSpec``; bias code never reads the config.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def columns(self) -> BiasColumns:
        """The columns to count (facet columns deduplicated, in config order)."""
        return BiasColumns(
            label=self.label,
            facets=tuple(dict.fromkeys(f.name for f in self.facets)),
            group=self.group,
            predicted_label=self.predicted_label,
        )
