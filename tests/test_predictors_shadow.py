"""Shadow endpoint: a real `python -m clarion.serve` subprocess; no process may survive the predictor."""

import sys
import time

import joblib
import numpy as np
import psutil
import pytest

try:  # tests as a package or as plain modules
    from tests.predictors_fixtures import abalone_pipeline
except ImportError:  # pragma: no cover
    from predictors_fixtures import abalone_pipeline

from clarion.config import load_config
from clarion.errors import ConfigError, PredictorError
from clarion.predictors import ShadowEndpoint, build_predictor


def config(predictor: dict) -> object:
    return load_config({"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": predictor})


def wait_gone(pids: list[int]) -> list[int]:
    """The pids still alive (not zombies) after giving the kernel up to a few seconds to reap them."""
    for _ in range(100):
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.05)
    return alive


@pytest.fixture(scope="module")
def multiclass_file(tmp_path_factory):
    pipe, features = abalone_pipeline("multiclass")
    path = tmp_path_factory.mktemp("shadow") / "multi.joblib"
    joblib.dump(pipe, path)
    return str(path), pipe, features


@pytest.mark.slow
def test_shadow_matches_in_process_and_stops(multiclass_file):
    path, pipe, features = multiclass_file
    shadow_cfg = config(
        {
            "model_uri": path,
            "shadow": True,
            "accept_type": "application/jsonlines",
            "max_concurrency": 2,
            "max_records_per_request": 100,
        }
    )
    with build_predictor(shadow_cfg, list(features.columns)) as shadow:
        pid = shadow.endpoint.process.pid
        served = shadow.predict(features)
        assert psutil.pid_exists(pid)
    assert wait_gone([pid]) == []
    np.testing.assert_array_equal(served.scores, pipe.predict_proba(features))
    assert list(served.labels) == list(pipe.predict(features))


@pytest.mark.slow
def test_serve_command_process_group_is_stopped_on_interrupt(multiclass_file):
    path, pipe, features = multiclass_file
    # the shell keeps python as a child (it must run `echo` afterwards): the whole group has to go
    command = ["/bin/sh", "-c", f"'{sys.executable}' -m clarion.serve '{path}' --port {{port}}; echo stopped"]
    predictor = build_predictor(config({"serve_command": command}), list(features.columns))
    pids: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        with predictor:
            shell = psutil.Process(predictor.endpoint.process.pid)
            pids = [shell.pid] + [c.pid for c in shell.children(recursive=True)]
            out = predictor.predict(features.head(20))
            np.testing.assert_allclose(out.scores, pipe.predict_proba(features.head(20)))
            raise KeyboardInterrupt
    assert len(pids) >= 2
    assert wait_gone(pids) == []


@pytest.mark.slow
def test_error_while_in_use_stops_server(multiclass_file):
    path, _, features = multiclass_file
    predictor = build_predictor(config({"model_uri": path, "shadow": True}), list(features.columns))
    with pytest.raises(PredictorError, match=r"HTTP 400: .*expects 8 features"):
        with predictor:
            pid = predictor.endpoint.process.pid
            predictor.predict(features.iloc[:, :3])
    assert wait_gone([pid]) == []


@pytest.mark.slow
def test_server_dying_at_start_reports_stderr_tail(tmp_path):
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a model")
    predictor = build_predictor(config({"model_uri": str(junk), "shadow": True}), ["a"])
    with pytest.raises(PredictorError) as info:
        with predictor:
            pass
    message = str(info.value)
    assert message.startswith("shadow endpoint exited with code 1 before answering /ping; stderr: ")
    assert "cannot load model" in message
    assert predictor.endpoint.process is None


@pytest.mark.slow
def test_server_never_ready_times_out_and_is_killed():
    endpoint = ShadowEndpoint(
        [
            sys.executable,
            "-c",
            "import sys, time; print('warming up', file=sys.stderr, flush=True); time.sleep(60)",
            "{port}",
        ],
        start_timeout=1.0,
    )
    pids: list[int] = []
    original = endpoint._wait_ready

    def spy() -> None:
        pids.append(endpoint.process.pid)
        original()

    endpoint._wait_ready = spy  # record the pid before the start fails
    with pytest.raises(
        PredictorError, match=r"did not answer GET http://127.0.0.1:\d+/ping within 1 s; stderr: warming up"
    ):
        endpoint.start()
    assert wait_gone(pids) == []


def test_sagemaker_names_without_boto3_say_what_to_install(monkeypatch):
    import clarion.predictors.sagemaker as sagemaker

    monkeypatch.setattr(sagemaker, "boto3", None)  # as where the clarion[aws] extra is not installed
    live = build_predictor(config({"endpoint_name": "ep"}), ["a"])
    with pytest.raises(ConfigError) as info:
        with live:
            pass
    assert str(info.value) == (
        "predictor.endpoint_name: calling SageMaker needs boto3: install clarion[aws] (pip install 'clarion[aws]'), "
        "or pass --model PATH_OR_URL to use a local model"
    )
    shadow = build_predictor(
        config({"model_name": "my-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}), ["a"]
    )
    with pytest.raises(
        ConfigError, match=r"^predictor.model_name: calling SageMaker needs boto3: install clarion\[aws\]"
    ):
        with shadow:
            pass
