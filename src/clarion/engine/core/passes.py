"""Pass one: what one read of the dataset gathers, chunk by chunk, as mergeable partial results.

Per chunk (rows at dataset positions ``position...``): the model's predictions (once; their
predicted labels feed post-training bias, their outputs are kept for SHAP's f(x) where the runner
asks), bias count tables, flip-test rows (only with FT), and the seeded row-sample candidates (for
clustering a SHAP baseline and for PDP). ``PassOne.merge`` is associative and commutative because
every piece carries row positions; only ``model_outputs`` must be merged in dataset order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
import pandas as pd

from clarion.bias import BiasCounts, FlipTestData, post_training_bias_section, pre_training_bias_section
from clarion.bias.basic_stats import bias_basic_stats, model_performance_report
from clarion.bias.segments import segment_of_rows
from clarion.engine.core.spec import PREDICTED_LABEL_COLUMN, RunSpec
from clarion.engine.sample import RowSample
from clarion.predictors import Predictor, model_outputs, predicted_labels

SAMPLE_ROWS = 10_000

Mergeable = TypeVar("Mergeable", BiasCounts, FlipTestData)


@dataclass(frozen=True)
class PassOne:
    """Pass one's results over some rows: count, bias tables, flip-test rows, row sample, model outputs."""

    rows: int = 0
    counts: BiasCounts | None = None
    flip_test: FlipTestData | None = None
    sample: RowSample = field(default_factory=lambda: RowSample.empty(SAMPLE_ROWS))
    model_outputs: tuple[np.ndarray, ...] = ()  # (n, K) per chunk, in dataset order
    output_names: tuple[str, ...] | None = None
    segment_counts: tuple[tuple[BiasCounts | None, ...], ...] = ()  # per segment config, per segment

    def merge(self, other: PassOne) -> PassOne:
        """Both parts' rows; ``other``'s model outputs follow ``self``'s."""
        return PassOne(
            rows=self.rows + other.rows,
            counts=_merged(self.counts, other.counts),
            segment_counts=_merged_segments(self.segment_counts, other.segment_counts),
            flip_test=_merged(self.flip_test, other.flip_test),
            sample=self.sample.merge(other.sample),
            model_outputs=self.model_outputs + other.model_outputs,
            output_names=self.output_names or other.output_names,
        )


def _merged(a: Mergeable | None, b: Mergeable | None) -> Mergeable | None:
    if a is None:
        return b
    return a if b is None else a.merge(b)


def _merged_segments(
    a: tuple[tuple[BiasCounts | None, ...], ...], b: tuple[tuple[BiasCounts | None, ...], ...]
) -> tuple[tuple[BiasCounts | None, ...], ...]:
    if not a or not b:
        return a or b
    return tuple(tuple(_merged(x, y) for x, y in zip(xs, ys, strict=True)) for xs, ys in zip(a, b, strict=True))


def segment_counts(run: RunSpec, chunk: pd.DataFrame, position: int) -> tuple[tuple[BiasCounts | None, ...], ...]:
    """Bias counts of each segment's rows (None for a segment with no row in this chunk)."""
    assert run.bias is not None
    out = []
    for spec in run.segments:
        index = segment_of_rows(chunk[spec.column], spec)
        parts: list[BiasCounts | None] = []
        for j in range(len(spec.names)):
            rows = chunk[index == j]
            parts.append(BiasCounts.from_frame(rows, run.bias.columns, row_offset=position) if len(rows) else None)
        out.append(tuple(parts))
    return tuple(out)


def with_predicted_labels(chunk: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """``chunk`` with the model's predicted labels as the column post-training bias reads."""
    return chunk.assign(**{PREDICTED_LABEL_COLUMN: labels})


def pass_one_chunk(
    run: RunSpec,
    chunk: pd.DataFrame,
    position: int,
    predictor: Predictor | None,
    *,
    keep_outputs: bool,
) -> PassOne:
    """Pass one over one chunk whose first row is at dataset ``position``.

    ``predictor`` is called when post-training bias needs predicted labels, or when ``keep_outputs``
    and SHAP will reuse the model's outputs on these rows (None: no model in this pass).
    """
    plan = run.plan
    part = PassOne(rows=len(chunk))
    if predictor is not None and (plan.predictions_for_bias or (keep_outputs and plan.shap)):
        predictions = predictor.predict(chunk.loc[:, run.features])
        if plan.predictions_for_bias:
            labels = predicted_labels(predictions, plan.config.effective_probability_threshold)
            chunk = with_predicted_labels(chunk, labels)
        if keep_outputs and plan.shap:
            outputs, names = model_outputs(predictions)
            part = replace(part, model_outputs=(outputs,), output_names=tuple(names))
    if run.bias is not None:
        counts = BiasCounts.from_frame(chunk, run.bias.columns, row_offset=position)
        flip = None
        if plan.post_training_bias and "FT" in run.bias.post_training_metrics:
            flip = FlipTestData.from_frame(chunk, run.bias, run.features, row_offset=position)
        part = replace(part, counts=counts, flip_test=flip)
        if run.segments:
            part = replace(part, segment_counts=segment_counts(run, chunk, position))
    if plan.shap or plan.pdp:
        sample = RowSample.empty(SAMPLE_ROWS).add(chunk.loc[:, list(run.roles.columns)], position, plan.seed)
        part = replace(part, sample=sample)
    return part


def bias_sections(run: RunSpec, result: PassOne) -> dict[str, object]:
    """The pre- and post-training sections of analysis.json from the merged counts.

    Each section also holds ``bias_basic_stats`` (per facet entry), and the post-training one the
    ``model_performance_report``, as smclarify computes them (clarion.bias.basic_stats).
    """
    plan = run.plan
    sections: dict[str, object] = {}
    if run.bias is None:
        return sections
    assert result.counts is not None
    counts, spec = result.counts, run.bias
    if plan.pre_training_bias:
        pre = pre_training_bias_section(counts, spec)
        pre["bias_basic_stats"] = bias_basic_stats(counts, spec, post_training=False)
        sections["pre_training_bias_metrics"] = pre
    if plan.post_training_bias:
        post = post_training_bias_section(counts, spec, flip_test=result.flip_test)
        post["bias_basic_stats"] = bias_basic_stats(counts, spec, post_training=True)
        post["model_performance_report"] = model_performance_report(counts, spec)
        sections["post_training_bias_metrics"] = post
    if run.segments:
        add_segment_sections(run, result, sections)
    return sections


def add_segment_sections(run: RunSpec, result: PassOne, sections: dict[str, object]) -> None:
    """``segment_metrics`` in each bias section: per segment config, the metrics of each segment's rows.

    Shape (Clarify's own is not documented): ``[{"name_or_index", "config_name"?, "segments": [{"segment",
    "values" (null for the default segment), "label", "label_value_or_threshold", "facets"}]}]``. The flip
    test, which needs the feature rows, is not computed per segment.
    """
    assert run.bias is not None
    specs = run.segments
    for stage, build in (("pre_training", pre_training_bias_section), ("post_training", post_training_bias_section)):
        section = sections.get(f"{stage}_bias_metrics")
        if not isinstance(section, dict):
            continue
        configs = []
        for spec, parts in zip(specs, result.segment_counts, strict=True):
            entries = []
            for j, (name, counts) in enumerate(zip(spec.names, parts, strict=True)):
                entry: dict[str, object] = {
                    "segment": name,
                    "values": list(spec.segments[j]) if j < len(spec.segments) else None,
                    "rows": 0 if counts is None else sum(next(iter(counts.cells.values())).values()),
                }
                if counts is not None:
                    body = build(counts, run.bias)
                    entry.update({k: body[k] for k in ("label", "label_value_or_threshold", "facets")})
                entries.append(entry)
            described: dict[str, object] = {"name_or_index": spec.name_or_index}
            if spec.config_name is not None:
                described["config_name"] = spec.config_name
            described["segments"] = entries
            configs.append(described)
        section["segment_metrics"] = configs
