"""Whole-process bias runs side by side: clarion's CLI, a smclarify script and a floor, each a fresh process.

    .venv/bin/python bench/bias_whole_process.py [--cases pre-1m post-ft-1m ...] [--repeats 3] [--peer-repeats 3]
        [--before-src DIR]

Cases (issue 17's table), on UCI Adult resampled with replacement (seeded):

- ``pre-1m``, ``pre-10m``: pre-training bias, all 8 metrics; facets sex [" Female"], race (each value vs the
  rest), age [40]; group education. The CSV is the one ``memory_10m.py`` builds (no header row).
  smclarify: ``pd.read_csv`` + ``bias_report`` per facet. Floor: pyarrow's CSV reader parses the four
  needed columns, then one group-by count per facet (facet, label, group).
- ``post-ft-1m``, ``post-1m``, ``post-32k``: post-training bias with the model in process: Adult label-encoded
  (sorted categories -> 0..k-1), a StandardScaler + LogisticRegression pipeline (joblib) fitted once on
  Adult; predicted label = P(1) > 0.5. All 13 metrics (``post-ft-*``, flip test included) or the 12 without
  FT. smclarify: ``pd.read_csv``, ``predict_proba``, ``bias_report`` per facet. Floor: pyarrow reads every
  column, then one ``predict_proba`` call ("read + predict").

clarion runs as ``python -m clarion.cli run config.json -o OUT -q`` (start-up, read, predict, metrics,
analysis.json). The three sides alternate, ``--repeats`` times (``--peer-repeats`` for smclarify, which
takes minutes at 1M rows with FT; 0 leaves it out); the script prints min and median wall seconds, the ratios
of the minima and the load average. Every metric of clarion's first run is compared with smclarify's (largest
|difference| printed). CPU seconds (user + system, threads included) are printed beside wall seconds: on
a shared machine they move far less with the load. ``--before-src DIR`` adds a side "clarion before": the
same CLI with ``PYTHONPATH=DIR`` (an exported older ``src``), in the same alternation, so before and after
see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bias_posttraining import encoded_adult
from bias_pretraining import HEADERS, compare, ensure_smclarify, resample
from memory_10m import make_data

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
CPU_SECONDS: list[float] = []  # CPU seconds of each timed process, in order
POST_METRICS = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]

SMCLARIFY = r"""
import json, sys
import joblib
import pandas as pd
from smclarify.bias import report
job = json.loads(sys.argv[1])
df = pd.read_csv(job["path"], header=None if job["names"] else "infer", names=job["names"])
predicted = None
if job["model"]:
    model = joblib.load(job["model"])
    features = [c for c in df.columns if c != job["label"]]
    df["pred"] = (model.predict_proba(df[features])[:, 1] > 0.5).astype("int64")
    predicted = report.LabelColumn("pred", df["pred"], job["label_values"])
out = {}
for facet in job["facets"]:
    values = facet.get("value_or_threshold")
    out[facet["name_or_index"]] = report.bias_report(
        df,
        report.FacetColumn(facet["name_or_index"], values),
        report.LabelColumn(job["label"], df[job["label"]], job["label_values"]),
        report.StageType(job["stage"]),
        predicted_label_column=predicted,
        metrics=job["metrics"],
        group_variable=df[job["group"]],
    )
print(json.dumps(out))
"""

FLOOR = r"""
import json, sys
import pyarrow.csv as csv
job = json.loads(sys.argv[1])
read = csv.ReadOptions(column_names=job["names"]) if job["names"] else csv.ReadOptions()
if job["model"]:
    import joblib
    table = csv.read_csv(job["path"], read_options=read)
    frame = table.to_pandas()
    model = joblib.load(job["model"])
    model.predict_proba(frame[[c for c in frame.columns if c != job["label"]]])
else:
    facets = [f["name_or_index"] for f in job["facets"]]
    needed = [job["label"], job["group"], *facets]
    table = csv.read_csv(job["path"], read_options=read, convert_options=csv.ConvertOptions(include_columns=needed))
    for facet in facets:
        table.group_by([facet, job["label"], job["group"]]).aggregate([([], "count_all")])
"""


def facets(post: bool) -> list[dict]:
    return [
        {"name_or_index": "sex", "value_or_threshold": [0] if post else [" Female"]},
        {"name_or_index": "race"},
        {"name_or_index": "age", "value_or_threshold": [40]},
    ]


def pre_case(rows: int) -> dict:
    path = make_data(rows)
    return {
        "path": str(path),
        "names": HEADERS,
        "model": None,
        "stage": "pre_training",
        "label": "income",
        "label_values": [" >50K"],
        "facets": facets(post=False),
        "group": "education",
        "metrics": ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"],
    }


def post_case(rows: int, with_ft: bool) -> dict:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    DATA.mkdir(parents=True, exist_ok=True)
    adult = encoded_adult().drop(columns="pred")
    model_path = DATA / "adult_encoded_lr.joblib"
    if not model_path.exists():
        features = [c for c in adult.columns if c != "income"]
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0))
        joblib.dump(model.fit(adult[features], adult["income"]), model_path)
    path = DATA / f"adult_encoded_model_{rows}.csv"
    if not path.exists():
        frame = adult if rows == len(adult) else resample(adult, rows)
        frame.to_csv(path.with_suffix(".tmp"), index=False)
        path.with_suffix(".tmp").replace(path)
    return {
        "path": str(path),
        "names": None,
        "model": str(model_path),
        "stage": "post_training",
        "label": "income",
        "label_values": [1],
        "facets": facets(post=True),
        "group": "education",
        "metrics": POST_METRICS if with_ft else [m for m in POST_METRICS if m != "FT"],
    }


CASES = {
    "pre-1m": lambda: pre_case(1_000_000),
    "pre-10m": lambda: pre_case(10_000_000),
    "post-ft-1m": lambda: post_case(1_000_000, True),
    "post-1m": lambda: post_case(1_000_000, False),
    "post-32k": lambda: post_case(32_561, False),
    "post-ft-32k": lambda: post_case(32_561, True),
}


def clarion_config(job: dict) -> dict:
    config = {
        "dataset_type": "text/csv",
        "dataset_uri": job["path"],
        "headers": job["names"] or list(pd.read_csv(job["path"], nrows=0).columns),
        "label": job["label"],
        "label_values_or_threshold": job["label_values"],
        "facet": job["facets"],
        "group_variable": job["group"],
        "methods": {f"{job['stage']}_bias": {"methods": job["metrics"]}},
    }
    if job["model"]:
        config["predictor"] = {"model_uri": job["model"]}
    return config


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of one process; its CPU seconds (user + system) are added to ``CPU_SECONDS``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stderr[-3000:]}")
    CPU_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds, done.stdout


def run_case(name: str, repeats: int, peer_repeats: int, before_src: str | None = None) -> dict[str, list[float]]:
    job = CASES[name]()
    payload = json.dumps(job)
    smclarify = [str(ensure_smclarify()), "-c", SMCLARIFY, payload] if peer_repeats > 0 else []
    floor = [sys.executable, "-c", FLOOR, payload]
    times: dict[str, list[float]] = {"clarion": [], "clarion before": [], "smclarify": [], "floor": []}
    cpu: dict[str, list[float]] = {side: [] for side in times}
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "analysis_config.json"
        config_path.write_text(json.dumps(clarion_config(job)))
        out = Path(tmp) / "out"
        clarion = [sys.executable, "-m", "clarion.cli", "run", str(config_path), "-o", str(out), "-q"]
        theirs = None
        for i in range(max(repeats, peer_repeats)):
            if i < repeats:
                seconds, _ = timed(clarion)
                times["clarion"].append(seconds)
                cpu["clarion"].append(CPU_SECONDS[-1])
                if i == 0:
                    ours = json.loads((out / "analysis.json").read_text())[f"{job['stage']}_bias_metrics"]
                seconds, _ = timed(floor)
                times["floor"].append(seconds)
                cpu["floor"].append(CPU_SECONDS[-1])
                if before_src is not None:
                    seconds, _ = timed(clarion, env=os.environ | {"PYTHONPATH": before_src})
                    times["clarion before"].append(seconds)
                    cpu["clarion before"].append(CPU_SECONDS[-1])
            if i < peer_repeats:
                seconds, stdout = timed(smclarify)
                times["smclarify"].append(seconds)
                cpu["smclarify"].append(CPU_SECONDS[-1])
                theirs = json.loads(stdout.splitlines()[-1])
    rows = sum(1 for _ in open(job["path"], "rb")) - (0 if job["names"] else 1)
    print(f"\n== {name}: {rows:,} rows, facets sex/race/age ==  (load average {_load()})")
    if theirs is not None:
        worst = compare(theirs, ours)
        print("max |clarion - smclarify| per metric: " + ", ".join(f"{k} {v:.2g}" for k, v in sorted(worst.items())))
    for side, values in times.items():
        if values:
            low, mid = min(values), statistics.median(values)
            busy = f"cpu min {min(cpu[side]):6.2f} s median {statistics.median(cpu[side]):6.2f} s"
            print(f"{side:<15} min {low:8.2f} s   median {mid:8.2f} s   {busy}   (n={len(values)})")
    best = {side: min(values) for side, values in times.items() if values}
    peer = f"smclarify / clarion: {best['smclarify'] / best['clarion']:.1f}x   " if "smclarify" in best else ""
    before = f"   clarion before / floor: {best['clarion before'] / best['floor']:.2f}x" if before_src else ""
    print(f"{peer}clarion / floor: {best['clarion'] / best['floor']:.2f}x{before}   (wall, minima)")
    busy = {side: min(values) for side, values in cpu.items() if values}
    before = f"   clarion before / floor: {busy['clarion before'] / busy['floor']:.2f}x" if before_src else ""
    print(f"CPU seconds: clarion / floor: {busy['clarion'] / busy['floor']:.2f}x{before}   (minima)")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", nargs="+", choices=sorted(CASES), default=["pre-1m", "post-ft-1m", "post-1m", "post-32k"]
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats", type=int, default=3, help="0: clarion and the floor only")
    parser.add_argument("--before-src", help="also time clarion from this src folder (PYTHONPATH), alternating")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {np.__name__} {np.__version__}, cores: {_cores()}")
    for name in args.cases:
        run_case(name, args.repeats, args.peer_repeats, args.before_src)


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def _cores() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
