"""In-process transport: call a loaded model directly on the caller's frame (in slices of bounded size)."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType

import pandas as pd

from clarion.predictors.models import Model
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
