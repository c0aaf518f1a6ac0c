"""Constrained weighted least squares of Kernel SHAP, batched over rows and outputs, with standard errors.

For coalition masks z_c (S, M), weights w_c, coalition values v_c, empty value v0 and full value v1:

    minimise  sum_c w_c (v_c - v0 - z_c . phi)^2   subject to   sum_j phi_j = v1 - v0.

Eliminating phi_M = (v1 - v0) - sum_{j<M} phi_j gives an unconstrained problem in M - 1 unknowns:

    x_c = z_c[:M-1] - z_c[M],   y_c = v_c - v0 - z_c[M] (v1 - v0),   A = X' W X,   phi = A^-1 X' W y.

X and W are shared by every row and output, so one factorisation serves all right-hand sides.

Standard errors (sampled plans only) use the delta method on the sampled draws (Covert & Lee 2021,
paired draws as independent units): with u_k = sum_{c in unit k} x_c (y_c - x_c . phi) and
c = sampled mass / number of sampled coalition draws,

    Var(phi_{1..M-1}) ~= c^2 n Cov_k(A^-1 u_k),   phi_M's influence is minus the sum of the others'.

Enumerated coalitions contribute no randomness; an exact plan has zero standard error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clarion.explain.coalitions import CoalitionPlan


@dataclass(frozen=True, eq=False)
class Solution:
    """values: (M, T) Shapley estimates for T right-hand sides; stderr: (M, T), NaN when not estimable."""

    values: np.ndarray
    stderr: np.ndarray


def solve_kernel_shap(plan: CoalitionPlan, v: np.ndarray, v0: np.ndarray, v1: np.ndarray) -> Solution:
    """Solve for all right-hand sides at once: v (S, T) coalition values, v0 and v1 (T,)."""
    m = plan.num_players
    t = v.shape[1]
    total = v1 - v0
    if m == 1:
        return Solution(values=total[None, :].astype(float), stderr=np.zeros((1, t)))
    if plan.num_coalitions == 0:
        raise ValueError("a plan with no coalitions cannot be solved for more than one player")
    z = plan.masks.astype(float)
    x = z[:, :-1] - z[:, -1:]
    y = v - v0[None, :] - z[:, -1:] * total[None, :]
    xw = x * plan.weights[:, None]
    a = xw.T @ x
    rhs = xw.T @ y
    a_inv = np.linalg.pinv(a, hermitian=True)
    head = a_inv @ rhs
    values = np.concatenate([head, total[None, :] - head.sum(axis=0, keepdims=True)], axis=0)
    stderr = _stderr(plan, x, y, head, a_inv) if not plan.exact else np.zeros((m, t))
    return Solution(values=values, stderr=stderr)


def _stderr(plan: CoalitionPlan, x: np.ndarray, y: np.ndarray, head: np.ndarray, a_inv: np.ndarray) -> np.ndarray:
    m = plan.num_players
    t = y.shape[1]
    units = plan.units
    n = units.shape[0]
    if n < 2:
        return np.full((m, t), np.nan)
    resid = y - x @ head  # (S, T)
    first, second = units[:, 0], units[:, 1]
    paired = second >= 0
    draws = 2 * n - int((~paired).sum())
    c = plan.sampled_mass / draws
    out = np.empty((m, t))
    block = max(1, 2**22 // max(1, n * m))  # bound the (n, M, block) influence array
    for lo in range(0, t, block):
        r = resid[:, lo : lo + block]
        u = x[first][:, :, None] * r[first][:, None, :]  # (n, M-1, block)
        if paired.any():
            s = second[paired]
            u[paired] += x[s][:, :, None] * r[s][:, None, :]
        infl = np.einsum("ij,njt->nit", a_inv, u)
        infl = np.concatenate([infl, -infl.sum(axis=1, keepdims=True)], axis=1)  # (n, M, block)
        out[:, lo : lo + block] = np.sqrt(c * c * n * infl.var(axis=0, ddof=1))
    return out
