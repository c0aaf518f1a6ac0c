"""Kernel SHAP accuracy: clarion and shap.KernelExplainer at equal budgets, against exact Shapley values.

Run:  .venv/bin/python bench/kernel_shap_accuracy.py [--rows 30] [--seeds 2] [--models abalone,adult,...]
      [--budgets 15,20,50,100,auto] [--study] [--skip-shap]

Models (every baseline is one row, as Clarify's 1-cluster default and the examples use):
- abalone: the abalone pipeline (OneHotEncoder(Sex) + RandomForestRegressor(100)), M = 8, baseline numeric
  means and the Sex mode; exact values by enumerating all 2^8 coalitions.
- adult: the Adult example's model (label-encoded features, StandardScaler + LogisticRegression, output the
  probability of >50K), M = 14, baseline the mean row; exact values from all 2^14 coalitions.
- linear24, linear48: y = x . w on standard normal features; exact phi_j = w_j (x_j - b_j).
- nonlinear24, nonlinear48: linear part plus pairwise, three-way and four-way terms (products, tanh, max)
  on random feature groups; exact values term by term (each term depends on at most four features, whose
  2^4 coalitions are enumerated).
Budgets: 15, 20, 50, 100 and "auto" = 2M + 2048 (capped at 2^M - 2: exact for M <= 11 in both libraries).

Per model, budget and library (mean over seeds; seed s seeds both libraries):
- mae: mean |estimate - exact| over rows and features;  gerr: mean over features of |global - exact global|
  (global = mean |phi| over the rows, Clarify's mean_abs);
- ties: feature pairs equal in every row although their exact values differ (summed over seeds);
- cov: share of |estimate - exact| <= 1.96 stderr over row-feature entries with a finite, positive stderr
  (clarion only; nan% = share of entries whose stderr is NaN); gcov: the same for the global values;
- ms/row and x floor: time per row, and over the raw-inference floor (every synthetic row built once with
  one np.where over random coalition masks, one DataFrame, one predict call). clarion's time is measured
  apart on --time-rows other rows of the same data (default 1000; best of two), so that start-up costs of
  a call (baseline prediction, plan drawing) are spread as in a real run; shap's is the mean of its runs.
  --clock process times clarion and the floor in CPU time of the process (time.process_time), which load
  from other processes on a shared machine disturbs less than wall time.
--study adds clarion variants: "shared" (one plan for every row, no per-row order) and "kernel" (strata
sampled in proportion to kernel mass instead of uniformly over sizes).
shap runs with its defaults (l1_reg "num_features(10)" when M > 10, as users get it); it is a bench-only
dependency (pip install shap).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from clarion.config import ShapConfig
from clarion.explain import TabularComposer, explain, explain_tabular, plan_coalitions
from clarion.explain.aggregate import aggregate_stderr
from clarion.explain.coalitions import effective_num_samples
from clarion.explain.kernel_shap import RowDesign

ROOT = Path(__file__).resolve().parents[1]
Predict = Callable[[pd.DataFrame], np.ndarray]


@dataclass
class Case:
    name: str
    rows: pd.DataFrame
    baseline: pd.DataFrame
    predict: Predict  # DataFrame -> (n,)
    exact: np.ndarray  # (N, M)
    more_rows: Callable[[int], pd.DataFrame]  # other rows of the same data, for timing


def _frame_predict(model_predict: Callable[[pd.DataFrame], np.ndarray]) -> Predict:
    return lambda frame: np.asarray(model_predict(frame), dtype=float).reshape(len(frame))


def exact_by_enumeration(rows: pd.DataFrame, baseline: pd.DataFrame, predict: Predict) -> np.ndarray:
    """(N, M) exact Shapley values from all 2^M coalition values of each row (1-row baseline)."""
    n, m = rows.shape
    masks = np.array(list(itertools.product([False, True], repeat=m)))[:, ::-1]  # code c: bit j = player j
    codes = masks.astype(np.int64) @ (1 << np.arange(m))
    order = np.argsort(codes)
    masks = masks[order]
    v = np.empty((n, 2**m))
    for i in range(n):
        cols = {}
        for j, name in enumerate(rows.columns):
            cols[name] = np.where(masks[:, j], rows.iloc[i, j], baseline.iloc[0, j])
        frame = pd.DataFrame(cols).astype(rows.dtypes.to_dict())
        v[i] = predict(frame)
    sizes = masks.sum(axis=1)
    weight = np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)])
    phi = np.zeros((n, m))
    all_codes = np.arange(2**m)
    for j in range(m):
        without = all_codes[(all_codes >> j) & 1 == 0]
        phi[:, j] = ((v[:, without | (1 << j)] - v[:, without]) * weight[sizes[without]]).sum(axis=1)
    return phi


def abalone_case(n_rows: int) -> Case:
    headers = [
        "Sex", "Length", "Diameter", "Height", "Whole weight", "Shucked weight", "Viscera weight",
        "Shell weight", "Rings",
    ]  # fmt: skip
    data = pd.read_csv(ROOT / "datasets" / "abalone" / "abalone.data", header=None, names=headers)
    x = data[headers[:-1]]
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer([("s", OneHotEncoder(handle_unknown="ignore"), ["Sex"])], remainder="passthrough"),
            ),
            ("rf", RandomForestRegressor(n_estimators=100, random_state=0)),
        ]
    )
    pipe.fit(x, data["Rings"])
    baseline = pd.DataFrame([[x["Sex"].mode()[0], *x.iloc[:, 1:].mean().tolist()]], columns=x.columns)
    rows = x.sample(n_rows, random_state=1).reset_index(drop=True)
    predict = _frame_predict(pipe.predict)
    more = lambda k: x.sample(k, random_state=3, replace=k > len(x)).reset_index(drop=True)  # noqa: E731
    return Case("abalone", rows, baseline, predict, exact_by_enumeration(rows, baseline, predict), more)


def adult_case(n_rows: int) -> Case:
    headers = [
        "Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation", "Relationship",
        "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country", "Target",
    ]  # fmt: skip
    frame = pd.read_csv(
        ROOT / "datasets" / "adult" / "adult.data", header=None, names=headers, skipinitialspace=True,
        na_values="?", keep_default_na=False,
    ).dropna()  # fmt: skip
    for column in headers:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map({v: c for c, v in enumerate(sorted(set(frame[column])))})
    x = frame[headers[:-1]].astype(float).reset_index(drop=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, frame["Target"])
    baseline = x.mean().to_frame().T
    rows = x.sample(n_rows, random_state=2).reset_index(drop=True)
    predict = _frame_predict(lambda f: model.predict_proba(f)[:, 1])
    more = lambda k: x.sample(k, random_state=3, replace=k > len(x)).reset_index(drop=True)  # noqa: E731
    return Case("adult", rows, baseline, predict, exact_by_enumeration(rows, baseline, predict), more)


def linear_case(m: int, n_rows: int) -> Case:
    rng = np.random.default_rng(100 + m)
    w = rng.normal(size=m)
    cols = [f"x{j}" for j in range(m)]
    rows = pd.DataFrame(rng.normal(size=(n_rows, m)), columns=cols)
    baseline = pd.DataFrame(rng.normal(size=(1, m)) * 0.1, columns=cols)
    exact = w * (rows.to_numpy() - baseline.to_numpy())
    more = lambda k: pd.DataFrame(rng.normal(size=(k, m)), columns=cols)  # noqa: E731
    return Case(f"linear{m}", rows, baseline, lambda f: f.to_numpy(dtype=float) @ w, exact, more)


def nonlinear_case(m: int, n_rows: int) -> Case:
    rng = np.random.default_rng(200 + m)
    w = rng.normal(size=m)
    groups = [rng.choice(m, size=size, replace=False) for size in [2] * (m // 2) + [3] * (m // 3) + [4] * (m // 6)]
    coef = rng.normal(size=len(groups))
    kinds = [g % 3 for g in range(len(groups))]

    def term(a: np.ndarray, g: int) -> np.ndarray:
        sub = a[..., groups[g]]
        if kinds[g] == 0:
            return coef[g] * np.prod(sub, axis=-1)
        if kinds[g] == 1:
            return coef[g] * np.tanh(sub.sum(axis=-1)) * sub[..., 0]
        return coef[g] * np.max(sub, axis=-1)

    def model(a: np.ndarray) -> np.ndarray:
        return a @ w + sum(term(a, g) for g in range(len(groups)))

    cols = [f"x{j}" for j in range(m)]
    rows = pd.DataFrame(rng.normal(size=(n_rows, m)), columns=cols)
    baseline = pd.DataFrame(rng.normal(size=(1, m)) * 0.1, columns=cols)
    x, b = rows.to_numpy(), baseline.to_numpy()[0]
    exact = w * (x - b)
    for g, members in enumerate(groups):  # each term is a game on its own features: enumerate those
        k = len(members)
        for subset in itertools.product([False, True], repeat=k):
            sub = np.array(subset)
            point = np.broadcast_to(b, x.shape).copy()
            point[:, members[sub]] = x[:, members[sub]]
            value = term(point, g)
            s = int(sub.sum())
            for pos, j in enumerate(members):
                # v(S) enters phi_j with +w(|S|-1) when j in S, -w(|S|) when not
                if sub[pos]:
                    exact[:, j] += value * math.factorial(s - 1) * math.factorial(k - s) / math.factorial(k)
                else:
                    exact[:, j] -= value * math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
    more = lambda k: pd.DataFrame(rng.normal(size=(k, m)), columns=cols)  # noqa: E731
    return Case(f"nonlinear{m}", rows, baseline, lambda f: model(f.to_numpy(dtype=float)), exact, more)


def run_clarion(case: Case, budget: int, seed: int, variant: str) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    predict = lambda frame: case.predict(frame)[:, None]  # noqa: E731
    start = time.perf_counter()
    if variant == "clarion":
        result = explain_tabular(
            case.rows, case.baseline, predict, ["l"], ShapConfig(num_samples=budget), np.random.default_rng(seed)
        )
    else:
        m = case.rows.shape[1]
        composer = TabularComposer(case.rows, case.baseline, list(range(m)))
        design: object
        if variant == "shared":
            design = plan_coalitions(m, effective_num_samples(m, budget), np.random.default_rng(seed))
        else:
            design = RowDesign(effective_num_samples(m, budget), key=seed, proposal="kernel")
        result = explain(composer, predict, design, feature_names=list(case.rows.columns), output_names=["l"])
    elapsed = time.perf_counter() - start
    global_se = aggregate_stderr(result.values, result.stderr, "mean_abs", result.independent_rows, result.dof)[:, 0]
    return elapsed, result.values[:, :, 0], result.stderr[:, :, 0], global_se


def run_shap(case: Case, budget: int, seed: int) -> tuple[float, np.ndarray]:
    import shap

    columns, dtypes = list(case.rows.columns), case.rows.dtypes.to_dict()

    def f(array: np.ndarray) -> np.ndarray:
        return case.predict(pd.DataFrame(array, columns=columns).astype(dtypes))

    np.random.seed(seed)  # KernelExplainer draws from numpy's global generator
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(f, case.baseline.to_numpy(dtype=object))
        values = explainer.shap_values(case.rows.to_numpy(dtype=object), nsamples=budget, silent=True)
    return time.perf_counter() - start, np.asarray(values, dtype=float).reshape(case.rows.shape)


CLOCK = time.perf_counter  # --clock process: time.process_time (CPU time, steadier on a shared machine)


def floor_time(rows: pd.DataFrame, case: Case, budget: int) -> float:
    """One np.where over random masks for every synthetic row (rows x budget), one DataFrame, one predict."""
    n, m = rows.shape
    rng = np.random.default_rng(0)
    mixed = any(not pd.api.types.is_numeric_dtype(d) for d in rows.dtypes)
    x = rows.to_numpy(dtype=object) if mixed else rows.to_numpy()
    b = case.baseline.to_numpy(dtype=x.dtype)[0]
    start = CLOCK()
    masks = rng.random((n * budget, m)) < 0.5
    block = np.where(masks, np.repeat(x, budget, axis=0), b[None, :])
    frame = pd.DataFrame(block, columns=rows.columns)
    if x.dtype == object:
        frame = frame.astype(rows.dtypes.to_dict())
    case.predict(frame)
    return CLOCK() - start


def clarion_time(rows: pd.DataFrame, case: Case, budget: int) -> float:
    start = CLOCK()
    explain_tabular(
        rows,
        case.baseline,
        lambda frame: case.predict(frame)[:, None],
        ["l"],
        ShapConfig(num_samples=budget),
        np.random.default_rng(0),
    )
    return CLOCK() - start


def ties(values: np.ndarray, exact: np.ndarray) -> int:
    """Feature pairs equal (to 1e-12) in every row while their exact values are not."""
    count = 0
    for j, k in itertools.combinations(range(values.shape[1]), 2):
        if np.allclose(values[:, j], values[:, k], rtol=0, atol=1e-12) and not np.allclose(
            exact[:, j], exact[:, k], rtol=0, atol=1e-12
        ):
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--models", default="abalone,adult,linear24,nonlinear24,linear48,nonlinear48")
    parser.add_argument("--budgets", default="15,20,50,100,auto")
    parser.add_argument("--study", action="store_true", help="also run clarion's shared-plan and kernel variants")
    parser.add_argument("--skip-shap", action="store_true")
    parser.add_argument("--time-rows", type=int, default=1000)
    parser.add_argument("--clock", choices=["wall", "process"], default="wall", help="clock of the floor timings")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "process" else time.perf_counter
    makers = {
        "abalone": lambda: abalone_case(args.rows),
        "adult": lambda: adult_case(args.rows),
        "linear24": lambda: linear_case(24, args.rows),
        "nonlinear24": lambda: nonlinear_case(24, args.rows),
        "linear48": lambda: linear_case(48, args.rows),
        "nonlinear48": lambda: nonlinear_case(48, args.rows),
    }
    variants = ["clarion"] + (["shared", "kernel"] if args.study else [])
    print(f"rows {args.rows}, seeds {args.seeds}; mean over seeds")
    print(
        f"{'model':<12} {'M':>3} {'budget':>6} {'method':<8} {'mae':>9} {'gerr':>9} {'ties':>5} "
        f"{'cov':>6} {'nan%':>5} {'gcov':>6} {'ms/row':>7} {'x floor':>7} {'shap/cl mae':>11}"
    )
    for name in args.models.split(","):
        case = makers[name]()
        n, m = case.rows.shape
        exact_global = np.abs(case.exact).mean(axis=0)
        for token in args.budgets.split(","):
            budget = 2 * m + 2048 if token == "auto" else int(token)
            budget = effective_num_samples(m, budget)
            tiled = case.more_rows(args.time_rows)
            floor = min(floor_time(tiled, case, budget) for _ in range(2)) / args.time_rows
            clarion_per_row = min(clarion_time(tiled, case, budget) for _ in range(2)) / args.time_rows
            stats: dict[str, dict[str, float]] = {}
            for method in variants + ([] if args.skip_shap else ["shap"]):
                mae, gerr, tie, cov, nan, gcov, ms = [], [], 0, [], [], [], []
                for seed in range(args.seeds):
                    if method == "shap":
                        elapsed, values = run_shap(case, budget, seed)
                        se = gse = None
                    else:
                        elapsed, values, se, gse = run_clarion(case, budget, seed, method)
                    err = np.abs(values - case.exact)
                    mae.append(err.mean())
                    gerr_f = np.abs(np.abs(values).mean(axis=0) - exact_global)
                    gerr.append(gerr_f.mean())
                    tie += ties(values, case.exact)
                    ms.append(elapsed / n if method == "shap" else clarion_per_row)
                    if se is not None:
                        ok = np.isfinite(se) & (se > 0)
                        nan.append(float(np.isnan(se).mean()))
                        if ok.any():
                            cov.append(float((err[ok] <= 1.96 * se[ok]).mean()))
                        gok = np.isfinite(gse) & (gse > 0)
                        if gok.any():
                            gcov.append(float((gerr_f[gok] <= 1.96 * gse[gok]).mean()))
                stats[method] = {"mae": float(np.mean(mae))}
                ratio = ""
                if method == "shap":
                    ratio = f"{np.mean(mae) / stats['clarion']['mae']:>11.2f}" if stats["clarion"]["mae"] > 0 else ""
                fmt = lambda xs: f"{100 * np.mean(xs):>5.1f}%" if xs else "     -"  # noqa: E731
                print(
                    f"{name:<12} {m:>3} {budget:>6} {method:<8} {np.mean(mae):>9.2e} {np.mean(gerr):>9.2e} "
                    f"{tie:>5} {fmt(cov)} {(100 * np.mean(nan) if nan else 0):>4.0f}% {fmt(gcov)} "
                    f"{1000 * np.mean(ms):>7.3f} {np.mean(ms) / floor:>7.2f} {ratio}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
