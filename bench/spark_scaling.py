"""Local engine vs the Spark engine on local[1] and local[2]: wall times, Spark overhead, speed-up.

Two workloads, each run by every engine in this one process, results checked equal:
- bias: pre-training bias (all metrics, facets sex / race / age, group education) on UCI Adult resampled
  to ``--bias-rows`` rows (bench/.data/adult_<rows>.csv, built once as bench/memory_10m.py does);
- shap: Kernel SHAP of ``--shap-rows`` Adult rows (5 numeric features, LogisticRegression in process,
  exact enumeration of the 30 coalitions), local values saved; the baseline is ``--shap-clusters`` k-means
  prototypes of a seeded row sample (1 = the mean row), so the work is rows x 30 x clusters predictions.
Spark session start-up is timed apart (it is paid once per job, not per workload).

    .venv/bin/python bench/spark_scaling.py [--bias-rows 1000000] [--shap-rows 20000] [--shap-clusters 10] \
        [--masters local[1] local[2]]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from memory_10m import HEADERS, make_data  # noqa: E402

from clarion.engine import run_analysis  # noqa: E402
from clarion.engine.spark_session import spark_session  # noqa: E402

NUMERIC = ["age", "education-num", "hours-per-week", "capital-gain", "sex"]


def bias_config() -> dict:
    config = json.loads((REPO / "examples" / "adult" / "analysis_config.json").read_text())
    config["methods"].pop("report", None)
    config.pop("dataset_uri", None)
    config["headers"] = HEADERS
    return config


def shap_setup(rows: int, clusters: int, folder: Path) -> tuple[dict, Path]:
    adult = pd.read_csv(REPO / "datasets" / "adult" / "adult.data", header=None, names=HEADERS)
    rng = np.random.default_rng(1)
    frame = adult.iloc[rng.integers(0, len(adult), rows)].reset_index(drop=True)
    data = pd.DataFrame({"id": np.arange(rows)})
    for name in NUMERIC[:-1]:
        data[name] = frame[name].to_numpy()
    data["sex"] = (frame["sex"] == " Male").astype(int).to_numpy()
    data["income"] = (frame["income"] == " >50K").astype(int).to_numpy()
    model = LogisticRegression(max_iter=1000).fit(data[NUMERIC], data["income"])
    joblib.dump(model, folder / "model.joblib")
    path = folder / "shap.csv"
    data.to_csv(path, header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": list(data.columns),
        "label": "income",
        "joinsource_name_or_index": "id",
        "methods": {"shap": {"num_clusters": clusters, "seed": 0, "save_local_shap_values": True}},
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    return config, path


def timed(**kwargs) -> tuple[float, dict]:
    start = time.perf_counter()
    analysis = run_analysis(quiet=True, **kwargs)
    return time.perf_counter() - start, analysis


def close(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bias-rows", type=int, default=1_000_000)
    parser.add_argument("--shap-rows", type=int, default=20_000)
    parser.add_argument("--shap-clusters", type=int, default=10)
    parser.add_argument("--masters", nargs="+", default=["local[1]", "local[2]"])
    args = parser.parse_args()
    bias_data = make_data(args.bias_rows)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        shap_cfg, shap_data = shap_setup(args.shap_rows, args.shap_clusters, out)
        workloads = {
            "bias": (bias_config(), bias_data, args.bias_rows),
            "shap": (shap_cfg, shap_data, args.shap_rows),
        }
        times: dict[str, dict[str, float]] = {w: {} for w in workloads}
        reference = {}
        for name, (config, data, _) in workloads.items():
            times[name]["local"], reference[name] = timed(
                config=config, data_uri=str(data), output_dir=out / f"l_{name}"
            )
        startup = {}
        for master in args.masters:
            start = time.perf_counter()
            spark = spark_session(master)
            spark.range(1).count()  # JVM and first job warm
            startup[master] = time.perf_counter() - start
            assert spark.sparkContext.master == master, spark.sparkContext.master
            for name, (config, data, _) in workloads.items():
                seconds, analysis = timed(
                    config=config, data_uri=str(data), output_dir=out / f"{master}_{name}", engine="spark",
                    spark_session=spark,
                )  # fmt: skip
                times[name][master] = seconds
                if not close(analysis, reference[name]):
                    raise SystemExit(f"{name}: {master} results differ from the local engine")
            spark.stop()
    print("Spark session start-up: " + ", ".join(f"{m} {s:.1f} s" for m, s in startup.items()))
    print("| workload | rows | engine | wall s | rows/s | vs local | speed-up vs local[1] |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for name, (_, _, rows) in workloads.items():
        local = times[name]["local"]
        first = times[name].get(args.masters[0])
        for engine, seconds in times[name].items():
            ratio = f"{seconds / local:.2f}x"
            speed = f"{first / seconds:.2f}" if engine != "local" and first else ""
            print(f"| {name} | {rows:,} | {engine} | {seconds:.2f} | {rows / seconds:,.0f} | {ratio} | {speed} |")
    for name in workloads:
        local = times[name]["local"]
        overheads = ", ".join(f"{m} {times[name][m] - local:+.2f} s" for m in args.masters)
        print(f"{name}: Spark minus local wall time: {overheads}; results equal to the local engine")


if __name__ == "__main__":
    main()
