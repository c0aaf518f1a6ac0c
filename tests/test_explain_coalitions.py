"""Coalition plans: Clarify's budget rule, exact enumeration, the paired stratified design and its weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clarion.explain.coalitions import (
    effective_num_samples,
    enumerate_coalitions,
    kernel_weight,
    plan_coalitions,
    seeded_plan,
)


@pytest.mark.parametrize(
    ("m", "requested", "expected"),
    [(10, None, 1022), (20, None, 2088), (12, None, 2072), (3, 100, 6), (12, 50, 50), (1, None, 0)],
)
def test_num_samples_rule(m, requested, expected):
    assert effective_num_samples(m, requested) == expected


def test_enumeration_has_every_coalition_with_kernel_weights():
    m = 6
    plan = enumerate_coalitions(m)
    assert plan.exact and plan.num_coalitions == 2**m - 2
    codes = plan.masks.astype(int) @ (1 << np.arange(m))
    assert sorted(codes.tolist()) == list(range(1, 2**m - 1))
    sizes = plan.masks.sum(axis=1)
    raw = np.array([(m - 1) / (math.comb(m, s) * s * (m - s)) for s in sizes])
    np.testing.assert_allclose(plan.weights, raw / raw.sum())
    assert kernel_weight(m, 1) == pytest.approx(5 / (6 * 1 * 5))


def _size_mass(m: int) -> np.ndarray:
    """Kernel mass of each size 1..M-1 (normalised), from the formula (M-1) / (s (M-s))."""
    mass = np.array([(m - 1) / (s * (m - s)) for s in range(1, m)])
    return mass / mass.sum()


@pytest.mark.parametrize(("m", "budget"), [(12, 22), (12, 101), (12, 2072), (16, 500), (70, 300), (8, 15)])
def test_sampled_plan_is_paired_and_distinct(m, budget):
    plan = plan_coalitions(m, budget, np.random.default_rng(0))
    assert not plan.exact
    assert plan.num_coalitions == 2 * (budget // 2)
    sizes = plan.masks.sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= m - 1
    packed = np.packbits(plan.masks, axis=1)
    assert len({row.tobytes() for row in packed}) == plan.num_coalitions  # no duplicates
    # every unit is a coalition and its complement, with equal weights
    first, second = plan.units[:, 0], plan.units[:, 1]
    assert (plan.masks[first] ^ plan.masks[second]).all()
    np.testing.assert_array_equal(plan.weights[first], plan.weights[second])
    assert (plan.weights > 0).all()


def test_kernel_proposal_enumerates_outer_sizes_whole_in_kernel_order():
    m, budget = 12, 2072  # 1036 units: sizes (1,11), (2,10), (3,9), (4,8) need 12 + 66 + 220 + 495 = 793
    plan = plan_coalitions(m, budget, np.random.default_rng(1), proposal="kernel")
    sizes = plan.masks.sum(axis=1)
    mass = _size_mass(m)
    for s in (1, 2, 3, 4, 8, 9, 10, 11):
        assert (sizes == s).sum() == math.comb(m, s)
        assert plan.weights[sizes == s].sum() == pytest.approx(mass[s - 1])
        assert not plan.sampled[np.isin(plan.units[:, 0], np.flatnonzero(sizes == s))].any()
    assert plan.num_sampled == 1036 - 793
    assert plan.complete


def test_leverage_plan_enumerates_singletons_then_strata_whose_share_exceeds_them():
    # 1036 units: 12 singleton units, then 1024 shared uniformly over sizes (stratum weights 2,2,2,2,1 for
    # t = 2..6): t = 2 gets 1024 * 2/9 = 227.6 >= 66 units (enumerated), then 958 * 2/7 = 273.7 >= 220 for
    # t = 3 (enumerated), then 738 * 2/5 = 295.2 < 495 for t = 4: sampled, inclusion probability 295.2 / 495
    m, budget = 12, 2072
    plan = plan_coalitions(m, budget, np.random.default_rng(1))
    sizes = plan.masks.sum(axis=1)
    mass = _size_mass(m)
    first_sizes = sizes[plan.units[:, 0]]
    for s in (1, 2, 3, 9, 10, 11):
        assert (sizes == s).sum() == math.comb(m, s)
        assert plan.weights[sizes == s].sum() == pytest.approx(mass[s - 1])
    for t in (1, 2, 3):
        assert not plan.sampled[first_sizes == t].any()
        np.testing.assert_array_equal(plan.inclusion[first_sizes == t], 1.0)
    assert (sizes == 4).sum() in (295, 296)
    assert plan.num_sampled == 1036 - 12 - 66 - 220
    np.testing.assert_allclose(plan.inclusion[first_sizes == 4], 738 * 2 / 5 / 495)
    np.testing.assert_allclose(plan.inclusion[first_sizes == 6], 738 / 5 / 462)
    assert plan.complete


def test_sampled_weights_are_unbiased_for_the_kernel_mass_of_every_size():
    # Horvitz-Thompson: over draws, the mean weight given to each size equals its kernel mass
    m, budget, draws = 10, 60, 400
    totals = np.zeros(m - 1)
    for seed in range(draws):
        plan = plan_coalitions(m, budget, np.random.default_rng(seed))
        sizes = plan.masks.sum(axis=1)
        totals += np.bincount(sizes - 1, weights=plan.weights, minlength=m - 1)
    np.testing.assert_allclose(totals / draws, _size_mass(m), rtol=0.05)


@pytest.mark.parametrize(("m", "budget"), [(8, 16), (8, 20), (24, 48), (48, 100)])
def test_budgets_of_two_m_separate_every_player(m, budget):
    plan = plan_coalitions(m, budget, np.random.default_rng(2))
    x = plan.masks.astype(float) - plan.masks.mean(axis=1, keepdims=True)
    assert np.linalg.matrix_rank(x) == m - 1
    for j in range(m):
        for k in range(j + 1, m):
            assert (plan.masks[:, j] != plan.masks[:, k]).any()


@pytest.mark.parametrize(("m", "budget"), [(24, 15), (24, 20), (14, 15), (14, 20), (12, 21)])
def test_fewer_pairs_than_m_minus_one_give_singletons_then_their_complements(m, budget):
    plan = plan_coalitions(m, budget, np.random.default_rng(3))
    assert not plan.exact and not plan.complete and plan.units.shape[0] == 0
    assert plan.num_coalitions == budget
    sizes = plan.masks.sum(axis=1)
    singles = min(budget, m)
    assert (sizes[:singles] == 1).all() and (sizes[singles:] == m - 1).all()
    chosen = plan.masks[:singles].argmax(axis=1)
    assert len(set(chosen.tolist())) == singles  # distinct players
    # the complements are those of the first singletons, in order
    np.testing.assert_array_equal(~plan.masks[singles:], plan.masks[: budget - singles])
    np.testing.assert_allclose(plan.weights, 1.0 / budget)


def test_m_minus_one_pairs_stay_paired():
    plan = plan_coalitions(8, 14, np.random.default_rng(3))  # 7 singleton pairs: efficiency gives the 8th
    assert plan.units.shape[0] == 7 and (plan.masks.sum(axis=1) % 6 == 1).all()


def test_too_few_units_to_estimate_the_error_are_flagged():
    assert not plan_coalitions(24, 20, np.random.default_rng(0)).complete  # 10 units, 23 unknowns
    assert not plan_coalitions(24, 50, np.random.default_rng(0)).complete  # one sampled unit
    assert plan_coalitions(24, 100, np.random.default_rng(0)).complete


def test_same_key_same_plan():
    a = plan_coalitions(14, 300, np.random.default_rng(5))
    b = plan_coalitions(14, 300, np.random.default_rng(5))
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.weights, b.weights)
    c, d = seeded_plan(14, 300, 7), seeded_plan(14, 300, 7)
    np.testing.assert_array_equal(c.masks, d.masks)
    assert not np.array_equal(c.masks, seeded_plan(14, 300, 8).masks)
