"""Kernel SHAP: coalition values from one model call per chunk of rows, then one batched solve.

For row x, background rows b_1..b_B and a coalition S of players, the coalition value is

    v_x(S) = g( mean_b f(x_S, b_{not S}) ),   g = identity, or logit when use_logit,

the efficiency constraint is sum_j phi_j = v_x(all) - v_x(empty), and expected_value = g(mean_b f(b)).
(As in shap's KernelExplainer with ``link="logit"``: the logit is applied to the averaged output.)

Coalitions per row (``RowDesign``): when 2^M - 2 fits the budget, every row gets the exact plan.
Otherwise a player whose value equals every background row's is a null player (phi = 0, exactly)
and is left out, and each row gets one of PLAN_POOL seeded plans for its m varying players (see
coalitions.py), with the players in an order drawn from (seed, the row's dataset position, feature):
every row has its own random design, so features are told apart across rows and the rows' errors are
independent (global values average them out, including the part a plan's choice of subset sizes
would share), while one factorisation still serves all rows with the same plan.
The numbers depend only on the seed and each row's position, never on the chunking.

Cost: each distinct synthetic input is predicted once. The empty coalition is predicted once per
background row for all rows (when every feature is a player), the full coalition once per row, and
coalitions that only differ in players whose row value equals the background value are merged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from clarion.config.methods import ShapConfig
from clarion.errors import ConfigError, PredictorError
from clarion.explain.coalitions import (
    CoalitionPlan,
    effective_num_samples,
    enumerate_coalitions,
    max_coalitions,
    seeded_plan,
)
from clarion.explain.composer import Composer, TabularComposer
from clarion.explain.solver import (
    PooledDesign,
    PooledGeneral,
    pool_design,
    pool_general,
    solve_kernel_shap,
    solve_pooled,
    solve_pooled_general,
)

Predict = Callable[[Any], np.ndarray]
Progress = Callable[[int], None]

DEFAULT_MAX_BATCH_ROWS = 2**18
LOGIT_EPS = 1e-9
MAX_TARGET_ROUNDS = 24
PLAN_POOL = 32  # seeded plans per player count and budget; each row uses one, with its own player order


@dataclass(frozen=True)
class RowDesign:
    """Per-row coalition plans: ``num_samples`` coalitions per row (Clarify's budget), drawn from ``key``.

    target_stderr: when set, a row whose largest standard error exceeds it (or cannot be estimated)
    is explained again with twice the coalitions, until it meets the target or is exact.
    """

    num_samples: int
    key: int
    target_stderr: float | None = None
    proposal: str = "leverage"


@dataclass(frozen=True, eq=False)
class ShapResult:
    """Local Kernel SHAP values of N rows, M explained features and K model outputs.

    values, stderr: (N, M, K); stderr is 0 for exact values (and null players), NaN when the design
        cannot estimate it.
    dof: (N,) degrees of freedom of each row's stderr (sampled coalition pairs - 1; 0 when exact or NaN).
    base_values: (N, K) v_x(empty); equals expected_value for every row unless features_to_explain
        leaves some features fixed at the row's values.
    expected_value: (K,) g(mean model output over the baseline rows).
    num_samples: the configured coalition budget per row (2^M - 2 when exact).
    samples_used: (N,) coalitions evaluated for each row (all rounds of ``target_stderr``).
    exact: every row's values are exact. model_rows: synthetic inputs sent to the model (after
    de-duplication, baseline rows included). independent_rows: each row had its own random design
    (the rows' errors are independent), False when one plan served every row.
    """

    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray
    base_values: np.ndarray
    expected_value: np.ndarray
    num_samples: int
    exact: bool
    model_rows: int
    dof: np.ndarray | None = None
    samples_used: np.ndarray | None = None
    independent_rows: bool = False

    @property
    def num_rows(self) -> int:
        return int(self.values.shape[0])


def concat_results(results: Sequence[ShapResult]) -> ShapResult:
    """Stack the results of consecutive row chunks (same features, outputs and design)."""
    first = results[0]
    return ShapResult(
        feature_names=first.feature_names,
        output_names=first.output_names,
        values=np.concatenate([r.values for r in results]),
        stderr=np.concatenate([r.stderr for r in results]),
        base_values=np.concatenate([r.base_values for r in results]),
        expected_value=first.expected_value,
        num_samples=first.num_samples,
        exact=all(r.exact for r in results),
        model_rows=sum(r.model_rows for r in results),
        dof=np.concatenate([_dof(r) for r in results]),
        samples_used=np.concatenate([_used(r) for r in results]),
        independent_rows=all(r.independent_rows for r in results),
    )


def _dof(result: ShapResult) -> np.ndarray:
    return result.dof if result.dof is not None else np.zeros(result.num_rows, dtype=np.int64)


def _used(result: ShapResult) -> np.ndarray:
    if result.samples_used is not None:
        return result.samples_used
    return np.full(result.num_rows, result.num_samples, dtype=np.int64)


def explain_tabular(
    rows: pd.DataFrame,
    baseline: pd.DataFrame,
    predict: Predict,
    output_names: Sequence[str],
    shap_config: ShapConfig,
    rng: np.random.Generator,
    progress: Progress | None = None,
    *,
    row_outputs: np.ndarray | None = None,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    row_offset: int = 0,
) -> ShapResult:
    """Kernel SHAP values of every row of ``rows`` (feature columns only, in feature order).

    baseline: background rows with the same columns (or the same number of columns, renamed).
    predict: DataFrame -> (n, K) float array. output_names: K names (label headers or label0...).
    shap_config: num_samples, use_logit, features_to_explain and target_stderr are used here.
    rng: its first draw keys every row's coalition plan; pass a generator freshly made from the seed
        for every chunk, with ``row_offset`` = the dataset position of the chunk's first row, to get
        the same numbers whatever the chunking.
    progress: called with the number of rows just finished.
    row_outputs: optional (N, K) model outputs of ``rows`` already computed (saves those predictions).
    max_batch_rows: synthetic rows per model call (at least one explained row per call).
    """
    baseline = _align_baseline(rows, baseline)
    players = resolve_features(list(rows.columns), shap_config.features_to_explain)
    composer = TabularComposer(rows, baseline, players)
    design = RowDesign(
        num_samples=effective_num_samples(len(players), shap_config.num_samples),
        key=int(rng.integers(0, 2**63 - 1)),
        target_stderr=shap_config.target_stderr,
    )
    return explain(
        composer,
        predict,
        design,
        feature_names=[str(rows.columns[j]) for j in players],
        output_names=output_names,
        use_logit=shap_config.use_logit,
        progress=progress,
        row_outputs=row_outputs,
        max_batch_rows=max_batch_rows,
        row_offset=row_offset,
    )


def rows_per_call(num_samples: int, num_background: int, max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS) -> int:
    """Explained rows per model call when every row has ``num_samples`` coalitions: each row needs
    (num_samples + 1) * num_background synthetic inputs, and a call takes at most ``max_batch_rows`` of them
    (at least one row)."""
    return max(1, max_batch_rows // max(1, (num_samples + 1) * num_background))


def independent_blocks(
    rows: pd.DataFrame,
    num_background: int,
    shap_config: ShapConfig,
    *,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
) -> list[tuple[int, int]]:
    """Row ranges ``[lo, hi)`` of ``rows`` that ``explain_tabular`` can explain one by one (``row_offset`` moved
    by ``lo``, ``row_outputs`` sliced) with exactly the numbers of one call on all of them.

    They are the row groups of that call's model calls (``rows_per_call``): each range is composed, predicted
    and solved as the one call would. With ``target_stderr`` the later rounds regroup the rows still pending
    across the whole call, so the only range is all of ``rows``.
    """
    n = len(rows)
    if shap_config.target_stderr is not None or n == 0:
        return [(0, n)]
    players = resolve_features(list(rows.columns), shap_config.features_to_explain)
    step = rows_per_call(effective_num_samples(len(players), shap_config.num_samples), num_background, max_batch_rows)
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def resolve_features(columns: list[str], selection: Sequence[str | int] | None) -> list[int]:
    """Positions of ``features_to_explain`` (names or 0-based indices) among the feature columns."""
    if selection is None:
        return list(range(len(columns)))
    positions: list[int] = []
    for item in selection:
        if isinstance(item, int):
            if not 0 <= item < len(columns):
                raise ConfigError(
                    f"methods.shap.features_to_explain: index {item} is out of range for {len(columns)} features"
                )
            pos = item
        else:
            if item not in columns:
                raise ConfigError(f"methods.shap.features_to_explain: unknown feature {item!r}")
            pos = columns.index(item)
        if pos not in positions:
            positions.append(pos)
    return sorted(positions)


def _align_baseline(rows: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    if list(baseline.columns) == list(rows.columns):
        return baseline.reset_index(drop=True)
    if baseline.shape[1] != rows.shape[1]:
        raise ConfigError(f"methods.shap.baseline: expected {rows.shape[1]} feature columns, got {baseline.shape[1]}")
    return baseline.set_axis(list(rows.columns), axis=1).reset_index(drop=True)


def explain(
    composer: Composer,
    predict: Predict,
    plan: CoalitionPlan | RowDesign,
    *,
    feature_names: Sequence[str],
    output_names: Sequence[str],
    use_logit: bool = False,
    progress: Progress | None = None,
    row_outputs: np.ndarray | None = None,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    row_offset: int = 0,
) -> ShapResult:
    """The data-kind-agnostic engine: any composer, one model call per chunk of rows.

    plan: one CoalitionPlan shared by every row as given, or a RowDesign (per-row plans).
    """
    k = len(output_names)
    p = composer.num_players
    bg_pred = _checked(predict(composer.background_inputs()), composer.num_background, k)
    link = _logit if use_logit else _identity
    expected = link(bg_pred.mean(axis=0))
    n = composer.num_rows
    given = None if row_outputs is None else np.asarray(row_outputs, dtype=float).reshape(n, k)
    run = _Run(composer, predict, bg_pred, given, link, k, max_batch_rows)
    values = np.zeros((n, p, k))
    stderr = np.zeros((n, p, k))
    base = np.zeros((n, k))
    dof = np.zeros(n, dtype=np.int64)
    used = np.zeros(n, dtype=np.int64)
    row_exact = np.zeros(n, dtype=bool)
    shared = isinstance(plan, CoalitionPlan)
    target = None if isinstance(plan, CoalitionPlan) else plan.target_stderr
    budgets = None if isinstance(plan, CoalitionPlan) else np.full(n, plan.num_samples, dtype=np.int64)
    pending = np.arange(n)
    for _ in range(MAX_TARGET_ROUNDS):
        step = run.chunk_rows(plan, budgets)
        for lo in range(0, pending.size, step):
            row_ids = pending[lo : lo + step]
            part = run.chunk(plan, row_ids, None if budgets is None else budgets[row_ids], row_offset)
            values[row_ids], stderr[row_ids], base[row_ids] = part.values, part.stderr, part.base
            dof[row_ids] = part.dof
            used[row_ids] += part.used
            row_exact[row_ids] = part.exact
            if progress is not None and target is None:
                progress(len(row_ids))
        if target is None:
            break
        assert budgets is not None
        worst = np.where(np.isnan(stderr[pending]), np.inf, stderr[pending]).max(axis=(1, 2), initial=0.0)
        done = (worst <= target) | (budgets[pending] >= max_coalitions(p))
        if progress is not None and done.any():
            progress(int(done.sum()))
        pending = pending[~done]
        if pending.size == 0:
            break
        budgets[pending] = np.minimum(2 * budgets[pending], max_coalitions(p))
    if progress is not None and target is not None and pending.size:
        progress(int(pending.size))
    exact = plan.exact if isinstance(plan, CoalitionPlan) else bool(row_exact.all())
    num_samples = plan.num_coalitions if isinstance(plan, CoalitionPlan) else plan.num_samples
    return ShapResult(
        feature_names=tuple(feature_names),
        output_names=tuple(output_names),
        values=values,
        stderr=stderr,
        base_values=base,
        expected_value=expected,
        num_samples=num_samples,
        exact=exact,
        model_rows=composer.num_background + run.model_rows,
        dof=dof,
        samples_used=used,
        independent_rows=not shared,
    )


@dataclass(frozen=True, eq=False)
class _Part:
    values: np.ndarray
    stderr: np.ndarray
    base: np.ndarray
    dof: np.ndarray
    used: np.ndarray
    exact: np.ndarray


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 arrays (wrapping arithmetic): a counter-based random source."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def player_order(key: int, positions: np.ndarray, varying: np.ndarray) -> np.ndarray:
    """(R, P) player indices per row: the varying players in an order drawn from (key, position, player),
    then the others. The first m_r entries of row r map plan player q to the row's player order[r, q]."""
    r, p = varying.shape
    base = _mix(np.asarray(positions, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(key))
    keys = _mix(base[:, None] + np.arange(1, p + 1, dtype=np.uint64)[None, :] * np.uint64(0xD1B54A32D192ED03))
    keys = np.where(varying, keys >> np.uint64(1), np.uint64(2**63) + np.arange(p, dtype=np.uint64)[None, :])
    return np.argsort(keys, axis=1, kind="stable")


def plan_variant(key: int, positions: np.ndarray) -> np.ndarray:
    """(R,) which of the PLAN_POOL seeded plans each row uses, drawn from (key, position)."""
    mixed = _mix(np.asarray(positions, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F) + np.uint64(key))
    return (mixed % np.uint64(PLAN_POOL)).astype(np.int64)


class _Run:
    """Evaluates chunks of rows: composes, predicts once, solves; counts model rows."""

    def __init__(
        self,
        composer: Composer,
        predict: Predict,
        bg_pred: np.ndarray,
        given: np.ndarray | None,
        link: Callable[[np.ndarray], np.ndarray],
        k: int,
        max_batch_rows: int,
    ) -> None:
        self.composer, self.predict, self.bg_pred, self.given = composer, predict, bg_pred, given
        self.link, self.k, self.max_batch_rows = link, k, max_batch_rows
        self.model_rows = 0

    def chunk_rows(self, plan: CoalitionPlan | RowDesign, budgets: np.ndarray | None) -> int:
        if isinstance(plan, CoalitionPlan):
            per_row = plan.num_coalitions
        else:
            assert budgets is not None
            per_row = int(budgets.max(initial=1))
        return rows_per_call(per_row, self.composer.num_background, self.max_batch_rows)

    def chunk(
        self, plan: CoalitionPlan | RowDesign, row_ids: np.ndarray, budgets: np.ndarray | None, row_offset: int
    ) -> _Part:
        c = self.composer
        r, p, k = len(row_ids), c.num_players, self.k
        bg_codes, row_codes = c.value_codes(row_ids)
        if (row_codes < 0).any():  # -1: a value found in no background row, taken as unique to its row
            top = int(max(bg_codes.max(initial=-1), row_codes.max(initial=-1))) + 1
            row_codes = np.where(row_codes < 0, top + np.arange(r)[:, None], row_codes)
        if isinstance(plan, CoalitionPlan):
            groups = [(_Pool((plan,), None), np.arange(r), np.zeros(r, dtype=np.int64))]
            order = np.broadcast_to(np.arange(p), (r, p))
            with_empty = np.concatenate([np.zeros((1, p), dtype=bool), plan.masks])
            masks = np.broadcast_to(with_empty[None], (r, plan.num_coalitions + 1, p))
        else:
            assert budgets is not None
            groups, order, masks = self._row_plans(plan, row_ids, budgets, bg_codes, row_codes, row_offset)
        given = None if self.given is None else self.given[row_ids]
        v, v_full, n_inputs = self._coalition_values(masks, row_ids, bg_codes, row_codes, given)
        self.model_rows += n_inputs
        v_empty = v[:, 0, :]
        values = np.zeros((r, p, k))
        stderr = np.zeros((r, p, k))
        dof = np.zeros(r, dtype=np.int64)
        used = np.zeros(r, dtype=np.int64)
        exact = np.zeros(r, dtype=bool)
        for pool, members, which in groups:
            m = pool.plans[0].num_players
            used[members] = pool.plans[0].num_coalitions
            exact[members] = pool.plans[0].exact or m <= 1
            if m == 0:
                continue
            s = pool.plans[0].num_coalitions
            cols = order[members, :m]  # (G, m): row player of plan player q
            g_rows = members[:, None]
            coal = v[members, 1 : s + 1, :]  # (G, S, K)
            if pool.design is not None:
                args = (which, coal, v_empty[members], v_full[members])
                if isinstance(pool.design, PooledDesign):
                    g_values, g_stderr, dof[members] = solve_pooled(pool.design, *args)
                else:
                    g_values, g_stderr, dof[members] = solve_pooled_general(pool.design, *args)
                values[g_rows, cols], stderr[g_rows, cols] = g_values, g_stderr
                continue
            for var in np.unique(which).tolist():
                rows_v = which == var
                t = int(rows_v.sum()) * k
                sol = solve_kernel_shap(
                    pool.plans[var],
                    coal[rows_v].transpose(1, 0, 2).reshape(s, t),
                    v_empty[members[rows_v]].reshape(t),
                    v_full[members[rows_v]].reshape(t),
                )
                sub = g_rows[rows_v], cols[rows_v]
                values[sub] = sol.values.reshape(m, -1, k).transpose(1, 0, 2)
                stderr[sub] = sol.stderr.reshape(m, -1, k).transpose(1, 0, 2)
                dof[members[rows_v]] = sol.dof
        return _Part(values, stderr, v_empty, dof, used, exact)

    def _row_plans(
        self,
        design: RowDesign,
        row_ids: np.ndarray,
        budgets: np.ndarray,
        bg_codes: np.ndarray,
        row_codes: np.ndarray,
        row_offset: int,
    ) -> tuple[list[tuple[_Pool, np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
        """Rows grouped by their plan pool (players and budget) with the pool plan each uses, each row's player
        order (R, P), and the coalition masks (R, 1 + S_max, P), coalition 0 being the empty one (rows with
        fewer coalitions are padded with empty ones)."""
        r, p = row_codes.shape
        if (budgets >= max_coalitions(p)).all():  # exact for every row: the one enumeration, as given
            full_plan = enumerate_coalitions(p)
            order = np.broadcast_to(np.arange(p), (r, p))
            with_empty = np.concatenate([np.zeros((1, p), dtype=bool), full_plan.masks])
            masks = np.broadcast_to(with_empty[None], (r, full_plan.num_coalitions + 1, p))
            return [(_Pool((full_plan,), None), np.arange(r), np.zeros(r, dtype=np.int64))], order, masks
        varying = (row_codes[:, None, :] != bg_codes[None, :, :]).any(axis=1)  # (R, P)
        counts = varying.sum(axis=1)
        order = player_order(design.key, row_offset + row_ids, varying)
        # slot[r, j]: the plan player that row player j is (m_r, an all-False column, for null players)
        slot = np.empty((r, p), dtype=np.intp)
        np.put_along_axis(slot, order, np.broadcast_to(np.arange(p), (r, p)), axis=1)
        if not (counts == p).all():
            slot = np.minimum(slot, counts[:, None])
        variant = plan_variant(design.key, row_offset + row_ids)
        pools = {
            key: _plan_pool(key[0], key[1], design.key, design.proposal)
            for key in sorted(set(zip(counts.tolist(), budgets.tolist(), strict=True)))
        }
        s_max = max(len(pool.plans[0].masks) for pool in pools.values())
        masks = np.zeros((r, 1 + s_max, p), dtype=bool)
        groups = []
        for (m_r, budget), pool in pools.items():
            members = np.flatnonzero((counts == m_r) & (budgets == budget)) if len(pools) > 1 else np.arange(r)
            which = variant[members] % len(pool.plans)
            groups.append((pool, members, which))
            if m_r == 0:
                continue
            stack = pool.stack
            assert stack is not None
            s = stack.shape[1]
            # masks[row, 1 + c, j] = stack[row's variant, c, slot[row, j]], by one flat take
            width = stack.shape[2]
            lead = (which[:, None] * s + np.arange(s)[None, :]) * width  # (G, S)
            flat = lead[:, :, None] + slot[members][:, None, :]
            if members.size == r:
                masks[:, 1 : 1 + s] = stack.reshape(-1).take(flat)
            else:
                masks[members, 1 : 1 + s] = stack.reshape(-1).take(flat)
        return groups, order, masks

    def _distinct_values(self, masks: np.ndarray, row_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """``_coalition_values`` when every input but the empty one (the single background row) is distinct:
        the full input takes coalition 0's place, and the model's answers come back in mask order."""
        r, s, p = masks.shape
        masks = np.array(masks, dtype=bool, copy=True)
        masks[:, 0] = True
        inputs = self.composer.compose(np.repeat(row_ids, s), np.zeros(r * s, dtype=np.intp), masks.reshape(r * s, p))
        pred = _checked(self.predict(inputs), r * s, self.k).reshape(r, s, self.k)
        full = pred[:, 0].copy()
        pred[:, 0] = self.bg_pred[0]
        return self.link(pred), self.link(full), r * s

    def _coalition_values(
        self,
        masks: np.ndarray,
        row_ids: np.ndarray,
        bg_codes: np.ndarray,
        row_codes: np.ndarray,
        given_row_outputs: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """(R, 1 + S, K) linked coalition values (coalition 0 empty), (R, K) full values, inputs predicted."""
        c, k = self.composer, self.k
        r, b, p = len(row_ids), c.num_background, c.num_players
        s = masks.shape[1]
        diff = row_codes[:, None, :] != bg_codes[None, :, :]  # (R, B, P) players whose value differs
        codes = np.sort(np.concatenate([bg_codes, row_codes]), axis=0)
        repeated = bool((codes[1:] == codes[:-1]).any())  # a value shared by two rows or background rows
        distinct = bool(diff.all()) and not repeated
        if distinct and b == 1 and c.background_is_row_free and given_row_outputs is None and s > 1:
            if masks[:, -1].any(axis=1).all():  # no padding: every input but the empty one is new
                return self._distinct_values(masks, row_ids)
        row_of = np.broadcast_to(np.arange(r)[:, None, None], (r, s, b)).ravel()
        bg_of = np.broadcast_to(np.arange(b)[None, None, :], (r, s, b)).ravel()
        flat_masks = masks.reshape(r * s, p)  # triple t uses flat_masks[t // b]
        row_slot = b  # prediction table: [background (B)] [rows (R)] [other distinct inputs ...]
        if distinct:
            # no value is shared between any two of these rows and background rows: the only coinciding
            # inputs are "nothing from the row" (= background b) and "all from the row" (= x)
            index = np.empty(r * s * b, dtype=np.intp)
            none_rs = ~masks.any(axis=2) & c.background_is_row_free
            full_rs = masks.all(axis=2) & ~none_rs
            none = np.repeat(none_rs.ravel(), b)
            full = np.repeat(full_rs.ravel(), b)
            index[none] = bg_of[none]
            index[full] = row_slot + row_of[full]
            new_pos = np.flatnonzero(~(none | full))
            index[new_pos] = row_slot + r + np.arange(new_pos.size)
            row_index = row_slot + np.arange(r)
            own_rows = np.ones(r, dtype=bool)
        else:
            index, row_index, new_pos = _distinct_inputs(c.background_is_row_free, bg_codes, row_codes, masks, row_slot)
            own_rows = row_index == row_slot + np.arange(r)  # rows that coincide with no earlier input
        if given_row_outputs is not None:
            own_rows = np.zeros(r, dtype=bool)
        own = np.flatnonzero(own_rows)
        inputs = c.compose(
            np.concatenate([row_ids[own], row_ids[row_of[new_pos]]]),
            np.concatenate([np.zeros(own.size, dtype=np.intp), bg_of[new_pos]]),
            np.concatenate([np.ones((own.size, p), dtype=bool), flat_masks[new_pos // b]]),
        )
        n_inputs = own.size + new_pos.size
        pred = _checked(self.predict(inputs), n_inputs, k)
        row_pred = np.full((r, k), np.nan) if given_row_outputs is None else given_row_outputs.copy()
        row_pred[own] = pred[: own.size]  # rows that coincide with earlier inputs read those slots instead
        table = np.concatenate([self.bg_pred, row_pred, pred[own.size :]])
        v = self.link(table[index].reshape(r, s, b, k).mean(axis=2))  # (R, S, K) averaged over the background
        return v, self.link(table[row_index]), n_inputs


@dataclass(frozen=True, eq=False)
class _Pool:
    """Plans that rows with the same players and budget draw from; stack: their masks as (V, S, M + 1) with an
    all-False last column (None for a shared plan); design: their stacked designs (None: solve plan by plan)."""

    plans: tuple[CoalitionPlan, ...]
    design: PooledDesign | PooledGeneral | None
    stack: np.ndarray | None = None


@lru_cache(maxsize=64)
def _plan_pool(num_players: int, budget: int, key: int, proposal: str) -> _Pool:
    """The seeded plans a row with ``num_players`` varying players may use: PLAN_POOL of them, one when the
    budget covers the enumeration."""
    m = num_players
    samples = effective_num_samples(m, budget)
    count = 1 if samples >= max_coalitions(m) else PLAN_POOL
    plans = tuple(seeded_plan(m, samples, key, proposal, v) for v in range(count))
    stack = np.zeros((count, plans[0].num_coalitions, m + 1), dtype=bool)
    for v, plan in enumerate(plans):
        stack[v, :, :m] = plan.masks
    stack.flags.writeable = False
    design = (pool_design(plans) or pool_general(plans)) if count > 1 and m > 1 else None
    return _Pool(plans, design, stack)


def _distinct_inputs(
    row_free: bool,
    bg_codes: np.ndarray,
    row_codes: np.ndarray,
    masks: np.ndarray,
    row_slot: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slots in the prediction table for each triple and each row, and the triples to predict.

    The inputs are the B background rows, the R rows, then the triples (row i, coalition c, background
    row b) in that order, triple t = (i S + c) B + b taking the row's value code for the players in
    masks[i, c] and the background row's otherwise (plus the row number when non-players keep the row's
    values). Equal inputs are predicted once: background rows and explained rows keep their own slots,
    and inputs coinciding with them reuse those slots.
    """
    b, r = bg_codes.shape[0], row_codes.shape[0]
    first, inverse = _input_groups(row_free, bg_codes, row_codes, masks)
    # the slot of a key is where it first occurs: background rows first, then rows, then new inputs
    slot_of_first = np.empty(inverse.shape[0], dtype=np.intp)
    slot_of_first[: b + r] = np.arange(b + r)
    own = np.sort(first[first >= b + r])  # keys first seen among the triples
    slot_of_first[own] = b + r + np.arange(own.size)
    slots = slot_of_first[first][inverse]
    return slots[b + r :], slots[b : b + r], own - (b + r)


def _input_tokens(
    positions: np.ndarray, row_free: bool, bg_codes: np.ndarray, row_codes: np.ndarray, masks: np.ndarray
) -> np.ndarray:
    """(n, 1 + P) int64 table of the inputs at ``positions`` (see ``_distinct_inputs``): row part, value codes."""
    b, r = bg_codes.shape[0], row_codes.shape[0]
    s = masks.shape[1]
    t = np.maximum(positions - (b + r), 0)
    row = np.where(positions < b, -1, np.where(positions < b + r, positions - b, t // (s * b)))
    bg = np.where(positions < b, positions, t % b)
    take = np.zeros((positions.shape[0], masks.shape[2]), dtype=bool)
    is_row = (positions >= b) & (positions < b + r)
    take[is_row] = True
    tri = positions >= b + r
    take[tri] = masks[row[tri], (t[tri] // b) % s]
    codes = np.where(take, row_codes[np.maximum(row, 0)], bg_codes[bg])
    row_part = np.zeros_like(row) if row_free else row + 1
    return np.concatenate([row_part[:, None], codes], axis=1).astype(np.int64)


def _input_groups(
    row_free: bool, bg_codes: np.ndarray, row_codes: np.ndarray, masks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """np.unique's (first index, inverse) over the inputs of ``_distinct_inputs``, without writing them out.

    Each value code gets a 64-bit hash per player; an input's hash is the wrapping sum of its players'
    hashes (the background row's sum, plus masks[i, c] . (row hashes - background hashes)), plus a hash
    of the row number when non-players keep the row's values. Every input grouped with an earlier one is
    then checked equal to it code by code; if a hash collision joined different inputs, the grouping is
    made again from the inputs' codes.
    """
    r, p = row_codes.shape
    salt = np.arange(1, p + 1, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
    h_bg = _mix(bg_codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt)  # (B, P)
    h_row = _mix(row_codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt)  # (R, P)
    row_term = np.zeros(r, dtype=np.uint64) if row_free else _mix(np.arange(1, r + 1, dtype=np.uint64))
    bg_sum = h_bg.sum(axis=1, dtype=np.uint64)
    gain = np.einsum("icj,ij->ic", masks, h_row, dtype=np.uint64, casting="unsafe")  # (R, S)
    loss = np.einsum("icj,bj->icb", masks, h_bg, dtype=np.uint64, casting="unsafe")  # (R, S, B)
    triples = bg_sum[None, None, :] + (gain + row_term[:, None])[:, :, None] - loss
    keys = np.concatenate([bg_sum, h_row.sum(axis=1, dtype=np.uint64) + row_term, triples.ravel()])
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    representative = first[inverse]
    joined = np.flatnonzero(representative != np.arange(keys.shape[0]))
    if joined.size == 0 or np.array_equal(
        _input_tokens(joined, row_free, bg_codes, row_codes, masks),
        _input_tokens(representative[joined], row_free, bg_codes, row_codes, masks),
    ):
        return first, inverse
    table = np.ascontiguousarray(_input_tokens(np.arange(keys.shape[0]), row_free, bg_codes, row_codes, masks))
    _, first, inverse = np.unique(
        table.view(np.dtype((np.void, table.shape[1] * 8))).ravel(), return_index=True, return_inverse=True
    )
    return first, inverse.ravel()


def _checked(pred: Any, n: int, k: int) -> np.ndarray:
    out = np.asarray(pred, dtype=float)
    if out.ndim == 1:
        out = out[:, None]
    if out.shape != (n, k):
        raise PredictorError(f"model returned outputs of shape {tuple(out.shape)} for {n} rows, expected ({n}, {k})")
    return out


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) with p clipped to [1e-9, 1 - 1e-9] so that 0 and 1 stay finite."""
    q = np.clip(p, LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(q) - np.log1p(-q)
