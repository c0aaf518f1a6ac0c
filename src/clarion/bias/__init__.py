"""Bias metrics: mergeable counts per chunk, smclarify's type inference, one small function per metric.

Typical use::

    spec = BiasSpec(label="y", label_values=(1,), facets=(FacetSpec("sex", ("F",)),), pre_training_metrics=("CI",))
    counts = merge_all([BiasCounts.from_frame(chunk, spec.columns, row_offset=start) for start, chunk in chunks])
    analysis["pre_training_bias_metrics"] = pre_training_bias_section(counts, spec)

Names are loaded on first use (the config checks need ``BiasSpec``, not pandas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion._exports import lazy_names

if TYPE_CHECKING:
    from clarion.bias.counts import MISSING, BiasCounts, ColumnSummary, merge_all
    from clarion.bias.fliptest import FlipTestData, flip_test
    from clarion.bias.inference import Binarisation, DataType, infer_type, safe_divide
    from clarion.bias.report import (
        DESCRIPTIONS,
        facet_table,
        post_training_bias_section,
        pre_training_bias_section,
        resolve_facet,
        resolve_label,
        resolve_predicted,
    )
    from clarion.bias.spec import BiasColumns, BiasSpec, FacetSpec
    from clarion.bias.table import FacetTable, MetricError

_EXPORTS = {
    "counts": (
        "MISSING",
        "BiasCounts",
        "ColumnSummary",
        "merge_all",
    ),
    "fliptest": (
        "FlipTestData",
        "flip_test",
    ),
    "inference": (
        "Binarisation",
        "DataType",
        "infer_type",
        "safe_divide",
    ),
    "report": (
        "DESCRIPTIONS",
        "facet_table",
        "post_training_bias_section",
        "pre_training_bias_section",
        "resolve_facet",
        "resolve_label",
        "resolve_predicted",
    ),
    "spec": (
        "BiasColumns",
        "BiasSpec",
        "FacetSpec",
    ),
    "table": (
        "FacetTable",
        "MetricError",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "DESCRIPTIONS",
    "MISSING",
    "BiasColumns",
    "BiasCounts",
    "BiasSpec",
    "Binarisation",
    "ColumnSummary",
    "DataType",
    "FacetSpec",
    "FacetTable",
    "FlipTestData",
    "MetricError",
    "facet_table",
    "flip_test",
    "infer_type",
    "merge_all",
    "post_training_bias_section",
    "pre_training_bias_section",
    "resolve_facet",
    "resolve_label",
    "resolve_predicted",
    "safe_divide",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, __all__)
