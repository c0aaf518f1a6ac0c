"""What the report says: one assessed row per metric value, and the headline findings of a run."""

from __future__ import annotations

import math
from dataclasses import dataclass

from clarion.report._data import BiasSection, FacetEntry, MetricValue, ReportData
from clarion.results.catalogue import format_value, is_flagged, metric_info, reading, severity

STAGE_TITLES = {"pre_training": "Pre-training bias", "post_training": "Post-training bias"}
MAX_FINDINGS = 8
TOP_FEATURES = 3


@dataclass(frozen=True)
class MetricRow:
    """A metric value as a table row; ``status`` is "flagged", "ok", "error" or "info" (no band known)."""

    code: str
    name: str
    formula: str
    value: str
    value_range: str
    reading: str
    status: str
    error: str | None


@dataclass(frozen=True)
class Finding:
    stage: str
    entry: str
    code: str
    value: str
    reading: str
    severity: float


@dataclass(frozen=True)
class Summary:
    """Counts and headline findings for the top of the report."""

    ran: tuple[str, ...]
    n_metrics: int
    n_flagged: int
    n_errors: int
    findings: tuple[Finding, ...]
    top_features: tuple[tuple[str, tuple[str, ...]], ...]


def _name(metric: MetricValue) -> str:
    info = metric_info(metric.code)
    if info is not None:
        return info.name
    # Clarify descriptions end with " (CODE)".
    return metric.description.removesuffix(f" ({metric.code})") or metric.code


def assess(metric: MetricValue) -> MetricRow:
    """Value, range, reading and status of one metric value."""
    info = metric_info(metric.code)
    if metric.value is None or math.isnan(metric.value):
        status = "error"
    elif info is None:
        status = "info"
    else:
        status = "flagged" if is_flagged(metric.code, metric.value) else "ok"
    return MetricRow(
        code=metric.code,
        name=_name(metric),
        formula=info.formula if info else "",
        value=format_value(metric.value),
        value_range=info.value_range if info else "",
        reading=reading(metric.code, metric.value),
        status=status,
        error=metric.error if status == "error" else None,
    )


def entry_rows(entry: FacetEntry) -> tuple[MetricRow, ...]:
    return tuple(assess(m) for m in entry.metrics)


def summarise(data: ReportData) -> Summary:
    """Which analyses ran, how many metric values are flagged or failed, the most severe flags, top features."""
    ran = [STAGE_TITLES[s.stage] for s in data.bias]
    if data.shap:
        ran.append("SHAP explanations")
    if data.pdp:
        ran.append("partial dependence")
    if data.text:
        ran.append("text attributions")
    if data.images:
        ran.append("image heat maps")
    findings: list[Finding] = []
    n_metrics = n_flagged = n_errors = 0
    for section in data.bias:
        for entry in section.entries:
            for metric in entry.metrics:
                n_metrics += 1
                if metric.value is None or math.isnan(metric.value):
                    n_errors += 1
                elif is_flagged(metric.code, metric.value):
                    n_flagged += 1
                    findings.append(_finding(section, entry, metric))
    findings.sort(key=lambda f: (-f.severity, f.stage, f.entry, f.code))
    top = tuple((g.label, g.features[:TOP_FEATURES]) for g in data.shap if g.features)
    return Summary(tuple(ran), n_metrics, n_flagged, n_errors, tuple(findings[:MAX_FINDINGS]), top)


def _finding(section: BiasSection, entry: FacetEntry, metric: MetricValue) -> Finding:
    return Finding(
        stage=STAGE_TITLES[section.stage],
        entry=entry.title,
        code=metric.code,
        value=format_value(metric.value),
        reading=reading(metric.code, metric.value),
        severity=severity(metric.code, metric.value),
    )


def chart_panels(section: BiasSection) -> list[tuple[str, tuple[float, float], float, list[tuple[str, float | None]]]]:
    """Bias chart panels for a section: one per metric code with a known band, bars per facet entry."""
    codes: list[str] = []
    for entry in section.entries:
        for m in entry.metrics:
            if m.code not in codes and metric_info(m.code) is not None:
                codes.append(m.code)
    panels = []
    for code in codes:
        info = metric_info(code)
        assert info is not None
        bars = []
        for entry in section.entries:
            value = next((m.value for m in entry.metrics if m.code == code), None)
            bars.append((entry.title, value))
        panels.append((code, info.band, info.fair, bars))
    return panels
