"""What the Spark engine runs on executors: the core's per-chunk work, one ``mapInPandas`` per pass.

Every chunk function gets a partition's chunks with their dataset positions (``spark_sources``: the
local reader's chunks) and emits pickled partial results, one row per chunk (``position``,
``payload``), that the driver merges:

- ``pass_one``: ``(RunSpec, PassOne)`` of each chunk (the predictor, built on the executor from the
  config, only gives post-training bias its predicted labels);
- ``explain_rows``: a ``ShapPart`` per chunk, Kernel SHAP with the coalition plan drawn from a
  generator made from the seed for every chunk (as the local engine does), so values do not
  depend on the partitioning;
- ``dataset_rows``: the parsed chunks themselves (text runs explain every row in one task);
- ``run_task``: one task that runs a function (PDP and text SHAP through ``with_predictor``, images) and
  returns its result.

The predictor is built once per partition and used as a context manager (an HTTP predictor's
concurrency is per executor task; a shadow endpoint starts and stops with the task).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import pandas as pd
from pyspark import TaskContext

from clarion.engine.core import (
    PassOne,
    RunSpec,
    explain_chunk,
    feature_names_hint,
    model_predict,
    output_names,
    pass_one_chunk,
    resolve_run,
)
from clarion.engine.plan import AnalysisPlan
from clarion.predictors import Predictor, build_predictor

PAYLOAD_SCHEMA = "position long, payload binary"
Chunks = Iterator[tuple[int, pd.DataFrame]]  # (dataset position of the first row, chunk)
T = TypeVar("T")


def emit(position: int, part: Any) -> pd.DataFrame:
    return pd.DataFrame({"position": [position], "payload": [pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)]})


Payload = tuple[int, bytes]  # (dataset position, pickled partial result)


def payload_of(emitted: Any) -> Payload:
    """``(position, payload)`` of what ``emit`` made (a one-row frame) or of a row of ``PAYLOAD_SCHEMA``."""
    if isinstance(emitted, pd.DataFrame):
        return int(emitted["position"].iloc[0]), bytes(emitted["payload"].iloc[0])
    return int(emitted["position"]), bytes(emitted["payload"])


def decode(rows: list[Payload]) -> list[Any]:
    """Unpickle the payloads a job collected, in dataset order."""
    return [pickle.loads(payload) for _, payload in sorted(rows, key=lambda r: r[0])]


def _predictor(plan: AnalysisPlan, needed: bool) -> AbstractContextManager[Predictor | None]:
    if not needed:
        return nullcontext(None)
    return build_predictor(plan.config, feature_names_hint(plan))


def pass_one(chunks: Chunks, plan: AnalysisPlan) -> Iterator[pd.DataFrame]:
    """``(RunSpec, PassOne)`` of each chunk of this partition."""
    with _predictor(plan, plan.predictions_for_bias) as predictor:
        run: RunSpec | None = None
        for position, chunk in chunks:
            run = run or resolve_run(plan, list(chunk.columns))
            part: PassOne = pass_one_chunk(run, chunk, position, predictor, keep_outputs=False)
            yield emit(position, (run, part))


def explain_rows(chunks: Chunks, run: RunSpec, baseline: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """Kernel SHAP values of every chunk of this partition (the model called from this executor)."""
    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    with _predictor(run.plan, True) as predictor:
        assert predictor is not None
        predict = model_predict(predictor)
        names: tuple[str, ...] | None = None
        for position, chunk in chunks:
            names = names or output_names(predictor, chunk[run.features])
            yield emit(position, explain_chunk(run, chunk, position, predict, names, baseline, partition=partition))


def dataset_rows(chunks: Chunks) -> Iterator[pd.DataFrame]:
    """The chunks of this partition as the local reader parses them."""
    for position, chunk in chunks:
        yield emit(position, chunk)


def run_task(_: Any, task: Callable[[], Any]) -> Iterator[pd.DataFrame]:
    """``task()`` in one executor task, its result pickled back."""
    yield emit(0, task())


def with_predictor(plan: AnalysisPlan, task: Callable[[Predictor], T]) -> T:
    """``task(predictor)`` with the config's predictor built and entered here."""
    with _predictor(plan, True) as predictor:
        assert predictor is not None
        return task(predictor)
