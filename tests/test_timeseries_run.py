"""Time-series explanations of a dataset through a forecasting endpoint on 127.0.0.1, against enumeration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import s3fs

from clarion.config.methods import AsymmetricShapleyValue
from clarion.config.model import TimeSeriesDataConfig
from clarion.config.predictor import PredictorConfig
from clarion.data.timeseries_reader import read_time_series
from clarion.engine import run_analysis
from clarion.errors import ConfigError, DataError, NotSupportedError, PredictorError
from clarion.explain.timeseries_run import explain_items, item_baseline, load_baseline, static_baseline
from clarion.predictors.forecast import ForecastModel, open_forecast_model
from predictors_fixtures import Seen, http_server

DOC = [
    {"id": "a", "t": [1, 2, 3, 4], "x": [5.0, 6.0, 4.0, 3.0], "r": [0.0, 1.0, 2.0, 1.0], "u": 2},
    {"id": "b", "t": [3, 4, 5], "x": [1.0, -2.0, 4.0], "r": [1.0, 1.0, 0.5], "u": -1},
]
DATA = TimeSeriesDataConfig(
    item_id="[*].id", timestamp="[*].t", target_time_series="[*].x", related_time_series=["[*].r"],
    static_covariates=["[*].u"], dataset_format="item_records",
)  # fmt: skip
RECORD = (
    '{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series,'
    ' "cat": $static_covariates}'
)


def model(target: list, related: list, cat: float) -> list[float]:
    """Two forecast steps, not additive in the inputs."""
    return [target[-1] * target[-2] + related[-1], sum(target) * cat + target[0] * related[1]]


def server_answer(seen: Seen, number: int) -> tuple[int, bytes]:
    request = json.loads(seen.body)
    out = [{"mean": model(r["target"], r["dynamic_feat"][0], r["cat"][0])} for r in request["instances"]]
    return 200, json.dumps({"predictions": out}).encode()


def chronological(x: np.ndarray, b: np.ndarray, cat: float) -> np.ndarray:
    """phi_t = v(steps <= t) - v(steps < t), each v straight from the model."""
    steps = x.shape[1]
    v = [
        np.array(model(list(np.r_[x[0, :k], b[0, k:]]), list(np.r_[x[1, :k], b[1, k:]]), cat)) for k in range(steps + 1)
    ]
    return np.array([v[t + 1] - v[t] for t in range(steps)])


@pytest.mark.parametrize("max_records", [None, 2])
def test_endpoint_run_matches_enumeration(tmp_path: Path, max_records: int | None) -> None:
    items = read_time_series(DOC, DATA, "data.json")
    settings = AsymmetricShapleyValue(baseline={"target_time_series": "mean", "related_time_series": "zero"})
    with http_server(server_answer) as server:
        predictor = PredictorConfig(
            endpoint_url=server.url, content_template='{"instances": $records}', record_template=RECORD,
            time_series_predictor_config={"forecast": "predictions[*].mean"}, max_records_per_request=max_records,
        )  # fmt: skip
        with open_forecast_model(predictor) as forecaster:
            section = explain_items(items, forecaster.for_item, settings, DATA, tmp_path)
        if max_records == 2:
            assert all(len(json.loads(s.body)["instances"]) <= 2 for s in server.posts())
    assert section == {
        "direction": "chronological",
        "granularity": "timewise",
        "explanation_results_path": "asymmetric_shapley_value/timewise_chronological/out.jsonl",
    }
    lines = (tmp_path / section["explanation_results_path"]).read_text().splitlines()
    assert len(lines) == 2
    for line, raw in zip(lines, DOC, strict=True):
        x = np.array([raw["x"], raw["r"]])
        b = np.array([[np.mean(raw["x"])] * len(raw["x"]), [0.0] * len(raw["x"])])
        expected = chronological(x, b, raw["u"])
        entries = json.loads(line)["explanations"]
        assert [e["timestamp"] for e in entries] == raw["t"]
        assert {e["feature_name"] for e in entries} == {"[*].x"}
        got = np.array([e["scores"] for e in entries])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        full = np.array(model(raw["x"], raw["r"], raw["u"]))
        empty = np.array(model(list(b[0]), list(b[1]), raw["u"]))
        np.testing.assert_allclose(got.sum(axis=0), full - empty, rtol=1e-12, atol=1e-12)


def test_fine_grained_entries_per_series_and_single_record_requests(tmp_path: Path) -> None:
    items = read_time_series(DOC, DATA, "data.json")
    sent: list[dict] = []

    def send(body: bytes) -> bytes:
        record = json.loads(body)
        sent.append(record)
        return json.dumps({"mean": model(record["target"], record["dynamic_feat"][0], record["cat"][0])}).encode()

    p = PredictorConfig(record_template=RECORD, time_series_predictor_config={"forecast": "mean"})
    settings = AsymmetricShapleyValue(granularity="fine_grained", num_samples=3)
    section = explain_items(items, ForecastModel(send, p).for_item, settings, DATA, tmp_path, seed=4)
    assert section["explanation_results_path"] == "asymmetric_shapley_value/fine_grained_chronological/out.jsonl"
    first = json.loads((tmp_path / section["explanation_results_path"]).read_text().splitlines()[0])["explanations"]
    assert [(e["feature_name"], e["timestamp"]) for e in first] == [
        (name, t) for name in ("[*].x", "[*].r") for t in DOC[0]["t"]
    ]
    got = np.array([e["scores"] for e in first]).sum(axis=0)
    np.testing.assert_allclose(got, np.array(model(DOC[0]["x"], DOC[0]["r"], 2)) - np.array(model([0] * 4, [0] * 4, 2)))
    assert sent[0]["start"] == 1 and sent[0]["cat"] == [2]
    # 3 samples x (8 players + 1) requests for item a, 3 x 7 for item b
    assert len(sent) == 3 * 9 + 3 * 7


def test_baselines_and_refusals() -> None:
    item = read_time_series(DOC, DATA, "data.json")[0]
    settings = AsymmetricShapleyValue(baseline={"related_time_series": "mean"})
    mean_all = item_baseline(item, load_baseline(settings, DATA))
    np.testing.assert_allclose(mean_all, [[0.0] * 4, [1.0] * 4])
    with pytest.raises(DataError, match="static_covariates: no baseline for item 'a'"):
        static_baseline(item, load_baseline(AsymmetricShapleyValue(baseline={"static_covariates": {"b": [1]}}), DATA))
    with pytest.raises(ConfigError, match=r"static_covariates.a: expected a list of 1 values"):
        load_baseline(AsymmetricShapleyValue(baseline={"static_covariates": {"a": [1, 2]}}), DATA)
    with pytest.raises(DataError, match="cannot read the time-series baseline"):
        load_baseline(AsymmetricShapleyValue(baseline="/nonexistent/baseline.json"), DATA)
    with pytest.raises(ConfigError, match="target_time_series: expected 'zero' or 'mean'"):
        load_baseline(AsymmetricShapleyValue(baseline={"target_time_series": "median"}), DATA)
    with pytest.raises(ConfigError, match="time_series_predictor_config.forecast"):
        ForecastModel(lambda b: b, PredictorConfig(record_template=RECORD))
    bad = ForecastModel(
        lambda b: b'{"mean": "x"}',
        PredictorConfig(record_template=RECORD, time_series_predictor_config={"forecast": "m"}),
    )
    with pytest.raises(PredictorError, match="expected 1 forecasts|not numbers"):
        bad.for_item(item)(item.series[None])


def run_config(url: str, **method: object) -> dict:
    return {
        "dataset_type": "application/json",
        "time_series_data_config": {
            "target_time_series": "[*].x", "item_id": "[*].id", "timestamp": "[*].t",
            "related_time_series": ["[*].r"], "static_covariates": ["[*].u"], "dataset_format": "item_records",
        },
        "methods": {"asymmetric_shapley_value": {"direction": "anti_chronological"} | method},
        "predictor": {
            "endpoint_url": url, "content_template": '{"instances": $records}', "record_template": RECORD,
            "time_series_predictor_config": {"forecast": "predictions[*].mean"},
        },
    }  # fmt: skip


def test_run_analysis_writes_clarify_layout(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DOC))
    with http_server(server_answer) as server:
        analysis = run_analysis(run_config(server.url), data_uri=str(data), output_dir=tmp_path / "out", quiet=True)
    section = analysis["explanations"]["asymmetric_shapley_value"]
    assert section["direction"] == "anti_chronological"
    saved = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert saved["explanations"]["asymmetric_shapley_value"] == section
    line = (tmp_path / "out" / section["explanation_results_path"]).read_text().splitlines()[1]
    got = np.array([e["scores"] for e in json.loads(line)["explanations"]])
    # anti-chronological: phi_t = v(steps >= t) - v(steps > t), baseline zero
    x, r, u = DOC[1]["x"], DOC[1]["r"], DOC[1]["u"]
    v = [np.array(model([0.0] * k + x[k:], [0.0] * k + r[k:], u)) for k in range(len(x) + 1)]
    np.testing.assert_allclose(got, [v[t] - v[t + 1] for t in range(len(x))], rtol=1e-12, atol=1e-12)


def test_plan_checks_time_series_configs(tmp_path: Path) -> None:
    config = run_config("http://127.0.0.1:9")
    with pytest.raises(NotSupportedError, match="methods.shap: not available with time series"):
        run_analysis(config | {"methods": config["methods"] | {"shap": {}}}, data_uri="x.json", output_dir=tmp_path)
    with pytest.raises(ConfigError, match="methods.asymmetric_shapley_value: required with time_series_data_config"):
        run_analysis(config | {"methods": {"shap": {}}}, data_uri="x.json", output_dir=tmp_path)
    no_data = {k: v for k, v in config.items() if k != "time_series_data_config"} | {"features": "f"}
    with pytest.raises(ConfigError, match="time_series_data_config: required"):
        run_analysis(no_data, data_uri="x.json", output_dir=tmp_path)


def test_sagemaker_endpoint_name_through_boto3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK writes predictor.endpoint_name: InvokeEndpoint reaches a runtime server on 127.0.0.1."""
    pytest.importorskip("boto3")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DOC))
    for key, value in {
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    config = run_config("unused")
    del config["predictor"]["endpoint_url"]
    config["predictor"]["endpoint_name"] = "forecaster"
    with http_server(server_answer) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
        analysis = run_analysis(config, data_uri=str(data), output_dir=tmp_path / "out", quiet=True)
        assert {s.path for s in server.posts()} == {"/endpoints/forecaster/invocations"}
        assert all("aws4-hmac-sha256" in s.headers.get("authorization", "").lower() for s in server.posts())
    path = tmp_path / "out" / analysis["explanations"]["asymmetric_shapley_value"]["explanation_results_path"]
    assert len(path.read_text().splitlines()) == 2


def test_folder_of_files_explains_items_in_file_order(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "part-1.json").write_text(json.dumps(DOC[1:]))
    (folder / "part-0.json").write_text(json.dumps(DOC[:1]))
    with http_server(server_answer) as server:
        analysis = run_analysis(run_config(server.url), data_uri=str(folder), output_dir=tmp_path / "out", quiet=True)
    path = tmp_path / "out" / analysis["explanations"]["asymmetric_shapley_value"]["explanation_results_path"]
    stamps = [[e["timestamp"] for e in json.loads(line)["explanations"]] for line in path.read_text().splitlines()]
    assert stamps == [DOC[0]["t"], DOC[1]["t"]]


@pytest.mark.slow
@pytest.mark.spark
def test_spark_engine_writes_the_local_engines_values(tmp_path: Path) -> None:
    from clarion.engine.spark_session import spark_session

    data = tmp_path / "data.json"
    data.write_text(json.dumps(DOC))
    spark = spark_session("local[1]")
    try:
        with http_server(server_answer) as server:
            config = run_config(server.url)
            local = run_analysis(config, data_uri=str(data), output_dir=tmp_path / "local", quiet=True)
            on_spark = run_analysis(
                config,
                data_uri=str(data),
                output_dir=tmp_path / "spark",
                quiet=True,
                engine="spark",
                spark_session=spark,
            )
    finally:
        spark.stop()
    assert on_spark == local
    relative = local["explanations"]["asymmetric_shapley_value"]["explanation_results_path"]
    assert (tmp_path / "spark" / relative).read_text() == (tmp_path / "local" / relative).read_text()


def jsonlines_forecaster(lines: list[dict]) -> list[dict]:
    """A model_callable speaking JSON Lines: one {"predictions": [{"mean": ...}]} answer per line."""
    return [{"predictions": [{"mean": model(r["target"], r["dynamic_feat"][0], r["cat"][0])}]} for r in lines]


def test_model_callable_json_lines_and_one_record_answers_unwrapped(tmp_path: Path) -> None:
    """Without record_template the record is DeepAR's; JSON Lines sends one line per record; a one-record answer
    found as [[...]] by the forecast expression is that record's forecast."""
    items = read_time_series(DOC, DATA, "data.json")
    predictor = PredictorConfig(
        model_callable="test_timeseries_run:jsonlines_forecaster", content_type="application/jsonlines",
        time_series_predictor_config={"forecast": "predictions[*].mean"}, max_records_per_request=3,
    )  # fmt: skip
    settings = AsymmetricShapleyValue()
    with open_forecast_model(predictor, DATA) as forecaster:
        section = explain_items(items, forecaster.for_item, settings, DATA, tmp_path)
    lines = (tmp_path / section["explanation_results_path"]).read_text().splitlines()
    for line, raw in zip(lines, DOC, strict=True):
        x = np.array([raw["x"], raw["r"]])
        got = np.array([e["scores"] for e in json.loads(line)["explanations"]])
        np.testing.assert_allclose(got, chronological(x, np.zeros_like(x), raw["u"]), rtol=1e-12, atol=1e-12)
    sent: list[bytes] = []
    single = PredictorConfig(
        content_template="$features", time_series_predictor_config={"forecast": "predictions[*].mean"}
    )
    one = ForecastModel(
        lambda body: sent.append(body) or json.dumps(jsonlines_forecaster([json.loads(body)])[0]).encode(),
        single,
        DATA,
    )
    item = items[0]
    np.testing.assert_allclose(one.for_item(item)(item.series[None])[0], model(DOC[0]["x"], DOC[0]["r"], 2))
    assert set(json.loads(sent[0])) == {"start", "target", "dynamic_feat", "cat"}
    with pytest.raises(ConfigError, match="content_template: expected a string with \\$features or \\$record"):
        ForecastModel(lambda b: b, single.model_copy(update={"content_type": "application/jsonlines",
                                                              "content_template": "$records"}), DATA)  # fmt: skip


def test_baseline_file_on_s3(s3_bucket) -> None:
    """A baseline URI on S3 (a moto server on 127.0.0.1) is read as the JSON object of the dict form."""
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_bucket.endpoint})
    spec = {"target_time_series": "mean", "static_covariates": {"a": [7], "b": [8]}}
    fs.pipe(f"{s3_bucket.name}/ts/baseline.json", json.dumps(spec).encode())
    settings = AsymmetricShapleyValue(baseline=f"s3://{s3_bucket.name}/ts/baseline.json")
    baseline = load_baseline(settings, DATA)
    item = read_time_series(DOC, DATA, "data.json")[0]
    np.testing.assert_allclose(item_baseline(item, baseline), [[4.5] * 4, [0.0] * 4])
    assert static_baseline(item, baseline) == (7,)
