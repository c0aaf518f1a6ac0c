"""Kernel SHAP on every core: a whole ``clarion run`` with a model in process, ``--workers 1`` against ``--workers N``.

    .venv/bin/python bench/workers.py [--cases forest logistic] [--workers 2] [--repeats 3] [--forest-rows 60000]

Cases (1-row baseline, seed 0, out.csv written; each side a fresh process, timed from launch to exit):

- ``forest``: the abalone example's model (OneHotEncoder(Sex) + passthrough -> RandomForestRegressor(50 trees,
  min_samples_leaf=2, n_jobs=1), fitted on abalone), abalone resampled with replacement to ``--forest-rows``
  rows (seeded), num_samples 100: model-bound.
- ``logistic``: UCI Adult as is (32,561 rows, 8 text and 6 numeric features), OneHotEncoder + StandardScaler ->
  LogisticRegression, num_samples 100: composition and encoding of synthetic rows weigh as much as the model.

The two sides alternate ``--repeats`` times so a load spike on a shared machine hits both; the script prints
min and median wall seconds, the speed-up of the minima and medians, the load average before and after, and
checks that out.csv and analysis.json are byte for byte the same for both worker counts.

Ceiling: between the runs, the same pure-Python CPU work done by one process and shared by N processes
(``ceiling`` below). It is the speed-up the machine grants this session at that moment: with the kernel's
autogroup scheduling, a session's processes share one slice of a busy machine, so more processes do not get
more CPU while other sessions keep the cores busy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[1]
ABALONE = ROOT / "datasets" / "abalone" / "abalone.data"
ADULT = ROOT / "datasets" / "adult" / "adult.data"
ABALONE_HEADERS = [
    "Sex", "Length", "Diameter", "Height", "Whole weight", "Shucked weight", "Viscera weight", "Shell weight", "Rings",
]  # fmt: skip
ADULT_HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip
ADULT_TEXT = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex", "native-country"]


def forest_case(folder: Path, rows: int) -> tuple[Path, Path]:
    """(config, data) of the abalone forest case."""
    frame = pd.read_csv(ABALONE, header=None, names=ABALONE_HEADERS)
    features = ABALONE_HEADERS[:-1]
    encode = ColumnTransformer([("sex", OneHotEncoder(handle_unknown="ignore"), ["Sex"])], remainder="passthrough")
    forest = RandomForestRegressor(n_estimators=50, min_samples_leaf=2, random_state=42, n_jobs=1)
    model = Pipeline([("encode", encode), ("forest", forest)]).fit(frame[features], frame["Rings"])
    joblib.dump(model, folder / "forest.joblib")
    data = folder / "abalone.csv"
    frame.sample(n=rows, replace=True, random_state=0).to_csv(data, header=False, index=False)
    baseline = [frame["Sex"].mode().iloc[0], *(float(frame[c].median()) for c in features[1:])]
    config = {
        "dataset_type": "text/csv",
        "headers": ABALONE_HEADERS,
        "label": "Rings",
        "methods": {"shap": {"baseline": [baseline], "num_samples": 100, "save_local_shap_values": True, "seed": 0}},
        "predictor": {"model_uri": str(folder / "forest.joblib")},
    }
    return write_config(folder / "forest.json", config), data


def logistic_case(folder: Path) -> tuple[Path, Path]:
    """(config, data) of the Adult logistic case."""
    frame = pd.read_csv(ADULT, header=None, names=ADULT_HEADERS)
    features = ADULT_HEADERS[:-1]
    numeric = [c for c in features if c not in ADULT_TEXT]
    encode = ColumnTransformer(
        [("text", OneHotEncoder(handle_unknown="ignore"), ADULT_TEXT), ("numbers", StandardScaler(), numeric)]
    )
    model = Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=1000))])
    model.fit(frame[features], frame["income"] == " >50K")
    joblib.dump(model, folder / "logistic.joblib")
    baseline = [frame[c].mode().iloc[0] if c in ADULT_TEXT else float(frame[c].median()) for c in features]
    config = {
        "dataset_type": "text/csv",
        "headers": ADULT_HEADERS,
        "label": "income",
        "methods": {"shap": {"baseline": [baseline], "num_samples": 100, "save_local_shap_values": True, "seed": 0}},
        "predictor": {"model_uri": str(folder / "logistic.joblib")},
    }
    return write_config(folder / "logistic.json", config), ADULT


def write_config(path: Path, config: dict) -> Path:
    path.write_text(json.dumps(config))
    return path


def clarion_run(config: Path, data: Path, out: Path, workers: int) -> float:
    command = [
        sys.executable, "-m", "clarion.cli", "run", str(config), "-d", str(data), "-o", str(out), "-q",
        "--workers", str(workers),
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


SPIN = """
import sys, time
from concurrent.futures import ProcessPoolExecutor

def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

if __name__ == "__main__":
    n, workers = 20_000_000, int(sys.argv[1])
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(work, [n // workers] * workers))
    print(time.perf_counter() - start)
"""


def spin(folder: Path, workers: int) -> float:
    """Seconds for the fixed pure-Python work shared by ``workers`` processes (pool start-up included)."""
    script = folder / "spin.py"
    script.write_text(SPIN)
    done = subprocess.run([sys.executable, str(script), str(workers)], check=True, capture_output=True, text=True)
    return float(done.stdout)


def same_outputs(one: Path, two: Path) -> bool:
    return all(
        (one / name).read_bytes() == (two / name).read_bytes()
        for name in ("explanations_shap/out.csv", "analysis.json")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["forest", "logistic"], choices=["forest", "logistic"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--forest-rows", type=int, default=60_000)
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}; load average before {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="clarion-bench-workers-") as scratch:
        folder = Path(scratch)
        for case in args.cases:
            config, data = forest_case(folder, args.forest_rows) if case == "forest" else logistic_case(folder)
            times: dict[int, list[float]] = {1: [], args.workers: []}
            ceiling: dict[int, list[float]] = {1: [], args.workers: []}
            for repeat in range(args.repeats):
                for workers in times:
                    times[workers].append(clarion_run(config, data, folder / f"{case}-{workers}-{repeat}", workers))
                    ceiling[workers].append(spin(folder, workers))
            one, many = times[1], times[args.workers]
            same = same_outputs(folder / f"{case}-1-0", folder / f"{case}-{args.workers}-0")
            print(f"\n{case}: rows {sum(1 for _ in open(data, encoding='utf-8'))}, outputs identical: {same}")
            for workers, values in times.items():
                print(f"  workers {workers}: min {min(values):.2f} s, median {statistics.median(values):.2f} s")
            print(
                f"  speed-up: {min(one) / min(many):.2f}x (minima), "
                f"{statistics.median(one) / statistics.median(many):.2f}x (medians)"
            )
            spin_one, spin_many = ceiling[1], ceiling[args.workers]
            print(
                f"  ceiling (pure-Python work, 1 vs {args.workers} processes): "
                f"{min(spin_one) / min(spin_many):.2f}x (minima), "
                f"{statistics.median(spin_one) / statistics.median(spin_many):.2f}x (medians); "
                f"load average now {os.getloadavg()}"
            )
    print(f"\nload average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
