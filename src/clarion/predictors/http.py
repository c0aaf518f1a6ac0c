"""HTTP transport: the SageMaker container contract (``POST {url}/invocations``, ``GET {url}/ping``).

Rows are encoded once, cut into requests below the payload and row limits, sent concurrently
(``max_concurrency`` connections) and retried on 429, 5xx, timeouts and connection errors. Every
request must answer exactly one result per row it carried. Payloads and custom attributes are never
logged or put in error messages.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import httpx
import numpy as np
import pandas as pd

from clarion.errors import PredictorError
from clarion.predictors.codecs import EncodedRows, RequestCodec, ResponseCodec
from clarion.predictors.policy import RetryPolicy, split_batches
from clarion.predictors.predictions import Predictions, concat_predictions

ENCODE_ROWS = 50_000


@dataclass(frozen=True)
class HttpSettings:
    """Transport limits of one endpoint."""

    max_payload_bytes: int = 5 * 1024 * 1024
    max_records_per_request: int | None = None
    max_concurrency: int = 4
    timeout_seconds: float = 60.0
    retry: RetryPolicy = RetryPolicy()
    custom_attributes: str | None = None
    target_model: str | None = None
    seed: int = 0


class HttpPredictor:
    """A Predictor that calls a running endpoint; use it as a context manager (it owns a connection pool)."""

    def __init__(
        self,
        url: str,
        request_codec: RequestCodec,
        response_codec: ResponseCodec,
        settings: HttpSettings = HttpSettings(),
    ) -> None:
        self.url = url.rstrip("/")
        self.request_codec = request_codec
        self.response_codec = response_codec
        self.settings = settings
        self._client: httpx.Client | None = None
        self._rng = np.random.default_rng(settings.seed)
        self._rng_lock = threading.Lock()
        self.requests_sent = 0

    # context manager
    def __enter__(self) -> HttpPredictor:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        if self._client is None:
            limits = httpx.Limits(
                max_connections=self.settings.max_concurrency,
                max_keepalive_connections=self.settings.max_concurrency,
            )
            headers = {"Content-Type": self.request_codec.content_type, "Accept": self.response_codec.accept_type}
            if self.settings.custom_attributes is not None:
                headers["X-Amzn-SageMaker-Custom-Attributes"] = self.settings.custom_attributes
            if self.settings.target_model is not None:
                headers["X-Amzn-SageMaker-Target-Model"] = self.settings.target_model
            self._client = httpx.Client(
                limits=limits, timeout=httpx.Timeout(self.settings.timeout_seconds), headers=headers
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def ping(self) -> bool:
        """True when ``GET {url}/ping`` answers 200."""
        self.open()
        assert self._client is not None
        try:
            return self._client.get(f"{self.url}/ping").status_code == 200
        except httpx.HTTPError:
            return False

    def predict(self, features: pd.DataFrame) -> Predictions:
        """One result per row of ``features``, in order.

        Rows are encoded in chunks of ``ENCODE_ROWS`` while earlier requests are in flight; requests never
        cross a chunk boundary.
        """
        self.open()
        if len(features) == 0:
            return self.response_codec.decode(b"", 0)
        workers = self.settings.max_concurrency
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures: list[Future[Predictions]] = []
            try:
                for start in range(0, len(features), ENCODE_ROWS):
                    rows = self.request_codec.encode(features.iloc[start : start + ENCODE_ROWS])
                    for batch in self._batches(rows):
                        futures.append(pool.submit(self._call, rows, batch, start))
                parts = [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return concat_predictions(parts)

    def _batches(self, rows: EncodedRows) -> list[slice]:
        max_rows = 1 if self.request_codec.one_row_per_request else self.settings.max_records_per_request
        return split_batches(
            rows.sizes(),
            max_bytes=self.settings.max_payload_bytes,
            max_rows=max_rows,
            separator=0,
            overhead=self.request_codec.overhead(),
        )

    def _call(self, rows: EncodedRows, batch: slice, first_row: int) -> Predictions:
        body = self.request_codec.body(rows, batch)
        n = batch.stop - batch.start
        where = f"POST {self.url}/invocations (rows {first_row + batch.start}-{first_row + batch.stop - 1})"
        content = self._post(body, where)
        try:
            return self.response_codec.decode(content, n, single_record=self.request_codec.one_row_per_request)
        except PredictorError as exc:
            raise PredictorError(f"{where}: {exc}") from None

    def _post(self, body: bytes, where: str) -> bytes:
        assert self._client is not None
        retry = self.settings.retry
        attempt = 0
        while True:
            problem: str
            retry_after: float | None = None
            try:
                with self._rng_lock:
                    self.requests_sent += 1
                response = self._client.post(f"{self.url}/invocations", content=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.settings.timeout_seconds:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code == 200:
                    return response.content
                problem = f"HTTP {response.status_code}{_reason(response)}"
                if not retry.retryable_status(response.status_code):
                    raise PredictorError(f"{where}: {problem}")
                retry_after = _retry_after(response)
            if attempt >= retry.max_retries:
                raise PredictorError(f"{where}: {problem} (gave up after {attempt + 1} attempts)")
            with self._rng_lock:
                wait = retry.delay(attempt, self._rng, retry_after)
            time.sleep(wait)
            attempt += 1


def _reason(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")[:200] if response.content else ""
    return f": {text}" if text else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
