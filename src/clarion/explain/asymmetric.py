"""Asymmetric Shapley values over the time steps of a forecast (Clarify's time-series explanations).

Players are time steps (``timewise``) or (series, time step) pairs (``fine_grained``). A coalition's value is the
forecast for the input that keeps the players of the coalition at their values and sets every other player to the
baseline: ``v(S) = f(where(S, x, b))``. The attribution of player ``i`` is its marginal contribution
``v(pre_i ∪ {i}) - v(pre_i)`` averaged over a distribution of permitted orderings, where ``pre_i`` are the players
before ``i`` in the ordering (random-order group values, Frye et al. 2020):

- ``chronological``: time steps enter from the first to the last, so ``phi_t = v({<=t}) - v({<t})``.
- ``anti_chronological``: from the last to the first, so ``phi_t = v({>=t}) - v({>t})``.
- ``bidirectional``: each of the two orderings with probability 1/2, so ``phi = (phi_chron + phi_anti) / 2``.
- ``fine_grained`` (chronological only): every player of step t enters before any player of step t+1; the order of the
  series inside a step is uniform. Estimated from ``num_samples`` seeded orderings.

For every ordering the marginal contributions telescope, so the values always sum to ``f(x) - f(b)`` (efficiency).
Static covariates are held at the explained item's values here (``timeseries_run`` attributes them when the
baseline gives them values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from clarion.errors import ConfigError, PredictorError

Direction = Literal["chronological", "anti_chronological", "bidirectional"]
Granularity = Literal["timewise", "fine_grained"]
Forecast = Callable[[np.ndarray], np.ndarray]
"""Maps a batch of inputs of shape (n, series, steps) to forecasts of shape (n, horizon) or (n,)."""

DIRECTIONS = ("chronological", "anti_chronological", "bidirectional")
GRANULARITIES = ("timewise", "fine_grained")


def asymmetric_shapley(
    forecast: Forecast,
    x: np.ndarray,
    baseline: np.ndarray,
    *,
    direction: str = "chronological",
    granularity: str = "timewise",
    num_samples: int | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Attributions for one item: shape (steps, horizon) for timewise, (series, steps, horizon) for fine_grained.

    ``x`` and ``baseline`` have shape (series, steps); row 0 is the target series, the other rows related series.
    """
    x, baseline = _check_inputs(x, baseline)
    if direction not in DIRECTIONS:
        raise ConfigError(
            f"methods.asymmetric_shapley_value.direction: expected one of {DIRECTIONS}, got {direction!r}"
        )
    if granularity == "timewise":
        return _timewise(forecast, x, baseline, direction)
    if granularity != "fine_grained":
        raise ConfigError(
            f"methods.asymmetric_shapley_value.granularity: expected one of {GRANULARITIES}, got {granularity!r}"
        )
    if direction != "chronological":
        raise ConfigError(
            "methods.asymmetric_shapley_value: granularity fine_grained needs direction chronological,"
            f" got {direction!r}"
        )
    if num_samples is None or num_samples < 1:
        raise ConfigError(
            "methods.asymmetric_shapley_value.num_samples: a positive integer is required for fine_grained"
        )
    return _fine_grained(forecast, x, baseline, num_samples, np.random.default_rng(seed))


def series_baseline(x: np.ndarray, kind: str) -> np.ndarray:
    """Baseline of shape (series, steps): ``zero`` is all zeros, ``mean`` each series' mean over its steps."""
    if kind == "zero":
        return np.zeros_like(x, dtype=float)
    if kind == "mean":
        means = np.nanmean(x, axis=1, keepdims=True)
        return np.broadcast_to(means, x.shape).astype(float)
    raise ConfigError(f"methods.asymmetric_shapley_value.baseline: expected 'zero' or 'mean', got {kind!r}")


def _check_inputs(x: np.ndarray, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    if x.ndim != 2 or x.shape[1] == 0:
        raise ConfigError(f"time_series_data_config: expected series of shape (series, steps), got {x.shape}")
    if baseline.shape != x.shape:
        raise ConfigError(f"methods.asymmetric_shapley_value.baseline: shape {baseline.shape} differs from {x.shape}")
    return x, baseline


def _evaluate(forecast: Forecast, batch: np.ndarray) -> np.ndarray:
    """Forecasts as (n, horizon), with the count checked."""
    out = np.asarray(forecast(batch), dtype=float)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != batch.shape[0]:
        raise PredictorError(f"forecast: expected {batch.shape[0]} forecasts, got an answer of shape {out.shape}")
    return out


def _timewise(forecast: Forecast, x: np.ndarray, b: np.ndarray, direction: str) -> np.ndarray:
    steps = x.shape[1]
    k = np.arange(steps + 1)[:, None]
    t = np.arange(steps)[None, :]
    masks = []
    if direction in ("chronological", "bidirectional"):
        masks.append(t < k)  # row k: steps before k present
    if direction in ("anti_chronological", "bidirectional"):
        masks.append(t >= k)  # row k: steps from k on present
    mask = np.concatenate(masks)[:, None, :]
    values = _evaluate(forecast, np.where(mask, x[None], b[None]))
    parts = []
    offset = 0
    if direction in ("chronological", "bidirectional"):
        chron = values[offset : offset + steps + 1]
        parts.append(chron[1:] - chron[:-1])
        offset += steps + 1
    if direction in ("anti_chronological", "bidirectional"):
        anti = values[offset : offset + steps + 1]
        parts.append(anti[:-1] - anti[1:])
    return np.mean(parts, axis=0)


def _fine_grained(
    forecast: Forecast, x: np.ndarray, b: np.ndarray, num_samples: int, rng: np.random.Generator
) -> np.ndarray:
    n_series, steps = x.shape
    players = n_series * steps
    # orders[j] lists flat player ids (series * steps + step) in entry order: step by step, series shuffled.
    within = np.argsort(rng.random((num_samples, steps, n_series)), axis=2)
    orders = (within * steps + np.arange(steps)[None, :, None]).reshape(num_samples, players)
    rank = np.empty_like(orders)
    rank[np.arange(num_samples)[:, None], orders] = np.arange(players)[None, :]
    masks = rank[:, None, :] < np.arange(players + 1)[None, :, None]  # row k: the first k players entered
    batch = np.where(masks.reshape(-1, n_series, steps), x[None], b[None])
    values = _evaluate(forecast, batch).reshape(num_samples, players + 1, -1)
    gains = values[:, 1:] - values[:, :-1]  # gains[j, pos] belongs to player orders[j, pos]
    phi = np.zeros((players, values.shape[2]))
    np.add.at(phi, orders.reshape(-1), gains.reshape(num_samples * players, -1))
    return (phi / num_samples).reshape(n_series, steps, -1)
