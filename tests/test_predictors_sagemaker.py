"""SageMaker models through boto3, without AWS: the runtime API (``POST /endpoints/{name}/invocations``) is
``clarion serve`` on 127.0.0.1 around a real scikit-learn model, the control plane (endpoint configs and
endpoints) is a moto server on 127.0.0.1. boto3 finds both through the standard AWS environment variables."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import joblib
import numpy as np
import pytest

try:  # tests as a package or as plain modules
    from tests.predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, uvicorn_server
except ImportError:  # pragma: no cover
    from predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, uvicorn_server

from clarion.config import load_config
from clarion.engine import run_analysis
from clarion.errors import ConfigError, PredictorError
from clarion.predictors import ShadowPredictor, build_predictor
from clarion.predictors.sagemaker import SageMakerPredictor, ShadowSageMakerEndpoint
from clarion.serve import create_app

FEATURES = ABALONE_COLUMNS[:-1]
SRC = Path(__file__).resolve().parents[1] / "src"


class Runtime:
    """What the runtime server saw, and how it misbehaves: ``fail_first`` answers 503 to the first call;
    ``on_call(path)`` runs (in the server) before each invocation."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.fail_first = False
        self.on_call = None


def recording(app, runtime: Runtime):
    async def wrapped(scope, receive, send):
        if scope["type"] == "http" and scope["path"].endswith("/invocations"):
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            runtime.calls.append((scope["path"], headers))
            if runtime.on_call is not None:
                await runtime.on_call(scope["path"])
            if runtime.fail_first and len(runtime.calls) == 1:
                body = json.dumps({"message": "try later"}).encode()
                await send({"type": "http.response.start", "status": 503, "headers": [(b"x-amzn-errortype", b"")]})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return wrapped


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pipe, features = abalone_pipeline("classifier")
    path = tmp_path_factory.mktemp("sagemaker") / "model.joblib"
    joblib.dump(pipe, path)
    return str(path), pipe, features


@pytest.fixture
def runtime(model):
    state = Runtime()
    with uvicorn_server(recording(create_app(model[0]), state)) as url:
        state.url = url
        yield state


@pytest.fixture
def aws(monkeypatch, moto_endpoint, runtime, tmp_path):
    """The standard AWS chain pointed at moto (control plane) and the local runtime server."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", runtime.url)
    control = boto3.client("sagemaker")
    model_name = f"abalone-{uuid.uuid4().hex[:8]}"
    control.create_model(
        ModelName=model_name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/clarion-test",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/abalone:1"},
    )
    return control, model_name


def endpoints_named(control, prefix: str) -> tuple[list[str], list[str]]:
    endpoints = [e["EndpointName"] for e in control.list_endpoints()["Endpoints"]]
    configs = [c["EndpointConfigName"] for c in control.list_endpoint_configs()["EndpointConfigs"]]
    return [e for e in endpoints if e.startswith(prefix)], [c for c in configs if c.startswith(prefix)]


def config(predictor: dict, **top):
    return load_config({"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": predictor, **top})


def test_endpoint_name_calls_invoke_endpoint_with_the_transport_policy(aws, runtime, model):
    _, pipe, features = model
    cfg = config(
        {
            "endpoint_name": "abalone-live",
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "custom_attributes": "trace=7",
            "target_model": "model-a.tar.gz",
            "max_records_per_request": 100,
        }
    )
    predictor = build_predictor(cfg, FEATURES)
    assert isinstance(predictor, SageMakerPredictor)
    runtime.fail_first = True  # one 503: retried by clarion's policy (botocore's own retries are off)
    with predictor:
        out = predictor.predict(features)
    np.testing.assert_array_equal(out.scores[:, 0], pipe.predict_proba(features)[:, 1])
    assert len(runtime.calls) == len(features) // 100 + 1
    for path, headers in runtime.calls:
        assert path == "/endpoints/abalone-live/invocations"
        assert headers["content-type"] == "text/csv" and headers["accept"] == "text/csv"
        assert headers["x-amzn-sagemaker-custom-attributes"] == "trace=7"
        assert headers["x-amzn-sagemaker-target-model"] == "model-a.tar.gz"
        assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")  # SigV4


def test_model_errors_are_not_retried_and_stay_short(aws, runtime, model):
    _, _, features = model
    with build_predictor(config({"endpoint_name": "abalone-live"}), FEATURES[:3]) as predictor:
        with pytest.raises(PredictorError) as info:
            predictor.predict(features.iloc[:, :3])  # the model expects 8 features
    message = str(info.value)
    assert message.startswith(f"InvokeEndpoint abalone-live (rows 0-{len(features) - 1}): ")
    assert "(HTTP 400)" in message and len(message) < 200
    assert len(runtime.calls) == 1


def shadow_config(model_name: str, prefix: str, dataset: str | None = None) -> dict:
    return {
        "dataset_type": "text/csv",
        **({"dataset_uri": dataset} if dataset else {}),
        "headers": [*FEATURES, "old"],
        "label": "old",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Sex", "value_or_threshold": ["F"]}],
        "methods": {"post_training_bias": {"methods": ["DPPL"]}},
        "predictor": {
            "model_name": model_name,
            "instance_type": "ml.m5.xlarge",
            "initial_instance_count": 1,
            "endpoint_name_prefix": prefix,
            "content_type": "text/csv",
            "accept_type": "text/csv",
        },
    }


def write_dataset(tmp_path) -> str:
    frame = abalone()
    data = frame[FEATURES].assign(old=(frame["Rings"] > 9).astype(int))
    path = tmp_path / "abalone.csv"
    data.to_csv(path, header=False, index=False)
    return str(path)


def test_model_name_runs_on_a_shadow_endpoint_deleted_afterwards(aws, runtime, model, tmp_path):
    control, model_name = aws
    _, pipe, features = model
    prefix = f"ok{uuid.uuid4().hex[:6]}"
    status_during = []

    async def check(path):
        name = path.split("/")[2]
        status_during.append(control.describe_endpoint(EndpointName=name)["EndpointStatus"])

    runtime.on_call = check
    cfg = shadow_config(model_name, prefix, write_dataset(tmp_path))
    analysis = run_analysis(cfg, output_dir=tmp_path / "out", quiet=True)
    # DPPL = q'_a - q'_d over predicted labels: probability > 0.5 (Clarify's default threshold)
    predicted = (pipe.predict_proba(features)[:, 1] > 0.5).astype(int)
    female = (features["Sex"] == "F").to_numpy()
    expected = predicted[~female].mean() - predicted[female].mean()
    (metric,) = analysis["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    assert metric["value"] == pytest.approx(expected, abs=1e-12)
    names = {path.split("/")[2] for path, _ in runtime.calls}
    assert len(names) == 1 and next(iter(names)).startswith(prefix + "-")
    assert status_during and set(status_during) == {"InService"}
    assert endpoints_named(control, prefix) == ([], [])


def test_shadow_endpoint_is_deleted_when_the_model_fails(aws, runtime, model):
    control, model_name = aws
    _, _, features = model
    prefix = f"err{uuid.uuid4().hex[:6]}"
    predictor = build_predictor(load_config(shadow_config(model_name, prefix)), FEATURES[:3])
    assert isinstance(predictor, ShadowPredictor) and isinstance(predictor.endpoint, ShadowSageMakerEndpoint)
    with pytest.raises(PredictorError, match=r"^InvokeEndpoint err\w+-\d{14}-[0-9a-f]{6} \(rows 0-"):
        with predictor:
            assert len(endpoints_named(control, prefix)[0]) == 1
            predictor.predict(features.iloc[:, :3])
    assert endpoints_named(control, prefix) == ([], [])


def test_shadow_endpoint_is_deleted_when_creation_fails(aws):
    control, _ = aws
    prefix = f"miss{uuid.uuid4().hex[:6]}"
    predictor = build_predictor(load_config(shadow_config("no-such-model", prefix)), FEATURES)
    with pytest.raises(PredictorError, match="predictor.model_name: cannot create the shadow endpoint"):
        with predictor:
            pass
    assert endpoints_named(control, prefix) == ([], [])


@pytest.mark.slow
def test_ctrl_c_during_the_run_deletes_the_shadow_endpoint(aws, runtime, tmp_path):
    control, model_name = aws
    prefix = f"int{uuid.uuid4().hex[:6]}"
    config_path = tmp_path / "analysis_config.json"
    config_path.write_text(json.dumps(shadow_config(model_name, prefix, write_dataset(tmp_path))))
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    process = subprocess.Popen(
        [sys.executable, "-m", "clarion.cli", "run", str(config_path), "--output", str(tmp_path / "out"), "-q"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen_live = []

    async def interrupt(path):  # the first model call: the endpoint is live; the user presses Ctrl-C
        seen_live.append(endpoints_named(control, prefix))
        if len(seen_live) == 1:
            process.send_signal(signal.SIGINT)
            await asyncio.sleep(0.5)

    runtime.on_call = interrupt
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip().endswith("clarion: interrupted")
    assert len(seen_live[0][0]) == 1 and len(seen_live[0][1]) == 1
    assert endpoints_named(control, prefix) == ([], [])
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_model_name_needs_the_instance_settings():
    cfg = config({"model_name": "m", "instance_type": "ml.m5.xlarge"})
    with pytest.raises(ConfigError, match="predictor.initial_instance_count: required with predictor.model_name"):
        build_predictor(cfg, ["a"])


def test_shadow_names_fit_sagemaker_rules():
    from clarion.predictors.sagemaker import shadow_name

    name = shadow_name(None)
    assert name.startswith("sm-clarify-") and len(name) <= 63
    assert len(shadow_name("p" * 63)) <= 63


@pytest.mark.slow
def test_spark_engine_shares_one_shadow_endpoint_across_executors(aws, runtime, model, tmp_path):
    control, model_name = aws
    _, pipe, features = model
    prefix = f"spark{uuid.uuid4().hex[:6]}"
    # two part files: at least two executor tasks call the model
    parts = tmp_path / "parts"
    parts.mkdir()
    lines = Path(write_dataset(tmp_path)).read_text().splitlines(keepends=True)
    (parts / "part-0.csv").write_text("".join(lines[:300]))
    (parts / "part-1.csv").write_text("".join(lines[300:]))
    config_path = tmp_path / "analysis_config.json"
    config_path.write_text(json.dumps(shadow_config(model_name, prefix, str(parts))))
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "clarion.cli", "run", str(config_path), "-o", str(out), "-q"]
    command += ["--engine", "spark", "--spark-master", "local[2]"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    predicted = (pipe.predict_proba(features)[:, 1] > 0.5).astype(int)
    female = (features["Sex"] == "F").to_numpy()
    analysis = json.loads((out / "analysis.json").read_text())
    (metric,) = analysis["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    assert metric["value"] == pytest.approx(predicted[~female].mean() - predicted[female].mean(), abs=1e-12)
    names = {path.split("/")[2] for path, _ in runtime.calls}
    assert len(names) == 1 and next(iter(names)).startswith(prefix + "-")  # one endpoint for every task
    assert endpoints_named(control, prefix) == ([], [])


def test_shared_endpoint_gives_many_tasks_one_shadow_endpoint(aws):
    from clarion.predictors.build import shared_endpoint

    control, model_name = aws
    prefix = f"shared{uuid.uuid4().hex[:6]}"
    cfg = load_config(shadow_config(model_name, prefix))
    with shared_endpoint(cfg) as bound:
        name = bound.predictor.endpoint_name
        assert name.startswith(prefix + "-") and bound.predictor.model_name is None
        assert endpoints_named(control, prefix) == ([name], [name])
        assert bound.predictor.content_type == "text/csv" and cfg.predictor.model_name == model_name
    assert endpoints_named(control, prefix) == ([], [])
    plain = config({"endpoint_name": "live"})
    with shared_endpoint(plain) as same:
        assert same is plain


def test_ctrl_c_while_waiting_for_in_service_deletes_config_and_endpoint(aws, monkeypatch):
    control, model_name = aws
    prefix = f"wait{uuid.uuid4().hex[:6]}"
    created = []

    def pressed_ctrl_c(self, name):  # the user gives up while the endpoint is starting
        created.append(endpoints_named(control, prefix))
        raise KeyboardInterrupt

    monkeypatch.setattr(ShadowSageMakerEndpoint, "_wait_in_service", pressed_ctrl_c)
    predictor = build_predictor(load_config(shadow_config(model_name, prefix)), FEATURES)
    with pytest.raises(KeyboardInterrupt):
        with predictor:
            pass
    assert len(created[0][0]) == 1 and len(created[0][1]) == 1
    assert endpoints_named(control, prefix) == ([], [])


def test_image_model_on_a_sagemaker_endpoint(aws, monkeypatch, tmp_path):
    import io

    from PIL import Image

    from clarion.predictors.build import build_image_predictor

    seen = []

    async def image_runtime(scope, receive, send):  # an image classifier behind the runtime API
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen.append((scope["path"], headers["content-type"], headers["accept"]))
        pixels = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), dtype=float)
        answer = json.dumps({"probabilities": (pixels.reshape(-1, 3).mean(axis=0) / 255).tolist()}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": answer})

    images = np.random.default_rng(3).integers(0, 256, size=(3, 6, 6, 3), dtype=np.uint8)
    cfg = load_config(
        {
            "dataset_type": "application/x-image",
            "methods": {"shap": {"image_config": {"num_segments": 4}}},
            "predictor": {"endpoint_name": "vision", "content_type": "image/png"},
        }
    )
    with uvicorn_server(image_runtime) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", url)
        with build_image_predictor(cfg) as predict:
            answers = predict(images)
    assert answers == [(image.reshape(-1, 3).mean(axis=0) / 255).tolist() for image in images.astype(float)]
    assert seen == [("/endpoints/vision/invocations", "image/png", "application/json")] * 3
