"""In-process transport: call a loaded model directly on the caller's frame (in slices of bounded size)."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType

import pandas as pd

from clarion.config.model import AnalysisConfig
from clarion.predictors.models import CallableModel, Model, load_model
from clarion.predictors.predictions import Predictions, concat_predictions


class InProcessPredictor:
    """A Predictor around a model living in this process."""

    def __init__(
        self, model: Model, *, label_headers: tuple[str, ...] | None = None, max_rows_per_call: int = 200_000
    ) -> None:
        self.model = model
        self.label_headers = label_headers
        self.max_rows_per_call = max_rows_per_call

    def __enter__(self) -> InProcessPredictor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def predict(self, features: pd.DataFrame) -> Predictions:
        """The model's answer for every row, in order; config label_headers replace the model's."""
        step = self.max_rows_per_call
        if len(features) <= step:
            result = self.model.predict(features)
        else:
            result = concat_predictions(
                [self.model.predict(features.iloc[i : i + step]) for i in range(0, len(features), step)]
            )
        if self.label_headers is not None:
            result = replace(result, label_headers=self.label_headers)
        return result


def runs_in_process(config: AnalysisConfig) -> bool:
    """Whether ``build_predictor`` gives an InProcessPredictor for ``config``: ``model_uri`` (not shadowed) or
    ``model_callable``, with no ``endpoint_url`` or ``serve_command`` (which come first)."""
    p = config.predictor
    if p is None or p.endpoint_url is not None or p.serve_command is not None:
        return False
    if p.model_uri is not None:
        return not p.shadow
    return p.model_callable is not None


def in_process_predictor(config: AnalysisConfig) -> InProcessPredictor:
    """The in-process predictor of ``config`` (see ``runs_in_process``): the model loaded or imported here."""
    p = config.predictor
    assert p is not None and runs_in_process(config)
    headers = tuple(str(h) for h in p.label_headers) if p.label_headers is not None else None
    if p.model_uri is not None:
        threshold = config.effective_probability_threshold
        return InProcessPredictor(load_model(p.model_uri, probability_threshold=threshold), label_headers=headers)
    assert p.model_callable is not None
    return InProcessPredictor(CallableModel.from_spec(p.model_callable), label_headers=headers)
