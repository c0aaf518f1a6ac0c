"""The processor runs configs locally; clarion's ModelConfig additions; errors; config location."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fsspec
import pytest

import clarion.api as api
import clarion.api.processor as processor_module
from clarion.api.processor import config_location, write_analysis_config
from clarion.config import load_config
from clarion.errors import ClarionError, ConfigError


def score_function(frame: Any) -> Any:  # module level, so it has an import path
    return frame.iloc[:, 0]


def test_clarify_processor_is_the_sdk_class() -> None:
    assert api.ClarifyProcessor is api.SageMakerClarifyProcessor
    processor = api.SageMakerClarifyProcessor("arn:aws:iam::1:role/x", 1, "ml.c5.xlarge", 30, engine="spark")
    assert processor.role == "arn:aws:iam::1:role/x" and processor.engine == "spark"
    with pytest.raises(NotImplementedError):
        processor.run()


def test_argument_error_is_value_error_and_clarion_error() -> None:
    with pytest.raises(ValueError) as caught:
        api.SHAPConfig(agg_method="sum")
    assert isinstance(caught.value, ClarionError)
    assert str(caught.value) == "SHAPConfig.agg_method: expected one of mean_abs, median, mean_sq, got 'sum'"


def test_model_config_clarion_sources_written_to_predictor() -> None:
    config = api.ModelConfig(model_uri="models/xgb.json", content_type="text/csv", shadow=True, max_concurrency=2)
    assert config.get_predictor_config() == {
        "content_type": "text/csv", "model_uri": "models/xgb.json", "shadow": True, "max_concurrency": 2,
    }  # fmt: skip
    url = api.ModelConfig(endpoint_url="http://127.0.0.1:8080", model_name="m", timeout_seconds=5.0)
    assert url.get_predictor_config() == {
        "model_name": "m",
        "endpoint_url": "http://127.0.0.1:8080",
        "timeout_seconds": 5.0,
    }
    command = api.ModelConfig(serve_command=["python", "-m", "server", "--port", "{port}"])
    assert command.get_predictor_config() == {"serve_command": ["python", "-m", "server", "--port", "{port}"]}


def test_model_callable_function_becomes_import_path() -> None:
    config = api.ModelConfig(model_callable=score_function)
    assert config.get_predictor_config() == {"model_callable": f"{__name__}:score_function"}
    assert api.ModelConfig(model_callable="pkg.mod:predict").get_predictor_config() == {
        "model_callable": "pkg.mod:predict"
    }
    with pytest.raises(api.ArgumentError, match="cannot be imported by name"):
        api.ModelConfig(model_callable=lambda frame: frame)


def test_model_config_refuses_two_sources_and_no_source() -> None:
    with pytest.raises(api.ArgumentError, match="give only one of endpoint_url, model_uri"):
        api.ModelConfig(endpoint_url="http://127.0.0.1:1", model_uri="m.joblib")
    with pytest.raises(api.ArgumentError, match="give endpoint_name, or model_name"):
        api.ModelConfig(model_name="m", instance_count=1)


def test_clarion_predictor_validates_and_is_typed() -> None:
    data = api.DataConfig("d.csv", "out", label="y", headers=["x", "y"])
    model = api.ModelConfig(model_uri="m.joblib", shadow=True, content_type="text/csv")
    built = api.build_explainability(
        data, model, api.ModelPredictedLabelConfig(probability=0), api.SHAPConfig(num_clusters=1)
    )
    parsed = load_config(built)
    assert parsed.predictor is not None
    assert (parsed.predictor.model_uri, parsed.predictor.shadow, parsed.predictor.probability) == ("m.joblib", True, 0)


def test_config_location_local_and_uri(tmp_path: Path) -> None:
    local = api.DataConfig("d.csv", str(tmp_path / "out"))
    assert config_location(local) == str(tmp_path / "out" / "analysis_config.json")
    remote = api.DataConfig("s3://b/d.csv", "s3://b/out/", s3_analysis_config_output_path="gs://c/configs/")
    assert config_location(remote) == "gs://c/configs/analysis_config.json"
    write_analysis_config({"a": [1]}, "memory://clarion-api-test/cfg/analysis_config.json")
    with fsspec.open("memory://clarion-api-test/cfg/analysis_config.json", "r") as handle:
        assert json.load(handle) == {"a": [1]}


def test_refused_config_is_written_then_reported(tmp_path: Path) -> None:
    # bias on an image dataset passes the SDK's checks but no label is given: clarion refuses to run it
    data = api.DataConfig(str(tmp_path / "images"), str(tmp_path / "out"), dataset_type="application/x-image")
    bias = api.BiasConfig([1], "Sex")
    with pytest.raises(ConfigError, match="^label: required for bias metrics$"):
        api.ClarifyProcessor().run_pre_training_bias(data, bias)
    written = json.loads((tmp_path / "out" / "analysis_config.json").read_text(encoding="utf-8"))
    assert written["methods"]["pre_training_bias"] == {"methods": "all"}


def test_logs_false_and_engine_are_passed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(processor_module, "_engine_runner", lambda: lambda config, **kw: calls.append(kw) or {})
    data = api.DataConfig(str(tmp_path / "d.csv"), str(tmp_path / "o"), label="y", headers=["x", "y"])
    api.ClarifyProcessor(engine="spark", workers=3).run_pre_training_bias(data, api.BiasConfig([1], "x"), logs=False)
    assert calls == [
        {
            "data_uri": str(tmp_path / "d.csv"),
            "output_dir": str(tmp_path / "o"),
            "engine": "spark",
            "quiet": True,
            "model": None,
            "workers": 3,
        }
    ]


ROWS = [  # x = facet (1 is facet d), y = label; written as letters so both columns are categorical
    (1, 1),
    (1, 0),
    (1, 0),
    (0, 1),
    (0, 1),
    (0, 1),
    (0, 0),
    (0, 1),
    (0, 0),
    (0, 1),
]


@pytest.mark.slow
def test_pre_training_bias_runs_end_to_end(tmp_path: Path) -> None:
    data_file = tmp_path / "data.csv"
    data_file.write_text("".join(f"{'fm'[x]},{'ny'[y]}\n" for x, y in ROWS), encoding="utf-8")
    data = api.DataConfig(str(data_file), str(tmp_path / "result"), label="y", headers=["x", "y"])
    bias = api.BiasConfig(label_values_or_threshold=["y"], facet_name="x", facet_values_or_threshold=["m"])
    result = api.ClarifyProcessor(quiet=True).run_pre_training_bias(data, bias, methods=["CI", "DPL"])

    n_d = sum(1 for x, _ in ROWS if x == 1)
    n_a = len(ROWS) - n_d
    q_d = sum(y for x, y in ROWS if x == 1) / n_d
    q_a = sum(y for x, y in ROWS if x == 0) / n_a
    analysis = json.loads((tmp_path / "result" / "analysis.json").read_text(encoding="utf-8"))
    assert analysis == result
    metrics = {m["name"]: m["value"] for m in analysis["pre_training_bias_metrics"]["facets"]["x"][0]["metrics"]}
    assert metrics["CI"] == pytest.approx((n_a - n_d) / (n_a + n_d))
    assert metrics["DPL"] == pytest.approx(q_a - q_d)
    assert (tmp_path / "result" / "analysis_config.json").exists()


@pytest.mark.slow
def test_explainability_with_model_uri_end_to_end(tmp_path: Path) -> None:
    """Linear model, zero baseline: the exact SHAP value of feature j on row x is coef_j * x_j."""
    import joblib
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from clarion.card import build_card

    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 3))
    coef = np.array([2.0, -1.0, 0.5])
    target = features @ coef + 1.0
    np.savetxt(tmp_path / "data.csv", np.c_[features, target], delimiter=",")
    joblib.dump(LinearRegression().fit(features, target), tmp_path / "model.joblib")

    data = api.DataConfig(str(tmp_path / "data.csv"), str(tmp_path / "out"), label="y", headers=["a", "b", "c", "y"])
    model = api.ModelConfig(model_uri=str(tmp_path / "model.joblib"), content_type="text/csv")
    shap = api.SHAPConfig(baseline=[[0, 0, 0]], num_samples=6, agg_method="mean_abs")
    result = api.ClarifyProcessor(quiet=True).run_explainability(data, model, shap)

    label = result["explanations"]["kernel_shap"]["label0"]
    expected = np.abs(features * coef).mean(axis=0)
    assert [label["global_shap_values"][name] for name in "abc"] == pytest.approx(expected.tolist(), rel=1e-6)
    assert label["expected_value"] == pytest.approx(1.0)
    card = build_card(tmp_path / "out")
    assert [r.feature for r in card.explanations[0].top_features] == ["a", "b", "c"]  # order of expected above
    assert expected[0] > expected[1] > expected[2]
