"""Peak memory of a bias run on a 10-million-row CSV: pre-training for several chunk sizes, or post-training
with the flip test and an in-process model.

Pre-training (default): builds bench/.data/adult_10000000.csv (UCI Adult resampled with replacement, about
1.2 GB) once, then runs ``clarion run`` in a child process per chunk size and prints wall time and peak RSS
(ru_maxrss of the child). Memory should follow the chunk size, not the file size.

``--post-ft``: the ``post-ft`` case of ``bias_whole_process.py`` at ``--rows`` (Adult label-encoded and
resampled, StandardScaler + LogisticRegression in process, all 13 post-training metrics including FT) through
``clarion run``, once per chunk size. FT keeps every row's features, so memory follows the number of distinct
rows (and, when ties at the k-th distance could swing a vote, the facet-a rows as float64 for scikit-learn).

    .venv/bin/python bench/memory_10m.py [--rows 10000000] [--chunks 50000 200000 1000000] [--post-ft]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip


def make_data(rows: int) -> Path:
    path = REPO / "bench" / ".data" / f"adult_{rows}.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    adult = pd.read_csv(REPO / "datasets" / "adult" / "adult.data", header=None, names=HEADERS)
    rng = np.random.default_rng(0)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as handle:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            adult.iloc[rng.integers(0, len(adult), n)].to_csv(handle, header=False, index=False)
    os.replace(tmp, path)
    return path


def pre_training_config() -> dict:
    config = json.loads((REPO / "examples" / "adult" / "analysis_config.json").read_text())
    config["methods"].pop("report", None)
    return config


def post_training_config(rows: int) -> tuple[Path, dict]:
    from bias_whole_process import clarion_config, post_case

    job = post_case(rows, True)
    return Path(job["path"]), clarion_config(job)


def run(data: Path, chunk_rows: int, config: dict) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "analysis_config.json"
        config_path.write_text(json.dumps(config))
        code = (
            "import sys; from clarion.engine import run_analysis; "
            f"run_analysis({str(config_path)!r}, data_uri={str(data)!r}, output_dir={tmp + '/out'!r}, "
            f"quiet=True, chunk_rows={chunk_rows})"
        )
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code])
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS (KiB on Linux)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        if child.returncode:
            raise SystemExit(f"clarion run failed with exit code {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunks", type=int, nargs="+", default=[50_000, 200_000, 1_000_000])
    parser.add_argument("--post-ft", action="store_true", help="post-training with FT and an in-process model")
    args = parser.parse_args()
    if args.post_ft:
        data, config = post_training_config(args.rows)
    else:
        data, config = make_data(args.rows), pre_training_config()
    print(f"dataset: {data} ({data.stat().st_size / 2**30:.2f} GiB, {args.rows:,} rows)")
    print(f"{'chunk_rows':>10} {'seconds':>8} {'peak RSS MiB':>13}")
    for chunk_rows in sorted(args.chunks):
        seconds, peak = run(data, chunk_rows, config)
        print(f"{chunk_rows:>10,} {seconds:>8.1f} {peak:>13.0f}")


if __name__ == "__main__":
    main()
