import pytest

from clarion.config import load_config
from clarion.engine.plan import make_plan
from clarion.errors import ConfigError, NotSupportedError
from clarion.predictors import HttpPredictor, ResponseCodec, build_predictor


def config(predictor, dataset_type="text/csv"):
    return load_config({"dataset_type": dataset_type, "methods": {"shap": {}}, "predictor": predictor})


def test_defaults_follow_clarify():
    p = build_predictor(config({"endpoint_url": "http://127.0.0.1:1"}, "application/jsonlines"), ["a"])
    assert isinstance(p, HttpPredictor)
    assert p.request_codec.content_type == "application/jsonlines"
    assert p.request_codec.content_template == '{"features":$features}'
    assert p.response_codec.accept_type == "application/jsonlines"
    assert p.settings.max_payload_bytes == 5 * 1024 * 1024 and p.settings.max_concurrency == 4
    parquet = build_predictor(config({"endpoint_url": "http://127.0.0.1:1"}, "application/x-parquet"), ["a"])
    assert parquet.request_codec.content_type == "text/csv"


@pytest.mark.parametrize(
    ("predictor", "error", "message"),
    [
        (
            {"endpoint_url": "http://x", "content_type": "application/json"},
            ConfigError,
            "predictor.content_template: content_template and record_template are required",
        ),
        (
            {
                "endpoint_url": "http://x",
                "content_type": "application/json",
                "content_template": "$records",
                "record_template": '{"z": "${Z}"}',
            },
            ConfigError,
            r"predictor.record_template: placeholders \['Z'\]",
        ),
        (
            {
                "endpoint_url": "http://x",
                "content_type": "application/json",
                "content_template": "{}",
                "record_template": "$features",
            },
            ConfigError,
            "must contain \\$records or \\$record",
        ),
        ({"serve_command": ["server", "--port", "8080"]}, ConfigError, "must contain the placeholder \\{port\\}"),
        ({"endpoint_url": "http://x", "content_type": "image/png"}, ConfigError, "image/png is for images"),
        (
            {"endpoint_url": "http://x", "accept_type": "text/csv", "label": "predicted_label"},
            ConfigError,
            "predictor.label: expected a column index",
        ),
        ({}, ConfigError, "predictor: no model given"),
    ],
)
def test_config_errors(predictor, error, message):
    with pytest.raises(error, match=message):
        build_predictor(config(predictor), ["a", "b"])


def test_missing_predictor_section():
    cfg = load_config({"dataset_type": "text/csv", "methods": {"shap": {}}})
    with pytest.raises(ConfigError, match="predictor: required to call the model"):
        build_predictor(cfg, ["a"])


def test_optional_labels_all_or_none():
    codec = ResponseCodec(
        "application/jsonlines",
        label="probabilities && predicted_label",
        probability="score || probabilities",
        label_optional=True,
    )
    binary = codec.decode(b'{"predicted_label": 1, "score": 0.6}\n{"predicted_label": 0, "score": 0.0}\n', 2)
    assert binary.labels is None and binary.scores.tolist() == [[0.6], [0.0]]
    multi = codec.decode(b'{"predicted_label": "b", "probabilities": [0.2, 0.8]}\n', 1)
    assert list(multi.labels) == ["b"] and multi.scores.tolist() == [[0.2, 0.8]]


def test_dict_content_templates_are_refused_before_the_run_only_for_json_requests():
    """The SDK's schema allows a dict content_template; CSV requests ignore templates, JSON requests refuse it."""
    predictor = {"endpoint_url": "http://x", "content_template": {"payload": "$features"}}
    csv = load_config({"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": predictor})
    assert make_plan(csv, "data.csv").shap
    build_predictor(csv, ["a", "b"])
    lines = load_config(
        {
            "dataset_type": "text/csv",
            "methods": {"shap": {}},
            "predictor": predictor | {"content_type": "application/json"},
        }
    )
    with pytest.raises(NotSupportedError, match="dict template is not supported for application/json requests"):
        make_plan(lines, "data.csv")
