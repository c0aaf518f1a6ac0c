"""Worker processes for models that live in this process, so that every core predicts and composes.

An in-process model (scikit-learn, XGBoost, LightGBM, a ``package.module:function`` callable) holds the GIL
while it predicts, and the Kernel SHAP composition around it is numpy code of the same thread, so threads
would not help: ``workers`` processes share the work instead, this one and ``workers - 1`` loky processes
(joblib's process executor). Each worker builds the model from the config's predictor section as this process
does (``in_process_predictor``: the same model file or callable), once per run (a run key names its copy), so
it can start loading while this process is still loading its own. Models called over HTTP or through
SageMaker stay in this process, whose client already sends requests concurrently.

``workers``: None means every core (``os.cpu_count()``); 1 means no pool (the work runs in this process).
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from joblib.externals.loky import get_reusable_executor

from clarion.config.model import AnalysisConfig
from clarion.errors import ConfigError
from clarion.predictors.inprocess import in_process_predictor, runs_in_process
from clarion.progress import is_quiet

if TYPE_CHECKING:
    from clarion.predictors import Predictor

T = TypeVar("T")

IDLE_SECONDS = 300  # an idle worker process exits after this long (a later pool starts new ones)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")

_LOADED: dict[str, Predictor] = {}  # in a worker process: the model of the current run, by the run's key


def resolve_workers(workers: int | None) -> int:
    """The number of processes: ``workers``, or every core when None."""
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers: expected a whole number of processes >= 1, got {workers!r}")
    return workers


class ModelPool:
    """This process and ``workers - 1`` loky processes that build ``config``'s in-process model."""

    def __init__(self, config: AnalysisConfig, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.key = uuid.uuid4().hex
        self.started = False

    def warm(self) -> None:
        """Start the worker processes and have each load the model, in the background (returns at once); once."""
        if self.started:
            return
        self.started = True
        executor = self._executor()
        for _ in range(self.workers - 1):
            executor.submit(_with_model, self.key, self.config, _loaded, ())

    def run(
        self, predictor: Predictor, task: Callable[..., T], calls: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, T]]:
        """``task(predictor, *args)`` for every ``args`` of ``calls``: (index in ``calls``, result) pairs.

        Calls are handed out one at a time to whichever process is free, this one (with ``predictor``)
        included; this process's results come as they finish, then the workers' (their errors are raised here).
        """
        share = _Share(self._executor(), (self.key, self.config), task, calls)
        try:
            for _ in range(self.workers - 1):
                share.submit_next()
            while (item := share.take()) is not None:
                yield item, task(predictor, *calls[item])
            for index, future in share.submitted():
                yield index, future.result()
        finally:
            share.stop()

    def _executor(self) -> Any:
        threads = str(max(1, (os.cpu_count() or 1) // self.workers))
        env = {name: threads for name in THREAD_VARIABLES}
        return get_reusable_executor(max_workers=self.workers - 1, timeout=IDLE_SECONDS, env=env)


class _Share:
    """The calls of one ``ModelPool.run``, taken one at a time by this process or submitted to a worker when
    the worker's previous call finishes (from the executor's callback thread)."""

    def __init__(
        self,
        executor: Any,
        model: tuple[str, AnalysisConfig],
        task: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
    ) -> None:
        self.executor, self.model, self.task, self.calls = executor, model, task, calls
        self.lock = threading.Lock()
        self.next_index = 0
        self.futures: list[tuple[int, Future[Any]]] = []
        self.stopped = False

    def take(self) -> int | None:
        with self.lock:
            if self.stopped or self.next_index >= len(self.calls):
                return None
            self.next_index += 1
            return self.next_index - 1

    def submit_next(self, _: object = None) -> None:
        with self.lock:
            if self.stopped or self.next_index >= len(self.calls):
                return
            index = self.next_index
            self.next_index += 1
            future = self.executor.submit(_with_model, *self.model, self.task, self.calls[index])
            self.futures.append((index, future))
        future.add_done_callback(self.submit_next)

    def submitted(self) -> list[tuple[int, Future[Any]]]:
        """Every call handed to a worker (complete once ``take`` has returned None)."""
        with self.lock:
            return list(self.futures)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            futures = list(self.futures)
        for _, future in futures:
            future.cancel()


def model_pool(config: AnalysisConfig, workers: int) -> ModelPool | None:
    """A pool when there is more than one worker and ``config``'s model runs in this process; None otherwise, and
    for a ``model_callable`` from ``__main__`` (a worker process has another ``__main__``): the work then runs in
    this process, with the same numbers."""
    if workers <= 1 or not runs_in_process(config):
        return None
    assert config.predictor is not None
    spec = config.predictor.model_callable
    if spec is not None and spec.partition(":")[0] == "__main__":
        _one_process("the model function is defined in __main__")
        return None
    return ModelPool(config, workers)


def _one_process(reason: str) -> None:
    if not is_quiet():
        print(f"clarion: the model cannot be copied to worker processes ({reason}); using one process", file=sys.stderr)


def _loaded(predictor: Predictor) -> int:
    """A worker's first task: the model is loaded (by ``_with_model``); its process id."""
    return os.getpid()


def _with_model(key: str, config: AnalysisConfig, task: Callable[..., T], args: tuple[Any, ...]) -> T:
    """In a worker: ``task(predictor, *args)`` with ``config``'s model, built on the run's first call."""
    predictor = _LOADED.get(key)
    if predictor is None:
        _LOADED.clear()  # one model per worker: the previous run's is dropped
        predictor = _LOADED[key] = in_process_predictor(config)
    return task(predictor, *args)
