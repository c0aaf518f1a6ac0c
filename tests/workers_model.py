"""A fitted estimator that notes which process calls it: one line with the process id per call.

Saved with joblib as a ``model_uri``, it is loaded by worker processes like any model file, so a run's log
tells whether the rows were explained in this process or in others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class LoggedModel:
    """``estimator``'s answers; every call appends this process's id to ``log``."""

    def __init__(self, estimator: Any, log: Path) -> None:
        self.estimator = estimator
        self.log = str(log)
        self.feature_names_in_ = estimator.feature_names_in_
        if hasattr(estimator, "classes_"):
            self.classes_ = estimator.classes_

    def predict(self, frame: Any) -> Any:
        self._note()
        return self.estimator.predict(frame)

    def predict_proba(self, frame: Any) -> Any:
        self._note()
        return self.estimator.predict_proba(frame)

    def _note(self) -> None:
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")


def callers(log: Path) -> set[int]:
    """The ids of the processes that called the model (none when it was never called)."""
    return {int(line) for line in log.read_text().split()} if log.exists() else set()
