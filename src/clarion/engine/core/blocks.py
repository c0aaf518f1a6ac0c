"""Kernel SHAP values of a run of rows, in this process or in a worker process holding the model.

``shap_values`` is the one call both paths make: coalitions come from a fresh ``default_rng(seed)`` and each
row's dataset position, so a chunk explained whole and the same chunk explained as ``shap_blocks`` (the row
ranges of its model calls, see ``clarion.explain.kernel_shap.independent_blocks``) give the same numbers.
This module imports only the explain engine and the predictions type, so worker processes start light.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clarion.config.methods import ShapConfig
from clarion.explain.kernel_shap import ShapResult, explain_tabular, independent_blocks
from clarion.predictors.predictions import model_outputs

if TYPE_CHECKING:
    from clarion.predictors import Predictor

Predict = Callable[[pd.DataFrame], np.ndarray]


def model_predict(predictor: Predictor) -> Predict:
    """DataFrame -> (n, K) float model outputs, the function explanations call."""

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return model_outputs(predictor.predict(frame))[0]

    return predict


def shap_values(
    rows: pd.DataFrame,
    baseline: pd.DataFrame,
    predict: Predict,
    names: Sequence[str],
    shap_config: ShapConfig,
    seed: int,
    position: int,
    *,
    row_outputs: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> ShapResult:
    """Kernel SHAP values of ``rows`` (the feature columns of rows from dataset ``position`` on)."""
    return explain_tabular(
        rows.reset_index(drop=True),
        baseline,
        predict,
        names,
        shap_config,
        np.random.default_rng(seed),  # the same key for every chunk; rows differ by position
        progress,
        row_outputs=row_outputs,
        row_offset=position,
    )


def shap_blocks(rows: pd.DataFrame, num_background: int, shap_config: ShapConfig) -> list[tuple[int, int]]:
    """Row ranges of ``rows`` that ``shap_values`` explains one by one with the numbers of one call on all
    (``num_background``: baseline rows)."""
    return independent_blocks(rows, num_background, shap_config)


def baseline_size_hint(shap_config: ShapConfig) -> int:
    """Baseline rows as the config tells before any data is read: the rows given, ``num_clusters``, else 1."""
    if isinstance(shap_config.baseline, list):
        return len(shap_config.baseline)
    return shap_config.num_clusters or 1


def explain_block(
    predictor: Predictor,
    rows: pd.DataFrame,
    baseline: pd.DataFrame,
    names: Sequence[str],
    shap_config: ShapConfig,
    seed: int,
    position: int,
    row_outputs: np.ndarray | None,
) -> ShapResult:
    """``shap_values`` with ``predictor``'s model: the task of a worker process (see ``clarion.engine.pool``)."""
    return shap_values(
        rows, baseline, model_predict(predictor), names, shap_config, seed, position, row_outputs=row_outputs
    )
