"""Results of a run: the typed ``Analysis`` model of analysis.json, the output layout, the metric catalogue
(shared by the report, the model card and monitoring) and the store that writes one complete run at a time.
"""

from clarion.results import layout
from clarion.results.catalogue import METRICS, MetricInfo, format_value, is_flagged, metric_info, reading, severity
from clarion.results.model import (
    Analysis,
    BiasSection,
    Explanations,
    FacetEntry,
    LabelShap,
    Metric,
    PdpEntry,
)
from clarion.results.store import (
    commit,
    derived_run,
    location,
    open_run,
    read_analysis,
    read_manifest,
    staged_run,
    verify_run,
    write_file,
)

__all__ = [
    "METRICS",
    "Analysis",
    "BiasSection",
    "Explanations",
    "FacetEntry",
    "LabelShap",
    "Metric",
    "MetricInfo",
    "PdpEntry",
    "commit",
    "derived_run",
    "format_value",
    "is_flagged",
    "layout",
    "location",
    "metric_info",
    "open_run",
    "read_analysis",
    "read_manifest",
    "reading",
    "severity",
    "staged_run",
    "verify_run",
    "write_file",
]
