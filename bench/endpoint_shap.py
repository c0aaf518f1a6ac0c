"""Kernel SHAP against an HTTP endpoint, whole process: ``clarion run`` vs a shap KernelExplainer script.

    .venv/bin/python bench/endpoint_shap.py [--rows 200] [--repeats 3]

Starts ``python -m clarion.serve`` on a LogisticRegression over Adult's six numeric columns (127.0.0.1, an
ephemeral port), writes the first ``--rows`` rows as a CSV, then alternates ``--repeats`` times, each a fresh
process: clarion's CLI (config: 1-row baseline = the column means, the default number of samples, the
endpoint as ``predictor.endpoint_url``) and a script running shap's KernelExplainer with the same baseline
and its default ``nsamples``, whose model function posts the rows as CSV to the same endpoint. With M = 6
both enumerate all 62 coalitions, so the values must agree; the largest |difference| is printed with the
min and median wall seconds of each side. Needs shap in the main virtualenv (``pip install shap``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from predictors import NUMERIC, adult, start_server
from sklearn.linear_model import LogisticRegression

SHAP_SCRIPT = r"""
import io, sys
import httpx
import numpy as np
import pandas as pd
import shap
path, url, baseline, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = pd.read_csv(path).drop(columns="income")
client = httpx.Client(timeout=60)

def model(x):
    body = pd.DataFrame(x).to_csv(header=False, index=False)
    answer = client.post(url + "/invocations", content=body, headers={"content-type": "text/csv", "accept": "text/csv"})
    answer.raise_for_status()
    return np.loadtxt(io.StringIO(answer.text), ndmin=1)

explainer = shap.KernelExplainer(model, np.array([[float(v) for v in baseline.split(",")]]))
values = explainer.shap_values(rows.to_numpy(dtype=float), silent=True)
np.savetxt(out, np.asarray(values).reshape(len(rows), -1), delimiter=",")
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    features, target = adult()
    model = LogisticRegression(max_iter=1000).fit(features, target)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        joblib.dump(model, folder / "model.joblib")
        data = features.iloc[: args.rows].assign(income=target[: args.rows])
        data.to_csv(folder / "data.csv", index=False)
        baseline = features.mean().tolist()
        server, url = start_server(str(folder / "model.joblib"))
        try:
            config = {
                "dataset_type": "text/csv",
                "dataset_uri": str(folder / "data.csv"),
                "headers": [*NUMERIC, "income"],
                "label": "income",
                "predictor": {"endpoint_url": url, "content_type": "text/csv", "accept_type": "text/csv"},
                "methods": {"shap": {"baseline": [baseline], "save_local_shap_values": True, "use_logit": False}},
            }
            (folder / "config.json").write_text(json.dumps(config))
            out = folder / "out"
            clarion = [sys.executable, "-m", "clarion.cli", "run", str(folder / "config.json"), "-o", str(out), "-q"]
            peer = [
                sys.executable, "-c", SHAP_SCRIPT, str(folder / "data.csv"), url,
                ",".join(map(repr, baseline)), str(folder / "shap.csv"),
            ]  # fmt: skip
            times: dict[str, list[float]] = {"clarion": [], "shap": []}
            for _ in range(args.repeats):
                times["clarion"].append(timed(clarion))
                times["shap"].append(timed(peer))
            local = pd.read_csv(out / "explanations_shap" / "out.csv")
            ours = local.iloc[:, : len(NUMERIC)].to_numpy()  # columns "<feature>_label0", in feature order
            theirs = np.loadtxt(folder / "shap.csv", delimiter=",", ndmin=2)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.rows} rows, M = {len(NUMERIC)}, 1-row baseline")
    print(f"max |clarion - shap| over all local values: {np.abs(ours - theirs).max():.2g}")
    for side, values in times.items():
        print(f"{side:<8} min {min(values):7.2f} s   median {statistics.median(values):7.2f} s   (n={len(values)})")
    print(f"shap / clarion: {min(times['shap']) / min(times['clarion']):.2f}x")


if __name__ == "__main__":
    main()
