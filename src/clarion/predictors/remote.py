"""The transport policy around any remote endpoint (HTTP server, SageMaker endpoint), shared by all remote models.

An ``Endpoint`` makes one attempt: it sends one body and returns the whole answer within
``timeout_seconds``, or raises ``Retryable`` (429, 5xx, timeout, connection error) or PredictorError.
``Caller`` adds the policy: up to ``max_concurrency`` requests at once, retries with backoff (see
``policy``), and on the first failure or Ctrl-C no new attempt starts. ``RemotePredictor`` encodes
feature rows once, cuts them into requests under the payload and row limits, and checks that each request
answers exactly one result per row. Payloads, answers and custom attributes never appear in messages:
a server's reason or a value is clipped to ``codecs.VALUE_CHARS`` characters.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd

from clarion.config.predictor import PredictorConfig
from clarion.errors import PredictorError
from clarion.predictors.codecs import EncodedRows, RequestCodec, ResponseCodec
from clarion.predictors.policy import RetryPolicy, split_batches
from clarion.predictors.predictions import Predictions, concat_predictions

ENCODE_ROWS = 50_000

T = TypeVar("T")


@dataclass(frozen=True)
class TransportSettings:
    """Transport limits of one endpoint (``predictor.max_payload_mb`` ... ``max_retries``)."""

    max_payload_bytes: int = 5 * 1024 * 1024
    max_records_per_request: int | None = None
    max_concurrency: int = 4
    timeout_seconds: float = 60.0
    retry: RetryPolicy = RetryPolicy()
    custom_attributes: str | None = None
    target_model: str | None = None
    seed: int = 0


DEFAULT_SETTINGS = TransportSettings()


def transport_settings(p: PredictorConfig) -> TransportSettings:
    """The transport limits the ``predictor`` section sets (``max_payload_mb`` in MiB, ``max_retries`` ...)."""
    return TransportSettings(
        max_payload_bytes=int(p.max_payload_mb * 1024 * 1024),
        max_records_per_request=p.max_records_per_request,
        max_concurrency=p.max_concurrency,
        timeout_seconds=p.timeout_seconds,
        retry=RetryPolicy(max_retries=p.max_retries),
        custom_attributes=p.custom_attributes,
        target_model=p.target_model,
    )


class Retryable(Exception):
    """One attempt failed in a way worth retrying; ``problem`` is safe to show."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


class Endpoint(Protocol):
    """One remote model: ``invoke`` makes one attempt; ``where`` names it in messages."""

    @property
    def where(self) -> str: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes: ...


class Caller:
    """Runs requests against an endpoint with the retry and concurrency policy."""

    def __init__(self, endpoint: Endpoint, settings: TransportSettings) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self._rng = np.random.default_rng(settings.seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests_sent = 0

    def call(self, body: bytes, content_type: str, accept: str, where: str) -> bytes:
        """The answer to ``body``; retried on ``Retryable`` up to ``max_retries`` times."""
        retry = self.settings.retry
        attempt = 0
        while True:
            if self._stop.is_set():
                raise PredictorError(f"{where}: cancelled")
            with self._lock:
                self.requests_sent += 1
            try:
                return self.endpoint.invoke(body, content_type, accept)
            except Retryable as exc:
                if attempt >= retry.max_retries:
                    raise PredictorError(f"{where}: {exc.problem} (gave up after {attempt + 1} attempts)") from None
                with self._lock:
                    wait = retry.delay(attempt, self._rng, exc.retry_after)
                if self._stop.wait(wait):
                    raise PredictorError(f"{where}: cancelled") from None
                attempt += 1
            except PredictorError as exc:
                raise PredictorError(f"{where}: {exc}") from None

    def run_all(self, jobs: Iterable[Callable[[], T]]) -> list[T]:
        """Run ``jobs`` on ``max_concurrency`` threads; results in order. The first failure stops the rest."""
        self._stop.clear()
        pool = ThreadPoolExecutor(max_workers=self.settings.max_concurrency)
        futures: list[Future[T]] = []
        try:
            for job in jobs:
                futures.append(pool.submit(job))
            results = [f.result() for f in futures]
        except BaseException:
            self._stop.set()  # sleeping retries wake up and give up; queued jobs never start
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results


class RemotePredictor:
    """A Predictor over a remote endpoint; a context manager (it owns connections, or the endpoint itself)."""

    def __init__(
        self,
        endpoint: Endpoint,
        request_codec: RequestCodec,
        response_codec: ResponseCodec,
        settings: TransportSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.endpoint = endpoint
        self.request_codec = request_codec
        self.response_codec = response_codec
        self.settings = settings
        self.caller = Caller(endpoint, settings)

    @property
    def requests_sent(self) -> int:
        return self.caller.requests_sent

    def __enter__(self) -> RemotePredictor:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        self.endpoint.open()

    def close(self) -> None:
        self.endpoint.close()

    def predict(self, features: pd.DataFrame) -> Predictions:
        """One result per row of ``features``, in order.

        Rows are encoded in chunks of ``ENCODE_ROWS`` while earlier requests are in flight; requests never
        cross a chunk boundary.
        """
        self.open()
        if len(features) == 0:
            return self.response_codec.decode(b"", 0)

        def jobs() -> Iterable[Callable[[], Predictions]]:
            for start in range(0, len(features), ENCODE_ROWS):
                rows = self.request_codec.encode(features.iloc[start : start + ENCODE_ROWS])
                for batch in self._batches(rows):
                    yield functools.partial(self._call, rows, batch, start)

        return concat_predictions(self.caller.run_all(jobs()))

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
        where = f"{self.endpoint.where} (rows {first_row + batch.start}-{first_row + batch.stop - 1})"
        content = self.caller.call(body, self.request_codec.content_type, self.response_codec.accept_type, where)
        try:
            return self.response_codec.decode(content, n, single_record=self.request_codec.one_row_per_request)
        except PredictorError as exc:
            raise PredictorError(f"{where}: {exc}") from None
