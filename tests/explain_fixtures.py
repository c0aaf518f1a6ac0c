"""Shared helpers for the explain tests: brute-force Shapley values and small models."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd


def brute_force_shapley(x: pd.Series, baseline: pd.DataFrame, predict, players=None, logit=False) -> np.ndarray:
    """Exact interventional Shapley values by enumerating every coalition (independent of clarion).

    v(S) = mean over baseline rows b of f(x on S, b elsewhere); non-players always take x's value.
    With logit=True, v(S) = logit(mean_b f(...)). Returns (M, K).
    """
    cols = list(baseline.columns)
    players = list(range(len(cols))) if players is None else list(players)
    others = [j for j in range(len(cols)) if j not in players]
    cache: dict[tuple[int, ...], np.ndarray] = {}

    def v(coalition: tuple[int, ...]) -> np.ndarray:
        key = tuple(sorted(coalition))
        if key not in cache:
            frame = baseline.copy()
            for j in list(key) + others:
                frame[cols[j]] = [x.iloc[j]] * len(frame)
            out = np.asarray(predict(frame), dtype=float)
            out = out.reshape(len(frame), -1).mean(axis=0)
            if logit:
                out = np.log(out / (1 - out))
            cache[key] = out
        return cache[key]

    m = len(players)
    phi = []
    for j in players:
        rest = [p for p in players if p != j]
        total = 0.0
        for size in range(m):
            weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for subset in itertools.combinations(rest, size):
                total = total + weight * (v(subset + (j,)) - v(subset))
        phi.append(total)
    return np.array(phi)


def mixed_frame(rng: np.random.Generator, n: int, m_numeric: int) -> pd.DataFrame:
    """n rows: m_numeric float columns f0.. and one string column 'colour'."""
    frame = pd.DataFrame(rng.normal(size=(n, m_numeric)), columns=[f"f{i}" for i in range(m_numeric)])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=n)
    return frame


COLOUR_EFFECT = {"red": 1.0, "green": -2.0, "blue": 0.5}


def nonlinear_mixed_model(frame: pd.DataFrame) -> np.ndarray:
    """Two outputs: a non-linear score using the string column, and its sigmoid."""
    a = frame[[c for c in frame.columns if c != "colour"]].to_numpy(dtype=float)
    colour = np.array([COLOUR_EFFECT[c] for c in frame["colour"]])
    score = a[:, 0] * a[:, 1] + np.sin(a[:, 2]) * colour + a[:, 3] ** 2 - 0.5 * a[:, 4] + colour
    return np.stack([score, 1.0 / (1.0 + np.exp(-score))], axis=1)


class CountingModel:
    """Wraps a model and records every frame it was asked to predict."""

    def __init__(self, model):
        self.model = model
        self.frames: list[pd.DataFrame] = []

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        self.frames.append(frame.copy())
        return self.model(frame)

    @property
    def rows(self) -> int:
        return sum(len(f) for f in self.frames)
