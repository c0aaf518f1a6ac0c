"""What the Spark engine runs on executors: one function per pass, each a ``mapInPandas`` over partitions.

Every function reads Arrow batches of the scanned dataset (see ``spark_read``), turns them into the
same pandas chunks as the local reader, and emits pickled partial results, one row per chunk
(``position``, ``payload``), that the driver merges:

- ``pass_one``: bias counts and flip-test rows (with the model's predicted labels, the predictor
  built on the executor from the config), plus the seeded row sample (needs exact positions);
- ``explain_rows``: Kernel SHAP local values of every row, with the coalition plan drawn from a
  generator made from the seed for every chunk (as the local engine does), so values do not
  depend on the partitioning;
- ``partial_dependence``: PDP over the row sample in one task.

The predictor is built once per partition and used as a context manager (an HTTP predictor's
concurrency is per executor task; a shadow endpoint starts and stops with the task).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clarion.engine.plan import AnalysisPlan
from clarion.engine.spark_read import SourceScan, iter_chunks

PAYLOAD_SCHEMA = "position long, payload binary"


@dataclass(frozen=True)
class PassOnePart:
    """One chunk's share of pass 1."""

    position: int
    rows: int
    roles: Any
    spec: Any
    counts: Any
    flip_test: Any
    sample: Any


@dataclass(frozen=True)
class ShapPart:
    """Kernel SHAP values of one chunk, rows from ``position`` on, and the Spark partition it came from."""

    position: int
    partition: int
    result: Any  # clarion.explain.ShapResult
    joinsource: pd.Series | None


def _emit(position: int, part: Any) -> pd.DataFrame:
    return pd.DataFrame({"position": [position], "payload": [pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)]})


def decode(rows: list[Any]) -> list[Any]:
    """Unpickle the payloads a job collected, in dataset order."""
    return [pickle.loads(bytes(r["payload"])) for r in sorted(rows, key=lambda r: r["position"])]


def _predictor(plan: AnalysisPlan, needed: bool) -> Any:
    if not needed:
        return nullcontext(None)
    from clarion.engine.local import _feature_names_hint
    from clarion.predictors import build_predictor

    return build_predictor(plan.config, _feature_names_hint(plan))


def pass_one(
    batches: Iterator[pd.DataFrame], plan: AnalysisPlan, scan: SourceScan, seed: int, sample_capacity: int
) -> Iterator[pd.DataFrame]:
    """Bias counts, flip-test rows and row-sample candidates of each chunk of this partition."""
    from clarion.engine.local import count_chunk, roles_and_spec, with_predicted_labels
    from clarion.engine.sample import RowSample

    want_sample = plan.shap or plan.pdp
    with _predictor(plan, plan.predictions_for_bias) as predictor:
        roles = spec = None
        for position, chunk in iter_chunks(batches, scan):
            if roles is None:
                roles, spec = roles_and_spec(plan, chunk)
            if predictor is not None:
                chunk = with_predicted_labels(plan, chunk, predictor.predict(chunk.loc[:, list(roles.features)]))
            counts = flip = None
            if spec is not None:
                counts, flip = count_chunk(plan, chunk, roles, spec, position)
            sample = None
            if want_sample:
                sample = RowSample.empty(sample_capacity).add(chunk.loc[:, list(roles.columns)], position, seed)
            yield _emit(position, PassOnePart(position, len(chunk), roles, spec, counts, flip, sample))


def explain_rows(
    batches: Iterator[pd.DataFrame],
    plan: AnalysisPlan,
    scan: SourceScan,
    roles: Any,
    baseline: pd.DataFrame,
    seed: int,
) -> Iterator[pd.DataFrame]:
    """Kernel SHAP values of every chunk of this partition (the model called from this executor)."""
    from pyspark import TaskContext

    from clarion.explain import explain_tabular
    from clarion.predictors import model_outputs

    shap_config = plan.config.methods.shap
    features = list(roles.features)
    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    with _predictor(plan, True) as predictor:

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return model_outputs(predictor.predict(frame))[0]

        names: tuple[str, ...] | None = None
        for position, chunk in iter_chunks(batches, scan):
            if names is None:
                names = tuple(model_outputs(predictor.predict(chunk[features].iloc[:1]))[1])
            result = explain_tabular(
                chunk[features].reset_index(drop=True),
                baseline,
                predict,
                names,
                shap_config,
                np.random.default_rng(seed),  # the same coalition plan for every chunk, as locally
            )
            join = chunk[roles.joinsource].reset_index(drop=True) if roles.joinsource is not None else None
            yield _emit(position, ShapPart(position, partition, result, join))


def partial_dependence(
    _: Any, plan: AnalysisPlan, rows: pd.DataFrame, global_shap: dict[str, float] | None
) -> Iterator[pd.DataFrame]:
    """The ``pdp`` section over the row sample, computed in one executor task."""
    from clarion.explain.pdp import pdp_section
    from clarion.predictors import model_outputs

    with _predictor(plan, True) as predictor:

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return model_outputs(predictor.predict(frame))[0]

        names = tuple(model_outputs(predictor.predict(rows.iloc[:1]))[1])
        section = pdp_section(rows, predict, names, plan.config.methods.pdp, global_shap)
    yield _emit(0, (names, section))
