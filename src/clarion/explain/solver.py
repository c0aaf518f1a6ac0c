"""Constrained weighted least squares of Kernel SHAP, batched over rows and outputs, with standard errors.

Exact plans (every coalition z_c with kernel weight w_c, values v_c, empty value v0, full value v1):

    minimise  sum_c w_c (v_c - v0 - z_c . phi)^2   subject to   sum_j phi_j = v1 - v0,

solved by eliminating phi_M = (v1 - v0) - sum_{j<M} phi_j (M - 1 unknowns, one factorisation for all
right-hand sides).

Sampled plans are made of units (S, complement of S). With D = v1 - v0, phi = D / M + beta, 1'beta = 0,
x_u = z_S - |S| / M and d_u = (v_S - v_{not S}) / 2 - (2|S| - M) D / (2M), the pair's two equations
reduce to one: beta = A^+ X'W d with A = X'W X (the even part of a pair carries no information on
beta). Standard errors (Covert & Lee 2021, with Horvitz-Thompson unit weights W_u): the estimate's
linearisation beta - beta* ~ A^+ sum_u W_u x_u e_u over the n sampled units (e_u = d_u - x_u . beta,
inflated by 1 / (1 - h_u), h_u = W_u x_u' A^+ x_u, for the fit's pull towards each unit) gives

    Var(beta_j) ~= n / (n - 1) sum_u (1 - pi_u) (C_ju W_u e_u - mean_u C_ju W_u e_u)^2,   C = A^+ X_sampled',

with pi_u the unit's inclusion probability (the finite-population correction of sampling without
replacement: a stratum sampled at 60% varies far less than one sampled at 1%).

With at most FEW_SAMPLED sampled units the variance is at least sum_u (1 - pi_u) (C_ju W_u e_u)^2 (the
spread around 0 rather than around the units' mean, which two or three units can match by chance).
A floor of 64 eps times the scale of the coalition values stands for rounding (a linear model's
sampled values are exact up to it). The reported standard error is sqrt(Var) * t_{0.975, n-1} / 1.96,
so that estimate +- 1.96 stderr is the 95% t interval with n - 1 degrees of freedom (few sampled
units give a wide, honest interval). Enumerated units contribute no randomness. A plan that cannot
estimate its error (a stratum left without units, players it does not separate, fewer than two sampled
units) has NaN standard errors. Plans of unpaired coalitions (fewer pairs than M - 1) are solved by the
general constrained least squares and have NaN standard errors.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from clarion.explain.coalitions import CoalitionPlan

PINV_RCOND = 1e-10  # eigenvalues below this share of the largest are the design's null space
FEW_SAMPLED = 8  # up to this many sampled units, the variance is not let below sum_u (C_ju r_u)^2
ROUNDING = 64 * np.finfo(float).eps  # relative rounding error of a solved value, as a standard error


_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)  # Student t 97.5% quantiles, 1..30 degrees of freedom
_Z975 = 1.959964


def t_ratio(dof: np.ndarray | int) -> np.ndarray:
    """t_{0.975, dof} / z_{0.975} (1 for dof <= 0): scales a standard error so that +-1.96 of it is a t interval.

    Beyond 30 degrees of freedom, the Cornish-Fisher expansion
    t = z + (z^3 + z) / (4 dof) + (5z^5 + 16z^3 + 3z) / (96 dof^2).
    """
    d = np.asarray(dof, dtype=float)
    z = _Z975
    table = np.asarray(_T975)
    big = z + (z**3 + z) / (4 * np.maximum(d, 1)) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * np.maximum(d, 1) ** 2)
    small = table[np.clip(d, 1, 30).astype(int) - 1]
    t = np.where(d <= 30, small, big)
    return np.where(d >= 1, t / z, 1.0)


@dataclass(frozen=True, eq=False)
class Solution:
    """values: (M, T) Shapley estimates for T right-hand sides; stderr: (M, T), 0 when exact, NaN when not
    estimable. dof: degrees of freedom of the stderr (sampled units - 1; 0 when exact or not estimable)."""

    values: np.ndarray
    stderr: np.ndarray
    dof: int


def solve_kernel_shap(plan: CoalitionPlan, v: np.ndarray, v0: np.ndarray, v1: np.ndarray) -> Solution:
    """Solve for all right-hand sides at once: v (S, T) coalition values, v0 and v1 (T,)."""
    m = plan.num_players
    t = v.shape[1]
    total = v1 - v0
    if m == 1:
        return Solution(values=total[None, :].astype(float), stderr=np.zeros((1, t)), dof=0)
    if plan.num_coalitions == 0:
        raise ValueError("a plan with no coalitions cannot be solved for more than one player")
    if plan.exact:
        return Solution(values=_solve_exact(plan, v, v0, total), stderr=np.zeros((m, t)), dof=0)
    if plan.units.shape[0] == 0:
        return Solution(values=_solve_general(plan, v, v0, total), stderr=np.full((m, t), np.nan), dof=0)
    return _solve_paired(plan, v, total)


def _solve_general(plan: CoalitionPlan, v: np.ndarray, v0: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Plans of unpaired coalitions: phi = D / M + beta, beta = A^+ X'W y with x_c = z_c - |S_c| / M (orthogonal
    to 1, so 1'beta = 0) and y_c = v_c - v0 - |S_c| D / M; directions no coalition identifies get 0 (players
    that no coalition separates share the rest of D equally)."""
    m = plan.num_players
    proj, share = _general_design(plan)
    y = v - v0[None, :] - share[:, None] * total[None, :]
    return proj @ y + total[None, :] / m


_GENERAL: weakref.WeakKeyDictionary[CoalitionPlan, tuple[np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def _general_design(plan: CoalitionPlan) -> tuple[np.ndarray, np.ndarray]:
    """(A^+ X'W (M, S), |S_c| / M (S,)) of an unpaired plan, computed once per plan."""
    found = _GENERAL.get(plan)
    if found is None:
        m = plan.num_players
        z = plan.masks.astype(float)
        share = z.sum(axis=1) / m
        x = z - share[:, None]
        xw = x * plan.weights[:, None]
        found = (np.linalg.pinv(xw.T @ x, rcond=PINV_RCOND, hermitian=True) @ xw.T, share)
        _GENERAL[plan] = found
    return found


@dataclass(frozen=True, eq=False)
class PooledGeneral:
    """The designs of V unpaired plans with the same players and coalition count, stacked."""

    proj: np.ndarray  # (V, M, S) A^+ X'W
    share: np.ndarray  # (V, S) |S_c| / M


def pool_general(plans: tuple[CoalitionPlan, ...]) -> PooledGeneral | None:
    """Stack unpaired plans' designs; None unless every plan is unpaired with the same shape."""
    if any(plan.exact or plan.units.shape[0] > 0 for plan in plans):
        return None
    if len({plan.masks.shape for plan in plans}) > 1:
        return None
    designs = [_general_design(plan) for plan in plans]
    return PooledGeneral(proj=np.stack([d[0] for d in designs]), share=np.stack([d[1] for d in designs]))


def solve_pooled_general(
    design: PooledGeneral, which: np.ndarray, v: np.ndarray, v0: np.ndarray, v1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_solve_general`` for G rows at once (row g with plan ``which[g]``): v (G, S, K), v0 and v1 (G, K).
    Returns values, NaN stderr (G, M, K) and zero dof (G,)."""
    m = design.proj.shape[1]
    total = v1 - v0
    y = v - v0[:, None, :] - design.share[which][:, :, None] * total[:, None, :]
    values = np.einsum("gms,gsk->gmk", design.proj[which], y) + total[:, None, :] / m
    return values, np.full(values.shape, np.nan), np.zeros(which.shape[0], dtype=np.int64)


def _solve_exact(plan: CoalitionPlan, v: np.ndarray, v0: np.ndarray, total: np.ndarray) -> np.ndarray:
    z = plan.masks.astype(float)
    x = z[:, :-1] - z[:, -1:]
    y = v - v0[None, :] - z[:, -1:] * total[None, :]
    xw = x * plan.weights[:, None]
    a = xw.T @ x
    rhs = xw.T @ y
    head = np.linalg.pinv(a, hermitian=True) @ rhs
    return np.concatenate([head, total[None, :] - head.sum(axis=0, keepdims=True)], axis=0)


@dataclass(frozen=True, eq=False)
class _PairedDesign:
    """What a sampled plan's solve needs besides the values: computed once per plan."""

    first: np.ndarray  # (U,) mask index of each unit's first coalition
    second: np.ndarray  # (U,) and of its complement
    shift: np.ndarray  # (U,) (2|S| - M) / (2M)
    proj: np.ndarray  # (M, U): beta = proj @ d
    x_sampled: np.ndarray  # (n, M)
    c: np.ndarray  # (M, n) = A^+ X_sampled'
    w_inflated: np.ndarray  # (n,) W_u / (1 - h_u)
    pick: np.ndarray  # (n,) sampled units
    fpc: np.ndarray  # (n,) finite-population factors 1 - pi_u


_DESIGNS: weakref.WeakKeyDictionary[CoalitionPlan, _PairedDesign] = weakref.WeakKeyDictionary()


def _paired_design(plan: CoalitionPlan) -> _PairedDesign:
    found = _DESIGNS.get(plan)
    if found is not None:
        return found
    m = plan.num_players
    first, second = plan.units[:, 0], plan.units[:, 1]
    z = plan.masks[first].astype(float)
    size = z.sum(axis=1)
    x = z - size[:, None] / m  # (U, M)
    w = plan.weights[first] + plan.weights[second]  # (U,)
    a_pinv = np.linalg.pinv((x * w[:, None]).T @ x, rcond=PINV_RCOND, hermitian=True)
    a_pinv -= a_pinv.mean(axis=0, keepdims=True)  # project onto 1'beta = 0 (A's null space holds 1)
    proj = a_pinv @ (x * w[:, None]).T
    pick = np.flatnonzero(plan.sampled)
    xs = x[pick]
    hat = w[pick] * np.einsum("uj,jk,uk->u", xs, a_pinv, xs)
    design = _PairedDesign(
        first=first,
        second=second,
        shift=(2.0 * size - m) / (2.0 * m),
        proj=proj,
        x_sampled=xs,
        c=a_pinv @ xs.T,
        w_inflated=w[pick] / np.maximum(1.0 - hat, 1e-3),
        pick=pick,
        fpc=np.ones(pick.size) if plan.inclusion is None else 1.0 - plan.inclusion[pick],
    )
    _DESIGNS[plan] = design
    return design


def _solve_paired(plan: CoalitionPlan, v: np.ndarray, total: np.ndarray) -> Solution:
    m = plan.num_players
    g = _paired_design(plan)
    d = 0.5 * (v[g.first] - v[g.second]) - g.shift[:, None] * total[None, :]  # (U, T)
    beta = g.proj @ d
    values = beta + total[None, :] / m
    n = plan.num_sampled
    if not plan.complete or n < 2:
        return Solution(values=values, stderr=np.full(values.shape, np.nan), dof=0)
    resid = (d[g.pick] - g.x_sampled @ beta) * g.w_inflated[:, None]  # (n, T)
    var = _paired_variance(g.c, resid, g.fpc[:, None], n)
    # floating-point floor: no estimate is closer than rounding of the coalition values allows
    scale = np.abs(v).max(axis=0) + np.abs(total)
    var += (ROUNDING * scale[None, :]) ** 2
    return Solution(values=values, stderr=np.sqrt(var) * float(t_ratio(n - 1)), dof=n - 1)


def _paired_variance(c: np.ndarray, resid: np.ndarray, f: np.ndarray, n: int) -> np.ndarray:
    """n / (n - 1) sum_u (1 - pi_u) (C_ju r_u - mean_u C_ju r_u)^2 over any leading axes: c (..., M, n),
    resid (..., n, K) weighted residuals, f (..., n, 1) factors 1 - pi_u. With at most FEW_SAMPLED units a
    few can agree by chance, so their spread around 0 bounds the centred one."""
    mean = (c @ resid) / n
    s1f = c @ (f * resid)
    s2f = (c * c) @ (f * resid * resid)
    var = np.maximum(s2f - 2.0 * mean * s1f + mean * mean * f.sum(axis=-2, keepdims=True), 0.0) * (n / (n - 1))
    return np.maximum(var, s2f) if n <= FEW_SAMPLED else var


@dataclass(frozen=True, eq=False)
class PooledDesign:
    """The paired designs of V sampled plans with the same players, units and sampled units, stacked so that
    rows using different plans are solved together: each array is a ``_PairedDesign`` field with a leading V."""

    first: np.ndarray  # (V, U)
    second: np.ndarray  # (V, U)
    shift: np.ndarray  # (V, U)
    proj: np.ndarray  # (V, M, U)
    pick: np.ndarray  # (V, n)
    x_sampled: np.ndarray  # (V, n, M)
    c: np.ndarray  # (V, M, n)
    w_inflated: np.ndarray  # (V, n)
    fpc: np.ndarray  # (V, n)
    estimable: np.ndarray  # (V,) the plan can estimate its error
    num_sampled: int


def pool_design(plans: tuple[CoalitionPlan, ...]) -> PooledDesign | None:
    """Stack the designs of sampled plans with equal shapes; None when they differ or some plan is exact."""
    if (
        any(plan.exact or plan.units.shape[0] == 0 for plan in plans)
        or len({(p.num_players, p.units.shape[0], p.num_sampled) for p in plans}) > 1
    ):
        return None
    designs = [_paired_design(plan) for plan in plans]
    return PooledDesign(
        first=np.stack([g.first for g in designs]),
        second=np.stack([g.second for g in designs]),
        shift=np.stack([g.shift for g in designs]),
        proj=np.stack([g.proj for g in designs]),
        pick=np.stack([g.pick for g in designs]),
        x_sampled=np.stack([g.x_sampled for g in designs]),
        c=np.stack([g.c for g in designs]),
        w_inflated=np.stack([g.w_inflated for g in designs]),
        fpc=np.stack([g.fpc for g in designs]),
        estimable=np.array([plan.complete and plan.num_sampled >= 2 for plan in plans]),
        num_sampled=plans[0].num_sampled,
    )


POOLED_BLOCK = 2**22  # design entries gathered at once by ``solve_pooled`` (rows x M x U)


def solve_pooled(
    design: PooledDesign, which: np.ndarray, v: np.ndarray, v0: np.ndarray, v1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``solve_kernel_shap`` for G rows at once, row g with plan ``which[g]`` of the pool: v (G, S, K) coalition
    values, v0 and v1 (G, K). Returns values and stderr (G, M, K) and dof (G,); same formulas, batched."""
    g_rows = which.shape[0]
    _, m, u = design.proj.shape
    step = max(1, POOLED_BLOCK // max(1, m * u))
    if g_rows > step:
        parts = [solve_pooled(design, which[lo : lo + step], v[lo : lo + step], v0[lo : lo + step], v1[lo : lo + step])
                 for lo in range(0, g_rows, step)]  # fmt: skip
        return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))  # type: ignore[return-value]
    total = v1 - v0  # (G, K)
    first = np.take_along_axis(v, design.first[which][:, :, None], axis=1)
    second = np.take_along_axis(v, design.second[which][:, :, None], axis=1)
    d = 0.5 * (first - second) - design.shift[which][:, :, None] * total[:, None, :]  # (G, U, K)
    beta = np.einsum("gmu,guk->gmk", design.proj[which], d)
    values = beta + total[:, None, :] / m
    n = design.num_sampled
    ok = design.estimable[which]
    if n < 2 or not ok.any():
        return values, np.full(values.shape, np.nan), np.zeros(g_rows, dtype=np.int64)
    d_s = np.take_along_axis(d, design.pick[which][:, :, None], axis=1)  # (G, n, K)
    resid = (d_s - np.einsum("gnm,gmk->gnk", design.x_sampled[which], beta)) * design.w_inflated[which][:, :, None]
    var = _paired_variance(design.c[which], resid, design.fpc[which][:, :, None], n)
    scale = np.abs(v).max(axis=1) + np.abs(total)  # (G, K)
    var += (ROUNDING * scale[:, None, :]) ** 2
    stderr = np.where(ok[:, None, None], np.sqrt(var) * float(t_ratio(n - 1)), np.nan)
    return values, stderr, np.where(ok, n - 1, 0).astype(np.int64)
