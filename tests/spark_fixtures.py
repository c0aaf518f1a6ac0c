"""Shared pieces of the Spark engine tests: a real local[2] session, both engines on one config, comparisons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from clarion.engine import run_analysis

DEFAULT_SPLIT_BYTES = 256 * 1024


@pytest.fixture(scope="module", name="spark")
def spark_fixture():
    """``spark``: a local[2] session whose files split every 256 kB (even test files become several partitions);
    a test module imports ``spark_fixture`` to use it."""
    from clarion.engine.spark_session import spark_session

    session = spark_session("local[2]")
    session.conf.set("spark.sql.files.maxPartitionBytes", str(DEFAULT_SPLIT_BYTES))
    yield session
    session.stop()


@contextmanager
def split_bytes(spark, size: int) -> Iterator[None]:
    """Spark splits files every ``size`` bytes inside the block."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(size))
    try:
        yield
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(DEFAULT_SPLIT_BYTES))


def both_engines(config, data_uri, out, spark, **local_kwargs):
    """analysis.json of the local engine (``out/local``) and of the Spark engine (``out/spark``)."""
    local = run_analysis(config, data_uri=str(data_uri), output_dir=out / "local", quiet=True, **local_kwargs)
    distributed = run_analysis(
        config, data_uri=str(data_uri), output_dir=out / "spark", quiet=True, engine="spark", spark_session=spark
    )
    return local, distributed


def run_spark(config, data_uri, out, spark):
    return run_analysis(config, data_uri=str(data_uri), output_dir=out, quiet=True, engine="spark", spark_session=spark)


def assert_close(actual, expected, path="analysis"):
    """Equal structure; floats equal to 1e-9 relative (the model may round differently per batch size)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), path
        for key in expected:
            assert_close(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12), path
    else:
        assert actual == expected, path


def metrics_of(section, facet, entry=0):
    return {m["name"]: m["value"] for m in section["facets"][facet][entry]["metrics"]}
