"""Pre-training bias: smclarify vs clarion on UCI Adult and on Adult resampled to 1,000,000 rows.

Run:  .venv/bin/python bench/bias_pretraining.py [--rows 1000000]
smclarify runs in its own virtualenv (bench/.venvs/smclarify, created here when missing, pandas<3) through a
subprocess that reads the same CSV file. For each data size the script prints, per metric, the largest
absolute difference over all facet entries, and the time of each side (CSV read + metrics) with the ratio.
clarion is timed end to end through ``clarion.engine.run_analysis`` (reading, counting, sections, writing),
and also for the counting and sections alone on the in-memory frame.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venvs" / "smclarify"
DATA = ROOT / "bench" / ".data"
ADULT = ROOT / "datasets" / "adult" / "adult.data"
HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip

SMCLARIFY_RUNNER = r"""
import json, sys, time
import pandas as pd
from smclarify.bias import report
job = json.loads(sys.argv[1])
start = time.perf_counter()
df = pd.read_csv(job["path"])
read = time.perf_counter() - start
out = {}
for facet in job["facets"]:
    values = facet["values"]
    predicted = None
    if job["predicted_label"]:
        predicted = report.LabelColumn(job["predicted_label"], df[job["predicted_label"]], list(job["label_values"]))
    out[facet["name"]] = report.bias_report(
        df,
        report.FacetColumn(facet["name"], None if values is None else list(values)),
        report.LabelColumn(job["label"], df[job["label"]], list(job["label_values"])),
        report.StageType(job["stage"]),
        predicted_label_column=predicted,
        metrics=job["metrics"],
        group_variable=df[job["group"]] if job["group"] else None,
    )
print(json.dumps({"seconds": time.perf_counter() - start, "read_seconds": read, "facets": out}))
"""


def ensure_smclarify() -> Path:
    """The smclarify virtualenv's python, created on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "smclarify", "pandas<3", "scikit-learn"], check=True)
    return python


def load_adult() -> pd.DataFrame:
    return pd.read_csv(ADULT, header=None, names=HEADERS)


def resample(df: pd.DataFrame, rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return df.iloc[rng.integers(0, len(df), rows)].reset_index(drop=True)


def write_csv(df: pd.DataFrame, name: str) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / name
    df.to_csv(path, index=False)
    return path


def run_smclarify(path: Path, job: dict) -> dict:
    python = ensure_smclarify()
    payload = json.dumps({**job, "path": str(path)})
    done = subprocess.run([str(python), "-c", SMCLARIFY_RUNNER, payload], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.splitlines()[-1])


def clarion_config(job: dict, columns: list[str]) -> dict:
    stage_key = f"{job['stage']}_bias"
    config = {
        "dataset_type": "text/csv",
        "headers": columns,
        "label": job["label"],
        "label_values_or_threshold": job["label_values"],
        "facet": [
            {"name_or_index": f["name"], **({"value_or_threshold": f["values"]} if f["values"] else {})}
            for f in job["facets"]
        ],
        "methods": {stage_key: {"methods": job["metrics"] if job["metrics"] != ["all"] else "all"}},
    }
    if job["group"]:
        config["group_variable"] = job["group"]
    if job["predicted_label"]:
        config["predicted_label"] = job["predicted_label"]
    return config


def run_clarion_end_to_end(path: Path, job: dict, columns: list[str]) -> tuple[dict, float]:
    from clarion.engine import run_analysis

    config = clarion_config(job, columns)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        analysis = run_analysis(config, data_uri=str(path), output_dir=out, quiet=True)
        seconds = time.perf_counter() - start
    return analysis[f"{job['stage']}_training_bias_metrics".replace("_training_training", "_training")], seconds


def run_clarion_core(df: pd.DataFrame, job: dict, chunk_rows: int = 100_000) -> tuple[dict, float]:
    """Counts per chunk, merge, sections: the bias computation alone, on an in-memory frame."""
    from clarion.bias import (
        BiasCounts,
        BiasSpec,
        FacetSpec,
        FlipTestData,
        merge_all,
        post_training_bias_section,
        pre_training_bias_section,
    )

    metrics = tuple(job["metric_codes"])
    spec = BiasSpec(
        label=job["label"],
        label_values=tuple(job["label_values"]),
        facets=tuple(FacetSpec(f["name"], None if f["values"] is None else tuple(f["values"])) for f in job["facets"]),
        group=job["group"],
        predicted_label=job["predicted_label"],
        pre_training_metrics=metrics if job["stage"] == "pre_training" else (),
        post_training_metrics=metrics if job["stage"] == "post_training" else (),
    )
    start = time.perf_counter()
    parts, flips = [], []
    features = [c for c in df.columns if c not in (job["label"], job["predicted_label"])]
    for offset in range(0, len(df), chunk_rows):
        chunk = df.iloc[offset : offset + chunk_rows]
        parts.append(BiasCounts.from_frame(chunk, spec.columns, row_offset=offset))
        if "FT" in metrics:
            flips.append(FlipTestData.from_frame(chunk, spec.columns, features, row_offset=offset))
    counts = merge_all(parts)
    if job["stage"] == "pre_training":
        section = pre_training_bias_section(counts, spec)
    else:
        flip = None
        if flips:
            flip = flips[0]
            for f in flips[1:]:
                flip = flip.merge(f)
        section = post_training_bias_section(counts, spec, flip_test=flip)
    return section, time.perf_counter() - start


def _value(entry: dict) -> float | None:
    v = entry.get("value")
    if isinstance(v, str):
        return float(v.replace("Infinity", "inf"))
    return v


def compare(smclarify_facets: dict, section: dict) -> dict[str, float]:
    """Largest absolute difference per metric; inf where one side has a value and the other an error."""
    worst: dict[str, float] = {}
    for name, entries in smclarify_facets.items():
        ours = section["facets"][name]
        assert [e["value_or_threshold"] for e in entries] == [e["value_or_threshold"] for e in ours], (
            name,
            [e["value_or_threshold"] for e in entries],
            [e["value_or_threshold"] for e in ours],
        )
        for theirs_entry, our_entry in zip(entries, ours, strict=True):
            for a, b in zip(theirs_entry["metrics"], our_entry["metrics"], strict=True):
                assert a["name"] == b["name"] and a["description"] == b["description"], (a, b)
                va, vb = _value(a), _value(b)
                if va is None or vb is None:
                    diff = 0.0 if (va is None and vb is None and a.get("error") == b.get("error")) else float("inf")
                    if diff:
                        print(f"  mismatch {name} {b['name']}: smclarify {a} / clarion {b}")
                elif np.isinf(va) or np.isinf(vb):
                    diff = 0.0 if va == vb else float("inf")
                else:
                    diff = abs(va - vb)
                worst[a["name"]] = max(worst.get(a["name"], 0.0), diff)
    return worst


def report_run(title: str, df: pd.DataFrame, job: dict, *, end_to_end: bool = True) -> None:
    path = write_csv(df, f"{title}.csv")
    theirs = run_smclarify(path, job)
    core_section, core_seconds = run_clarion_core(df, job)
    worst = compare(theirs["facets"], core_section)
    print(f"\n== {title}: {len(df):,} rows, facets {[f['name'] for f in job['facets']]} ==")
    if end_to_end:
        section, e2e_seconds = run_clarion_end_to_end(path, job, list(df.columns))
        worst_e2e = compare(theirs["facets"], section)
        worst = {k: max(v, worst_e2e.get(k, 0.0)) for k, v in worst.items()}
    print(f"{'metric':<8}{'max |diff|':>14}")
    for name in sorted(worst):
        print(f"{name:<8}{worst[name]:>14.3g}")
    print(f"smclarify (read + metrics): {theirs['seconds']:.2f} s  (read {theirs['read_seconds']:.2f} s)")
    print(
        f"clarion core (counts + sections, in memory): {core_seconds:.3f} s  "
        f"-> {(theirs['seconds'] - theirs['read_seconds']) / core_seconds:.1f}x vs smclarify metrics alone"
    )
    if end_to_end:
        print(
            f"clarion end to end (run_analysis: read + counts + sections + write): {e2e_seconds:.2f} s  "
            f"-> {theirs['seconds'] / e2e_seconds:.1f}x"
        )


def pre_training_job() -> dict:
    codes = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    return {
        "stage": "pre_training",
        "label": "income",
        "label_values": [" >50K"],
        "facets": [
            {"name": "sex", "values": [" Female"]},
            {"name": "race", "values": None},
            {"name": "age", "values": [40]},
        ],
        "group": "education",
        "predicted_label": None,
        "metrics": ["all"],
        "metric_codes": codes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    adult = load_adult()
    job = pre_training_job()
    report_run("adult", adult, job)
    report_run(f"adult_{args.rows}", resample(adult, args.rows), job)


if __name__ == "__main__":
    main()
