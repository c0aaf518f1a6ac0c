"""Transport policy of remote models: protocol edge cases through httpx.MockTransport, and servers on 127.0.0.1
that trickle their answer (the timeout bounds the whole answer, not each read)."""

import socket
import threading
import time

import httpx
import numpy as np
import pandas as pd
import pytest

from clarion.errors import PredictorError
from clarion.predictors import HttpPredictor, RequestCodec, ResponseCodec, RetryPolicy, TransportSettings
from clarion.predictors.http import safe_url

FRAME = pd.DataFrame({"A": np.arange(10, dtype=float), "B": np.arange(10, dtype=float) * 0.5})
SUMS = (FRAME["A"] + FRAME["B"]).tolist()


def sums_of(body: bytes) -> bytes:
    rows = [[float(v) for v in line.split(",")] for line in body.decode().splitlines() if line]
    return "".join(f"{sum(r)!r}\n" for r in rows).encode()


def mock_predictor(handler, url="http://model.test", **settings):
    retry = settings.pop("retry", RetryPolicy(max_retries=2, base_seconds=0.001, cap_seconds=0.002))
    return HttpPredictor(
        url,
        RequestCodec("text/csv"),
        ResponseCodec("text/csv"),
        TransportSettings(retry=retry, **settings),
        transport=httpx.MockTransport(handler),
    )


def test_mock_transport_round_trip_sends_the_contract():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=sums_of(request.content))

    with mock_predictor(handler, custom_attributes="a=1", target_model="m.tar.gz") as p:
        assert p.predict(FRAME).scores[:, 0].tolist() == SUMS
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "http://model.test/invocations"
    assert request.headers["content-type"] == "text/csv" and request.headers["accept"] == "text/csv"
    assert request.headers["x-amzn-sagemaker-custom-attributes"] == "a=1"
    assert request.headers["x-amzn-sagemaker-target-model"] == "m.tar.gz"
    assert p.http._client is None  # closed on exit


def test_retry_after_seconds_is_waited_before_the_retry():
    times = []

    def handler(request):
        times.append(time.monotonic())
        if len(times) == 1:
            return httpx.Response(503, headers={"Retry-After": "0.3"}, content=b"busy")
        return httpx.Response(200, content=sums_of(request.content))

    with mock_predictor(handler) as p:
        assert p.predict(FRAME).scores[:, 0].tolist() == SUMS
    assert len(times) == 2 and times[1] - times[0] >= 0.3


def test_retry_after_beyond_the_cap_waits_the_cap():
    times = []

    def handler(request):
        times.append(time.monotonic())
        if len(times) == 1:
            return httpx.Response(429, headers={"Retry-After": "3600"})
        return httpx.Response(200, content=sums_of(request.content))

    retry = RetryPolicy(max_retries=1, retry_after_cap_seconds=0.2)
    with mock_predictor(handler, retry=retry) as p:
        assert p.predict(FRAME).scores[:, 0].tolist() == SUMS
    assert times[1] - times[0] >= 0.2


def test_not_retryable_status_stops_queued_requests():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(400, content=b"bad")

    with mock_predictor(handler, max_records_per_request=1, max_concurrency=1) as p:
        with pytest.raises(PredictorError, match=r"\(rows 0-0\): HTTP 400: bad$"):
            p.predict(FRAME)
    assert len(calls) == 1  # the nine other requests never left


def test_transport_errors_are_retried_then_reported():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    with mock_predictor(handler) as p:
        with pytest.raises(PredictorError, match=r"connection failed \(ConnectError\) \(gave up after 3 attempts\)$"):
            p.predict(FRAME)
    assert len(calls) == 3


def test_short_and_long_answers_fail_the_count_check():
    for answer, got in ((b"1\n" * 9, 9), (b"1\n" * 11, 11)):
        with mock_predictor(lambda request, answer=answer: httpx.Response(200, content=answer)) as p:
            with pytest.raises(PredictorError, match=rf"\(rows 0-9\): expected 10 results, got {got}$"):
                p.predict(FRAME)


def test_messages_never_echo_payloads_secrets_or_long_values():
    secret = "token-7f3a9c"
    frame = pd.DataFrame({"A": [123456789.25] * 50, "B": [987654321.5] * 50})

    def echo(request):  # a server that puts the whole request into its error text
        return httpx.Response(400, content=b"cannot parse " + request.content)

    url = f"http://user:{secret}@model.test/v1?key={secret}"
    with mock_predictor(echo, url=url, custom_attributes=secret) as p:
        with pytest.raises(PredictorError) as info:
            p.predict(frame)
    message = str(info.value)
    assert message.startswith("POST http://model.test/v1/invocations (rows 0-49): HTTP 400: cannot parse 12345")
    reason = message.split("HTTP 400: ", 1)[1]
    assert len(reason) <= 40 and reason.endswith("…")
    # at most the first 40 characters of the server's text: never a second row of the payload
    assert secret not in message and message.count("123456789") <= 1 and message.count("987654321") <= 1

    long_value = "9" * 500 + "x"  # a score that is no number, 501 characters long
    with mock_predictor(lambda request: httpx.Response(200, content=(long_value + "\n").encode() * 10)) as p:
        with pytest.raises(PredictorError) as info:
            p.predict(FRAME)
    assert "response line 1: could not convert" in str(info.value) or "expected a number" in str(info.value)
    assert len(str(info.value)) < 200 and "9" * 50 not in str(info.value)


def test_safe_url_drops_credentials_and_query():
    assert safe_url("https://u:p@host:8443/a/b?x=1#f") == "https://host:8443/a/b"
    assert safe_url("http://[::1]:8080") == "http://[::1]:8080"


# ---------------------------------------------------------------- servers that trickle on 127.0.0.1


class TrickleServer:
    """Answers each connection with ``prefix`` at once, then ``answer`` one byte every ``pause`` seconds;
    counts the trickled bytes sent before the client hung up (at most len(answer): the server always stops)."""

    def __init__(self, prefix: bytes, answer: bytes, pause: float) -> None:
        self.prefix, self.answer, self.pause = prefix, answer, pause
        self.sent: list[int] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)  # the request (small)
                count = 0
                try:
                    conn.sendall(self.prefix)
                    for i in range(len(self.answer)):
                        conn.sendall(self.answer[i : i + 1])
                        count += 1
                        time.sleep(self.pause)
                except OSError:
                    pass
                self.sent.append(count)

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=30)


def trickle_predictor(url: str, timeout: float) -> HttpPredictor:
    settings = TransportSettings(timeout_seconds=timeout, retry=RetryPolicy(max_retries=0))
    return HttpPredictor(url, RequestCodec("text/csv"), ResponseCodec("text/csv"), settings)


@pytest.mark.slow
@pytest.mark.parametrize("part", ["body", "headers"])
def test_timeout_bounds_the_whole_answer_of_a_trickling_server(part):
    body = b"1\n" * 100
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 200\r\n\r\n"
    # body: the headers arrive at once, then the body one byte every 0.2 s (40 s in all);
    # headers: the status line and headers themselves arrive one byte every 0.2 s (13 s before any body)
    prefix, answer = (b"", head + body) if part == "headers" else (head, body)
    server = TrickleServer(prefix, answer, pause=0.2)
    try:
        with trickle_predictor(server.url, timeout=1.0) as p:
            with pytest.raises(PredictorError, match=r"no complete answer within 1 s \(gave up after 1 attempts\)$"):
                p.predict(pd.DataFrame({"A": np.zeros(100)}))
    finally:
        server.close()
    # one byte each 0.2 s within a 1 s budget: about 5 bytes before the client hung up, never the whole answer
    (sent,) = server.sent
    assert sent <= 12 < len(answer)
