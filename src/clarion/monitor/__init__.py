"""Model monitoring: bias drift and feature-attribution drift against a baseline run, as SageMaker Model
Monitor judges them, with Model Monitor's constraint_violations.json, a pipeline gate and an over-time report.

Names are loaded on first use, so the command line (which registers ``clarion.monitor.cli``) starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion._exports import lazy_names

if TYPE_CHECKING:
    from clarion.monitor.api import Monitor
    from clarion.monitor.drift import distance_from_fair, fair_value, is_bias_drift
    from clarion.monitor.gate import EXIT_CLEAN, EXIT_ERROR, EXIT_VIOLATIONS, CheckResult, check_run
    from clarion.monitor.ranking import DEFAULT_THRESHOLD, ndcg
    from clarion.monitor.report import render_monitoring_report
    from clarion.monitor.runs import MonitoringRun, list_runs, load_run, monitor, read_analysis, suggest_baseline
    from clarion.monitor.violations import (
        BIAS_DRIFT,
        CHECK_TYPES,
        FEATURE_ATTRIBUTION_DRIFT,
        AttributionDrift,
        CheckOptions,
        Violation,
        attribution_drift,
        check,
        read_violations,
        write_violations,
    )

_EXPORTS = {
    "api": ("Monitor",),
    "drift": ("distance_from_fair", "fair_value", "is_bias_drift"),
    "gate": ("EXIT_CLEAN", "EXIT_ERROR", "EXIT_VIOLATIONS", "CheckResult", "check_run"),
    "ranking": ("DEFAULT_THRESHOLD", "ndcg"),
    "report": ("render_monitoring_report",),
    "runs": ("MonitoringRun", "list_runs", "load_run", "monitor", "read_analysis", "suggest_baseline"),
    "violations": (
        "BIAS_DRIFT", "CHECK_TYPES", "FEATURE_ATTRIBUTION_DRIFT", "AttributionDrift", "CheckOptions", "Violation",
        "attribution_drift",
        "check", "read_violations", "write_violations",
    ),
}  # fmt: skip
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "AttributionDrift",
    "BIAS_DRIFT",
    "CHECK_TYPES",
    "CheckOptions",
    "CheckResult",
    "DEFAULT_THRESHOLD",
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_VIOLATIONS",
    "FEATURE_ATTRIBUTION_DRIFT",
    "Monitor",
    "MonitoringRun",
    "Violation",
    "attribution_drift",
    "check",
    "check_run",
    "distance_from_fair",
    "fair_value",
    "is_bias_drift",
    "list_runs",
    "load_run",
    "monitor",
    "ndcg",
    "read_analysis",
    "read_violations",
    "render_monitoring_report",
    "suggest_baseline",
    "write_violations",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, __all__)
