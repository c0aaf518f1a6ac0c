"""Coalition plans: Clarify's budget rule, exact enumeration, sampled plans' structure and weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clarion.explain.coalitions import effective_num_samples, enumerate_coalitions, kernel_weight, plan_coalitions


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


@pytest.mark.parametrize(("m", "budget"), [(12, 20), (12, 101), (12, 2072), (16, 500), (70, 300)])
def test_sampled_plan_structure(m, budget):
    plan = plan_coalitions(m, budget, np.random.default_rng(0))
    assert not plan.exact
    assert plan.num_coalitions == budget
    sizes = plan.masks.sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= m - 1
    packed = np.packbits(plan.masks, axis=1)
    assert len({row.tobytes() for row in packed}) == budget  # no duplicates
    assert plan.weights.sum() == pytest.approx(1.0)
    assert (plan.weights > 0).all()
    # every sampled unit is a coalition and its complement
    full = plan.units[plan.units[:, 1] >= 0]
    assert (plan.masks[full[:, 0]] ^ plan.masks[full[:, 1]]).all()


def test_outer_sizes_are_enumerated_when_the_budget_allows():
    m, budget = 12, 2072
    plan = plan_coalitions(m, budget, np.random.default_rng(1))
    sizes = plan.masks.sum(axis=1)
    for s in (1, 2, 11, 10):
        assert (sizes == s).sum() == math.comb(m, s)
        # enumerated sizes carry their exact kernel mass
        mass = (m - 1) / (s * (m - s))
        total = sum((m - 1) / (k * (m - k)) for k in range(1, m))
        assert plan.weights[sizes == s].sum() == pytest.approx(mass / total)


def test_same_generator_seed_same_plan():
    a = plan_coalitions(14, 300, np.random.default_rng(5))
    b = plan_coalitions(14, 300, np.random.default_rng(5))
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.weights, b.weights)
