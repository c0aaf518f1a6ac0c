"""Helpers for the hostile-input tests: run clarion, read metrics, and smclarify's rules redone with pandas.

The expected values are computed from a whole-file ``pandas.read_csv`` (or the frame itself) with the
column-type rule of the Clarify reference written out here, independently of clarion's code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from clarion.engine import run_analysis

UNIQUENESS = 0.05


def run(config: dict[str, Any], data: Any, out: Any, **kwargs: Any) -> dict[str, Any]:
    return run_analysis(config, data_uri=str(data), output_dir=str(out), quiet=True, **kwargs)


def metrics(analysis: dict[str, Any], facet: str, entry: int = 0, section: str = "pre") -> dict[str, Any]:
    """{code: value} or {code: ("error", message)} of one facet entry."""
    part = analysis[f"{section}_training_bias_metrics"]["facets"][facet][entry]["metrics"]
    return {m["name"]: m["value"] if m["value"] is not None else ("error", m.get("error")) for m in part}


def is_continuous(series: pd.Series, values: list[Any]) -> bool:
    """Clarify's rule: >1 value -> categorical; float -> continuous; int (or int-like text without nulls)
    -> continuous when distinct/non-null >= 0.05; else categorical."""
    if len(values) > 1 or isinstance(series.dtype, pd.CategoricalDtype):
        return False
    non_null = series.dropna()
    uniqueness = non_null.nunique() / len(non_null) if len(non_null) else 0.0
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_float_dtype(series.dtype):
        return True
    if pd.api.types.is_integer_dtype(series.dtype):
        return uniqueness >= UNIQUENESS
    if series.isna().any():
        return False
    try:
        series.astype(object).astype("int64")
    except (TypeError, ValueError, OverflowError):
        return False
    return uniqueness >= UNIQUENESS


def in_group(series: pd.Series, values: list[Any]) -> pd.Series | None:
    """Facet d / positive label mask: above the threshold (continuous), or equal to one of the values, the
    values cast to the type of the first row's value when none matches as given. None: no numeric threshold."""
    if is_continuous(series, values):
        try:
            threshold = float(values[0])
        except ValueError:
            return None  # no threshold: undefined
        return pd.to_numeric(series, errors="coerce") > threshold
    mask = series.isin(values)
    if mask.any():
        return mask
    first = series.iloc[0]
    target = float if pd.isna(first) else type(first.item() if hasattr(first, "item") else first)
    try:
        cast = [target(v) for v in values]
    except ValueError:
        try:
            cast = [float(v) for v in values]
        except ValueError:
            return pd.Series(False, index=series.index)
    return series.isin(cast)


def expected_pre(frame: pd.DataFrame, label: str, label_values: list[Any], facet: str, facet_values: list[Any]):
    """(CI, DPL, KL) with None where the metric is undefined (empty facet side, or no positive label)."""
    d_mask, positive_mask = in_group(frame[facet], facet_values), in_group(frame[label], label_values)
    if d_mask is None or positive_mask is None:
        return None, None, None
    d, positive = d_mask.to_numpy(dtype=bool), positive_mask.to_numpy(dtype=bool)
    n_d, n_a = int(d.sum()), int((~d).sum())
    if n_d == 0 or n_a == 0:
        return None, None, None
    ci = (n_a - n_d) / (n_a + n_d)
    if not positive.any():
        return ci, None, None
    q_a, q_d = positive[~d].mean(), positive[d].mean()
    p_a, p_d = np.array([1 - q_a, q_a]), np.array([1 - q_d, q_d])
    both = (p_a > 0) & (p_d > 0)
    kl = float(np.sum(p_a[both] * np.log(p_a[both] / p_d[both]))) if both.any() else None
    return ci, q_a - q_d, kl


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
