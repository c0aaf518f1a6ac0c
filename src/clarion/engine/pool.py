"""Worker processes for models that live in this process, so that every core predicts and composes.

An in-process model (scikit-learn, XGBoost, LightGBM, a ``package.module:function`` callable) holds the GIL
while it predicts, and the Kernel SHAP composition around it is numpy code of the same thread, so threads
would not help: joblib's loky processes do the work instead. The model is written once to a temporary file
and each worker process loads it once (the file's path keys the worker's copy). Models called over HTTP or
through SageMaker stay in the parent process, whose client already sends requests concurrently.

``workers``: None means every core (``os.cpu_count()``); 1 means no pool (the work runs in this process).
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import joblib

from clarion.errors import ConfigError
from clarion.predictors.inprocess import InProcessPredictor
from clarion.predictors.models import CallableModel
from clarion.progress import is_quiet

if TYPE_CHECKING:
    from clarion.predictors import Predictor

T = TypeVar("T")

_LOADED: dict[str, Predictor] = {}  # in a worker process: the model of the current run, by its file's path


def resolve_workers(workers: int | None) -> int:
    """The number of worker processes: ``workers``, or every core when None."""
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers: expected a whole number of processes >= 1, got {workers!r}")
    return workers


class ModelPool:
    """``workers`` loky processes, each loading the model written at ``path`` (see ``model_pool``).

    Used in a ``with`` block: on exit the model file's folder is removed. The loky processes are joblib's
    reusable executor: they outlive the block and serve the next pool.
    """

    def __init__(self, path: Path, workers: int) -> None:
        self.path = path
        self.workers = workers
        self._warming: threading.Thread | None = None

    def __enter__(self) -> ModelPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._wait()
        shutil.rmtree(self.path.parent, ignore_errors=True)

    def warm(self) -> None:
        """Start the workers and let each load the model, in the background (this call returns at once)."""
        if self._warming is None:
            self._warming = threading.Thread(target=self._load_everywhere, name="clarion-pool-warm", daemon=True)
            self._warming.start()

    def map(self, task: Callable[..., T], calls: Iterable[tuple[Any, ...]]) -> Iterator[T]:
        """``task(predictor, *args)`` for every ``args`` of ``calls``, in the workers; results in order."""
        self._wait()
        return iter(self._parallel()(joblib.delayed(_with_model)(str(self.path), task, args) for args in calls))

    def _parallel(self) -> joblib.Parallel:
        return joblib.Parallel(n_jobs=self.workers, backend="loky", return_as="generator")

    def _load_everywhere(self) -> None:
        try:
            for _ in self._parallel()(
                joblib.delayed(_with_model)(str(self.path), _loaded, ()) for _ in range(self.workers)
            ):
                pass
        except Exception:  # a model that cannot load in a worker fails its first real task instead
            return

    def _wait(self) -> None:
        if self._warming is not None:
            self._warming.join()


def model_pool(predictor: Predictor, workers: int) -> ModelPool | None:
    """A pool for ``predictor`` when there is more than one worker and the model lives in this process.

    None otherwise, and when the model cannot be copied to another process (an object pickle cannot write, or
    a function defined in ``__main__``, which a worker cannot import); the work then runs in this process, with
    the same numbers.
    """
    if workers <= 1 or not isinstance(predictor, InProcessPredictor):
        return None
    function = predictor.model.function if isinstance(predictor.model, CallableModel) else None
    if getattr(function, "__module__", None) == "__main__":  # a worker process has another __main__
        _one_process("the model function is defined in __main__")
        return None
    folder = Path(tempfile.mkdtemp(prefix="clarion-model-"))
    path = folder / "predictor.joblib"
    try:
        joblib.dump(predictor, path)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _one_process(f"{type(exc).__name__}: {exc}")
        return None
    return ModelPool(path, workers)


def _one_process(reason: str) -> None:
    if not is_quiet():
        print(f"clarion: the model cannot be copied to worker processes ({reason}); using one process", file=sys.stderr)


def _loaded(predictor: Predictor) -> int:
    """A worker's first task: the model is loaded (by ``_with_model``); its process id."""
    return os.getpid()


def _with_model(path: str, task: Callable[..., T], args: tuple[Any, ...]) -> T:
    """In a worker: ``task(predictor, *args)`` with the model of ``path``, loaded on the first call."""
    predictor = _LOADED.get(path)
    if predictor is None:
        _LOADED.clear()  # one model per worker: the previous run's is dropped
        predictor = _LOADED[path] = joblib.load(path)
    return task(predictor, *args)
