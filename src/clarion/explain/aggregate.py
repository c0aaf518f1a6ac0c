"""Global SHAP values: one number per feature and output from the local values of all rows.

    mean_abs: mean_i |phi_ij|      median: median_i phi_ij (signed, exact)      mean_sq: mean_i phi_ij^2

Standard error of a global value (clarion's addition) from the local standard errors se_ij:

- rows with independent designs (clarion's per-row plans): the errors of different rows are
  independent, so to first order se(G_j) = sqrt(sum_i (dG/dphi_ij)^2 se_ij^2), with dG/dphi_ij =
  sign(phi_ij) / N for mean_abs, 1 / N for the median (as for a mean; an approximation) and
  2 phi_ij / N for mean_sq;
- rows sharing one plan (errors may be perfectly correlated): the bound sd(mean_i e_i) <= mean_i sd(e_i),
  i.e. mean_i se_ij for mean_abs and median, mean_i 2 |phi_ij| se_ij for mean_sq;
- rows whose standard error rests on fewer than MIN_INDEPENDENT_DOF + 1 sampled pairs: the regression
  estimate's bias (of order 1 / pairs) is shared by rows with the same plan sizes and does not
  average out, so these rows enter with the correlated bound and the others with the independent
  formula: se = sqrt(sum_indep (g_i se_i)^2) / N + sum_few |g_i| se_i / N, g_i = N dG/dphi_i.

A NaN local standard error makes the global one NaN; exact rows contribute 0. Local standard errors
widened to t intervals (few sampled coalitions) are narrowed back first: the rows' variance estimates
are unbiased, and their sum has many degrees of freedom.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from clarion.explain.solver import t_ratio

AggMethod = Literal["mean_abs", "median", "mean_sq"]
MIN_INDEPENDENT_DOF = 8


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


def aggregate_stderr(
    values: np.ndarray,
    stderr: np.ndarray,
    method: AggMethod = "mean_abs",
    independent: bool = False,
    dof: np.ndarray | None = None,
) -> np.ndarray:
    """(M, K) standard error of the global values (see the module docstring).

    dof: (N,) degrees of freedom of each row's stderr; a local stderr widened to a t interval
    (``solver.t_ratio``) is narrowed back to the plain standard error before the rows are combined.
    """
    if values.shape[0] == 0:
        return np.full(values.shape[1:], np.nan)
    if method not in ("mean_abs", "median", "mean_sq"):
        raise ValueError(f"unknown aggregation method {method!r}")
    if dof is not None:
        stderr = stderr / t_ratio(dof)[:, None, None]
    scale = 2.0 * np.abs(values) * stderr if method == "mean_sq" else stderr
    if not independent:
        return scale.mean(axis=0)
    n = values.shape[0]
    few = np.zeros(n, dtype=bool) if dof is None else (np.asarray(dof) > 0) & (np.asarray(dof) < MIN_INDEPENDENT_DOF)
    indep = np.where(few[:, None, None], 0.0, scale)
    shared = np.where(few[:, None, None], scale, 0.0)
    return np.sqrt((indep * indep).sum(axis=0)) / n + shared.sum(axis=0) / n
