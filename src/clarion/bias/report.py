"""Clarify's ``pre_training_bias_metrics`` / ``post_training_bias_metrics`` objects from merged counts.

Shape: {"label", "label_value_or_threshold", "facets": {name: [{"value_or_threshold", "metrics": [...]}]}}.
Each metric is {"name", "description", "value"} sorted by name, descriptions as smclarify writes them;
+-inf is written as "Infinity" / "-Infinity"; a metric that cannot be computed gets value null and an
"error" message while the others still run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clarion.bias import posttraining as post
from clarion.bias import pretraining as pre
from clarion.bias.counts import MISSING, BiasCounts
from clarion.bias.fliptest import FlipTestData, flip_test_for_facet
from clarion.bias.inference import (
    Binarisation,
    BinariseError,
    DataType,
    binarise_categorical,
    binarise_continuous,
    infer_type,
    one_vs_rest,
    threshold_of,
)
from clarion.bias.spec import BiasSpec, FacetSpec
from clarion.bias.table import FacetTable, MetricError

DESCRIPTIONS = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}

PRE_TRAINING: dict[str, Callable[[FacetTable], float]] = {
    "CDDL": pre.conditional_demographic_disparity,
    "CI": pre.class_imbalance,
    "DPL": pre.positive_proportion_difference,
    "JS": pre.js_divergence,
    "KL": pre.kl_divergence,
    "KS": pre.kolmogorov_smirnov,
    "LP": pre.lp_norm,
    "TVD": pre.total_variation_distance,
}

POST_TRAINING: dict[str, Callable[[FacetTable], float]] = {
    "AD": post.accuracy_difference,
    "CDDPL": post.conditional_demographic_disparity_predicted,
    "DAR": post.acceptance_rate_difference,
    "DCA": post.conditional_acceptance_difference,
    "DCR": post.conditional_rejection_difference,
    "DI": post.disparate_impact,
    "DPPL": post.predicted_proportion_difference,
    "DRR": post.rejection_rate_difference,
    "GE": post.generalized_entropy,
    "RD": post.recall_difference,
    "SD": post.specificity_difference,
    "TE": post.treatment_equality,
}


@dataclass(frozen=True)
class ResolvedLabel:
    """The label's type, positive values and description (``values`` after smclarify's threshold parsing)."""

    data_type: DataType
    binarisation: Binarisation
    values: tuple[Any, ...]


def resolve_label(counts: BiasCounts, spec: BiasSpec) -> ResolvedLabel:
    """Infer the label column's type and which of its values are positive."""
    values = list(spec.label_values)
    column_counts = counts.value_counts(spec.label)
    data_type = infer_type(counts.summaries[spec.label], column_counts, values)
    if data_type is DataType.CONTINUOUS:
        values[0] = threshold_of(values)
        binarisation = binarise_continuous(column_counts, values)
    else:
        binarisation = binarise_categorical(counts.summaries[spec.label], column_counts, values)
    return ResolvedLabel(data_type, binarisation, tuple(values))


def resolve_predicted(counts: BiasCounts, spec: BiasSpec, label: ResolvedLabel) -> Binarisation:
    """Which predicted-label values are positive, by the label's rule; errors as smclarify words them."""
    name = spec.predicted_label
    if name is None:
        raise BinariseError("predicted_label_column has to be provided for Post training metrics")
    column_counts = counts.value_counts(name)
    values = list(label.values)
    data_type = infer_type(counts.summaries[name], column_counts, values)
    if data_type is not label.data_type:
        raise BinariseError("Predicted Label Column series datatype is not the same as Label Column series")
    if data_type is DataType.CONTINUOUS:
        label_numbers = [v for v in counts.value_counts(spec.label) if v is not MISSING]
        binarisation = binarise_continuous(column_counts, values, extra_max=_max_number(label_numbers))
    else:
        binarisation = binarise_categorical(counts.summaries[name], column_counts, values)
    if not any(column_counts.get(v, 0) > 0 for v in binarisation.positive):
        raise BinariseError(
            "No Label values are present in the predicted Label Column,"
            "Positive Predicted Index Series contains all False values"
        )
    return binarisation


def _max_number(values: list[Any]) -> float | None:
    import pandas as pd

    if not values:
        return None
    return pd.to_numeric(pd.Series(values, dtype=object)).max().item()


def resolve_facet(counts: BiasCounts, facet: FacetSpec) -> list[Binarisation]:
    """One Binarisation per report entry: the given values or threshold, or each value vs the rest."""
    values = None if facet.values is None else list(facet.values)
    column_counts = counts.value_counts(facet.name)
    data_type = infer_type(counts.summaries[facet.name], column_counts, values)
    if data_type is DataType.CONTINUOUS:
        try:
            if values is not None:
                values[0] = threshold_of(values)
            return [binarise_continuous(column_counts, values)]
        except BinariseError as exc:
            return [Binarisation(frozenset(), _joined(values), str(exc))]
    if not values:
        return [b for _, b in one_vs_rest(counts.first_seen[facet.name])]
    try:
        return [binarise_categorical(counts.summaries[facet.name], column_counts, values)]
    except BinariseError as exc:
        return [Binarisation(frozenset(), _joined(values), str(exc))]


def _joined(values: Sequence[Any] | None) -> str:
    return "" if not values else ",".join(map(str, values))


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def facet_table(
    counts: BiasCounts,
    facet: str,
    facet_d: frozenset[Any],
    label_positive: frozenset[Any],
    predicted_positive: frozenset[Any] = frozenset(),
) -> FacetTable:
    """Collapse the raw count cells of ``facet`` into the binarised FacetTable."""
    cells = counts.cells[facet]
    groups = _sorted_groups({k[1] for k in cells if k[1] is not MISSING})
    index = {g: i for i, g in enumerate(groups)}
    missing_slot = len(groups)
    table = np.zeros((len(groups) + 1, 2, 2, 2), dtype=np.int64)
    for (f, g, y, p), count in cells.items():
        slot = index.get(g, missing_slot)
        table[slot, int(f in facet_d), int(y in label_positive), int(p in predicted_positive)] += count
    valid = np.ones(len(groups) + 1, dtype=bool)
    valid[missing_slot] = False
    return FacetTable(table, has_group=counts.columns.group is not None, group_valid=valid)


def _sorted_groups(values: set[Any]) -> list[Any]:
    """Groups in np.unique's (sorted) order; mixed types by type name, then value."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=_sort_key)


def computed_entry(name: str, description: str, compute: Callable[[], Any]) -> dict[str, Any]:
    """{"name", "description", "value": compute()} or, when it raises MetricError/BinariseError, value null and
    "error" (bias metrics and basic statistics alike)."""
    entry: dict[str, Any] = {"name": name, "description": description}
    try:
        entry["value"] = compute()
    except (MetricError, BinariseError) as exc:
        entry["value"] = None
        entry["error"] = str(exc)
    return entry


def metric_entry(code: str, compute: Callable[[], float]) -> dict[str, Any]:
    """The entry of metric ``code``; an infinite value is written "Infinity"/"-Infinity" as Clarify does."""

    def value() -> float | str:
        v = float(compute())
        return ("Infinity" if v > 0 else "-Infinity") if np.isinf(v) else v

    return computed_entry(code, DESCRIPTIONS[code], value)


def failing(message: str) -> Callable[[], Any]:
    """A computation that fails with ``message`` (for entries that cannot mean anything)."""

    def fail() -> Any:
        raise MetricError(message)

    return fail


LABEL_FREE = frozenset({"CI", "DPPL", "DI", "CDDPL", "FT"})  # metrics that do not read the observed label
GROUP_METRICS = ("CDDL", "CDDPL")


def _section(
    counts: BiasCounts,
    spec: BiasSpec,
    codes: Sequence[str],
    build: Callable[[str, FacetSpec, Binarisation, ResolvedLabel], Callable[[], float]],
) -> dict[str, Any]:
    """One section; metrics that cannot mean anything get value null and an error naming the config key.

    Positive label values matching no row fail every metric reading the observed label (a 0.0 there would
    read as "no bias"); a facet entry matching no row (or every row) fails all its metrics.
    """
    label_error: str | None = None
    label: ResolvedLabel | None = None
    try:
        label = resolve_label(counts, spec)
        label_description = label.binarisation.description
    except BinariseError as exc:
        label_error, label_description = f"label_values_or_threshold: {exc}", _joined(spec.label_values)
    no_positive = None
    if label is not None and not any(counts.value_counts(spec.label).get(v, 0) for v in label.binarisation.positive):
        no_positive = (
            f"label_values_or_threshold: {_listed(spec.label_values)} match no row of label column {spec.label!r}"
        )
    facets: dict[str, list[dict[str, Any]]] = {}
    for index, facet in enumerate(spec.facets):
        entries = []
        for binarisation in resolve_facet(counts, facet):
            entry_error = binarisation.error and f"facet[{index}].value_or_threshold: {binarisation.error}"
            entry_error = entry_error or _empty_facet_error(counts, facet, index, binarisation)
            metrics = []
            for code in sorted(codes):
                if label is None:
                    compute = failing(label_error or "")
                elif entry_error is not None:
                    compute = failing(entry_error)
                elif no_positive is not None and code not in LABEL_FREE:
                    compute = failing(no_positive)
                else:
                    compute = build(code, facet, binarisation, label)
                metrics.append(metric_entry(code, compute))
            entries.append({"value_or_threshold": binarisation.description, "metrics": metrics})
        facets[facet.name] = entries
    section: dict[str, Any] = {"label": spec.label, "label_value_or_threshold": label_description, "facets": facets}
    section.update(empty_cell_notes(counts, codes))
    return section


def _listed(values: Sequence[Any] | None) -> str:
    return "[" + ", ".join(repr(v) for v in values or ()) + "]"


def _empty_facet_error(counts: BiasCounts, facet: FacetSpec, index: int, entry: Binarisation) -> str | None:
    """An error when facet d (the entry's rows) or facet a (the others) holds no row."""
    n_d = n_a = 0
    for value, count in counts.value_counts(facet.name).items():
        if value in entry.positive:
            n_d += count
        else:
            n_a += count
    if n_d and n_a:
        return None
    key = f"facet[{index}].value_or_threshold"
    if facet.values is None:
        what = "empty cells" if not entry.positive else f"value {entry.description!r}"
        where = f"facet[{index}]: {what} of column {facet.name!r}"
        return f"{where} match no row" if not n_d else f"{where} match every row, so no row is left to compare with"
    if not n_d:
        return f"{key}: {_listed(facet.values)} match no row of column {facet.name!r}"
    return f"{key}: {_listed(facet.values)} match every row of column {facet.name!r}, so no row is left to compare with"


def empty_cell_notes(counts: BiasCounts, codes: Sequence[str]) -> dict[str, Any]:
    """clarion's notes on empty cells (only when there are some), beside Clarify's keys.

    ``clarion_empty_cells``: rows with an empty cell per counted column. As in smclarify an empty label or
    predicted label is negative and an empty facet cell is outside facet d (one-vs-rest gives it its own
    entry). ``clarion_rows_excluded``: rows left out of CDDL / CDDPL because their group_variable cell is
    empty (no group to condition on).
    """
    columns = counts.columns
    named = [columns.label, *columns.facets, columns.group, columns.predicted_label]
    empty = {}
    for name in dict.fromkeys(n for n in named if n is not None):
        missing = counts.value_counts(name).get(MISSING, 0)
        if missing:
            empty[name] = missing
    notes: dict[str, Any] = {}
    if empty:
        notes["clarion_empty_cells"] = empty
    if columns.group is not None and empty.get(columns.group):
        excluded = {code: empty[columns.group] for code in GROUP_METRICS if code in codes}
        if excluded:
            notes["clarion_rows_excluded"] = excluded
    return notes


def pre_training_bias_section(counts: BiasCounts, spec: BiasSpec) -> dict[str, Any]:
    """The ``pre_training_bias_metrics`` object for ``spec.pre_training_metrics``."""
    counts = counts.typed()

    tables: dict[tuple[str, int], FacetTable] = {}

    def build(code: str, facet: FacetSpec, entry: Binarisation, label: ResolvedLabel) -> Callable[[], float]:
        key = (facet.name, id(entry))
        if key not in tables:
            tables[key] = facet_table(counts, facet.name, entry.positive, label.binarisation.positive)
        table = tables[key]
        return lambda: PRE_TRAINING[code](table)

    return _section(counts, spec, spec.pre_training_metrics, build)


def post_training_bias_section(
    counts: BiasCounts, spec: BiasSpec, flip_test: FlipTestData | None = None
) -> dict[str, Any]:
    """The ``post_training_bias_metrics`` object for ``spec.post_training_metrics``; FT needs ``flip_test``."""
    counts = counts.typed()
    predicted: Binarisation | None = None
    predicted_error = ""
    tables: dict[tuple[str, int], FacetTable] = {}

    def build(code: str, facet: FacetSpec, entry: Binarisation, label: ResolvedLabel) -> Callable[[], float]:
        nonlocal predicted, predicted_error
        if predicted is None and not predicted_error:
            try:
                predicted = resolve_predicted(counts, spec, label)
            except BinariseError as exc:
                predicted_error = str(exc)
        if predicted is None:
            return failing(predicted_error)
        if code == "FT":
            if flip_test is None:
                return failing("FlipTest needs the feature rows, which were not provided")
            positive = predicted.positive
            return lambda: flip_test_for_facet(flip_test, facet.name, entry.positive, positive)
        key = (facet.name, id(entry))
        if key not in tables:
            label_positive = label.binarisation.positive
            tables[key] = facet_table(counts, facet.name, entry.positive, label_positive, predicted.positive)
        table = tables[key]
        return lambda: POST_TRAINING[code](table)

    return _section(counts, spec, spec.post_training_metrics, build)
