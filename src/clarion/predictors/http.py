"""HTTP transport: the SageMaker container contract (``POST {url}/invocations``, ``GET {url}/ping``).

``HttpEndpoint`` makes one attempt per call with httpx: ``timeout_seconds`` bounds the whole exchange
(connect, send, headers and body; see ``deadline``), 429 and 5xx are retryable (with the server's
``Retry-After``), other statuses fail at once. Any httpx transport can be given (``httpx.MockTransport``
in tests). URLs in messages lose their user info and query string.
"""

from __future__ import annotations

import time
import urllib.parse

import httpx

from clarion.errors import PredictorError
from clarion.predictors.codecs import RequestCodec, ResponseCodec, clip
from clarion.predictors.deadline import deadline_transport, within
from clarion.predictors.policy import parse_retry_after
from clarion.predictors.remote import DEFAULT_SETTINGS, RemotePredictor, Retryable, TransportSettings

HttpSettings = TransportSettings  # the transport limits of an HTTP endpoint
ERROR_BODY_BYTES = 1024


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment (which may hold credentials)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class HttpEndpoint:
    """``POST {url}/invocations`` with one httpx client (``max_concurrency`` connections)."""

    def __init__(
        self, url: str, settings: TransportSettings = DEFAULT_SETTINGS, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.settings = settings
        self._transport = transport
        self._client: httpx.Client | None = None

    @property
    def where(self) -> str:
        return f"POST {safe_url(self.url)}/invocations"

    def __enter__(self) -> HttpEndpoint:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        if self._client is not None:
            return
        limits = httpx.Limits(
            max_connections=self.settings.max_concurrency, max_keepalive_connections=self.settings.max_concurrency
        )
        headers = {}
        if self.settings.custom_attributes is not None:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = self.settings.custom_attributes
        if self.settings.target_model is not None:
            headers["X-Amzn-SageMaker-Target-Model"] = self.settings.target_model
        transport = self._transport if self._transport is not None else deadline_transport(limits)
        self._client = httpx.Client(
            transport=transport, timeout=httpx.Timeout(self.settings.timeout_seconds), headers=headers
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def ping(self) -> bool:
        """True when ``GET {url}/ping`` answers 200 within the timeout."""
        self.open()
        assert self._client is not None
        try:
            with within(self.settings.timeout_seconds):
                return self._client.get(f"{self.url}/ping").status_code == 200
        except httpx.HTTPError:
            return False

    def invoke(self, body: bytes, content_type: str, accept: str) -> bytes:
        """One POST; the whole answer must arrive within ``timeout_seconds``."""
        self.open()
        assert self._client is not None
        seconds = self.settings.timeout_seconds
        headers = {"Content-Type": content_type, "Accept": accept}
        try:
            with within(seconds) as deadline:
                with self._client.stream("POST", f"{self.url}/invocations", content=body, headers=headers) as response:
                    if response.status_code == 200:
                        return _read(response, deadline, None)
                    reason = _read(response, deadline, ERROR_BODY_BYTES)
        except httpx.TimeoutException:
            raise Retryable(f"no complete answer within {seconds:g} s") from None
        except httpx.TransportError as exc:
            raise Retryable(f"connection failed ({type(exc).__name__})") from None
        problem = f"HTTP {response.status_code}{_reason(reason)}"
        if response.status_code == 429 or 500 <= response.status_code < 600:
            raise Retryable(problem, parse_retry_after(response.headers.get("Retry-After")))
        raise PredictorError(problem)


def _read(response: httpx.Response, deadline: float, limit: int | None) -> bytes:
    """The body (its first ``limit`` bytes when given), read chunk by chunk until the deadline."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the request's deadline has passed")
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size >= limit:
            break
    data = b"".join(chunks)
    return data if limit is None else data[:limit]


def _reason(body: bytes) -> str:
    text = clip(body.decode("utf-8", errors="replace")) if body.strip() else ""
    return f": {text}" if text else ""


class HttpPredictor(RemotePredictor):
    """A Predictor that calls a running endpoint; use it as a context manager (it owns a connection pool)."""

    def __init__(
        self,
        url: str,
        request_codec: RequestCodec,
        response_codec: ResponseCodec,
        settings: TransportSettings = DEFAULT_SETTINGS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = HttpEndpoint(url, settings, transport)
        self.url = self.http.url
        super().__init__(self.http, request_codec, response_codec, settings)

    def __enter__(self) -> HttpPredictor:
        self.open()
        return self

    def ping(self) -> bool:
        """True when ``GET {url}/ping`` answers 200."""
        return self.http.ping()
