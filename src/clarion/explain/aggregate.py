"""Global SHAP values: one number per feature and output from the local values of all rows.

    mean_abs: mean_i |phi_ij|      median: median_i phi_ij (signed, exact)      mean_sq: mean_i phi_ij^2

Standard error of a global value (clarion's addition) from the local standard errors se_ij: the
estimation errors of different rows share one coalition plan and may be correlated, so the bound
sd(mean_i e_i) <= mean_i sd(e_i) is used: mean_i se_ij for mean_abs and median (|.| and the median
move by at most the error), mean_i 2 |phi_ij| se_ij for mean_sq (first order).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

AggMethod = Literal["mean_abs", "median", "mean_sq"]


def aggregate(values: np.ndarray, method: AggMethod = "mean_abs") -> np.ndarray:
    """(N, M, K) local values -> (M, K) global values by ``method``."""
    if values.shape[0] == 0:
        return np.full(values.shape[1:], np.nan)
    if method == "mean_abs":
        return np.abs(values).mean(axis=0)
    if method == "median":
        return np.median(values, axis=0)
    if method == "mean_sq":
        return (values * values).mean(axis=0)
    raise ValueError(f"unknown aggregation method {method!r}")


def aggregate_stderr(values: np.ndarray, stderr: np.ndarray, method: AggMethod = "mean_abs") -> np.ndarray:
    """(M, K) bound on the standard error of the global values (see the module docstring)."""
    if values.shape[0] == 0:
        return np.full(values.shape[1:], np.nan)
    if method == "mean_sq":
        return (2.0 * np.abs(values) * stderr).mean(axis=0)
    if method in ("mean_abs", "median"):
        return stderr.mean(axis=0)
    raise ValueError(f"unknown aggregation method {method!r}")
