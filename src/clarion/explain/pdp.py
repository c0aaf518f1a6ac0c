"""Partial dependence (``methods.pdp``) and its ``explanations.pdp`` section of analysis.json.

For feature j and grid value g, the partial dependence of output k is

    PD_k(g) = mean_i f_k(x_i with x_ij := g)     over the rows given (the dataset or a sample of it).

Feature kinds (clarion's rule, documented deviation-free for the common cases): a numeric dtype
(not boolean) is ``numerical``; strings, booleans and pandas categoricals are ``categorical``; any
other dtype (dates, ...) gets Clarify's error entry. (smclarify's bias code also treats integer
columns with few distinct values as categorical; Clarify's PDP docs only say numerical columns are
bucketed, so clarion buckets every numeric column.)

- numerical: ``grid_resolution`` equal-width buckets over [min, max]; ``feature_values`` are bucket
  centres min + (i + 1/2) (max - min) / G, ``data_distribution`` the share of rows per bucket (the
  last bucket includes max; a constant column has one bucket).
- categorical: every distinct value (sorted by its text), ``data_distribution`` its share of rows.

Entry shape (CLARIFY_OUTPUTS.md 1c): ``feature_name``, ``data_type``, ``feature_values``,
``data_distribution``, ``model_predictions`` (one list per output, parallel to ``label_headers``),
``label_headers``; or ``feature_name``, ``data_type``, ``error``.
One model call per feature (all grid values x rows), split only above ``max_batch_rows``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_object_dtype, is_string_dtype

from clarion.errors import PredictorError

Predict = Callable[[pd.DataFrame], np.ndarray]
UNSUPPORTED = (
    "Detected data type is not supported for PDP. PDP can only be computed for numerical or categorical columns"
)
DEFAULT_MAX_BATCH_ROWS = 2**18


def feature_kind(series: pd.Series) -> str:
    """``numerical``, ``categorical`` or ``unsupported`` (see the module docstring)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or is_bool_dtype(dtype):
        return "categorical"
    if is_numeric_dtype(dtype):
        return "numerical"
    if is_string_dtype(dtype) or is_object_dtype(dtype):
        return "categorical"
    return "unsupported"


def top_features(global_shap: Mapping[str, float | None], k: int) -> list[str]:
    """The ``k`` features of largest |global SHAP value| (first output), ties in their given order."""
    return sorted(global_shap, key=lambda f: -abs(v) if (v := global_shap[f]) is not None else 0.0)[:k]


def grid(series: pd.Series, grid_resolution: int) -> tuple[str, list[Any], list[float]]:
    """(data_type, feature_values, data_distribution) of one feature."""
    kind = feature_kind(series)
    n = len(series)
    if kind == "numerical":
        x = series.to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        if x.size == 0:
            return kind, [], []
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            return kind, [lo], [x.size / n]
        counts, _ = np.histogram(x, bins=grid_resolution, range=(lo, hi))
        width = (hi - lo) / grid_resolution
        centres = lo + (np.arange(grid_resolution) + 0.5) * width
        return kind, centres.tolist(), (counts / n).tolist()
    if kind == "categorical":
        tally = series.dropna().value_counts(sort=False)
        values = sorted(tally.index, key=str)
        return kind, [_plain(v) for v in values], [float(tally[v]) / n for v in values]
    return kind, [], []


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def partial_dependence(
    rows: pd.DataFrame,
    feature: str,
    values: Sequence[Any],
    predict: Predict,
    num_outputs: int,
    *,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
) -> np.ndarray:
    """(K, G) mean model output over ``rows`` with ``feature`` set to each of the G ``values``."""
    n, g = len(rows), len(values)
    out = np.empty((num_outputs, g))
    if g == 0 or n == 0:
        out[:] = np.nan
        return out
    per_call = max(1, max_batch_rows // n)
    column = list(rows.columns).index(feature)
    base = rows.reset_index(drop=True)
    for lo in range(0, g, per_call):
        part = list(values[lo : lo + per_call])
        frame = base.iloc[np.tile(np.arange(n), len(part))].reset_index(drop=True)
        replaced = np.repeat(np.asarray(part, dtype=object if not _all_numbers(part) else float), n)
        frame.isetitem(column, _like(replaced, rows[feature]))
        pred = np.asarray(predict(frame), dtype=float)
        if pred.ndim == 1:
            pred = pred[:, None]
        if pred.shape != (n * len(part), num_outputs):
            raise PredictorError(
                f"model returned outputs of shape {tuple(pred.shape)} for {n * len(part)} rows, "
                f"expected ({n * len(part)}, {num_outputs})"
            )
        out[:, lo : lo + len(part)] = pred.reshape(len(part), n, num_outputs).mean(axis=1).T
    return out


def _all_numbers(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values)


def _like(values: np.ndarray, original: pd.Series) -> Any:
    """Keep the column's dtype where the values fit it (strings stay strings, categories stay categories)."""
    if values.dtype == object:
        try:
            dtype: Any = original.dtype
            return pd.array(values, dtype=dtype)
        except (TypeError, ValueError):
            return values
    return values


def pdp_section(
    rows: pd.DataFrame,
    predict: Predict,
    output_names: Sequence[str],
    features: Sequence[str],
    grid_resolution: int,
    *,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
) -> list[dict[str, Any]]:
    """``explanations.pdp``: one entry per feature of ``features`` (columns of ``rows``; see the module docstring)."""
    entries: list[dict[str, Any]] = []
    for feature in features:
        kind, values, distribution = grid(rows[feature], grid_resolution)
        if kind == "unsupported":
            entries.append({"feature_name": feature, "data_type": str(rows[feature].dtype), "error": UNSUPPORTED})
            continue
        curves = partial_dependence(rows, feature, values, predict, len(output_names), max_batch_rows=max_batch_rows)
        entries.append(
            {
                "feature_name": feature,
                "data_type": kind,
                "feature_values": values,
                "data_distribution": distribution,
                "model_predictions": curves.tolist(),
                "label_headers": list(output_names),
            }
        )
    return entries
