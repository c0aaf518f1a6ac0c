"""Asymmetric Shapley values against brute force over every permitted ordering of the players."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from clarion.errors import ConfigError, PredictorError
from clarion.explain.asymmetric import asymmetric_shapley, series_baseline


def product_of_last_two(batch: np.ndarray) -> np.ndarray:
    """Forecast = x[T-1] * x[T-2] of the target series."""
    return batch[:, 0, -1] * batch[:, 0, -2]


def two_step_model(batch: np.ndarray) -> np.ndarray:
    """A non-additive two-step forecast of a target and one related series."""
    target, related = batch[:, 0, :], batch[:, 1, :]
    first = target[:, -1] * target[:, -2] + 0.5 * related[:, -1] ** 2 + target[:, 0] * related[:, 1]
    second = np.tanh(target[:, -1] + related[:, 0]) + target.sum(axis=1) * related[:, -1]
    return np.stack([first, second], axis=1)


def value(model, x: np.ndarray, b: np.ndarray, present: set[tuple[int, int]]) -> np.ndarray:
    """v(S) for one coalition of (series, step) players, built one cell at a time."""
    z = b.copy()
    for s, t in present:
        z[s, t] = x[s, t]
    return np.atleast_1d(np.asarray(model(z[None]), dtype=float)[0])


def permitted(order: tuple[tuple[int, int], ...], direction: str) -> bool:
    """An ordering is permitted when no player enters before a player of an earlier (later) step."""
    steps = [t for _, t in order]
    if direction == "chronological":
        return all(a <= b for a, b in itertools.pairwise(steps))
    return all(a >= b for a, b in itertools.pairwise(steps))


def brute_force(model, x, b, players, orders) -> tuple[dict, dict]:
    """Mean and standard deviation of each player's marginal contribution over the given orderings."""
    gains: dict = {p: [] for p in players}
    for order in orders:
        present: set = set()
        before = value(model, x, b, present)
        for p in order:
            present.add(p)
            after = value(model, x, b, present)
            gains[p].append(after - before)
            before = after
    return {p: np.mean(g, axis=0) for p, g in gains.items()}, {p: np.std(g, axis=0) for p, g in gains.items()}


def timewise_orders(n_series: int, steps: int, direction: str) -> list:
    """Time steps as players: each step is the group of all its series."""
    directions = ["chronological", "anti_chronological"] if direction == "bidirectional" else [direction]
    orders = []
    for d in directions:
        for perm in itertools.permutations(range(steps)):
            if permitted(tuple((0, t) for t in perm), d):
                orders.append(tuple((s, t) for t in perm for s in range(n_series)))
    return orders


def test_hand_computed_product_of_last_two() -> None:
    x = np.array([[1.0, 2.0, 3.0]])
    b = np.zeros_like(x)
    # chronological: v({})=v({0})=v({0,1})=0, v(all)=6; anti: v({2})=0, v({1,2})=6, v(all)=6
    chron = asymmetric_shapley(product_of_last_two, x, b, direction="chronological")
    anti = asymmetric_shapley(product_of_last_two, x, b, direction="anti_chronological")
    both = asymmetric_shapley(product_of_last_two, x, b, direction="bidirectional")
    np.testing.assert_allclose(chron[:, 0], [0.0, 0.0, 6.0])
    np.testing.assert_allclose(anti[:, 0], [0.0, 6.0, 0.0])
    np.testing.assert_allclose(both[:, 0], [0.0, 3.0, 3.0])


@pytest.mark.parametrize("direction", ["chronological", "anti_chronological", "bidirectional"])
def test_timewise_matches_enumeration_and_is_efficient(direction: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4))
    b = series_baseline(x, "mean")
    phi = asymmetric_shapley(two_step_model, x, b, direction=direction)
    orders = timewise_orders(2, 4, direction)
    players = [(s, t) for s in range(2) for t in range(4)]
    exact, _ = brute_force(two_step_model, x, b, players, orders)
    # a time step's value is the sum over the series of that step (they enter together)
    expected = np.array([exact[(0, t)] + exact[(1, t)] for t in range(4)])
    np.testing.assert_allclose(phi, expected, rtol=1e-12, atol=1e-12)
    full = two_step_model(x[None])[0]
    empty = two_step_model(b[None])[0]
    np.testing.assert_allclose(phi.sum(axis=0), full - empty, rtol=1e-12, atol=1e-12)


def test_fine_grained_converges_to_enumeration_and_is_efficient() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3))
    b = np.zeros_like(x)
    players = [(s, t) for s in range(2) for t in range(3)]
    orders = [o for o in itertools.permutations(players) if permitted(o, "chronological")]
    assert len(orders) == 8  # 2! orderings of the series inside each of 3 steps
    exact, spread = brute_force(two_step_model, x, b, players, orders)
    n = 4000
    phi = asymmetric_shapley(
        two_step_model, x, b, direction="chronological", granularity="fine_grained", num_samples=n, seed=11
    )
    assert phi.shape == (2, 3, 2)
    for s, t in players:
        bound = 5 * spread[(s, t)] / np.sqrt(n) + 1e-12
        assert np.all(np.abs(phi[s, t] - exact[(s, t)]) <= bound), (s, t, phi[s, t], exact[(s, t)])
    full = two_step_model(x[None])[0]
    np.testing.assert_allclose(phi.sum(axis=(0, 1)), full - two_step_model(b[None])[0], rtol=1e-10, atol=1e-10)


def test_fine_grained_additive_model_is_exact_with_one_sample() -> None:
    weights = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    x = np.array([[2.0, 1.0, 4.0], [-1.0, 3.0, 2.0]])
    b = series_baseline(x, "mean")
    phi = asymmetric_shapley(
        lambda z: (z * weights).sum(axis=(1, 2)), x, b, granularity="fine_grained", num_samples=1, seed=0
    )
    np.testing.assert_allclose(phi[:, :, 0], weights * (x - b))


def test_fine_grained_seed_reproduces() -> None:
    x = np.random.default_rng(1).normal(size=(3, 4))
    b = np.zeros_like(x)

    def model(z: np.ndarray) -> np.ndarray:
        return z[:, 0, -1] * z[:, 1, -1] * z[:, 2, -2]

    def run(seed: int) -> np.ndarray:
        return asymmetric_shapley(model, x, b, granularity="fine_grained", num_samples=5, seed=seed)

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


def test_series_baseline_values() -> None:
    x = np.array([[1.0, 2.0, 6.0], [4.0, np.nan, 8.0]])
    np.testing.assert_array_equal(series_baseline(x, "zero"), np.zeros((2, 3)))
    np.testing.assert_allclose(series_baseline(x, "mean"), [[3.0, 3.0, 3.0], [6.0, 6.0, 6.0]])
    with pytest.raises(ConfigError, match="baseline"):
        series_baseline(x, "median")


def test_refusals_name_the_key() -> None:
    x = np.ones((1, 3))
    with pytest.raises(ConfigError, match="fine_grained needs direction chronological"):
        asymmetric_shapley(product_of_last_two, x, x * 0, direction="bidirectional", granularity="fine_grained")
    with pytest.raises(ConfigError, match="num_samples"):
        asymmetric_shapley(product_of_last_two, x, x * 0, granularity="fine_grained")
    with pytest.raises(ConfigError, match="direction"):
        asymmetric_shapley(product_of_last_two, x, x * 0, direction="sideways")
    with pytest.raises(PredictorError, match="expected 4 forecasts"):
        asymmetric_shapley(lambda z: np.zeros(2), x, x * 0)
