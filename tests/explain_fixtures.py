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


class TermModel:
    """y = x . w + sum of terms on small feature groups (products, tanh, max); exact Shapley values for a
    1-row baseline by enumerating each term's own features (a term is a game on its features alone)."""

    def __init__(self, rng: np.random.Generator, m: int, group_sizes: tuple[int, ...] = (2, 3, 3, 4)) -> None:
        self.w = rng.normal(size=m)
        self.groups = [rng.choice(m, size=k, replace=False) for k in group_sizes]
        self.coef = rng.normal(size=len(self.groups))

    def _term(self, a: np.ndarray, g: int) -> np.ndarray:
        sub = a[..., self.groups[g]]
        kind = g % 3
        if kind == 0:
            return self.coef[g] * np.prod(sub, axis=-1)
        if kind == 1:
            return self.coef[g] * np.tanh(sub.sum(axis=-1)) * sub[..., 0]
        return self.coef[g] * np.max(sub, axis=-1)

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        a = frame.to_numpy(dtype=float)
        return (a @ self.w + sum(self._term(a, g) for g in range(len(self.groups))))[:, None]

    def exact(self, rows: pd.DataFrame, baseline: pd.DataFrame) -> np.ndarray:
        """(N, M) exact interventional Shapley values against the single baseline row."""
        x, b = rows.to_numpy(dtype=float), baseline.to_numpy(dtype=float)[0]
        phi = self.w * (x - b)
        for g, members in enumerate(self.groups):
            k = len(members)
            for subset in itertools.product([False, True], repeat=k):
                chosen = np.array(subset)
                point = np.broadcast_to(b, x.shape).copy()
                point[:, members[chosen]] = x[:, members[chosen]]
                value = self._term(point, g)
                s = int(chosen.sum())
                for pos, j in enumerate(members):
                    if chosen[pos]:
                        phi[:, j] += value * math.factorial(s - 1) * math.factorial(k - s) / math.factorial(k)
                    else:
                        phi[:, j] -= value * math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
        return phi
