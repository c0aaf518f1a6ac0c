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
from clarion.explain.coalitions import CoalitionPlan, effective_num_samples, mask_keys, plan_coalitions
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
        raise ConfigError(
            f"methods.shap.baseline: expected {rows.shape[1]} feature columns, got {baseline.shape[1]}"
        )
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
    diff = composer.differs(row_ids)  # (R, B, P)
    eff = masks[None, :, None, :] & diff[:, None, :, :]  # (R, S, B, P) players that change the input
    row_of = np.broadcast_to(np.arange(r)[:, None, None], (r, s, b)).ravel()
    bg_of = np.broadcast_to(np.arange(b)[None, None, :], (r, s, b)).ravel()
    eff = eff.reshape(-1, p)
    no_player = ~eff.any(axis=1)
    as_row = (eff == diff[row_of, bg_of]).all(axis=1)
    as_background = no_player & composer.background_is_row_free
    as_row &= ~as_background
    mixed = ~(as_background | as_row)

    # where a (row, background) pair differs in every player, distinct coalitions give distinct inputs
    all_differ = diff.all(axis=2)[row_of, bg_of]
    index = np.empty(r * s * b, dtype=np.intp)
    index[as_background] = bg_of[as_background]
    row_slot = b  # predictions: [background (B)] [rows (R)] [mixed ...]
    index[as_row] = row_slot + row_of[as_row]
    mix_slot = row_slot + r
    simple = mixed & all_differ
    n_simple = int(simple.sum())
    index[simple] = mix_slot + np.arange(n_simple)
    partial = np.flatnonzero(mixed & ~all_differ)
    if partial.size:
        group = row_of[partial] * b + bg_of[partial]
        keys = mask_keys(eff[partial])
        combined = np.rec.fromarrays([group, keys]) if keys.dtype.kind == "V" else _pack(group, keys, p)
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        partial_unique = partial[first]
        index[partial] = mix_slot + n_simple + inverse.ravel()
    else:
        partial_unique = partial
    mixed_ids = np.concatenate([np.flatnonzero(simple), partial_unique])

    compose_rows = [row_ids] if given_row_outputs is None else []
    compose_bgs = [np.zeros(r, dtype=np.intp)] if given_row_outputs is None else []
    compose_masks = [np.ones((r, p), dtype=bool)] if given_row_outputs is None else []
    compose_rows.append(row_ids[row_of[mixed_ids]])
    compose_bgs.append(bg_of[mixed_ids])
    compose_masks.append(np.broadcast_to(masks[None, :, None, :], (r, s, b, p)).reshape(-1, p)[mixed_ids])
    inputs = composer.compose(np.concatenate(compose_rows), np.concatenate(compose_bgs), np.concatenate(compose_masks))
    n_inputs = sum(len(x) for x in compose_rows)
    pred = _checked(predict(inputs), n_inputs, k)
    if given_row_outputs is not None:
        pred = np.concatenate([given_row_outputs, pred])
    table = np.concatenate([bg_pred, pred])

    v = table[index].reshape(r, s, b, k).mean(axis=2)  # (R, S, K) averaged over the background
    v = link(v)
    v_empty = v[:, 0, :]
    v_full = link(table[row_slot : row_slot + r])
    coal = v[:, 1:, :]  # (R, S-1, K)
    t = r * k
    sol = solve_kernel_shap(
        plan, coal.transpose(1, 0, 2).reshape(plan.num_coalitions, t), v_empty.reshape(t), v_full.reshape(t)
    )
    values = sol.values.reshape(p, r, k).transpose(1, 0, 2)
    stderr = sol.stderr.reshape(p, r, k).transpose(1, 0, 2)
    return values, stderr, v_empty, n_inputs


def _pack(group: np.ndarray, keys: np.ndarray, num_players: int) -> np.ndarray:
    """One int64 per (group, mask) when it fits, else a record array (both sort and compare correctly)."""
    if num_players + int(group.max()).bit_length() <= 62:
        return (group.astype(np.int64) << num_players) | keys
    return np.rec.fromarrays([group, keys])


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
