"""What a model answers: predicted labels and/or scores per row, and how Clarify reads them.

Rules (Clarify's, see the SDK's ``ModelPredictedLabelConfig``):
- a predicted label, when the model gives one, is the predicted label;
- a vector of scores with ``label_headers`` gives the header with the highest score;
- a single score s gives 1 when s > probability_threshold, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clarion.errors import PredictorError


@dataclass(frozen=True)
class Predictions:
    """Model output for n rows: ``labels`` (n,), ``scores`` (n, k) float, ``label_headers`` (k names)."""

    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    label_headers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.labels is None and self.scores is None:
            raise PredictorError("the model answered neither a label nor a score")
        if self.scores is not None and self.scores.ndim != 2:
            raise PredictorError(f"scores must be a 2-d array (rows, outputs), got shape {self.scores.shape}")
        if self.labels is not None and self.scores is not None and len(self.labels) != len(self.scores):
            raise PredictorError(f"{len(self.labels)} labels but {len(self.scores)} score rows")

    def __len__(self) -> int:
        return len(self.labels) if self.labels is not None else len(self.scores)  # type: ignore[arg-type]


def concat_predictions(parts: list[Predictions]) -> Predictions:
    """Concatenate the answers of consecutive batches, in order."""
    if not parts:
        raise PredictorError("no predictions to concatenate")
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    labels = None
    scores = None
    if all(p.labels is not None for p in parts):
        labels = np.concatenate([p.labels for p in parts if p.labels is not None])
    if all(p.scores is not None for p in parts):
        widths = {p.scores.shape[1] for p in parts}  # type: ignore[union-attr]
        if len(widths) != 1:
            raise PredictorError(f"the model answered score vectors of different lengths {sorted(widths)}")
        scores = np.concatenate([p.scores for p in parts if p.scores is not None])
    return Predictions(labels=labels, scores=scores, label_headers=first.label_headers)


def _is_fractional(values: np.ndarray) -> bool:
    if values.dtype.kind != "f":
        return False
    finite = values[np.isfinite(values)]
    return bool(np.any(finite != np.round(finite)))


def predicted_labels(p: Predictions, probability_threshold: float = 0.5) -> np.ndarray:
    """Predicted label per row.

    label given -> it (a fractional float label is a probability: 1 if > threshold else 0);
    label_headers and k > 1 scores -> label_headers[argmax]; k > 1 scores without headers -> argmax index;
    a single score s -> 1 if s > probability_threshold else 0.
    """
    if p.labels is not None:
        if _is_fractional(p.labels):
            return (p.labels > probability_threshold).astype(int)
        return p.labels
    scores = p.scores
    assert scores is not None
    if scores.shape[1] == 1:
        return (scores[:, 0] > probability_threshold).astype(int)
    best = np.argmax(scores, axis=1)
    if p.label_headers is not None and len(p.label_headers) == scores.shape[1]:
        return np.asarray(p.label_headers, dtype=object)[best]
    return best


def output_names(p: Predictions, width: int) -> tuple[str, ...]:
    """label_headers when they fit, else label0, label1, ... (Clarify's names)."""
    if p.label_headers is not None and len(p.label_headers) == width:
        return tuple(str(h) for h in p.label_headers)
    return tuple(f"label{i}" for i in range(width))


def model_outputs(p: Predictions) -> tuple[np.ndarray, tuple[str, ...]]:
    """The numbers to explain: scores (n, k) when present, else the labels as numbers (n, 1)."""
    if p.scores is not None:
        values = np.asarray(p.scores, dtype=float)
    else:
        try:
            values = np.asarray(p.labels, dtype=float).reshape(-1, 1)
        except (TypeError, ValueError) as exc:
            raise PredictorError(
                "the model answers non-numeric labels and no scores; set predictor.probability to explain it"
            ) from exc
    return values, output_names(p, values.shape[1])
