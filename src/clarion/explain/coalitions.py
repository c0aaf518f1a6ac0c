"""Coalitions for Kernel SHAP: exact enumeration or Shapley-kernel sampling, with their regression weights.

A coalition is a boolean mask over M players (True = the player takes the explained row's value).
The Shapley kernel gives a coalition of size s the weight

    pi(s) = (M - 1) / (C(M, s) * s * (M - s)),   0 < s < M,

so the total kernel mass of all coalitions of size s is proportional to (M - 1) / (s (M - s)).
Weighted least squares over all 2^M - 2 non-trivial coalitions with these weights, under the
efficiency constraint, returns the exact Shapley values (Lundberg & Lee 2017).

When the budget is smaller than 2^M - 2, sizes are handled in pairs (s, M - s), starting from the
outermost (s = 1), which carry most of the kernel mass: a pair of sizes is enumerated completely when
the budget share it would receive covers all its coalitions; the remaining sizes are sampled with
probability proportional to their kernel mass, each draw together with its complement (paired
sampling, Covert & Lee 2021). Sampled coalitions share the remaining mass in proportion to how often
they were drawn.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

DEFAULT_EXTRA_SAMPLES = 2048
_MAX_DRAW_ROUNDS = 64


def max_coalitions(num_players: int) -> int:
    """Number of non-trivial coalitions, 2^M - 2 (0 for M <= 1)."""
    return max(0, 2**num_players - 2)


def effective_num_samples(num_players: int, requested: int | None) -> int:
    """Clarify's budget: min(2M + 2048, 2^M - 2) when absent, else min(requested, 2^M - 2)."""
    cap = max_coalitions(num_players)
    if requested is None:
        return min(2 * num_players + DEFAULT_EXTRA_SAMPLES, cap)
    return min(int(requested), cap)


def kernel_weight(num_players: int, size: int) -> float:
    """Shapley-kernel weight of one coalition of the given size: (M-1) / (C(M,s) s (M-s))."""
    return (num_players - 1) / (math.comb(num_players, size) * size * (num_players - size))


@dataclass(frozen=True, eq=False)
class CoalitionPlan:
    """Distinct coalitions to evaluate and their regression weights.

    masks: (S, M) bool, no row all-False or all-True, no duplicates.
    weights: (S,) float, summing to 1 (kernel mass).
    exact: True when every non-trivial coalition is present (values are exact Shapley values).
    units: (U, 2) int index into masks for each sampled draw (a coalition and its complement);
        the second index is -1 for an unpaired last draw. Used for the standard errors; empty
        when nothing was sampled.
    sampled_mass: the kernel mass spread over the sampled draws (0 when nothing was sampled).
    """

    masks: np.ndarray
    weights: np.ndarray
    exact: bool
    units: np.ndarray
    sampled_mass: float

    @property
    def num_players(self) -> int:
        return int(self.masks.shape[1])

    @property
    def num_coalitions(self) -> int:
        return int(self.masks.shape[0])


def mask_keys(masks: np.ndarray) -> np.ndarray:
    """One hashable, sortable key per mask row (int64 for M <= 62, raw bytes otherwise)."""
    masks = np.asarray(masks, dtype=bool)
    m = masks.shape[1]
    if m <= 62:
        return masks.astype(np.int64) @ (np.int64(1) << np.arange(m, dtype=np.int64))
    packed = np.ascontiguousarray(np.packbits(masks, axis=1))
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def _size_masks(num_players: int, size: int) -> np.ndarray:
    """All coalitions of one size, as an (C(M, s), M) bool array."""
    combos = np.array(list(itertools.combinations(range(num_players), size)), dtype=np.intp)
    masks = np.zeros((combos.shape[0], num_players), dtype=bool)
    masks[np.arange(combos.shape[0])[:, None], combos] = True
    return masks


def _empty_plan(num_players: int) -> CoalitionPlan:
    return CoalitionPlan(
        masks=np.zeros((0, num_players), dtype=bool),
        weights=np.zeros(0),
        exact=True,
        units=np.zeros((0, 2), dtype=np.intp),
        sampled_mass=0.0,
    )


def enumerate_coalitions(num_players: int) -> CoalitionPlan:
    """All 2^M - 2 non-trivial coalitions with their (normalised) kernel weights: the exact plan."""
    if num_players <= 1:
        return _empty_plan(num_players)
    blocks, weights = [], []
    for size in range(1, num_players):
        masks = _size_masks(num_players, size)
        blocks.append(masks)
        weights.append(np.full(masks.shape[0], kernel_weight(num_players, size)))
    w = np.concatenate(weights)
    return CoalitionPlan(
        masks=np.concatenate(blocks),
        weights=w / w.sum(),
        exact=True,
        units=np.zeros((0, 2), dtype=np.intp),
        sampled_mass=0.0,
    )


def plan_coalitions(num_players: int, num_samples: int, rng: np.random.Generator) -> CoalitionPlan:
    """Coalitions for a budget of ``num_samples`` distinct coalitions (capped at 2^M - 2).

    Exact enumeration when the budget covers 2^M - 2; otherwise complete enumeration of the outer
    size pairs the budget can afford, then paired Shapley-kernel sampling of the other sizes.
    """
    budget = min(int(num_samples), max_coalitions(num_players))
    if num_players <= 1 or budget <= 0:
        return _empty_plan(num_players)
    if budget >= max_coalitions(num_players):
        return enumerate_coalitions(num_players)

    m = num_players
    sizes = np.arange(1, m)
    size_mass = (m - 1) / (sizes * (m - sizes))
    size_mass = size_mass / size_mass.sum()  # total kernel mass of each size s = 1..M-1
    half = (m - 1 + 1) // 2  # sizes 1..half, each paired with M - s
    pair_mass = np.array([size_mass[s - 1] + (size_mass[m - s - 1] if s != m - s else 0.0) for s in range(1, half + 1)])

    blocks: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    remaining_budget = budget
    remaining_mass = 1.0
    first_sampled = half + 1
    for s in range(1, half + 1):
        count = math.comb(m, s) * (1 if s == m - s else 2)
        share = remaining_budget * pair_mass[s - 1] / remaining_mass
        if share + 1e-9 < count or count > remaining_budget:
            first_sampled = s
            break
        for size in {s, m - s}:
            masks = _size_masks(m, size)
            blocks.append(masks)
            weights.append(np.full(masks.shape[0], size_mass[size - 1] / masks.shape[0]))
        remaining_budget -= count
        remaining_mass -= pair_mass[s - 1]

    units = np.zeros((0, 2), dtype=np.intp)
    sampled_mass = 0.0
    if remaining_budget > 0 and first_sampled <= half:
        offset = sum(b.shape[0] for b in blocks)
        sampled_masks, sampled_w, units = _sample_paired(
            m, np.arange(first_sampled, half + 1), pair_mass[first_sampled - 1 :], remaining_budget, rng
        )
        blocks.append(sampled_masks)
        weights.append(sampled_w * remaining_mass)
        units = np.where(units >= 0, units + offset, -1)
        sampled_mass = remaining_mass
    masks = np.concatenate(blocks) if blocks else np.zeros((0, m), dtype=bool)
    w = np.concatenate(weights) if weights else np.zeros(0)
    return CoalitionPlan(masks=masks, weights=w / w.sum(), exact=False, units=units, sampled_mass=sampled_mass)


def _sample_paired(
    m: int, sizes: np.ndarray, mass: np.ndarray, target: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw coalitions of the given (lower-half) sizes, each followed by its complement, until
    ``target`` distinct coalitions are seen. Returns distinct masks, their draw frequencies
    (summing to 1) and the draw units as index pairs into the masks.
    """
    p = mass / mass.sum()
    drawn: list[np.ndarray] = []
    masks_all = np.zeros((0, m), dtype=bool)
    cut = None
    for _ in range(_MAX_DRAW_ROUNDS):
        n_draws = max(8, target)
        chosen = sizes[rng.choice(sizes.shape[0], size=n_draws, p=p)]
        # a uniform random subset of size s: the s smallest of M uniform keys
        ranks = rng.random((n_draws, m)).argsort(axis=1).argsort(axis=1)
        first = ranks < chosen[:, None]
        flip = rng.random(n_draws) < 0.5  # for s != M - s either half of the pair may come first
        first = np.where(flip[:, None], ~first, first)
        pairs = np.stack([first, ~first], axis=1).reshape(-1, m)
        drawn.append(pairs)
        masks_all = np.concatenate(drawn)
        keys = mask_keys(masks_all)
        _, first_pos = np.unique(keys, return_index=True)
        if first_pos.shape[0] >= target:
            cut = int(np.sort(first_pos)[target - 1]) + 1
            break
    if cut is None:
        cut = masks_all.shape[0]
    sequence = masks_all[:cut]
    keys = mask_keys(sequence)
    _, first_pos, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first_pos)  # distinct masks in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    ids = rank[inverse.ravel()]
    distinct = sequence[first_pos[order]]
    freq = np.bincount(ids, minlength=distinct.shape[0]).astype(float)
    freq /= freq.sum()
    if cut % 2:
        ids = np.append(ids, -1)
    units = ids.reshape(-1, 2)
    return distinct, freq, units
