"""Kernel SHAP: shap.KernelExplainer vs clarion on the abalone pipeline, at equal budgets.

Run:  .venv/bin/python bench/kernel_shap.py [--rows 150] [--part abalone|linear|all] [--linear-rows 2000]
Model: ColumnTransformer(OneHotEncoder on Sex, numeric passthrough) + RandomForestRegressor(100 trees,
random_state=0), trained on all of abalone; M = 8 raw features (Sex is one player, the one-hot
encoding happens inside the model). Settings: a 1-row baseline (clarion's 1-cluster prototype: numeric
means, Sex mode) and a 20-row k-means/k-prototypes baseline, each with num_samples 20, 100 and
2M + 2048 (capped at 2^8 - 2 = 254, i.e. exact enumeration, for both libraries).
Per setting it prints: clarion time, shap time, shap/clarion ratio, clarion time over the raw-inference
floor (one model.predict call on rows x num_samples x baseline rows), and each library's RMSE
against exact Shapley values computed here by enumerating all 2^8 coalitions.
shap is a bench-only dependency (pip install shap); it runs with its defaults (l1_reg
"num_features(10)" selects all 8 features, so no regularisation).

Part "linear" (synthetic rows at numpy speed): a LinearRegression on M = 24 and 48 standard normal
features, a 1-row baseline, num_samples 200, --linear-rows rows; three repeats, min and median of each.
floor = every synthetic row built once with one np.where over random coalition masks (rows x 200), one
DataFrame over the block, one predict call; "bare predict" = that predict call alone. Goal: clarion
within 1.3x the floor.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from clarion.config import ShapConfig
from clarion.explain import explain_tabular
from clarion.explain.baseline import cluster_baseline

ROOT = Path(__file__).resolve().parents[1]
HEADERS = [
    "Sex", "Length", "Diameter", "Height", "Whole weight", "Shucked weight", "Viscera weight", "Shell weight", "Rings",
]  # fmt: skip
FEATURES = HEADERS[:-1]


def load_model() -> tuple[pd.DataFrame, Pipeline]:
    data = pd.read_csv(ROOT / "datasets" / "abalone" / "abalone.data", header=None, names=HEADERS)
    x = data[FEATURES]
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer([("sex", OneHotEncoder(handle_unknown="ignore"), ["Sex"])], remainder="passthrough"),
            ),
            ("rf", RandomForestRegressor(n_estimators=100, random_state=0)),
        ]
    )
    pipe.fit(x, data["Rings"])
    return x, pipe


def exact_shapley(rows: pd.DataFrame, baseline: pd.DataFrame, predict) -> np.ndarray:
    """(N, M) exact interventional Shapley values from all 2^M coalition values (one model call)."""
    m, n, b = rows.shape[1], len(rows), len(baseline)
    masks = np.array(list(itertools.product([False, True], repeat=m)))  # (2^M, M)
    r_idx = np.repeat(np.arange(n), len(masks) * b)
    s_idx = np.tile(np.repeat(np.arange(len(masks)), b), n)
    b_idx = np.tile(np.arange(b), n * len(masks))
    cols = {}
    for j, name in enumerate(rows.columns):
        xv, bv = rows[name].to_numpy(dtype=object), baseline[name].to_numpy(dtype=object)
        cols[name] = np.where(masks[s_idx, j], xv[r_idx], bv[b_idx])
    frame = pd.DataFrame(cols)
    for name in FEATURES[1:]:
        frame[name] = frame[name].astype(float)
    v = predict(frame).reshape(n, len(masks), b).mean(axis=2)  # (N, 2^M)
    index = {tuple(mask): i for i, mask in enumerate(masks)}
    phi = np.zeros((n, m))
    for i, mask in enumerate(masks):
        size = int(mask.sum())
        for j in np.flatnonzero(~mask):
            with_j = mask.copy()
            with_j[j] = True
            w = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            phi[:, j] += w * (v[:, index[tuple(with_j)]] - v[:, i])
    return phi


def run_shap(rows: pd.DataFrame, baseline: pd.DataFrame, predict, nsamples: int) -> tuple[float, np.ndarray]:
    import shap

    def f(array: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(array, columns=FEATURES)
        for name in FEATURES[1:]:
            frame[name] = frame[name].astype(float)
        return predict(frame)

    bg = baseline.to_numpy(dtype=object)
    x = rows.to_numpy(dtype=object)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(f, bg)
        values = explainer.shap_values(x, nsamples=nsamples, silent=True)
    return time.perf_counter() - start, np.asarray(values).reshape(len(rows), -1)


def run_clarion(rows: pd.DataFrame, baseline: pd.DataFrame, predict, nsamples: int) -> tuple[float, np.ndarray, int]:
    start = time.perf_counter()
    result = explain_tabular(
        rows,
        baseline,
        lambda d: predict(d)[:, None],
        ["label0"],
        ShapConfig(num_samples=nsamples, seed=0),
        np.random.default_rng(0),
    )
    return time.perf_counter() - start, result.values[:, :, 0], result.num_samples


def floor_time(x: pd.DataFrame, predict, n_rows: int) -> float:
    frame = x.iloc[np.arange(n_rows) % len(x)].reset_index(drop=True)
    start = time.perf_counter()
    predict(frame)
    return time.perf_counter() - start


def linear_speed(n_rows: int, repeats: int = 3) -> None:
    """Kernel SHAP on a linear model against the np.where floor (see the module docstring)."""
    budget = 200
    print(f"linear model, 1-row baseline, num_samples {budget}, {n_rows} rows; {repeats} repeats (min / median)")
    print(f"{'M':>3} {'clarion s':>17} {'floor s':>17} {'predict s':>17} {'clarion/floor':>14} {'clarion/predict':>15}")
    for m in (24, 48):
        rng = np.random.default_rng(m)
        columns = [f"x{j}" for j in range(m)]
        data = pd.DataFrame(rng.normal(size=(n_rows + 1, m)), columns=columns)
        model = LinearRegression().fit(data, data.to_numpy() @ rng.normal(size=m))
        rows, baseline = data.iloc[:n_rows].reset_index(drop=True), data.iloc[n_rows:].reset_index(drop=True)
        times: dict[str, list[float]] = {"clarion": [], "floor": [], "predict": []}
        for _ in range(repeats):
            start = time.perf_counter()
            explain_tabular(
                rows,
                baseline,
                lambda d, model=model: model.predict(d)[:, None],
                ["l"],
                ShapConfig(num_samples=budget),
                np.random.default_rng(0),
            )
            times["clarion"].append(time.perf_counter() - start)
            masks = rng.random((n_rows * budget, m)) < 0.5
            start = time.perf_counter()
            block = np.where(masks, np.repeat(rows.to_numpy(), budget, axis=0), baseline.to_numpy())
            frame = pd.DataFrame(block, columns=columns)
            predict_start = time.perf_counter()
            model.predict(frame)
            end = time.perf_counter()
            times["floor"].append(end - start)
            times["predict"].append(end - predict_start)
        lo = {k: min(v) for k, v in times.items()}
        med = {k: float(np.median(v)) for k, v in times.items()}
        cells = " ".join(f"{lo[k]:>7.3f} / {med[k]:>7.3f}" for k in ("clarion", "floor", "predict"))
        print(
            f"{m:>3} {cells} {lo['clarion'] / lo['floor']:>14.2f} {lo['clarion'] / lo['predict']:>15.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150)
    parser.add_argument("--part", choices=["abalone", "linear", "all"], default="all")
    parser.add_argument("--linear-rows", type=int, default=2000)
    args = parser.parse_args()
    if args.part in ("linear", "all"):
        linear_speed(args.linear_rows)
    if args.part == "linear":
        return
    x, pipe = load_model()
    predict = pipe.predict
    rows = x.sample(args.rows, random_state=1).reset_index(drop=True)
    rng = np.random.default_rng(0)
    baselines = {"1-row": cluster_baseline(x, 1, rng), "20-row k-means": cluster_baseline(x, 20, rng)}
    m = len(FEATURES)
    print(f"abalone, RandomForest(100), {args.rows} rows explained, M = {m}")
    header = (
        f"{'baseline':<15} {'nsamples':>8} {'clarion s':>10} {'shap s':>9} {'shap/clarion':>12} "
        f"{'clarion/floor':>13} {'rmse clarion':>12} {'rmse shap':>10}"
    )
    print(header)
    for name, baseline in baselines.items():
        exact = exact_shapley(rows, baseline, predict)
        for budget in (20, 100, 2 * m + 2048):
            t_c, v_c, used = run_clarion(rows, baseline, predict, budget)
            t_s, v_s = run_shap(rows, baseline, predict, budget)
            t_f = floor_time(x, predict, args.rows * used * len(baseline))
            rmse_c = float(np.sqrt(((v_c - exact) ** 2).mean()))
            rmse_s = float(np.sqrt(((v_s - exact) ** 2).mean()))
            print(
                f"{name:<15} {budget:>8} {t_c:>10.3f} {t_s:>9.3f} {t_s / t_c:>12.1f} {t_c / t_f:>13.2f} "
                f"{rmse_c:>12.2e} {rmse_s:>10.2e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
