import numpy as np
import pytest

from clarion.errors import PredictorError
from clarion.predictors import Predictions, concat_predictions, model_outputs, predicted_labels


def test_label_given_wins_over_scores():
    p = Predictions(
        labels=np.array(["cat", "dog"], dtype=object),
        scores=np.array([[0.9, 0.1], [0.8, 0.2]]),
        label_headers=("cat", "dog"),
    )
    assert list(predicted_labels(p, 0.5)) == ["cat", "dog"]


def test_score_vector_with_headers_gives_header_of_max():
    p = Predictions(scores=np.array([[0.35, 0.25, 0.4], [0.1, 0.7, 0.2]]), label_headers=("cat", "dog", "fish"))
    assert list(predicted_labels(p, 0.5)) == ["fish", "dog"]


def test_score_vector_without_headers_gives_index_of_max():
    p = Predictions(scores=np.array([[0.35, 0.25, 0.4], [0.1, 0.7, 0.2]]))
    assert list(predicted_labels(p, 0.5)) == [2, 1]


def test_single_score_is_strictly_above_threshold():
    p = Predictions(scores=np.array([[0.4], [0.41], [0.39], [1.0], [0.0]]))
    assert list(predicted_labels(p, 0.4)) == [0, 1, 0, 1, 0]


def test_fractional_label_is_a_probability():
    p = Predictions(labels=np.array([0.3, 0.7]))
    assert list(predicted_labels(p, 0.5)) == [0, 1]
    integral = Predictions(labels=np.array([0.0, 1.0, 2.0]))
    assert list(predicted_labels(integral, 0.5)) == [0.0, 1.0, 2.0]


def test_model_outputs_names():
    values, names = model_outputs(Predictions(scores=np.array([[0.1, 0.9]]), label_headers=("no", "yes")))
    assert names == ("no", "yes") and values.tolist() == [[0.1, 0.9]]
    values, names = model_outputs(Predictions(scores=np.array([[0.1, 0.9]])))
    assert names == ("label0", "label1")
    values, names = model_outputs(Predictions(labels=np.array([3, 5])))
    assert names == ("label0",) and values.tolist() == [[3.0], [5.0]]
    with pytest.raises(PredictorError, match="non-numeric labels"):
        model_outputs(Predictions(labels=np.array(["a"], dtype=object)))


def test_concat_keeps_order_and_refuses_ragged():
    a = Predictions(scores=np.array([[1.0], [2.0]]))
    b = Predictions(scores=np.array([[3.0]]))
    assert concat_predictions([a, b]).scores[:, 0].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(PredictorError, match="different lengths"):
        concat_predictions([a, Predictions(scores=np.array([[1.0, 2.0]]))])


def test_predictions_need_something():
    with pytest.raises(PredictorError):
        Predictions()
