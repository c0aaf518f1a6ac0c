"""Throughput of clarion's HTTP predictor against the peak of the server it calls.

Starts `python -m clarion.serve` on an Adult LogisticRegression (numeric columns), then in the same run:
  peak:    a plain load loop (threads posting pre-encoded CSV batches with httpx; no clarion code),
  clarion: HttpPredictor.predict on the same rows, with the same batch size and concurrency
           (it encodes the rows, splits them, posts, parses and checks every answer).
Prints rows/s of each and clarion / peak (goal >= 0.90).

    .venv/bin/python bench/predictors.py [--rows 200000] [--batch 5000] [--concurrency 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from clarion.predictors import HttpPredictor, HttpSettings, RequestCodec, ResponseCodec

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def adult() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(ROOT / "datasets/adult/adult.data", header=None, names=COLUMNS, skipinitialspace=True)
    return frame[NUMERIC].astype(float), (frame["income"] == ">50K").to_numpy().astype(int)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model_path: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "clarion.serve", model_path, "--port", str(port)], start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/ping").status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("server did not start")


def plain_load(url: str, bodies: list[bytes], concurrency: int) -> float:
    """Seconds to post every body, `concurrency` threads each taking the next body."""
    index = iter(range(len(bodies)))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=120, headers={"Content-Type": "text/csv", "Accept": "text/csv"}) as client:
            while True:
                with lock:
                    i = next(index, None)
                if i is None:
                    return
                response = client.post(f"{url}/invocations", content=bodies[i])
                response.raise_for_status()
                _ = response.content

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    x, y = adult()
    model = LogisticRegression(max_iter=2000).fit(x, y)
    reps = -(-args.rows // len(x))
    rows = pd.concat([x] * reps, ignore_index=True).iloc[: args.rows]
    expected = model.predict_proba(rows)[:, 1]
    bodies = [
        rows.iloc[i : i + args.batch].to_csv(header=False, index=False).encode()
        for i in range(0, len(rows), args.batch)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "adult_lr.joblib")
        joblib.dump(model, path)
        process, url = start_server(path)
        try:
            plain_load(url, bodies[:2], args.concurrency)  # warm up
            settings = HttpSettings(
                max_records_per_request=args.batch, max_concurrency=args.concurrency, timeout_seconds=120
            )
            peak, ours = [], []
            with HttpPredictor(url, RequestCodec("text/csv"), ResponseCodec("text/csv"), settings) as predictor:
                for _ in range(args.repeats):
                    peak.append(len(rows) / plain_load(url, bodies, args.concurrency))
                    start = time.perf_counter()
                    out = predictor.predict(rows)
                    ours.append(len(rows) / (time.perf_counter() - start))
                    assert np.allclose(out.scores[:, 0], expected, atol=1e-12), "wrong answers"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
    best_peak, best_ours = max(peak), max(ours)
    print(
        f"rows={len(rows)} batch={args.batch} concurrency={args.concurrency} repeats={args.repeats} "
        f"cores={os.cpu_count()}"
    )
    print(f"server peak (plain httpx loop): {best_peak:12,.0f} rows/s")
    print(f"clarion HttpPredictor:          {best_ours:12,.0f} rows/s")
    print(f"ratio clarion / peak:           {best_ours / best_peak:12.3f}")


if __name__ == "__main__":
    main()
