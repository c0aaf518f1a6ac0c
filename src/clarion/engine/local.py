"""The local engine: chunks streamed from the dataset, partial results merged as they come.

Pass one reads every chunk once (``clarion.engine.core.passes``); the model's outputs on the rows are
kept for SHAP's f(x), so the model is asked once per row. Pass two, only with SHAP, reads the
dataset again and explains it chunk by chunk. One predictor serves the whole run; a model living in
this process is copied to worker processes (``clarion.engine.pool``) that explain a chunk's blocks of
rows on every core, with the numbers of one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from clarion.data import read_chunks
from clarion.data.facet_join import join_facets
from clarion.data.join import join_predicted_labels
from clarion.engine.checkpoint import ShapCheckpoint
from clarion.engine.core import (
    PassOne,
    RunSpec,
    ShapPart,
    analyse,
    analyse_images,
    analyse_time_series,
    explain_chunk,
    feature_names_hint,
    joinsource_of,
    merge_pass_one,
    model_predict,
    output_names,
    pass_one_chunk,
    pass_one_description,
    read_options,
    resolve_run,
    run_shap_config,
    write_run,
)
from clarion.engine.core.blocks import baseline_size_hint, explain_block, shap_blocks
from clarion.engine.plan import AnalysisPlan
from clarion.engine.pool import ModelPool, model_pool, resolve_workers
from clarion.explain import ShapResult, concat_results
from clarion.explain.outputs import write_local_values_csv
from clarion.predictors import Predictor, build_predictor
from clarion.progress import progress_bar
from clarion.results import layout

T = TypeVar("T")
MIN_BLOCKS_PER_WORKER = 2  # blocks (model calls of up to 2^18 synthetic rows) per process for workers to pay
EARLY_START_BYTES = 1 << 20  # a local dataset this large starts the workers before it is read


def run_local(
    plan: AnalysisPlan,
    raw_config: dict[str, Any],
    output_dir: str | Path,
    *,
    chunk_rows: int,
    checkpoint: ShapCheckpoint | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run ``plan`` and write the outputs; returns the analysis.json document. With a ``checkpoint``, explained
    chunks are saved as they finish and saved chunks are not explained again. ``workers``: processes that
    explain rows with an in-process model (None: every core; see ``clarion.engine.pool``)."""
    count = resolve_workers(workers)

    def compute(folder: Path) -> dict[str, Any]:
        if plan.images:
            return analyse_images(plan, LocalRunner(plan, None, chunk_rows), folder)
        if plan.time_series:
            return analyse_time_series(plan, folder)
        pool = model_pool(plan.config, count) if _explains_table(plan) else None
        if pool is not None and _dataset_bytes(plan.data_uri) >= EARLY_START_BYTES:
            pool.warm()  # the workers load the model while this process loads its own and reads the data
        with ExitStack() as stack:
            predictor = None
            if plan.needs_model:
                predictor = stack.enter_context(build_predictor(plan.config, feature_names_hint(plan)))
            runner = LocalRunner(plan, predictor, chunk_rows, checkpoint, pool=pool)
            return analyse(plan, runner, folder)

    return write_run(output_dir, plan, raw_config, compute)


class LocalRunner:
    """Chunks come from the local readers and are computed here, in dataset order.

    With a ``pool`` (``model_pool``: more than one worker and a model in this process), a chunk's Kernel SHAP
    blocks (``shap_blocks``) are shared out between this process and the pool's workers. Starting the workers
    costs each its imports and its copy of the model, so they start only for at least MIN_BLOCKS_PER_WORKER
    blocks per process: before reading when the dataset is large (``run_local``), during pass one when its
    first chunk makes that many (the workers load the model while the data is read), else with the first
    chunk that does; once started they serve every chunk of two blocks or more.
    """

    def __init__(
        self,
        plan: AnalysisPlan,
        predictor: Predictor | None,
        chunk_rows: int,
        checkpoint: ShapCheckpoint | None = None,
        *,
        pool: ModelPool | None = None,
    ) -> None:
        self.plan = plan
        self.predictor = predictor
        self.chunk_rows = chunk_rows
        self.text_columns: tuple[str, ...] = ()
        self.checkpoint = checkpoint
        self.pool = pool

    def pass_one(self, plan: AnalysisPlan, text_columns: tuple[str, ...]) -> tuple[RunSpec, PassOne]:
        self.text_columns = text_columns
        with progress_bar(pass_one_description(text_columns)) as advance:
            return merge_pass_one(plan, self._pass_one_parts(advance))

    def _pass_one_parts(self, advance: Callable[[float], None]) -> Iterator[tuple[RunSpec, PassOne]]:
        run: RunSpec | None = None
        position = 0
        for chunk in iter_dataset(self.plan, self.chunk_rows, self.text_columns):
            if run is None:
                run = resolve_run(self.plan, list(chunk.columns))
                self._start_workers_early(run, chunk)
            yield run, pass_one_chunk(run, chunk, position, self.predictor, keep_outputs=True)
            position += len(chunk)
            advance(len(chunk))

    def _start_workers_early(self, run: RunSpec, chunk: pd.DataFrame) -> None:
        """Start the workers now when the first chunk alone makes enough blocks to explain."""
        shap_config = self.plan.config.methods.shap
        if self.pool is None or self.pool.started or shap_config is None:
            return
        blocks = shap_blocks(chunk[run.features], baseline_size_hint(shap_config), run_shap_config(run))
        if len(blocks) >= MIN_BLOCKS_PER_WORKER * self.pool.workers:
            self.pool.warm()

    def explain_rows(self, run: RunSpec, result: PassOne, baseline: pd.DataFrame) -> list[ShapPart]:
        predictor = self._model()
        names = result.output_names or output_names(predictor, result.sample.rows[run.features])
        outputs = np.concatenate(result.model_outputs) if result.model_outputs else None
        parts = []
        position = 0
        with progress_bar("Explaining rows (Kernel SHAP)", total=result.rows) as advance:
            for chunk in iter_dataset(self.plan, self.chunk_rows, self.text_columns):
                saved = self.checkpoint.load(position, len(chunk)) if self.checkpoint is not None else None
                if saved is not None:
                    part = ShapPart(position, 0, saved, joinsource_of(run, chunk))
                    advance(len(chunk))
                else:
                    row_outputs = outputs[position : position + len(chunk)] if outputs is not None else None
                    part = self._explain_chunk(run, chunk, position, names, baseline, row_outputs, advance)
                    if self.checkpoint is not None:
                        self.checkpoint.save(position, part.result)
                parts.append(part)
                position += len(chunk)
        return parts

    def _explain_chunk(
        self,
        run: RunSpec,
        chunk: pd.DataFrame,
        position: int,
        names: Sequence[str],
        baseline: pd.DataFrame,
        outputs: np.ndarray | None,
        advance: Callable[[float], None],
    ) -> ShapPart:
        """``explain_chunk``, or the same numbers from the pool when the chunk makes more than one block."""
        shap_config = run_shap_config(run)
        rows = chunk[run.features]
        pool = self.pool
        blocks = shap_blocks(rows, len(baseline), shap_config) if pool is not None else []
        enough = pool is not None and (pool.started or len(blocks) >= MIN_BLOCKS_PER_WORKER * pool.workers)
        if pool is None or len(blocks) < 2 or not enough:
            predict = model_predict(self._model())
            return explain_chunk(run, chunk, position, predict, names, baseline, row_outputs=outputs, progress=advance)
        pool.warm()
        seed = run.plan.seed
        calls = [
            (
                rows.iloc[lo:hi],
                baseline,
                names,
                shap_config,
                seed,
                position + lo,
                None if outputs is None else outputs[lo:hi],
            )
            for lo, hi in blocks
        ]
        results: dict[int, ShapResult] = {}
        for index, block in pool.run(self._model(), explain_block, calls):
            results[index] = block
            lo, hi = blocks[index]
            advance(hi - lo)
        return ShapPart(
            position, 0, concat_results([results[i] for i in range(len(blocks))]), joinsource_of(run, chunk)
        )

    def all_rows(self, run: RunSpec) -> pd.DataFrame:
        chunks = list(iter_dataset(self.plan, self.chunk_rows, self.text_columns))
        return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)

    def with_model(self, task: Callable[[Predictor], T]) -> T:
        return task(self._model())

    def call(self, task: Callable[[], T]) -> T:
        return task()

    def save_local_values(self, parts: list[ShapPart], values: ShapResult, output: Path) -> None:
        joins = [p.joinsource for p in parts if p.joinsource is not None]
        joinsource = pd.concat(joins, ignore_index=True) if joins else None
        shap = self.plan.config.methods.shap
        bare = shap is not None and shap.bare_feature_names
        write_local_values_csv(output / layout.LOCAL_SHAP_CSV, values, joinsource, bare=bare)

    def _model(self) -> Predictor:
        assert self.predictor is not None, "the plan needs a model"
        return self.predictor


def iter_dataset(plan: AnalysisPlan, chunk_rows: int, text_columns: tuple[str, ...] = ()) -> Iterator[pd.DataFrame]:
    """The dataset's chunks (``text_columns`` kept as text), separate predicted-label and facet datasets joined."""
    chunks = read_chunks(plan.data_uri, read_options(plan, chunk_rows, text_columns))
    c = plan.config
    if c.facet_dataset_uri is not None:
        chunks = join_facets(
            chunks,
            uri=c.facet_dataset_uri,
            headers=c.facet_headers,
            joinsource=c.joinsource_name_or_index,
            chunk_rows=chunk_rows,
        )
    if c.predicted_label_dataset_uri is None:
        yield from chunks
        return
    yield from join_predicted_labels(
        chunks,
        uri=c.predicted_label_dataset_uri,
        headers=c.predicted_label_headers,
        predicted_label=c.predicted_label,
        joinsource=c.joinsource_name_or_index,
        chunk_rows=chunk_rows,
    )


def _explains_table(plan: AnalysisPlan) -> bool:
    """Kernel SHAP over table rows (not text)."""
    shap = plan.config.methods.shap
    return plan.shap and shap is not None and shap.text_config is None


def _dataset_bytes(uri: str) -> int:
    """Size of a local dataset (a file, or the files below a folder); 0 for a URI (not looked up)."""
    if "://" in uri and not uri.startswith("file://"):
        return 0
    path = Path(uri.removeprefix("file://"))
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0
    except OSError:  # the readers report what is wrong with the dataset
        return 0
