"""Clarify's basic statistics beside the bias metrics, from the same merged count tables.

``bias_basic_stats`` (one object per facet, entries as in ``facets``): for each facet entry (facet d = the
entry's rows, n rows in all, n_d in d) the stats smclarify's ``bias_basic_stats`` reports, in its order:

- ``proportion`` = n_d / n
- ``observed_label_distribution`` = [q_d, 1 - q_d], q_d = n_d(label positive) / n_d (0 when n_d = 0)
- ``confusion_matrix`` (post-training only) = [TP, FP, FN, TN] / n_d inside facet d

``model_performance_report`` (post-training): TP, FP, FN, TN over all rows, and smclarify's ten metrics
(accuracy = (TP+TN)/n, PPL = (TP+FP)/n, PNL = (TN+FN)/n, recall = TP/(TP+FN), specificity = TN/(TN+FP),
precision = TP/(TP+FP), rejection rate = TN/(TN+FN), conditional acceptance = (TP+FN)/(TP+FP),
conditional rejection = (TN+FP)/(TN+FN), F1 = 2pr/(p+r)), each division by smclarify's ``divide`` rule
(0/0 = 0, x/0 = +-inf); ``binary_confusion_matrix`` = [TP, FP, FN, TN] / n; for a categorical label also
``confusion_matrix``: {true label: {predicted label: rows}} over every value of either column.

Where smclarify would stop the whole report (a label that cannot be binarised, no positive prediction),
the entries carry ``value: null`` and an ``error`` instead, as the metrics do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from clarion.bias.counts import MISSING, BiasCounts
from clarion.bias.inference import BinariseError, DataType, safe_divide
from clarion.bias.report import (
    computed_entry,
    facet_table,
    failing,
    resolve_facet,
    resolve_label,
    resolve_predicted,
)
from clarion.bias.spec import BiasSpec
from clarion.bias.table import FacetTable

STAT_DESCRIPTIONS = {
    "proportion": "Proportion of examples in sensitive facet.",
    "observed_label_distribution": "Distribution of observed label outcomes for sensitive facet",
    "confusion_matrix": "Fractions of TP, FP, FN, TN.",
}

Confusion = tuple[int, int, int, int]  # TP, FP, FN, TN


def _f1(tp: int, fp: int, fn: int) -> float:
    precision, recall = safe_divide(tp, tp + fp), safe_divide(tp, tp + fn)
    return 2 * safe_divide(precision * recall, precision + recall)


# (name, description, formula over TP, FP, FN, TN), in smclarify's order
PERFORMANCE_METRICS: tuple[tuple[str, str, Callable[[int, int, int, int], float]], ...] = (
    ("Accuracy", "Proportion of inputs assigned the correct predicted label by the model.",
     lambda tp, fp, fn, tn: safe_divide(tn + tp, tn + fp + fn + tp)),
    ("Proportion of Positive Predictions in Labels", "Proportion of input assigned in positive predicted label.",
     lambda tp, fp, fn, tn: safe_divide(tp + fp, tn + fp + fn + tp)),
    ("Proportion of Negative Predictions in Labels", "Proportion of input assigned the negative predicted label.",
     lambda tp, fp, fn, tn: safe_divide(tn + fn, tn + fp + fn + tp)),
    ("True Positive Rate / Recall",
     "Proportion of inputs with positive observed label correctly assigned the positive predicted label.",
     lambda tp, fp, fn, tn: safe_divide(tp, tp + fn)),
    ("True Negative Rate / Specificity",
     "Proportion of inputs with negative observed label correctly assigned the negative predicted label.",
     lambda tp, fp, fn, tn: safe_divide(tn, tn + fp)),
    ("Acceptance Rate / Precision",
     "Proportion of inputs with positive predicted label that actually have a positive observed label.",
     lambda tp, fp, fn, tn: safe_divide(tp, tp + fp)),
    ("Rejection Rate",
     "Proportion of inputs with negative predicted label that actually have a negative observed label.",
     lambda tp, fp, fn, tn: safe_divide(tn, tn + fn)),
    ("Conditional Acceptance", "Ratio between the positive observed labels and positive predicted labels.",
     lambda tp, fp, fn, tn: safe_divide(fn + tp, fp + tp)),
    ("Conditional Rejection", "Ratio between the negative observed labels and negative predicted labels.",
     lambda tp, fp, fn, tn: safe_divide(tn + fp, tn + fn)),
    ("F1 Score", "Harmonic mean of precision and recall.", lambda tp, fp, fn, tn: _f1(tp, fp, fn)),
)  # fmt: skip


def _fractions(confusion: Confusion, n: int) -> list[float]:
    return [float(safe_divide(c, n)) for c in confusion]


def bias_basic_stats(counts: BiasCounts, spec: BiasSpec, *, post_training: bool) -> dict[str, list[dict[str, Any]]]:
    """``{facet name: [{"value_or_threshold", "metrics": [proportion, observed_label_distribution, ...]}]}``."""
    counts = counts.typed()
    label_error = predicted_error = None
    label_positive: frozenset[Any] = frozenset()
    predicted_positive: frozenset[Any] = frozenset()
    try:
        label = resolve_label(counts, spec)
        label_positive = label.binarisation.positive
    except BinariseError as exc:
        label_error = str(exc)
    if post_training and label_error is None:
        try:
            predicted_positive = resolve_predicted(counts, spec, label).positive
        except BinariseError as exc:
            predicted_error = str(exc)
    stats: dict[str, list[dict[str, Any]]] = {}
    for facet in spec.facets:
        entries = []
        for entry in resolve_facet(counts, facet):
            error = label_error or entry.error
            table = facet_table(counts, facet.name, entry.positive, label_positive, predicted_positive)
            names = ["proportion", "observed_label_distribution"] + (["confusion_matrix"] if post_training else [])
            computed = {
                "proportion": lambda t=table: float(safe_divide(t.n(1), t.n())),
                "observed_label_distribution": lambda t=table: _label_distribution(t),
                "confusion_matrix": lambda t=table: _fractions(t.confusion(1), t.n(1)),
            }
            metrics = []
            for name in names:
                failure = error or (predicted_error if name == "confusion_matrix" else None)
                metrics.append(
                    computed_entry(name, STAT_DESCRIPTIONS[name], failing(failure) if failure else computed[name])
                )
            entries.append({"value_or_threshold": entry.description, "metrics": metrics})
        stats[facet.name] = entries
    return stats


def _label_distribution(table: FacetTable) -> list[float]:
    share = float(safe_divide(table.n(1, 1), table.n(1)))
    return [share, 1 - share]


def model_performance_report(counts: BiasCounts, spec: BiasSpec) -> dict[str, Any]:
    """``{"label", "model_performance_metrics": [...], "binary_confusion_matrix", "confusion_matrix"?}``.

    Without a usable label or predicted label: ``{"label", "error"}``.
    """
    counts = counts.typed()
    try:
        label = resolve_label(counts, spec)
        predicted = resolve_predicted(counts, spec, label)
    except BinariseError as exc:
        return {"label": spec.label, "error": str(exc)}
    facet = spec.facets[0].name  # every facet's cells hold all rows; the facet split is not used here
    table = facet_table(counts, facet, frozenset(), label.binarisation.positive, predicted.positive)
    tp, fp, fn, tn = table.confusion(0)
    metrics = [
        {"name": name, "description": description, "value": float(formula(tp, fp, fn, tn))}
        for name, description, formula in PERFORMANCE_METRICS
    ]
    report: dict[str, Any] = {
        "label": spec.label,
        "model_performance_metrics": metrics,
        "binary_confusion_matrix": _fractions((tp, fp, fn, tn), table.n()),
    }
    if label.data_type is DataType.CATEGORICAL:
        report["confusion_matrix"] = label_confusion_matrix(counts, spec, facet)
    return report


def label_confusion_matrix(counts: BiasCounts, spec: BiasSpec, facet: str) -> dict[str, dict[str, float]]:
    """Rows per (observed label, predicted label) value over every value of either column, keyed by ``str``.

    A predicted value equal to a label value (``1.0`` and ``1``) counts as that value. Empty cells make
    the matrix an ``{"error": {message: 0.0}}`` object, as smclarify reports a matrix it cannot compute.
    """
    pairs: dict[tuple[Any, Any], int] = {}
    label_values: dict[Any, Any] = {}
    for (_, _, y, p), count in counts.cells[facet].items():
        label_values.setdefault(y, y)
        pairs[(y, p)] = pairs.get((y, p), 0) + count
    if any(y is MISSING or p is MISSING for y, p in pairs):
        return {"error": {"the label or predicted label column has empty cells": 0.0}}
    joined: dict[tuple[Any, Any], int] = {}
    for (y, p), count in pairs.items():
        key = (y, label_values.get(p, p))
        joined[key] = joined.get(key, 0) + count
    values = _ordered({v for pair in joined for v in pair})
    return {str(y): {str(p): float(joined.get((y, p), 0)) for p in values} for y in values}


def _ordered(values: set[Any]) -> Sequence[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))
