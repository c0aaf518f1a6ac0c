"""Monitoring the Adult model: a baseline, three monitoring windows (the third drifted), the over-time report.

    python examples/monitoring/run.py [--rows N] [--num-samples S] [--output DIR]

Chain: label-encode UCI Adult -> train a LogisticRegression (called in-process through predictor.model_uri) ->
split adult.test into four random parts of N rows -> baseline = part 0 (pre- and post-training bias for
Sex = Female, SHAP) -> three monitoring windows:

    week 1  part 1 as a CSV file                                   (clean)
    week 2  part 2 as SageMaker data capture + a ground-truth file (clean; the captured scores are the predictions)
    week 3  part 3 with two faults: "Hours per week" arrives as hours per month (x4), and two thirds of the
            women with label >50K are relabelled <=50K             (drifted)

-> `clarion check` on every run (exit 0 clean, 3 violations) -> monitoring_report.html / .pdf.

Writes into DIR (default out/monitoring): model.joblib, analysis_config.json, data/, monitoring/ (baseline/,
runs/<time>/ with constraint_violations.json, monitoring_report.html/.pdf) and summary.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import clarion
from clarion.monitor import Monitor

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "datasets" / "adult" / "adult.data"
TEST = ROOT / "datasets" / "adult" / "adult.test"
HEADERS = [
    "Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation", "Relationship",
    "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country", "Target",
]  # fmt: skip
LABEL = "Target"
FEATURES = HEADERS[:-1]
SEED = 7
# Sampling noise allowance for bias drift on windows of a few thousand rows (Model Monitor's own rule is 0).
BIAS_TOLERANCE = 0.05


def read_adult(path: Path) -> pd.DataFrame:
    """One UCI file; adult.test's first line and the trailing '.' of its labels dropped; rows with '?' dropped."""
    frame = pd.read_csv(
        path, header=None, names=HEADERS, skipinitialspace=True, comment="|", na_values="?", keep_default_na=False
    )
    frame[LABEL] = frame[LABEL].str.rstrip(".")
    return frame.dropna().reset_index(drop=True)


def label_encode(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text columns as integer codes in sorted order (Sex: Female = 0, Male = 1; Target: >50K = 1)."""
    train, test = train.copy(), test.copy()
    for column in HEADERS:
        if not pd.api.types.is_numeric_dtype(train[column]):
            codes = {value: code for code, value in enumerate(sorted(set(train[column]) | set(test[column])))}
            train[column] = train[column].map(codes)
            test[column] = test[column].map(codes)
    return train, test


def analysis_config(model: Path, num_samples: int) -> dict:
    """Bias for Sex = Female (0), label >50K (1), and SHAP against the mean training row, model in-process."""
    return {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": LABEL,
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
        "probability_threshold": 0.5,
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL", "KL", "JS"]},
            "post_training_bias": {"methods": ["DPPL", "DI", "AD"]},
            "shap": {"num_samples": num_samples, "agg_method": "mean_abs", "seed": SEED, "use_logit": False},
            "report": {"name": "report", "title": "Adult income model"},
        },
        "predictor": {"model_uri": str(model)},
    }


def drift(part: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Hours per week arriving as hours per month (x4), and two thirds of the women labelled >50K relabelled
    <=50K."""
    part = part.copy()
    part["Hours per week"] = part["Hours per week"] * 4
    women_positive = np.flatnonzero((part["Sex"] == 0).to_numpy() & (part[LABEL] == 1).to_numpy())
    flipped = rng.choice(women_positive, size=2 * len(women_positive) // 3, replace=False)
    part.loc[part.index[flipped], LABEL] = 0
    return part


def write_capture(part: pd.DataFrame, model: object, folder: Path, rng: np.random.Generator) -> Path:
    """What an endpoint with data capture would have written for ``part`` (one request per row, CSV in, the
    score out, some bodies BASE64-encoded as SageMaker does without a CSV content-type setting), plus the
    ground truth in Model Monitor's merge format. Returns the ground-truth file."""
    scores = model.predict_proba(part[FEATURES])[:, 1]  # type: ignore[attr-defined]
    capture_dir = folder / "capture" / "AllTraffic" / "2024" / "06" / "10" / "13"
    capture_dir.mkdir(parents=True, exist_ok=True)
    lines, truth = [], []
    for i, (row, score) in enumerate(zip(part[FEATURES].itertuples(index=False), scores, strict=True)):
        event = str(uuid.UUID(int=int(rng.integers(0, 2**63)) + i))
        body = ",".join(str(v) for v in row)
        encoding = "BASE64" if i % 4 == 0 else "CSV"
        data = base64.b64encode(body.encode()).decode() if encoding == "BASE64" else body
        record = {
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": data,
                                  "encoding": encoding},
                "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                   "data": repr(float(score)), "encoding": "CSV"},
            },
            "eventMetadata": {"eventId": event, "inferenceTime": f"2024-06-10T13:{i // 60 % 60:02d}:{i % 60:02d}Z"},
            "eventVersion": "0",
        }  # fmt: skip
        lines.append(json.dumps(record))
        truth.append(
            json.dumps(
                {
                    "groundTruthData": {"data": str(int(part[LABEL].iloc[i])), "encoding": "CSV"},
                    "eventMetadata": {"eventId": event},
                    "eventVersion": "0",
                }
            )
        )
    (capture_dir / "capture-0001.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ground_truth = folder / "ground_truth" / "labels.jsonl"
    ground_truth.parent.mkdir(parents=True, exist_ok=True)
    ground_truth.write_text("\n".join(truth[::-1]) + "\n", encoding="utf-8")  # any order: merged by event id
    return ground_truth


def check(run_dir: Path, baseline: Path) -> int:
    """`clarion check` as a pipeline would call it; returns its exit code (0 clean, 3 violations)."""
    cmd = [sys.executable, "-m", "clarion.cli", "check", str(run_dir), "--baseline", str(baseline),
           "--bias-tolerance", str(BIAS_TOLERANCE)]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True).returncode


def run(rows: int, output: Path, num_samples: int) -> dict[str, object]:
    """The whole chain; returns (and writes as summary.json) what it found."""
    output.mkdir(parents=True, exist_ok=True)
    data = output / "data"
    data.mkdir(exist_ok=True)
    train, test = label_encode(read_adult(TRAIN), read_adult(TEST))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(train[FEATURES], train[LABEL])
    model_path = output / "model.joblib"
    joblib.dump(model, model_path)
    config = analysis_config(model_path, num_samples)
    config["methods"]["shap"]["baseline"] = [[float(v) for v in train[FEATURES].mean()]]
    (output / "analysis_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(test))
    parts = [test.iloc[order[k * rows : (k + 1) * rows]].reset_index(drop=True) for k in range(4)]
    if min(len(p) for p in parts) < rows:
        raise clarion.ClarionError(f"--rows {rows}: adult.test has only {len(test)} rows for 4 parts")
    files = {}
    for name, part in (("baseline", parts[0]), ("week1", parts[1]), ("week3", drift(parts[3], rng))):
        files[name] = data / f"{name}.csv"
        part.to_csv(files[name], header=False, index=False)
    ground_truth = write_capture(parts[2], model, data / "week2", rng)

    monitor_dir = output / "monitoring"
    shutil.rmtree(monitor_dir, ignore_errors=True)  # a fresh history on every run of the example
    mon = Monitor(config, monitor_dir, bias_tolerance=BIAS_TOLERANCE)
    mon.suggest_baseline(str(files["baseline"]))
    windows = [
        mon.run(str(files["week1"]), window="week 1"),
        mon.run(str(data / "week2" / "capture"), ground_truth_uri=str(ground_truth), window="week 2 (captured)"),
        mon.run(str(files["week3"]), window="week 3 (drifted)"),
    ]
    gate = {w.window: check(w.path, mon.baseline) for w in windows}
    reports = mon.report(title="Adult income model: monitoring")

    summary: dict[str, object] = {
        "rows_per_window": rows,
        "baseline": str(mon.baseline),
        "runs": [
            {
                "window": w.window,
                "path": str(w.path),
                "status": w.status,
                "ndcg": {d.label: d.ndcg for d in w.attribution},
                "violations": [v.to_json() for v in w.violations],
                "check_exit_code": gate[w.window],
            }
            for w in windows
        ],
        "reports": [str(p) for p in reports],
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="rows in the baseline and in each window")
    parser.add_argument("--num-samples", type=int, default=64, help="SHAP coalitions per row")
    parser.add_argument("--output", type=Path, default=ROOT / "out" / "monitoring")
    args = parser.parse_args(argv)
    try:
        summary = run(args.rows, args.output, args.num_samples)
    except clarion.ClarionError as exc:
        print(f"monitoring example: {exc}", file=sys.stderr)
        return 1
    for entry in summary["runs"]:  # type: ignore[union-attr]
        ndcg = ", ".join(f"{k} {v:.3f}" for k, v in entry["ndcg"].items())
        print(f"{entry['window']}: {entry['status']}, NDCG {ndcg}, clarion check exit {entry['check_exit_code']}")
        for v in entry["violations"]:
            where = v.get("label") or f"{v['facet']}={v['facet_value']}"
            print(f"    {v['constraint_check_type']} {where} {v['metric_name']}: {v['description']}")
    print(f"Report: {summary['reports'][0]}")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
