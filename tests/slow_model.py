"""A deterministic model that takes its time, for tests that interrupt a run while it calls the model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

PAUSE_SECONDS = 0.1


def score(frame: pd.DataFrame) -> np.ndarray:
    """P(y = 1) = logistic(0.8 x1 - 0.5 x2 + 0.3 x3), after a pause."""
    time.sleep(PAUSE_SECONDS)
    x = frame.to_numpy(dtype=float)
    return 1.0 / (1.0 + np.exp(-(0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2])))
