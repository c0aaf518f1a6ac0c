"""The local engine: one process, chunks streamed from the dataset, mergeable partial results.

Pass 1 reads every chunk once: bias count tables (pre- and post-training), the model's predictions
(computed once, reused by post-training bias and SHAP), the flip-test rows, and a seeded row sample
(for clustering a SHAP baseline and for partial dependence). Pass 2, only with SHAP, explains every
row chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clarion.data import ColumnRoles, ReadOptions, column_roles, read_chunks
from clarion.data.roles import JSON_TYPES
from clarion.engine.plan import AnalysisPlan
from clarion.engine.sample import RowSample
from clarion.errors import DataError
from clarion.progress import progress_bar

PREDICTED_LABEL_COLUMN = "__clarion_predicted_label__"
SAMPLE_ROWS = 10_000


@dataclass
class PassOneResult:
    """Everything pass 1 gathers."""

    roles: ColumnRoles | None = None
    rows: int = 0
    spec: Any = None
    counts: Any = None
    flip_test: Any = None
    sample: RowSample = field(default_factory=lambda: RowSample.empty(SAMPLE_ROWS))
    model_outputs: list[np.ndarray] = field(default_factory=list)
    output_names: tuple[str, ...] | None = None


def read_options(plan: AnalysisPlan, chunk_rows: int) -> ReadOptions:
    c = plan.config
    return ReadOptions(
        dataset_type=c.dataset_type,
        headers=tuple(c.headers) if c.headers else None,
        features=c.features,
        label=c.label,
        predicted_label=c.predicted_label if c.predicted_label_dataset_uri is None else None,
        joinsource=c.joinsource_name_or_index,
        chunk_rows=chunk_rows,
        usecols=bias_only_columns(plan),
    )


def bias_only_columns(plan: AnalysisPlan) -> tuple[str, ...] | None:
    """For a CSV bias run without a model, the only columns worth parsing (None: all of them)."""
    c = plan.config
    if plan.needs_model or plan.shap or plan.pdp or c.dataset_type != "text/csv" or not c.headers:
        return None
    post = c.methods.post_training_bias
    if post is not None and "FT" in post.methods:  # the flip test reads every feature
        return None
    roles = column_roles(c, list(c.headers))
    needed = [roles.label, roles.predicted_label, roles.group, *roles.facets]
    return tuple(name for name in c.headers if name in needed)


def iter_dataset(plan: AnalysisPlan, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The dataset's chunks, with a separate predicted-label dataset joined row by row when configured."""
    chunks = read_chunks(plan.data_uri, read_options(plan, chunk_rows))
    c = plan.config
    if c.predicted_label_dataset_uri is None:
        yield from chunks
        return
    yield from _join_predicted_labels(chunks, plan, chunk_rows)


def _join_predicted_labels(
    chunks: Iterator[pd.DataFrame], plan: AnalysisPlan, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    c = plan.config
    headers = tuple(c.predicted_label_headers) if c.predicted_label_headers else None
    options = ReadOptions(dataset_type="text/csv", headers=headers, chunk_rows=chunk_rows)
    labels = _rechunk(read_chunks(c.predicted_label_dataset_uri, options))  # type: ignore[arg-type]
    name = c.predicted_label if isinstance(c.predicted_label, str) else "predicted_label"
    for chunk in chunks:
        part = labels.take(len(chunk))
        if len(part) != len(chunk):
            raise DataError(
                f"{c.predicted_label_dataset_uri}: the predicted-label dataset has fewer rows than the dataset"
            )
        column = part[name] if name in part.columns else part.iloc[:, 0]
        chunk = chunk.copy()
        chunk[name] = column.to_numpy()
        yield chunk
    if labels.take(1).shape[0]:
        raise DataError(f"{c.predicted_label_dataset_uri}: the predicted-label dataset has more rows than the dataset")


class _rechunk:
    """Serve an iterator of frames as slices of any requested length."""

    def __init__(self, frames: Iterator[pd.DataFrame]) -> None:
        self._frames = frames
        self._buffer = pd.DataFrame()

    def take(self, n: int) -> pd.DataFrame:
        while len(self._buffer) < n:
            nxt = next(self._frames, None)
            if nxt is None:
                break
            self._buffer = pd.concat([self._buffer, nxt], ignore_index=True) if len(self._buffer) else nxt
        part, self._buffer = self._buffer.iloc[:n], self._buffer.iloc[n:].reset_index(drop=True)
        return part.reset_index(drop=True)


def label_column_of(plan: AnalysisPlan, columns: list[str]) -> str | None:
    """JSON data names the label column by the last header when headers hold one extra name."""
    c = plan.config
    if c.dataset_type in ("application/jsonlines", "application/json") and c.label is not None:
        if isinstance(c.label, str) and c.label in columns:
            return c.label
        if c.headers and c.headers[-1] in columns:
            return c.headers[-1]
    return None


def roles_and_spec(plan: AnalysisPlan, chunk: pd.DataFrame) -> tuple[ColumnRoles, Any]:
    """Column roles and the bias spec (None without bias methods), from the first chunk's columns."""
    from clarion import bias

    columns = list(chunk.columns)
    if bias_only_columns(plan):  # only some columns were parsed: references are to the full header list
        headers = list(plan.config.headers or [])
        columns = headers + [c for c in columns if c not in headers]
    roles = column_roles(plan.config, columns, label_column_of(plan, columns))
    spec = None
    if plan.pre_training_bias or plan.post_training_bias:
        config = plan.config
        if config.dataset_type in JSON_TYPES:  # JMESPath references name columns the reader made
            config = config.model_copy(update={"label": roles.label, "predicted_label": roles.predicted_label})
        spec = bias.BiasSpec.from_config(
            config,
            columns + ([PREDICTED_LABEL_COLUMN] if plan.predictions_for_bias else []),
            predicted_label_column=PREDICTED_LABEL_COLUMN if plan.predictions_for_bias else None,
        )
    return roles, spec


def with_predicted_labels(plan: AnalysisPlan, chunk: pd.DataFrame, predictions: Any) -> pd.DataFrame:
    """``chunk`` with the model's predicted labels added as the predicted-label column bias counts read."""
    labels = _predicted_labels(predictions, plan.config.effective_probability_threshold)
    return chunk.assign(**{PREDICTED_LABEL_COLUMN: labels})


def count_chunk(
    plan: AnalysisPlan, chunk: pd.DataFrame, roles: ColumnRoles, spec: Any, row_offset: int
) -> tuple[Any, Any]:
    """Bias counts of one chunk and its flip-test rows (None unless FT is asked for); rows start at ``row_offset``."""
    from clarion import bias

    counts = bias.BiasCounts.from_frame(chunk, spec.columns, row_offset=row_offset)
    flip = None
    if plan.post_training_bias and "FT" in spec.post_training_metrics:
        flip = bias.FlipTestData.from_frame(chunk, spec, list(roles.features), row_offset=row_offset)
    return counts, flip


def run_pass_one(plan: AnalysisPlan, predictor: Any, chunk_rows: int, seed: int) -> PassOneResult:
    """Stream the dataset once, gathering bias counts, predictions, flip-test rows and the row sample."""
    result = PassOneResult()
    predict_here = predictor is not None and (plan.predictions_for_bias or plan.shap)
    with progress_bar("Reading data and computing statistics") as advance:
        for chunk in iter_dataset(plan, chunk_rows):
            if result.roles is None:
                result.roles, result.spec = roles_and_spec(plan, chunk)
            roles = result.roles
            if predict_here:
                predictions = predictor.predict(chunk.loc[:, list(roles.features)])
                if plan.predictions_for_bias:
                    chunk = with_predicted_labels(plan, chunk, predictions)
                if plan.shap:
                    outputs, names = _model_outputs(predictions)
                    result.model_outputs.append(outputs)
                    result.output_names = names
            if result.spec is not None:
                counts, flip = count_chunk(plan, chunk, roles, result.spec, result.rows)
                result.counts = counts if result.counts is None else result.counts.merge(counts)
                if flip is not None:
                    result.flip_test = flip if result.flip_test is None else result.flip_test.merge(flip)
            if plan.shap or plan.pdp:
                result.sample = result.sample.add(chunk.loc[:, list(roles.columns)], result.rows, seed)
            result.rows += len(chunk)
            advance(len(chunk))
    if result.roles is None:
        raise DataError(f"{plan.data_uri}: the dataset is empty")
    return result


def bias_sections(plan: AnalysisPlan, result: PassOneResult) -> dict[str, Any]:
    """The pre- and post-training sections of analysis.json."""
    from clarion import bias

    sections: dict[str, Any] = {}
    if plan.pre_training_bias:
        sections["pre_training_bias_metrics"] = bias.pre_training_bias_section(result.counts, result.spec)
    if plan.post_training_bias:
        sections["post_training_bias_metrics"] = bias.post_training_bias_section(
            result.counts, result.spec, flip_test=result.flip_test
        )
    return sections


def run_local(
    plan: AnalysisPlan, raw_config: dict[str, Any], output_dir: str | Path, *, chunk_rows: int
) -> dict[str, Any]:
    """Run ``plan`` in this process and write the outputs; returns the analysis.json document."""
    from clarion.engine.outputs import write_analysis, write_reports

    seed = _seed(plan)
    if plan.images:
        from clarion.engine.multimodal import run_images

        analysis = {"version": "1.0", "explanations": run_images(plan, Path(output_dir))}
        write_analysis(output_dir, analysis, raw_config)
        write_reports(output_dir, plan.config)
        return analysis
    with _open_predictor(plan) as predictor:
        result = run_pass_one(plan, predictor, chunk_rows, seed)
        analysis: dict[str, Any] = {"version": "1.0"}
        analysis.update(bias_sections(plan, result))
        if plan.shap or plan.pdp:
            from clarion.engine.explain import explanations

            analysis["explanations"] = explanations(plan, result, predictor, output_dir, chunk_rows, seed)
    write_analysis(output_dir, analysis, raw_config)
    write_reports(output_dir, plan.config)
    return analysis


def _seed(plan: AnalysisPlan) -> int:
    shap = plan.config.methods.shap
    return shap.seed if shap is not None and shap.seed is not None else 0


@contextmanager
def _open_predictor(plan: AnalysisPlan) -> Iterator[Any]:
    if not plan.needs_model:
        yield None
        return
    from clarion.predictors import build_predictor

    features = _feature_names_hint(plan)
    with build_predictor(plan.config, features) as predictor:
        yield predictor


def _feature_names_hint(plan: AnalysisPlan) -> list[str] | None:
    """Feature names known before reading (CSV headers minus non-feature columns); None when unknown."""
    c = plan.config
    if not c.headers or c.dataset_type in ("application/jsonlines", "application/json"):
        return None
    return list(column_roles(c, list(c.headers)).features)


def _predicted_labels(predictions: Any, threshold: float) -> np.ndarray:
    from clarion.predictors import predicted_labels

    return predicted_labels(predictions, threshold)


def _model_outputs(predictions: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    from clarion.predictors import model_outputs

    outputs, names = model_outputs(predictions)
    return outputs, tuple(names)
