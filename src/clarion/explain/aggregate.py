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

Everything but the median's value is a sum over rows divided by N: ``GlobalSums`` holds those sums, and
sums of consecutive row ranges add up (``merge``), so rows can be summed where they were explained (Spark
executors). ``aggregate``/``aggregate_stderr`` are the same sums over all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from clarion.explain.solver import t_ratio

AggMethod = Literal["mean_abs", "median", "mean_sq"]
MIN_INDEPENDENT_DOF = 8


@dataclass(frozen=True)
class GlobalSums:
    """Sums over ``rows`` rows: ``values`` sum_i |phi_ij| (mean_abs) or phi_ij^2 (mean_sq), zeros for the
    median; ``independent`` sum_i (g_i se_ij)^2 over rows with independent errors; ``shared`` sum_i |g_i| se_ij
    over the other rows (see the module docstring); each (M, K)."""

    rows: int
    values: np.ndarray
    independent: np.ndarray
    shared: np.ndarray

    def merge(self, other: GlobalSums) -> GlobalSums:
        """The sums over both row ranges."""
        return GlobalSums(
            self.rows + other.rows,
            self.values + other.values,
            self.independent + other.independent,
            self.shared + other.shared,
        )

    def extend(self, terms: tuple[np.ndarray, np.ndarray, np.ndarray]) -> GlobalSums:
        """These sums continued over more rows (``row_terms``) in order: each cell's running sum takes the rows one
        by one, which is how numpy sums an (N, M, K) array over axis 0 when M x K > 1, so extending over every
        row in order gives ``global_sums`` bit for bit (one cell, M x K = 1, numpy sums pairwise instead)."""
        sums = [self.values, self.independent, self.shared]
        added = [np.add.reduce(np.concatenate([s[None], t]), axis=0) for s, t in zip(sums, terms, strict=True)]
        return GlobalSums(self.rows + len(terms[0]), *added)

    def mean_values(self) -> np.ndarray:
        """(M, K) global values of mean_abs / mean_sq: the sums divided by N (NaN without rows)."""
        if self.rows == 0:
            return np.full(self.values.shape, np.nan)
        return self.values / self.rows

    def stderr(self) -> np.ndarray:
        """(M, K) standard error of the global values."""
        if self.rows == 0:
            return np.full(self.values.shape, np.nan)
        return np.sqrt(self.independent) / self.rows + self.shared / self.rows


def row_terms(
    values: np.ndarray,
    stderr: np.ndarray,
    method: AggMethod = "mean_abs",
    independent: bool = False,
    dof: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, M, K) terms of each row whose sums over the rows are ``GlobalSums``' values, independent and shared
    (``dof``: (N,) of each row's stderr; a local stderr widened to a t interval (``solver.t_ratio``) is narrowed
    back first)."""
    if method not in ("mean_abs", "median", "mean_sq"):
        raise ValueError(f"unknown aggregation method {method!r}")
    if method == "mean_abs":
        totals = np.abs(values)
    elif method == "mean_sq":
        totals = values * values
    else:
        totals = np.zeros(values.shape)
    if dof is not None and values.shape[0]:
        stderr = stderr / t_ratio(dof)[:, None, None]
    scale = 2.0 * np.abs(values) * stderr if method == "mean_sq" else stderr
    if not independent:
        return totals, np.zeros(values.shape), scale
    n = values.shape[0]
    few = np.zeros(n, dtype=bool) if dof is None else (np.asarray(dof) > 0) & (np.asarray(dof) < MIN_INDEPENDENT_DOF)
    indep = np.where(few[:, None, None], 0.0, scale)
    return totals, indep * indep, np.where(few[:, None, None], scale, 0.0)


def global_sums(
    values: np.ndarray,
    stderr: np.ndarray,
    method: AggMethod = "mean_abs",
    independent: bool = False,
    dof: np.ndarray | None = None,
) -> GlobalSums:
    """The ``GlobalSums`` of (N, M, K) local values and standard errors (see ``row_terms``)."""
    totals, indep, shared = row_terms(values, stderr, method, independent, dof)
    return GlobalSums(values.shape[0], totals.sum(axis=0), indep.sum(axis=0), shared.sum(axis=0))


def aggregate(values: np.ndarray, method: AggMethod = "mean_abs") -> np.ndarray:
    """(N, M, K) local values -> (M, K) global values by ``method``."""
    if values.shape[0] == 0:
        return np.full(values.shape[1:], np.nan)
    if method == "median":
        return np.median(values, axis=0)
    if method in ("mean_abs", "mean_sq"):
        return global_sums(values, np.zeros_like(values), method).mean_values()
    raise ValueError(f"unknown aggregation method {method!r}")


def aggregate_stderr(
    values: np.ndarray,
    stderr: np.ndarray,
    method: AggMethod = "mean_abs",
    independent: bool = False,
    dof: np.ndarray | None = None,
) -> np.ndarray:
    """(M, K) standard error of the global values (see the module docstring and ``global_sums``)."""
    return global_sums(values, stderr, method, independent, dof).stderr()
