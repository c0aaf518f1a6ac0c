"""Bias metrics: mergeable counts per chunk, smclarify's type inference, one small function per metric.

Typical use::

    spec = BiasSpec.from_config(config, column_names)
    counts = merge_all([BiasCounts.from_frame(chunk, spec.columns, row_offset=start) for start, chunk in chunks])
    analysis["pre_training_bias_metrics"] = pre_training_bias_section(counts, spec)
"""

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
from clarion.bias.spec import BiasColumns, BiasSpec, FacetSpec, bias_columns
from clarion.bias.table import FacetTable, MetricError

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
    "bias_columns",
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
