"""Shared fixtures for predictor and serve tests: small models on the bundled data sets, and test servers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
ABALONE_COLUMNS = [
    "Sex",
    "Length",
    "Diameter",
    "Height",
    "Whole weight",
    "Shucked weight",
    "Viscera weight",
    "Shell weight",
    "Rings",
]
ADULT_NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def abalone(n: int = 600) -> pd.DataFrame:
    frame = pd.read_csv(DATASETS / "abalone" / "abalone.data", header=None, names=ABALONE_COLUMNS)
    return frame.iloc[:n].reset_index(drop=True)


def adult_numeric(n: int = 2000) -> tuple[pd.DataFrame, np.ndarray]:
    columns = [
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
    frame = pd.read_csv(DATASETS / "adult" / "adult.data", header=None, names=columns, skipinitialspace=True, nrows=n)
    return frame[ADULT_NUMERIC].astype(float), (frame["income"] == ">50K").to_numpy().astype(int)


def abalone_pipeline(kind: str = "classifier"):
    """A Pipeline with a ColumnTransformer that selects columns by name (Sex one-hot, the rest scaled)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = abalone()
    features = data[ABALONE_COLUMNS[:-1]]
    prep = ColumnTransformer(
        [("sex", OneHotEncoder(handle_unknown="ignore"), ["Sex"]), ("num", StandardScaler(), ABALONE_COLUMNS[1:-1])]
    )
    if kind == "regressor":
        target = data["Rings"].to_numpy()
        model = LinearRegression()
    elif kind == "multiclass":
        target = np.where(data["Rings"] < 8, "young", np.where(data["Rings"] < 11, "adult", "old"))
        model = LogisticRegression(max_iter=500)
    else:
        target = (data["Rings"] > 9).astype(int).to_numpy()
        model = LogisticRegression(max_iter=500)
    pipe = Pipeline([("prep", prep), ("model", model)]).fit(features, target)
    return pipe, features


# ---------------------------------------------------------------- standard-library test server


@dataclass
class Seen:
    """What a test server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class TestServer:
    url: str
    seen: list[Seen] = field(default_factory=list)

    def posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]


Handler = Callable[[Seen, int], tuple[int, bytes]]


@contextmanager
def http_server(handler: Handler) -> Iterator[TestServer]:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port); ``handler(request, call_number)`` -> (status, body)."""
    lock = threading.Lock()
    state = TestServer(url="")

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                state.seen.append(seen)
                number = len(state.seen)
            status, payload = handler(seen, number)
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self) -> None:
            self._handle("POST")

        def do_GET(self) -> None:
            self._handle("GET")

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def csv_rows(body: bytes) -> list[list[float]]:
    return [[float(v) for v in line.split(",")] for line in body.decode().splitlines() if line]


def sum_model_csv(seen: Seen, number: int) -> tuple[int, bytes]:
    """Answers each CSV row with the sum of its values (an independent, checkable model)."""
    if seen.method == "GET":
        return 200, b""
    return 200, "".join(f"{sum(r)!r}\n" for r in csv_rows(seen.body)).encode()


# ---------------------------------------------------------------- uvicorn in a thread


@contextmanager
def uvicorn_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Run an ASGI app with uvicorn in a thread on an ephemeral 127.0.0.1 port; yields its base URL."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def jsonl(objects: list[object]) -> bytes:
    return ("\n".join(json.dumps(o) for o in objects) + "\n").encode()


# ---------------------------------------------------------------- callables for model_callable


def weighted_sum(frame: pd.DataFrame) -> np.ndarray:
    """score = 2*A - B (as floats)."""
    return (2.0 * frame["A"] - frame["B"]).to_numpy(dtype=float)


def parity_label(frame: pd.DataFrame) -> np.ndarray:
    """label = A mod 2 (ints)."""
    return (frame["A"].to_numpy() % 2).astype(int)


def two_column_frame(frame: pd.DataFrame) -> pd.DataFrame:
    p = 1.0 / (1.0 + np.exp(-frame["A"].to_numpy(dtype=float)))
    return pd.DataFrame({"no": 1 - p, "yes": p})


def wrong_length(frame: pd.DataFrame) -> np.ndarray:
    return np.zeros(len(frame) + 1)
