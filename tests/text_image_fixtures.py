"""Shared helpers of the text and image tests: a real spam classifier, generated images, brute-force Shapley."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

SMS = Path(__file__).resolve().parents[1] / "datasets" / "sms_spam" / "SMSSpamCollection"


def sms_frame() -> pd.DataFrame:
    """The SMS Spam Collection: columns label (ham/spam) and text."""
    return pd.read_csv(SMS, sep="\t", header=None, names=["label", "text"], quoting=3, dtype=str, keep_default_na=False)


def spam_pipeline(extra_numeric: bool = False):  # type: ignore[no-untyped-def]
    """TF-IDF + LogisticRegression on the SMS text (and, optionally, a numeric column ``length``)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = sms_frame()
    parts = [("tfidf", TfidfVectorizer(), "text")]
    columns = ["text"]
    if extra_numeric:
        frame["length"] = frame["text"].str.len().astype(float)
        parts.append(("num", StandardScaler(), ["length"]))
        columns.append("length")
    pipe = make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=2000))
    pipe.fit(frame[columns], (frame["label"] == "spam").astype(int))
    return pipe, frame[columns]


def shapley_by_enumeration(m: int, value: Callable[[tuple[bool, ...]], np.ndarray]) -> np.ndarray:
    """Exact Shapley values phi_i = sum_S |S|! (m-|S|-1)! / m! (v(S + i) - v(S)), v over all 2^m masks."""
    cache = {mask: np.asarray(value(mask), dtype=float) for mask in itertools.product([False, True], repeat=m)}
    k = next(iter(cache.values())).shape[0]
    phi = np.zeros((m, k))
    for mask, v in cache.items():
        s = sum(mask)
        for i in range(m):
            if mask[i]:
                continue
            with_i = list(mask)
            with_i[i] = True
            weight = math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m)
            phi[i] += weight * (cache[tuple(with_i)] - v)
    return phi


def shapes_image(rng: np.random.Generator, size: int = 64, red: bool = True, blue: bool = False) -> np.ndarray:
    """A flat background with an optional red and an optional blue square (little noise, so SLIC
    finds distinct regions)."""
    img = np.empty((size, size, 3), dtype=np.uint8)
    img[:] = rng.integers(90, 140, 3)
    img += rng.integers(0, 3, img.shape, dtype=np.uint8)
    if red:
        x, y = rng.integers(2, size // 2 - 2, 2)
        img[y : y + size // 3, x : x + size // 3] = (220, 30, 30)
    if blue:
        x, y = rng.integers(size // 2, size - size // 3 - 2, 2)
        img[y : y + size // 3, x : x + size // 3] = (30, 40, 220)
    return img


def colour_features(batch: np.ndarray) -> np.ndarray:
    """Share of strongly red and strongly blue pixels per image: (n, 2)."""
    b = batch.astype(int)
    red = ((b[..., 0] > 170) & (b[..., 1] < 80) & (b[..., 2] < 80)).mean(axis=(1, 2))
    blue = ((b[..., 2] > 170) & (b[..., 0] < 80) & (b[..., 1] < 80)).mean(axis=(1, 2))
    return np.stack([red, blue], axis=1)


def colour_classifier(seed: int = 0):  # type: ignore[no-untyped-def]
    """A LogisticRegression trained on generated images: class 1 = a red square is present."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    images, labels = [], []
    for i in range(200):
        red = bool(i % 2)
        images.append(shapes_image(rng, 32, red=red, blue=bool(rng.integers(0, 2))))
        labels.append(int(red))
    model = LogisticRegression().fit(colour_features(np.stack(images)), labels)
    return lambda batch: model.predict_proba(colour_features(np.asarray(batch)))


def red_detector(batch: np.ndarray) -> list[list[list[float]]]:
    """Detector stand-in: red (class 0) and blue (class 1) connected regions as boxes; score = the
    region's share of its box times min(1, area / 150)."""
    from skimage.measure import label, regionprops

    out = []
    for image in np.asarray(batch):
        feats = image.astype(int)
        rows = []
        for class_id, mask in enumerate(
            [
                (feats[..., 0] > 170) & (feats[..., 1] < 80) & (feats[..., 2] < 80),
                (feats[..., 2] > 170) & (feats[..., 0] < 80) & (feats[..., 1] < 80),
            ]
        ):
            for region in regionprops(label(mask)):
                if region.area < 8:
                    continue
                y0, x0, y1, x1 = region.bbox
                score = region.area / ((y1 - y0) * (x1 - x0)) * min(1.0, region.area / 150)
                h, w = mask.shape
                rows.append([float(class_id), score, x0 / w, y0 / h, x1 / w, y1 / h])
        out.append(rows)
    return out
