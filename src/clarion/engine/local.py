"""The local engine: one process, chunks streamed from the dataset, partial results merged as they come.

Pass one reads every chunk once (``clarion.engine.core.passes``); the model's outputs on the rows are
kept for SHAP's f(x), so the model is asked once per row. Pass two, only with SHAP, reads the
dataset again and explains it chunk by chunk. One predictor serves the whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from clarion.data import read_chunks
from clarion.data.options import ReadOptions
from clarion.engine.core import (
    PassOne,
    RunSpec,
    ShapPart,
    analyse,
    analyse_images,
    explain_chunk,
    feature_names_hint,
    joined_predicted_label,
    merge_pass_one,
    model_predict,
    output_names,
    pass_one_chunk,
    read_options,
    resolve_run,
    write_run,
)
from clarion.engine.plan import AnalysisPlan
from clarion.errors import DataError
from clarion.explain import ShapResult
from clarion.explain.outputs import write_local_values_csv
from clarion.predictors import Predictor, build_predictor
from clarion.progress import progress_bar
from clarion.results import layout

T = TypeVar("T")


def run_local(
    plan: AnalysisPlan, raw_config: dict[str, Any], output_dir: str | Path, *, chunk_rows: int
) -> dict[str, Any]:
    """Run ``plan`` in this process and write the outputs; returns the analysis.json document."""

    def compute(folder: Path) -> dict[str, Any]:
        if plan.images:
            return analyse_images(plan, LocalRunner(plan, None, chunk_rows), folder)
        with ExitStack() as stack:
            predictor = None
            if plan.needs_model:
                predictor = stack.enter_context(build_predictor(plan.config, feature_names_hint(plan)))
            return analyse(plan, LocalRunner(plan, predictor, chunk_rows), folder)

    return write_run(output_dir, plan, raw_config, compute)


class LocalRunner:
    """Chunks come from the local readers and are computed here, in dataset order."""

    def __init__(self, plan: AnalysisPlan, predictor: Predictor | None, chunk_rows: int) -> None:
        self.plan = plan
        self.predictor = predictor
        self.chunk_rows = chunk_rows

    def pass_one(self, plan: AnalysisPlan) -> tuple[RunSpec, PassOne]:
        with progress_bar("Reading data and computing statistics") as advance:
            return merge_pass_one(plan, self._pass_one_parts(advance))

    def _pass_one_parts(self, advance: Callable[[float], None]) -> Iterator[tuple[RunSpec, PassOne]]:
        run: RunSpec | None = None
        position = 0
        for chunk in iter_dataset(self.plan, self.chunk_rows):
            run = run or resolve_run(self.plan, list(chunk.columns))
            yield run, pass_one_chunk(run, chunk, position, self.predictor, keep_outputs=True)
            position += len(chunk)
            advance(len(chunk))

    def explain_rows(self, run: RunSpec, result: PassOne, baseline: pd.DataFrame) -> list[ShapPart]:
        predictor = self._model()
        predict = model_predict(predictor)
        names = result.output_names or output_names(predictor, result.sample.rows[run.features])
        outputs = np.concatenate(result.model_outputs) if result.model_outputs else None
        parts = []
        position = 0
        with progress_bar("Explaining rows (Kernel SHAP)", total=result.rows) as advance:
            for chunk in iter_dataset(self.plan, self.chunk_rows):
                row_outputs = outputs[position : position + len(chunk)] if outputs is not None else None
                part = explain_chunk(
                    run, chunk, position, predict, names, baseline, row_outputs=row_outputs, progress=advance
                )
                parts.append(part)
                position += len(chunk)
        return parts

    def all_rows(self, run: RunSpec) -> pd.DataFrame:
        chunks = list(iter_dataset(self.plan, self.chunk_rows))
        return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)

    def with_model(self, task: Callable[[Predictor], T]) -> T:
        return task(self._model())

    def call(self, task: Callable[[], T]) -> T:
        return task()

    def save_local_values(self, parts: list[ShapPart], values: ShapResult, output: Path) -> None:
        joins = [p.joinsource for p in parts if p.joinsource is not None]
        joinsource = pd.concat(joins, ignore_index=True) if joins else None
        write_local_values_csv(output / layout.LOCAL_SHAP_CSV, values, joinsource)

    def _model(self) -> Predictor:
        assert self.predictor is not None, "the plan needs a model"
        return self.predictor


def iter_dataset(plan: AnalysisPlan, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The dataset's chunks, with a separate predicted-label dataset joined row by row when configured."""
    chunks = read_chunks(plan.data_uri, read_options(plan, chunk_rows))
    if plan.config.predicted_label_dataset_uri is None:
        yield from chunks
        return
    yield from _join_predicted_labels(chunks, plan, chunk_rows)


def _join_predicted_labels(
    chunks: Iterator[pd.DataFrame], plan: AnalysisPlan, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    c = plan.config
    uri = c.predicted_label_dataset_uri
    assert uri is not None
    headers = tuple(c.predicted_label_headers) if c.predicted_label_headers else None
    options = ReadOptions(dataset_type="text/csv", headers=headers, chunk_rows=chunk_rows)
    labels = _Rechunk(read_chunks(uri, options))
    name = joined_predicted_label(plan)
    for chunk in chunks:
        part = labels.take(len(chunk))
        if len(part) != len(chunk):
            raise DataError(f"{uri}: the predicted-label dataset has fewer rows than the dataset")
        column = part[name] if name in part.columns else part.iloc[:, 0]
        chunk = chunk.copy()
        chunk[name] = column.to_numpy()
        yield chunk
    if labels.take(1).shape[0]:
        raise DataError(f"{uri}: the predicted-label dataset has more rows than the dataset")


class _Rechunk:
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
