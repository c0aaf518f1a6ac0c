"""The HTTP predictor against real servers on 127.0.0.1 (standard-library http.server in a thread)."""

import json
import threading
import time

import numpy as np
import pandas as pd
import pytest

try:  # tests as a package or as plain modules
    from tests.predictors_fixtures import csv_rows, http_server, jsonl, sum_model_csv
except ImportError:  # pragma: no cover
    from predictors_fixtures import csv_rows, http_server, jsonl, sum_model_csv

from clarion.config import load_config
from clarion.errors import PredictorError
from clarion.predictors import build_predictor, predicted_labels

FRAME = pd.DataFrame({"A": np.arange(10, dtype=float), "B": np.arange(10, dtype=float) * 0.5})
SUMS = (FRAME["A"] + FRAME["B"]).tolist()


def predictor(url: str, **keys):
    cfg = load_config(
        {
            "dataset_type": "text/csv",
            "methods": {"shap": {}},
            "predictor": {"endpoint_url": url, "max_retries": 3, **keys},
        }
    )
    return build_predictor(cfg, list(FRAME.columns))


def test_csv_round_trip_and_headers():
    with http_server(sum_model_csv) as server:
        with predictor(server.url, custom_attributes="trace-id=42", target_model="m1.tar.gz") as p:
            out = p.predict(FRAME)
    assert out.scores[:, 0].tolist() == SUMS
    (post,) = server.posts()
    assert post.path == "/invocations"
    assert post.headers["content-type"] == "text/csv" and post.headers["accept"] == "text/csv"
    assert post.headers["x-amzn-sagemaker-custom-attributes"] == "trace-id=42"
    assert post.headers["x-amzn-sagemaker-target-model"] == "m1.tar.gz"
    assert csv_rows(post.body) == FRAME.to_numpy().tolist()


def test_jsonlines_in_jsonlines_out_with_jmespath():
    def handler(seen, number):
        rows = [json.loads(line)["instance"]["values"] for line in seen.body.decode().splitlines()]
        return 200, jsonl([{"out": {"label": int(sum(r) > 5), "p": [1 - sum(r) / 20, sum(r) / 20]}} for r in rows])

    with http_server(handler) as server:
        with predictor(
            server.url,
            content_type="application/jsonlines",
            accept_type="application/jsonlines",
            content_template='{"instance":{"values":$features}}',
            label="out.label",
            probability="out.p",
            label_headers=["low", "high"],
        ) as p:
            out = p.predict(FRAME)
    assert out.labels.tolist() == [int(s > 5) for s in SUMS]
    np.testing.assert_allclose(out.scores[:, 1], np.array(SUMS) / 20)
    assert out.label_headers == ("low", "high")


@pytest.mark.parametrize(
    ("content_template", "record_template", "read"),
    [
        ('{"instances": $records}', "$features", lambda doc: doc["instances"]),
        ("$records", "$features_kvp", lambda doc: [[r["A"], r["B"]] for r in doc]),
        ("$records", '{"a": "${A}", "b": "${B}"}', lambda doc: [[r["a"], r["b"]] for r in doc]),
    ],
)
def test_json_templates(content_template, record_template, read):
    def handler(seen, number):
        rows = read(json.loads(seen.body))
        return 200, json.dumps({"predictions": [{"score": sum(r)} for r in rows]}).encode()

    with http_server(handler) as server:
        with predictor(
            server.url,
            content_type="application/json",
            accept_type="application/json",
            content_template=content_template,
            record_template=record_template,
            probability="predictions[*].score",
        ) as p:
            out = p.predict(FRAME)
    assert out.scores[:, 0].tolist() == SUMS
    assert len(server.posts()) == 1


def test_json_single_record_template_sends_one_row_per_request():
    def handler(seen, number):
        record = json.loads(seen.body)["x"]
        return 200, json.dumps({"score": record["A"] + record["B"]}).encode()

    with http_server(handler) as server:
        with predictor(
            server.url,
            content_type="application/json",
            accept_type="application/json",
            content_template='{"x": $record}',
            record_template="$features_kvp",
            probability="score",
        ) as p:
            out = p.predict(FRAME)
    assert out.scores[:, 0].tolist() == SUMS
    assert len(server.posts()) == len(FRAME)


def test_payload_splitting_counts_requests_and_keeps_order():
    frame = pd.DataFrame({"A": np.arange(1000, dtype=float), "B": np.ones(1000)})
    with http_server(sum_model_csv) as server:
        # rows are "k.0,1.0" = 7..9 bytes + newline; 0.001 MB = 1048 bytes -> many requests
        with predictor(server.url, max_payload_mb=0.001, max_concurrency=4) as p:
            out = p.predict(frame)
    assert out.scores[:, 0].tolist() == (frame["A"] + 1).tolist()
    bodies = [s.body for s in server.posts()]
    assert all(len(b) <= 1048 for b in bodies)
    total = sum(len(b) for b in bodies)
    assert len(bodies) >= total // 1048 + 1 and len(bodies) > 5
    assert sorted(sum(len(csv_rows(b)) for b in bodies) for _ in [0]) == [1000]


def test_max_records_per_request():
    with http_server(sum_model_csv) as server:
        with predictor(server.url, max_records_per_request=3, max_concurrency=1) as p:
            out = p.predict(FRAME)
    assert out.scores[:, 0].tolist() == SUMS
    assert [len(csv_rows(s.body)) for s in server.posts()] == [3, 3, 3, 1]


def test_throttled_then_ok():
    def handler(seen, number):
        if number <= 2:
            return 429, b"slow down"
        return sum_model_csv(seen, number)

    with http_server(handler) as server:
        with predictor(server.url) as p:
            out = p.predict(FRAME)
    assert out.scores[:, 0].tolist() == SUMS
    assert len(server.posts()) == 3


def test_server_error_then_ok():
    def handler(seen, number):
        return (500, b"boom") if number == 1 else sum_model_csv(seen, number)

    with http_server(handler) as server:
        with predictor(server.url) as p:
            assert p.predict(FRAME).scores[:, 0].tolist() == SUMS
    assert len(server.posts()) == 2


def test_always_failing_server_gives_clear_error():
    with http_server(lambda seen, n: (503, b"model unavailable")) as server:
        with predictor(server.url, max_retries=2) as p:
            with pytest.raises(PredictorError) as info:
                p.predict(FRAME)
    assert str(info.value) == (
        f"POST {server.url}/invocations (rows 0-9): HTTP 503: model unavailable (gave up after 3 attempts)"
    )
    assert len(server.posts()) == 3


def test_client_error_is_not_retried():
    with http_server(lambda seen, n: (400, b"bad row")) as server:
        with predictor(server.url) as p:
            with pytest.raises(PredictorError, match=r"rows 0-9\): HTTP 400: bad row$"):
                p.predict(FRAME)
    assert len(server.posts()) == 1


def test_slow_answer_times_out_then_retry_succeeds():
    release = threading.Event()

    def handler(seen, number):
        if number == 1:
            release.wait(5)  # longer than the client's timeout
        return sum_model_csv(seen, number)

    with http_server(handler) as server:
        with predictor(server.url, timeout_seconds=0.3) as p:
            out = p.predict(FRAME)
        release.set()
    assert out.scores[:, 0].tolist() == SUMS
    assert len(server.posts()) == 2


def test_always_slow_gives_timeout_error():
    release = threading.Event()

    def handler(seen, number):
        release.wait(5)
        return sum_model_csv(seen, number)

    with http_server(handler) as server:
        with predictor(server.url, timeout_seconds=0.2, max_retries=1) as p:
            with pytest.raises(PredictorError, match=r"no complete answer within 0.2 s \(gave up after 2 attempts\)"):
                p.predict(FRAME)
        release.set()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"1.0\n2.0\n", "rows 0-9\\): expected 10 results, got 2"),
        (b"1\n" * 11, "expected 10 results, got 11"),
        (b"1\n" * 9 + b"oops\n", "response line 10"),
        (b"", "expected 10 results, got 0"),
    ],
)
def test_malformed_or_short_answers_raise(body, message):
    with http_server(lambda seen, n: (200, body)) as server:
        with predictor(server.url) as p:
            with pytest.raises(PredictorError, match=message):
                p.predict(FRAME)


def test_connection_refused_is_retried_then_reported():
    with http_server(sum_model_csv) as server:
        url = server.url
    with predictor(url, max_retries=1) as p:
        with pytest.raises(PredictorError, match=r"connection failed \(ConnectError\) \(gave up after 2 attempts\)"):
            p.predict(FRAME)


def test_error_messages_never_hold_payload_or_custom_attributes():
    secret = "secret-token-123"
    frame = pd.DataFrame({"A": [987654.321], "B": [1.0]})
    with http_server(lambda seen, n: (502, b"")) as server:
        with predictor(server.url, custom_attributes=secret, max_retries=0) as p:
            with pytest.raises(PredictorError) as info:
                p.predict(frame)
    assert secret not in str(info.value) and "987654" not in str(info.value)


def test_concurrent_requests_run_in_parallel():
    active = 0
    peak = 0
    lock = threading.Lock()

    def handler(seen, number):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return sum_model_csv(seen, number)

    frame = pd.DataFrame({"A": np.arange(40, dtype=float), "B": np.zeros(40)})
    with http_server(handler) as server:
        with predictor(server.url, max_records_per_request=5, max_concurrency=4) as p:
            out = p.predict(frame)
    assert out.scores[:, 0].tolist() == frame["A"].tolist()
    assert 2 <= peak <= 4


def test_predicted_labels_from_endpoint_scores_use_threshold():
    with http_server(lambda seen, n: (200, b"0.3\n0.5\n0.7\n")) as server:
        with predictor(server.url) as p:
            out = p.predict(FRAME.head(3))
    assert predicted_labels(out, 0.5).tolist() == [0, 0, 1]
