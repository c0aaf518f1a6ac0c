"""Shared fixtures: a local S3 (moto server on 127.0.0.1) and project paths."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"


@dataclass(frozen=True)
class S3Bucket:
    name: str
    endpoint: str


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint, monkeypatch):
    """A fresh bucket on the local moto server; fsspec's s3:// URIs point at it for the test."""
    import fsspec
    import s3fs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setitem(fsspec.config.conf, "s3", {"client_kwargs": {"endpoint_url": moto_endpoint}})
    s3fs.S3FileSystem.clear_instance_cache()
    name = f"bucket-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": moto_endpoint})
    fs.mkdir(name)
    yield S3Bucket(name=name, endpoint=moto_endpoint)
    s3fs.S3FileSystem.clear_instance_cache()
