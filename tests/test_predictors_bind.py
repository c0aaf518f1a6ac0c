"""``--model`` binds a SageMaker config to a local model; ``clarion validate`` says whether a config can run here."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest

try:  # tests as a package or as plain modules
    from tests.predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, http_server, uvicorn_server
except ImportError:  # pragma: no cover
    from predictors_fixtures import ABALONE_COLUMNS, abalone, abalone_pipeline, http_server, uvicorn_server

import clarion.predictors.sagemaker as sagemaker
from clarion.api import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig, SageMakerClarifyProcessor
from clarion.cli import main
from clarion.config import load_config
from clarion.engine import run_analysis
from clarion.predictors.binding import bind_model, model_key
from clarion.serve import create_app

FEATURES = ABALONE_COLUMNS[:-1]


def always_one_if_long(frame: pd.DataFrame) -> np.ndarray:
    """A model as a function: predicts 1 when Length > 0.5."""
    return (frame["Length"].to_numpy() > 0.5).astype(int)


CALLABLE = f"{always_one_if_long.__module__}:always_one_if_long"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bind")
    pipe, features = abalone_pipeline("classifier")
    model_path = folder / "model.joblib"
    joblib.dump(pipe, model_path)
    frame = abalone()
    data = frame[FEATURES].assign(old=(frame["Rings"] > 9).astype(int))
    data_path = folder / "abalone.csv"
    data.to_csv(data_path, header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "dataset_uri": str(data_path),
        "headers": [*FEATURES, "old"],
        "label": "old",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Sex", "value_or_threshold": ["F"]}],
        "methods": {"post_training_bias": {"methods": ["DPPL"]}},
        "predictor": {"endpoint_name": "prod-abalone", "content_type": "text/csv", "accept_type": "text/csv"},
    }
    config_path = folder / "analysis_config.json"
    config_path.write_text(json.dumps(config))
    return {"pipe": pipe, "features": features, "model": str(model_path), "config": config, "path": config_path}


def dppl(predicted: np.ndarray, features: pd.DataFrame) -> float:
    """q'_a - q'_d over predicted labels, facet Sex == F."""
    female = (features["Sex"] == "F").to_numpy()
    return float(predicted[~female].mean() - predicted[female].mean())


def dppl_of(analysis: dict) -> float:
    (metric,) = analysis["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    return metric["value"]


def test_model_kinds():
    assert model_key("http://127.0.0.1:8080") == "endpoint_url" and model_key("https://h/m") == "endpoint_url"
    assert model_key("pkg.models:predict") == "model_callable" and model_key("m:f") == "model_callable"
    assert model_key("model.joblib") == "model_uri" and model_key("s3://bucket/m.joblib") == "model_uri"
    assert model_key("./models/xgb.json") == "model_uri"


def test_bind_replaces_sagemaker_names_and_keeps_the_codec_keys():
    cfg = load_config(
        {
            "dataset_type": "text/csv",
            "methods": {"shap": {}},
            "predictor": {
                "model_name": "m",
                "instance_type": "ml.m5.xlarge",
                "initial_instance_count": 1,
                "endpoint_name_prefix": "x",
                "accept_type": "application/jsonlines",
                "probability": "score",
            },
        }
    )
    bound = bind_model(cfg, "http://127.0.0.1:9000").predictor
    assert bound.endpoint_url == "http://127.0.0.1:9000"
    assert bound.model_name is None and bound.instance_type is None and bound.endpoint_name_prefix is None
    assert bound.accept_type == "application/jsonlines" and bound.probability == "score"
    assert cfg.predictor.model_name == "m"  # the original is untouched
    assert bind_model(cfg, None) is cfg


def test_cli_run_binds_a_model_file(setup, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(setup["path"]), "--model", setup["model"], "-o", str(out), "-q"])
    assert code == 0, capsys.readouterr().err
    expected = dppl((setup["pipe"].predict_proba(setup["features"])[:, 1] > 0.5).astype(int), setup["features"])
    assert dppl_of(json.loads((out / "analysis.json").read_text())) == pytest.approx(expected, abs=1e-12)
    written = out / "analysis_config.json"
    if written.exists():  # the config as given: still the SageMaker endpoint
        assert json.loads(written.read_text())["predictor"]["endpoint_name"] == "prod-abalone"


def test_run_analysis_binds_a_url_and_a_callable(setup, tmp_path):
    expected = dppl((setup["pipe"].predict_proba(setup["features"])[:, 1] > 0.5).astype(int), setup["features"])
    with uvicorn_server(create_app(setup["model"])) as url:
        analysis = run_analysis(setup["config"], output_dir=tmp_path / "url", model=url, quiet=True)
    assert dppl_of(analysis) == pytest.approx(expected, abs=1e-12)
    analysis = run_analysis(setup["config"], output_dir=tmp_path / "fn", model=CALLABLE, quiet=True)
    assert dppl_of(analysis) == pytest.approx(dppl(always_one_if_long(setup["features"]), setup["features"]))


def test_python_api_processor_takes_a_model(setup, tmp_path):
    data_config = DataConfig(
        s3_data_input_path=setup["config"]["dataset_uri"],
        s3_output_path=str(tmp_path / "api"),
        label="old",
        headers=[*FEATURES, "old"],
        dataset_type="text/csv",
    )
    bias_config = BiasConfig(label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=["F"])
    model_config = ModelConfig(endpoint_name="prod-abalone", content_type="text/csv", accept_type="text/csv")
    processor = SageMakerClarifyProcessor(quiet=True, model=CALLABLE)
    analysis = processor.run_post_training_bias(
        data_config, bias_config, model_config, ModelPredictedLabelConfig(), methods=["DPPL"]
    )
    assert dppl_of(analysis) == pytest.approx(dppl(always_one_if_long(setup["features"]), setup["features"]))
    assert processor._last_analysis_config["predictor"]["endpoint_name"] == "prod-abalone"


def no_aws(monkeypatch, tmp_path, *, region: bool, credentials: bool) -> None:
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if region:
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    if credentials:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_validate_tells_what_would_make_a_sagemaker_config_run(setup, tmp_path, monkeypatch, capsys):
    path = str(setup["path"])
    prefix = f"clarion: error: {path}: valid, but cannot run here: predictor.endpoint_name: "

    monkeypatch.setattr(sagemaker, "boto3", None)  # the clarion[aws] extra is not installed
    assert main(["validate", path]) == 1
    assert capsys.readouterr().err == (
        prefix + "calling SageMaker needs boto3: install clarion[aws] (pip install 'clarion[aws]'), or pass "
        "--model PATH_OR_URL to use a local model\n"
    )
    monkeypatch.undo()

    no_aws(monkeypatch, tmp_path, region=False, credentials=True)
    assert main(["validate", path]) == 1
    assert capsys.readouterr().err.startswith(prefix + "no AWS region: set AWS_REGION")

    no_aws(monkeypatch, tmp_path, region=True, credentials=False)
    assert main(["validate", path]) == 1
    assert capsys.readouterr().err.startswith(prefix + "no AWS credentials found")

    assert main(["validate", path, "--model", setup["model"]]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: valid (text/csv; ")

    no_aws(monkeypatch, tmp_path, region=True, credentials=True)
    assert main(["validate", path]) == 0


@pytest.mark.parametrize(
    ("predictor", "message"),
    [
        ({"model_uri": "/no/such/model.joblib"}, "predictor.model_uri: file not found: /no/such/model.joblib; "),
        ({"model_callable": "no_such_module_q:f"}, "predictor.model_callable: cannot import module 'no_such_module_q'"),
        (
            {"serve_command": ["no-such-server-q", "{port}"]},
            "predictor.serve_command: 'no-such-server-q' is not on PATH",
        ),
        ({"model_name": "m", "instance_type": "ml.m5.xlarge"}, "predictor.initial_instance_count: required with"),
    ],
)
def test_validate_names_the_key_that_cannot_run(setup, tmp_path, capsys, predictor, message):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(dict(setup["config"], predictor=predictor)))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"clarion: error: {path}: valid, but cannot run here: {message}")
    assert err.count("\n") == 1


def test_validate_pings_an_endpoint_url(setup, tmp_path, capsys):
    with http_server(lambda seen, number: (200, b"")) as server:
        url = server.url
        path = tmp_path / "up.json"
        path.write_text(json.dumps(dict(setup["config"], predictor={"endpoint_url": url + "/"})))
        assert main(["validate", str(path)]) == 0
        assert [s.path for s in server.seen] == ["/ping"]
    # the server is gone now
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"clarion: error: {path}: valid, but cannot run here: predictor.endpoint_url: GET {url}/ping did not answer "
        "200 within 5 s; start the server, or pass --model PATH_OR_URL\n"
    )
