"""Explanations: Kernel SHAP (engine, coalitions, baselines, aggregation, outputs) and partial dependence."""

from clarion.explain.aggregate import aggregate, aggregate_stderr
from clarion.explain.baseline import baseline_from_config, cluster_baseline, write_baseline_csv
from clarion.explain.coalitions import CoalitionPlan, effective_num_samples, enumerate_coalitions, plan_coalitions
from clarion.explain.composer import Composer, TabularComposer
from clarion.explain.kernel_shap import (
    RowDesign,
    ShapResult,
    concat_results,
    explain,
    explain_tabular,
    resolve_features,
)
from clarion.explain.outputs import kernel_shap_section, local_values_frame, write_local_values_csv
from clarion.explain.pdp import pdp_section

__all__ = [
    "aggregate",
    "aggregate_stderr",
    "baseline_from_config",
    "cluster_baseline",
    "kernel_shap_section",
    "local_values_frame",
    "pdp_section",
    "write_baseline_csv",
    "write_local_values_csv",
    "CoalitionPlan",
    "Composer",
    "RowDesign",
    "ShapResult",
    "TabularComposer",
    "concat_results",
    "effective_num_samples",
    "enumerate_coalitions",
    "explain",
    "explain_tabular",
    "plan_coalitions",
    "resolve_features",
]
