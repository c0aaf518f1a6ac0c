"""Shadow endpoint: start a model server on a free 127.0.0.1 port, use it over HTTP, always stop it.

``ShadowPredictor`` is the general form: start a resource (this server, or a SageMaker endpoint), call it,
stop it whatever happens.

The server runs in its own process group; on exit, error or KeyboardInterrupt the whole group gets
SIGTERM, then SIGKILL if it has not stopped within a grace period, so no process is left behind.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol

import httpx
import pandas as pd

from clarion.errors import PredictorError
from clarion.predictors.predictions import Predictions


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def clarion_serve_command(model_uri: str) -> list[str]:
    """The command that serves ``model_uri`` with ``clarion serve``; ``{port}`` is filled in at start."""
    return [sys.executable, "-m", "clarion.serve", model_uri, "--port", "{port}", "--host", "127.0.0.1"]


class ShadowEndpoint:
    """A server process speaking the container contract; ``url`` is set while it runs."""

    def __init__(
        self, command: Sequence[str], *, start_timeout: float = 60.0, stop_timeout: float = 5.0, host: str = "127.0.0.1"
    ) -> None:
        if not command:
            raise PredictorError("serve_command is empty")
        self.command = list(command)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.host = host
        self.url: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: tempfile._TemporaryFileWrapper[bytes] | None = None

    def __enter__(self) -> ShadowEndpoint:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Start the server and wait until ``GET /ping`` answers 200; return its base URL."""
        port = free_port(self.host)
        argv = [part.replace("{port}", str(port)) for part in self.command]
        self._stderr = tempfile.NamedTemporaryFile(prefix="clarion-shadow-", suffix=".log")
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr, start_new_session=True
            )
        except OSError as exc:
            self._close_log()
            raise PredictorError(f"shadow endpoint: cannot start {argv[0]}: {exc}") from exc
        atexit.register(self.stop)
        self.url = f"http://{self.host}:{port}"
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        delay = 0.05
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise PredictorError(
                        f"shadow endpoint exited with code {code} before answering /ping; stderr: {self.stderr_tail()}"
                    )
                try:
                    if client.get(f"{self.url}/ping").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise PredictorError(
                        f"shadow endpoint did not answer GET {self.url}/ping within {self.start_timeout:g} s; "
                        f"stderr: {self.stderr_tail()}"
                    )
                time.sleep(delay)
                delay = min(delay * 1.5, 0.5)

    def stderr_tail(self, limit: int = 600) -> str:
        """The last characters the server wrote to stderr, on one line."""
        if self._stderr is None:
            return ""
        try:
            with open(self._stderr.name, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - limit))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.splitlines() if line.strip()) or "(empty)"

    def stop(self) -> None:
        """Stop the server's whole process group (SIGTERM, then SIGKILL after ``stop_timeout``)."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is not None:
            _kill_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
            _kill_group(process, signal.SIGKILL)  # children that ignored SIGTERM
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        self.url = None
        self._close_log()

    def _close_log(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Managed(Protocol):
    """Something started for the run and always stopped: ``start`` returns how to reach it (a URL or a name)."""

    def start(self) -> str: ...

    def stop(self) -> None: ...


class ShadowPredictor:
    """A Predictor that starts a resource on enter (a server process, a SageMaker endpoint), calls it through
    the client ``make_client(address)`` builds, and stops it on exit, error or Ctrl-C."""

    def __init__(self, endpoint: Managed, make_client: Callable[[str], Any]) -> None:
        self.endpoint = endpoint
        self._make_client = make_client
        self.client: Any = None

    def __enter__(self) -> ShadowPredictor:
        try:
            address = self.endpoint.start()
            self.client = self._make_client(address)
            self.client.open()
        except BaseException:
            self.client = None
            self.endpoint.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.client is not None:
                self.client.close()
                self.client = None
        finally:
            self.endpoint.stop()

    def _running(self) -> Any:
        if self.client is None:
            raise PredictorError("the shadow endpoint is not running; use the predictor in a 'with' block")
        return self.client

    def predict(self, features: pd.DataFrame) -> Predictions:
        return self._running().predict(features)

    def __call__(self, images: Any) -> Any:
        return self._running()(images)
