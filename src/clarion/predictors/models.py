"""In-process models: load a model file or a callable and answer Predictions for a feature frame.

- scikit-learn estimators and Pipelines (joblib or pickle): classifiers answer probabilities. A binary
  classifier gives one score, P(second class); its labels are left to the probability threshold when the
  classes are 0/1, else they are the class names chosen by ``score > threshold``. A multiclass classifier gives
  all probabilities, the class with the highest one as label, and the class names as label_headers.
  Regressors give one score.
- XGBoost (``.json``, ``.ubj``, ``.xgb``, ``.bst``) and LightGBM (``.txt``, ``.lgb``) model files: by objective,
  binary -> one probability, multiclass -> all probabilities and the argmax class, others -> one score.
- ``package.module:function`` taking a DataFrame: see :func:`as_predictions`.

Frames keep their column names. When the model knows its feature names and the frame's differ, the
columns are matched by name when the sets agree, else by position when the counts agree (as an endpoint
receiving CSV would); otherwise PredictorError.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from clarion.errors import ConfigError, PredictorError
from clarion.predictors.predictions import Predictions

XGBOOST_SUFFIXES = (".json", ".ubj", ".xgb", ".bst")
LIGHTGBM_SUFFIXES = (".txt", ".lgb")


class Model(Protocol):
    @property
    def feature_names(self) -> tuple[str, ...] | None: ...

    def predict(self, frame: pd.DataFrame) -> Predictions: ...


def align_columns(frame: pd.DataFrame, expected: Sequence[str] | None) -> pd.DataFrame:
    """The frame with the model's column names (by name when the sets agree, else by position)."""
    if expected is None:
        return frame
    columns = [str(c) for c in frame.columns]
    expected = list(expected)
    if columns == expected:
        return frame
    if set(columns) == set(expected) and len(columns) == len(expected):
        return frame[expected]
    if len(columns) == len(expected):
        renamed = frame.copy(deep=False)
        renamed.columns = expected
        return renamed
    raise PredictorError(f"the model expects {len(expected)} features {expected[:5]}..., got {len(columns)} columns")


def _binary_from_scores(p1: np.ndarray, classes: np.ndarray, threshold: float) -> Predictions:
    scores = np.asarray(p1, dtype=float).reshape(-1, 1)
    if _zero_one(classes):
        return Predictions(labels=None, scores=scores)
    labels = np.where(scores[:, 0] > threshold, classes[1], classes[0])
    return Predictions(labels=labels, scores=scores)


def _zero_one(classes: np.ndarray) -> bool:
    try:
        return [float(c) for c in classes] == [0.0, 1.0]
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class SklearnModel:
    """A fitted scikit-learn estimator or Pipeline (or anything with predict / predict_proba)."""

    estimator: Any
    probability_threshold: float = 0.5
    feature_names: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        names = getattr(self.estimator, "feature_names_in_", None)
        if names is not None and self.feature_names is None:
            object.__setattr__(self, "feature_names", tuple(str(n) for n in names))

    def predict(self, frame: pd.DataFrame) -> Predictions:
        data: Any = align_columns(frame, self.feature_names) if self.feature_names else frame.to_numpy()
        est = self.estimator
        classes = getattr(est, "classes_", None)
        try:
            if classes is not None and hasattr(est, "predict_proba"):
                proba = np.asarray(est.predict_proba(data), dtype=float)
                classes = np.asarray(classes)
                if proba.shape[1] == 2:
                    return _binary_from_scores(proba[:, 1], classes, self.probability_threshold)
                labels = classes[np.argmax(proba, axis=1)]
                return Predictions(labels=labels, scores=proba, label_headers=tuple(str(c) for c in classes))
            out = np.asarray(est.predict(data))
        except PredictorError:
            raise
        except Exception as exc:  # a foreign model's failure, translated at the edge
            raise PredictorError(f"the model failed to predict: {type(exc).__name__}: {str(exc)[:200]}") from exc
        if classes is not None:
            return Predictions(labels=out)
        return _from_array(out)


@dataclass(frozen=True)
class XGBoostModel:
    """An ``xgboost.Booster`` read from a model file."""

    booster: Any
    objective: str
    feature_names: tuple[str, ...] | None = None

    @classmethod
    def load(cls, path: str) -> XGBoostModel:
        import json

        import xgboost

        booster = xgboost.Booster()
        booster.load_model(path)
        objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
        names = tuple(booster.feature_names) if booster.feature_names else None
        return cls(booster=booster, objective=objective, feature_names=names)

    def predict(self, frame: pd.DataFrame) -> Predictions:
        import xgboost

        data = align_columns(frame, self.feature_names) if self.feature_names else frame.to_numpy()
        try:
            matrix = xgboost.DMatrix(data)
            out = np.asarray(self.booster.predict(matrix), dtype=float)
        except Exception as exc:
            raise PredictorError(f"the XGBoost model failed to predict: {str(exc).splitlines()[0][:200]}") from exc
        if self.objective == "multi:softprob":
            return Predictions(labels=np.argmax(out, axis=1), scores=out)
        if self.objective == "multi:softmax":
            return Predictions(labels=out.astype(np.int64))
        return Predictions(scores=out.reshape(-1, 1))


@dataclass(frozen=True)
class LightGBMModel:
    """A ``lightgbm.Booster`` read from a text model file."""

    booster: Any
    objective: str
    feature_names: tuple[str, ...] | None = None

    @classmethod
    def load(cls, path: str) -> LightGBMModel:
        import lightgbm

        booster = lightgbm.Booster(model_file=path)
        objective = ""
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("objective="):
                    objective = line.split("=", 1)[1].split()[0].strip()
                    break
                if line.startswith("Tree="):
                    break
        return cls(booster=booster, objective=objective, feature_names=tuple(booster.feature_name()))

    def predict(self, frame: pd.DataFrame) -> Predictions:
        data = align_columns(frame, self.feature_names)
        try:
            out = np.asarray(self.booster.predict(data), dtype=float)
        except Exception as exc:
            raise PredictorError(f"the LightGBM model failed to predict: {str(exc)[:200]}") from exc
        if out.ndim == 2 and self.objective.startswith("multiclass"):
            return Predictions(labels=np.argmax(out, axis=1), scores=out)
        return Predictions(scores=out.reshape(len(frame), -1))


def _from_array(out: np.ndarray) -> Predictions:
    if out.ndim == 2:
        return Predictions(scores=out.astype(float))
    if out.dtype.kind == "f":
        return Predictions(scores=out.reshape(-1, 1))
    return Predictions(labels=out)


def as_predictions(result: Any, n_rows: int) -> Predictions:
    """A callable's answer as Predictions.

    Predictions -> as is; DataFrame -> scores with its columns as label_headers; 2-d array -> scores (n, k);
    1-d float array -> one score per row; 1-d int/str array -> labels.
    """
    if isinstance(result, Predictions):
        predictions = result
    elif isinstance(result, pd.DataFrame):
        predictions = Predictions(
            scores=result.to_numpy(dtype=float), label_headers=tuple(str(c) for c in result.columns)
        )
    else:
        predictions = _from_array(np.asarray(result))
    if len(predictions) != n_rows:
        raise PredictorError(f"the model answered {len(predictions)} results for {n_rows} rows")
    return predictions


def import_callable(spec: str) -> Callable[..., Any]:
    """The function ``predictor.model_callable`` names (``package.module:function``); ConfigErrors name the key."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"predictor.model_callable: expected 'package.module:function', got {spec!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"predictor.model_callable: cannot import module {module_name!r}: {exc}") from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"predictor.model_callable: module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ConfigError(f"predictor.model_callable: {spec!r} is not callable")
    return target


@dataclass(frozen=True)
class CallableModel:
    """A Python function ``f(DataFrame) -> predictions`` (see :func:`as_predictions`)."""

    function: Callable[[pd.DataFrame], Any]
    feature_names: tuple[str, ...] | None = None

    @classmethod
    def from_spec(cls, spec: str) -> CallableModel:
        """``package.module:function`` -> the function."""
        return cls(function=import_callable(spec))

    def predict(self, frame: pd.DataFrame) -> Predictions:
        try:
            result = self.function(frame)
        except Exception as exc:
            raise PredictorError(f"the model callable failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
        return as_predictions(result, len(frame))


def _local_copy(uri: str) -> tuple[str, tempfile.TemporaryDirectory[str] | None]:
    if "://" not in uri or uri.startswith("file://"):
        path = uri.removeprefix("file://")
        if not os.path.exists(path):
            raise ConfigError(f"predictor.model_uri: file not found: {path}")
        return path, None
    import fsspec

    scratch = tempfile.TemporaryDirectory(prefix="clarion-model-")
    local = os.path.join(scratch.name, Path(uri).name)
    try:
        with fsspec.open(uri, "rb") as src, open(local, "wb") as dst:
            dst.write(src.read())
    except Exception as exc:
        scratch.cleanup()
        raise ConfigError(f"predictor.model_uri: cannot read {uri}: {exc}") from exc
    return local, scratch


def load_model(uri: str, *, probability_threshold: float = 0.5) -> Model:
    """The model stored at ``uri`` (local path or fsspec URI), chosen by file suffix."""
    path, scratch = _local_copy(uri)
    try:
        suffix = Path(path).suffix.lower()
        try:
            if suffix in XGBOOST_SUFFIXES:
                return XGBoostModel.load(path)
            if suffix in LIGHTGBM_SUFFIXES:
                return LightGBMModel.load(path)
            import joblib

            estimator = joblib.load(path)
        except (ImportError, ConfigError):
            raise
        except Exception as exc:  # unpickling, xgboost and lightgbm raise many error types
            raise ConfigError(f"predictor.model_uri: cannot load model {uri}: {type(exc).__name__}: {exc}") from exc
        if not hasattr(estimator, "predict") and not hasattr(estimator, "predict_proba"):
            raise ConfigError(f"predictor.model_uri: {uri} holds a {type(estimator).__name__}, not a model")
        return SklearnModel(estimator=estimator, probability_threshold=probability_threshold)
    finally:
        if scratch is not None:
            scratch.cleanup()
