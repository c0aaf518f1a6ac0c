"""Explanations: Kernel SHAP (engine, coalitions, baselines, aggregation, outputs) and partial dependence."""

from clarion.explain.coalitions import CoalitionPlan, effective_num_samples, enumerate_coalitions, plan_coalitions
from clarion.explain.composer import Composer, TabularComposer
from clarion.explain.kernel_shap import ShapResult, concat_results, explain, explain_tabular, resolve_features

__all__ = [
    "CoalitionPlan",
    "Composer",
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
