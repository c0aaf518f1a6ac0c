"""Checks of a current analysis.json against a baseline analysis.json, and constraint_violations.json.

Two checks, as Model Monitor runs them:

- ``feature_attribution_drift_check``: for every label of ``explanations.kernel_shap`` present in both, NDCG of
  the current global SHAP ranking against the baseline's (see ``ndcg``); a violation when NDCG < threshold.
- ``bias_drift_check``: for every facet, facet value and metric of the pre- and post-training sections present
  in both, a violation when the current value is farther from fair than the baseline's (see ``drift``).

The file has Model Monitor's shape, keys in its order::

    {"version": "1.0", "violations": [
      {"label": "label0", "metric_name": "shap", "constraint_check_type": "feature_attribution_drift_check",
       "description": "Feature attribution drift 0.76 exceeds threshold 0.9"},
      {"facet": "Sex", "facet_value": "0", "metric_name": "CDDPL", "constraint_check_type": "bias_drift_check",
       "description": "Metric value 0.37 doesn't meet the baseline constraint requirement 0.28"}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarion.data.atomic import write_text_atomic
from clarion.errors import ConfigError
from clarion.monitor.drift import is_bias_drift
from clarion.monitor.ranking import DEFAULT_THRESHOLD, ndcg
from clarion.results import Analysis
from clarion.results.catalogue import parse_metric_value

FEATURE_ATTRIBUTION_DRIFT = "feature_attribution_drift_check"
BIAS_DRIFT = "bias_drift_check"
CHECK_TYPES = (FEATURE_ATTRIBUTION_DRIFT, BIAS_DRIFT)
VIOLATIONS_FILE = "constraint_violations.json"


@dataclass(frozen=True)
class Violation:
    """One violated constraint. ``baseline``/``current`` are the compared numbers (NDCG: 1 and the NDCG)."""

    constraint_check_type: str
    metric_name: str
    description: str
    label: str | None = None
    facet: str | None = None
    facet_value: str | None = None
    baseline: float | None = None
    current: float | None = None

    def to_json(self) -> dict[str, str]:
        """The entry as Model Monitor writes it (only its keys, in its order)."""
        if self.constraint_check_type == FEATURE_ATTRIBUTION_DRIFT:
            head = {"label": self.label}
        else:
            head = {"facet": self.facet, "facet_value": self.facet_value}
        return {
            **head,  # type: ignore[dict-item]
            "metric_name": self.metric_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }


@dataclass(frozen=True)
class AttributionDrift:
    """NDCG of one label (reported for every run, violated or not)."""

    label: str
    ndcg: float
    threshold: float

    @property
    def violated(self) -> bool:
        return self.ndcg < self.threshold


@dataclass(frozen=True)
class CheckOptions:
    """What to check: ``threshold`` for NDCG, ``bias_tolerance`` for bias drift, ``skip`` check types."""

    threshold: float = DEFAULT_THRESHOLD
    bias_tolerance: float = 0.0
    skip: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.skip) - set(CHECK_TYPES))
        if unknown:
            raise ConfigError(f"skip_check: unknown check type {unknown[0]!r}; expected {' or '.join(CHECK_TYPES)}")
        if not 0 <= self.threshold <= 1:
            raise ConfigError(f"threshold: expected a number in [0, 1], got {self.threshold}")
        if self.bias_tolerance < 0:
            raise ConfigError(f"bias_tolerance: expected a number >= 0, got {self.bias_tolerance}")


AnalysisLike = Analysis | Mapping[str, Any]


def as_analysis(document: AnalysisLike, source: str = "analysis.json") -> Analysis:
    """The typed analysis.json (a parsed document is validated; errors name ``source`` and the key path)."""
    return document if isinstance(document, Analysis) else Analysis.from_data(dict(document), source)


def attribution_drift(baseline: AnalysisLike, current: AnalysisLike, threshold: float) -> list[AttributionDrift]:
    """NDCG for every label of kernel_shap present in both analyses."""
    base = _kernel_shap(as_analysis(baseline))
    now = _kernel_shap(as_analysis(current))
    return [AttributionDrift(label, ndcg(base[label], now[label]), threshold) for label in base if label in now]


def _kernel_shap(analysis: Analysis) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for label, entry in analysis.kernel_shap.items():
        parsed = {f: parse_metric_value(v) for f, v in entry.global_shap_values.items()}
        found[label] = {f: v for f, v in parsed.items() if v is not None}
    return found


def bias_values(analysis: AnalysisLike) -> dict[tuple[str, str, str], float | None]:
    """(facet, facet value, metric code) -> value, over the pre- and post-training sections, in file order."""
    found: dict[tuple[str, str, str], float | None] = {}
    for _, section in as_analysis(analysis).bias_sections():
        for facet, entries in section.facets.items():
            for entry in entries:
                for metric in entry.metrics:
                    key = (facet, str(entry.value_or_threshold), metric.name)
                    found[key] = parse_metric_value(metric.value)
    return found


def check(baseline: AnalysisLike, current: AnalysisLike, options: CheckOptions | None = None) -> list[Violation]:
    """Every violation of ``current`` against ``baseline`` (both analysis.json documents)."""
    options = options or CheckOptions()
    baseline, current = as_analysis(baseline), as_analysis(current)
    violations: list[Violation] = []
    if FEATURE_ATTRIBUTION_DRIFT not in options.skip:
        for drift in attribution_drift(baseline, current, options.threshold):
            if drift.violated:
                violations.append(
                    Violation(
                        FEATURE_ATTRIBUTION_DRIFT,
                        "shap",
                        f"Feature attribution drift {drift.ndcg!r} exceeds threshold {drift.threshold!r}",
                        label=drift.label,
                        baseline=1.0,
                        current=drift.ndcg,
                    )
                )
    if BIAS_DRIFT not in options.skip:
        now = bias_values(current)
        for key, base in bias_values(baseline).items():
            value = now.get(key)
            if is_bias_drift(key[2], base, value, options.bias_tolerance):
                violations.append(
                    Violation(
                        BIAS_DRIFT,
                        key[2],
                        f"Metric value {_show(value)} doesn't meet the baseline constraint requirement {_show(base)}",
                        facet=key[0],
                        facet_value=key[1],
                        baseline=base,
                        current=value,
                    )
                )
    return violations


def _show(value: float | None) -> str:
    if value is None:
        return "null"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def violations_document(violations: Iterable[Violation]) -> dict[str, Any]:
    return {"version": "1.0", "violations": [v.to_json() for v in violations]}


def write_violations(path: str | Path, violations: Iterable[Violation]) -> Path:
    """Write constraint_violations.json (atomically, 4-space indent)."""
    return write_text_atomic(path, json.dumps(violations_document(violations), indent=4) + "\n")


def read_violations(path: str | Path) -> list[Violation]:
    """The violations of a constraint_violations.json file (extra numbers are not stored there)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        Violation(
            constraint_check_type=v["constraint_check_type"],
            metric_name=v["metric_name"],
            description=v["description"],
            label=v.get("label"),
            facet=v.get("facet"),
            facet_value=v.get("facet_value"),
        )
        for v in document.get("violations", [])
    ]
