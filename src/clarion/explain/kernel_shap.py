"""Kernel SHAP: coalition values from one model call per chunk of rows, then one batched solve.

For row x, background rows b_1..b_B and a coalition S of players, the coalition value is

    v_x(S) = g( mean_b f(x_S, b_{not S}) ),   g = identity, or logit when use_logit,

the efficiency constraint is sum_j phi_j = v_x(all) - v_x(empty), and expected_value = g(mean_b f(b)).
(As in shap's KernelExplainer with ``link="logit"``: the logit is applied to the averaged output.)

Cost: each distinct synthetic input is predicted once. The empty coalition is predicted once per
background row for all rows (when every feature is a player), the full coalition once per row, and
coalitions that only differ in players whose row value equals the background value are merged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clarion.config.methods import ShapConfig
from clarion.errors import ConfigError, PredictorError
from clarion.explain.coalitions import CoalitionPlan, effective_num_samples, plan_coalitions
from clarion.explain.composer import Composer, TabularComposer
from clarion.explain.solver import solve_kernel_shap

Predict = Callable[[Any], np.ndarray]
Progress = Callable[[int], None]

DEFAULT_MAX_BATCH_ROWS = 2**18
LOGIT_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class ShapResult:
    """Local Kernel SHAP values of N rows, M explained features and K model outputs.

    values, stderr: (N, M, K); stderr is 0 for exact values, NaN when it cannot be estimated.
    base_values: (N, K) v_x(empty); equals expected_value for every row unless features_to_explain
        leaves some features fixed at the row's values.
    expected_value: (K,) g(mean model output over the baseline rows).
    num_samples: coalitions evaluated per row (excluding empty and full); exact: all 2^M - 2 enumerated.
    model_rows: synthetic inputs sent to the model (after de-duplication, baseline rows included).
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

    @property
    def num_rows(self) -> int:
        return int(self.values.shape[0])


def concat_results(results: Sequence[ShapResult]) -> ShapResult:
    """Stack the results of consecutive row chunks (same features, outputs and plan)."""
    first = results[0]
    return ShapResult(
        feature_names=first.feature_names,
        output_names=first.output_names,
        values=np.concatenate([r.values for r in results]),
        stderr=np.concatenate([r.stderr for r in results]),
        base_values=np.concatenate([r.base_values for r in results]),
        expected_value=first.expected_value,
        num_samples=first.num_samples,
        exact=first.exact,
        model_rows=sum(r.model_rows for r in results),
    )


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
) -> ShapResult:
    """Kernel SHAP values of every row of ``rows`` (feature columns only, in feature order).

    baseline: background rows with the same columns (or the same number of columns, renamed).
    predict: DataFrame -> (n, K) float array. output_names: K names (label headers or label0...).
    shap_config: num_samples, use_logit and features_to_explain are used here.
    rng: draws the coalition plan, shared by all rows of this call; pass a generator freshly made
        from the seed to get the same plan (and numbers) whatever the chunking.
    progress: called with the number of rows just finished.
    row_outputs: optional (N, K) model outputs of ``rows`` already computed (saves those predictions).
    max_batch_rows: synthetic rows per model call (at least one explained row per call).
    """
    baseline = _align_baseline(rows, baseline)
    players = resolve_features(list(rows.columns), shap_config.features_to_explain)
    composer = TabularComposer(rows, baseline, players)
    num_samples = effective_num_samples(len(players), shap_config.num_samples)
    plan = plan_coalitions(len(players), num_samples, rng)
    return explain(
        composer,
        predict,
        plan,
        feature_names=[str(rows.columns[j]) for j in players],
        output_names=output_names,
        use_logit=shap_config.use_logit,
        progress=progress,
        row_outputs=row_outputs,
        max_batch_rows=max_batch_rows,
    )


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
    plan: CoalitionPlan,
    *,
    feature_names: Sequence[str],
    output_names: Sequence[str],
    use_logit: bool = False,
    progress: Progress | None = None,
    row_outputs: np.ndarray | None = None,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
) -> ShapResult:
    """The data-kind-agnostic engine: any composer, one model call per chunk of rows."""
    k = len(output_names)
    bg_pred = _checked(predict(composer.background_inputs()), composer.num_background, k)
    link = _logit if use_logit else _identity
    expected = link(bg_pred.mean(axis=0))
    n = composer.num_rows
    # coalition 0 is the empty one (needed per row only when non-players keep the row's value)
    masks = np.concatenate([np.zeros((1, composer.num_players), dtype=bool), plan.masks])
    per_row = masks.shape[0] * composer.num_background
    chunk = max(1, max_batch_rows // max(1, per_row))
    parts = []
    for lo in range(0, n, chunk):
        row_ids = np.arange(lo, min(n, lo + chunk))
        given = None if row_outputs is None else np.asarray(row_outputs, dtype=float)[row_ids].reshape(len(row_ids), k)
        parts.append(_explain_chunk(composer, predict, plan, masks, row_ids, bg_pred, given, link, k))
        if progress is not None:
            progress(len(row_ids))
    values = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, composer.num_players, k))
    stderr = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, composer.num_players, k))
    base = np.concatenate([p[2] for p in parts]) if parts else np.zeros((0, k))
    model_rows = composer.num_background + sum(p[3] for p in parts)
    return ShapResult(
        feature_names=tuple(feature_names),
        output_names=tuple(output_names),
        values=values,
        stderr=stderr,
        base_values=base,
        expected_value=expected,
        num_samples=plan.num_coalitions,
        exact=plan.exact,
        model_rows=model_rows,
    )


def _explain_chunk(
    composer: Composer,
    predict: Predict,
    plan: CoalitionPlan,
    masks: np.ndarray,
    row_ids: np.ndarray,
    bg_pred: np.ndarray,
    given_row_outputs: np.ndarray | None,
    link: Callable[[np.ndarray], np.ndarray],
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    r, s, b, p = len(row_ids), masks.shape[0], composer.num_background, composer.num_players
    bg_codes, row_codes = composer.value_codes(row_ids)
    if (row_codes < 0).any():  # -1: a value found in no background row, taken as unique to its row
        top = int(max(bg_codes.max(initial=-1), row_codes.max(initial=-1))) + 1
        row_codes = np.where(row_codes < 0, top + np.arange(r)[:, None], row_codes)
    diff = row_codes[:, None, :] != bg_codes[None, :, :]  # (R, B, P) players whose value differs
    row_of = np.broadcast_to(np.arange(r)[:, None, None], (r, s, b)).ravel()
    bg_of = np.broadcast_to(np.arange(b)[None, None, :], (r, s, b)).ravel()
    triple_masks = np.broadcast_to(masks[None, :, None, :], (r, s, b, p)).reshape(-1, p)
    row_slot = b  # prediction table: [background (B)] [rows (R)] [other distinct inputs ...]
    repeated = any(len(np.unique(bg_codes[:, j])) < b or len(np.unique(row_codes[:, j])) < r for j in range(p))
    if diff.all() and not repeated:
        # no value is shared between any two of these rows and background rows: the only coinciding
        # inputs are "nothing from the row" (= background b) and "all from the row" (= x)
        index = np.empty(r * s * b, dtype=np.intp)
        none = ~triple_masks.any(axis=1) & composer.background_is_row_free
        full = triple_masks.all(axis=1) & ~none
        index[none] = bg_of[none]
        index[full] = row_slot + row_of[full]
        new_pos = np.flatnonzero(~(none | full))
        index[new_pos] = row_slot + r + np.arange(new_pos.size)
        row_index = row_slot + np.arange(r)
        own_rows = np.ones(r, dtype=bool)
    else:
        index, row_index, new_pos = _distinct_inputs(
            composer.background_is_row_free, bg_codes, row_codes, row_of, bg_of, triple_masks, row_slot
        )
        own_rows = row_index == row_slot + np.arange(r)  # rows that coincide with no earlier input

    if given_row_outputs is not None:
        own_rows = np.zeros(r, dtype=bool)
    own = np.flatnonzero(own_rows)
    inputs = composer.compose(
        np.concatenate([row_ids[own], row_ids[row_of[new_pos]]]),
        np.concatenate([np.zeros(own.size, dtype=np.intp), bg_of[new_pos]]),
        np.concatenate([np.ones((own.size, p), dtype=bool), triple_masks[new_pos]]),
    )
    n_inputs = own.size + new_pos.size
    pred = _checked(predict(inputs), n_inputs, k)
    row_pred = np.full((r, k), np.nan) if given_row_outputs is None else given_row_outputs
    row_pred[own] = pred[: own.size]  # rows that coincide with earlier inputs read those slots instead
    table = np.concatenate([bg_pred, row_pred, pred[own.size :]])

    v = table[index].reshape(r, s, b, k).mean(axis=2)  # (R, S, K) averaged over the background
    v = link(v)
    v_empty = v[:, 0, :]
    v_full = link(table[row_index])
    coal = v[:, 1:, :]  # (R, S-1, K)
    t = r * k
    sol = solve_kernel_shap(
        plan, coal.transpose(1, 0, 2).reshape(plan.num_coalitions, t), v_empty.reshape(t), v_full.reshape(t)
    )
    values = sol.values.reshape(p, r, k).transpose(1, 0, 2)
    stderr = sol.stderr.reshape(p, r, k).transpose(1, 0, 2)
    return values, stderr, v_empty, n_inputs


def _distinct_inputs(
    row_free: bool,
    bg_codes: np.ndarray,
    row_codes: np.ndarray,
    row_of: np.ndarray,
    bg_of: np.ndarray,
    triple_masks: np.ndarray,
    row_slot: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slots in the prediction table for each triple and each row, and the triples to predict.

    Every input gets a key: the value code of each player (plus the row number when non-players
    keep the row's values). Equal keys <=> equal inputs, so each key is predicted once: background
    rows and explained rows keep their own slots, and inputs coinciding with them reuse those slots.
    """
    b, r = bg_codes.shape[0], row_codes.shape[0]
    radix = np.maximum(bg_codes.max(axis=0, initial=0), row_codes.max(axis=0, initial=0)).astype(np.int64) + 1
    bg_keys = _keys(np.full(b, -1), bg_codes, radix, r, row_free)
    row_keys = _keys(np.arange(r), row_codes, radix, r, row_free)
    tokens = np.where(triple_masks, row_codes[row_of], bg_codes[bg_of])
    triple_keys = _keys(row_of, tokens, radix, r, row_free)
    all_keys = np.concatenate([bg_keys, row_keys, triple_keys])
    _, first, inverse = np.unique(all_keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # the slot of a key is where it first occurs: background rows first, then rows, then new inputs
    slot_of_first = np.empty(all_keys.shape[0], dtype=np.intp)
    slot_of_first[: b + r] = np.arange(b + r)
    own = np.sort(first[first >= b + r])  # keys first seen among the triples
    slot_of_first[own] = b + r + np.arange(own.size)
    slots = slot_of_first[first][inverse]
    return slots[b + r :], slots[b : b + r], own - (b + r)


def _keys(row: np.ndarray, tokens: np.ndarray, radix: np.ndarray, num_rows: int, row_free: bool) -> np.ndarray:
    """Sortable keys of inputs from their per-player value codes (int64 when they fit, else bytes)."""
    row_part = (np.full(row.shape[0], -1) if row_free else row) + 1
    bits = float(np.log2(radix).sum()) + float(np.log2(num_rows + 2))
    if bits <= 62:
        key = row_part.astype(np.int64)
        for j in range(tokens.shape[1]):
            key = key * radix[j] + tokens[:, j]
        return key
    table = np.ascontiguousarray(np.concatenate([row_part[:, None], tokens], axis=1).astype(np.int64))
    return table.view(np.dtype((np.void, table.shape[1] * 8))).ravel()


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
