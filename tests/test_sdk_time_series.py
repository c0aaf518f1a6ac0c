"""Time-series configs as the sagemaker SDK v2 writes them, run unchanged by clarion against enumeration.

The configs come from the real SDK (``tests/api_reference/timeseries_cases.py``): the dataset in each of
the three JSON layouts, the model an existing SageMaker endpoint, reached through boto3 at a runtime server
on 127.0.0.1. Expected values are computed here from the model's formula, coalition by coalition.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import numpy as np
import pytest

from clarion.engine import run_analysis
from predictors_fixtures import Seen, http_server
from reference_tools import REFERENCE_DIR, sdk_configs

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

ITEMS = [
    {"id": "a", "t": [1, 2, 3, 4], "x": [5.0, 6.0, 4.0, 3.0], "r": [0.0, 1.0, 2.0, 1.0], "u": 2},
    {"id": "b", "t": [3, 4, 5], "x": [1.0, -2.0, 4.0], "r": [1.0, 1.0, 0.5], "u": -1},
]


def model(target: list, related: list, cat: float) -> np.ndarray:
    return np.array([target[-1] * target[-2] + related[-1], sum(target) * cat + target[0] * related[1]])


def forecast_of(record: dict) -> list:
    return model(record["target"], record["dynamic_feat"][0], record["cat"][0]).tolist()


def answer(seen: Seen, number: int) -> tuple[int, bytes]:
    """DeepAR's request forms: {"instances": [...]}, one bare record, or JSON Lines of {"instance": record}."""
    if seen.headers.get("content-type") == "application/jsonlines":
        lines = [json.loads(line)["instance"] for line in seen.body.decode().splitlines()]
        return 200, "\n".join(json.dumps({"mean": forecast_of(r)}) for r in lines).encode()
    request = json.loads(seen.body)
    if "instances" not in request:
        return 200, json.dumps({"mean": forecast_of(request)}).encode()
    return 200, json.dumps({"predictions": [{"mean": forecast_of(r)} for r in request["instances"]]}).encode()


def write_layouts(folder: Path) -> None:
    records = [
        {"id": it["id"], "t": t, "x": it["x"][i], "r": it["r"][i], "u": it["u"]}
        for it in ITEMS
        for i, t in enumerate(it["t"])
    ]
    (folder / "item_records.json").write_text(json.dumps(ITEMS))
    (folder / "timestamp_records.json").write_text(json.dumps(records))
    (folder / "columns.json").write_text(json.dumps({k: [r[k] for r in records] for k in records[0]}))
    (folder / "rows.json").write_text(json.dumps([[r["u"], r["id"], r["t"], r["x"], r["r"]] for r in records]))


def expected(item: dict, direction: str, baseline: str, related: str | None = None) -> np.ndarray:
    x, r = item["x"], item["r"]
    n = len(x)
    bx = [float(np.mean(x)) if baseline == "mean" else 0.0] * n
    br = [float(np.mean(r)) if (related or baseline) == "mean" else 0.0] * n

    def v(present: range) -> np.ndarray:
        keep = set(present)
        return model(
            [x[i] if i in keep else bx[i] for i in range(n)],
            [r[i] if i in keep else br[i] for i in range(n)],
            item["u"],
        )

    chron = np.array([v(range(t + 1)) - v(range(t)) for t in range(n)])
    anti = np.array([v(range(t, n)) - v(range(t + 1, n)) for t in range(n)])
    return {"chronological": chron, "anti_chronological": anti, "bidirectional": (chron + anti) / 2}[direction]


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("sdk_ts")
    write_layouts(folder)
    return folder, sdk_configs(REFERENCE_DIR / "timeseries_cases.py", folder)


def aws_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in {
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)


def run_sdk_config(config: dict, folder: Path, tmp_path: Path, monkeypatch) -> tuple[dict, list[Seen]]:
    """Run the config against the runtime server; (analysis.json, the requests the server saw)."""
    aws_chain(monkeypatch, tmp_path)
    layout = config["time_series_data_config"].get("dataset_format", "rows")
    with http_server(answer) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
        analysis = run_analysis(config, data_uri=str(folder / f"{layout}.json"), output_dir=tmp_path, quiet=True)
    return analysis, server.posts()


def out_lines(analysis: dict, tmp_path: Path) -> list[list[dict]]:
    path = tmp_path / analysis["explanations"]["asymmetric_shapley_value"]["explanation_results_path"]
    return [json.loads(line)["explanations"] for line in path.read_text().splitlines()]


@pytest.mark.parametrize(
    ("case", "direction", "baseline"),
    [
        ("timewise_defaults_item_records", "chronological", "zero"),
        ("anti_chronological_timestamp_records", "anti_chronological", "zero"),
        ("bidirectional_mean_columns", "bidirectional", "mean"),
        ("fine_grained_item_records", "chronological", "zero"),
    ],
)
def test_sdk_config_runs_unchanged(
    configs, case: str, direction: str, baseline: str, tmp_path: Path, monkeypatch
) -> None:
    folder, built = configs
    assert "error" not in built[case], built[case]
    config = built[case]["config"]
    assert config["predictor"]["endpoint_name"] == "forecaster"
    analysis, _ = run_sdk_config(config, folder, tmp_path, monkeypatch)
    section = analysis["explanations"]["asymmetric_shapley_value"]
    granularity = config["methods"]["asymmetric_shapley_value"]["granularity"]
    assert section["explanation_results_path"] == f"asymmetric_shapley_value/{granularity}_{direction}/out.jsonl"
    lines = (tmp_path / section["explanation_results_path"]).read_text().splitlines()
    for line, item in zip(lines, ITEMS, strict=True):
        entries = json.loads(line)["explanations"]
        scores = np.array([e["scores"] for e in entries])
        want = expected(item, direction, baseline)
        if granularity == "timewise":
            np.testing.assert_allclose(scores, want, rtol=1e-12, atol=1e-12)
        else:  # per series and step; the series of one step add up to the step's (timewise) value
            per_step = scores.reshape(2, len(item["t"]), -1).sum(axis=0)
            np.testing.assert_allclose(per_step, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", ["no_templates", "jsonlines_content_template_only"])
def test_configs_without_record_template_send_deepar_records(configs, case: str, tmp_path: Path, monkeypatch) -> None:
    """Without record_template the record is DeepAR's; JSON Lines sends one line per record, with the SDK's
    custom attributes and target model passed to InvokeEndpoint."""
    folder, built = configs
    config = built[case]["config"]
    assert "record_template" not in config["predictor"] and built[case]["schema_error"] is None
    analysis, posts = run_sdk_config(config, folder, tmp_path, monkeypatch)
    first = posts[0].body.decode()
    if case == "no_templates":
        assert set(json.loads(first)) == {"start", "target", "dynamic_feat", "cat"}
    else:
        assert posts[0].headers["content-type"] == "application/jsonlines"
        assert posts[0].headers["accept"] == "application/jsonlines"
        assert posts[0].headers["x-amzn-sagemaker-custom-attributes"] == "trace=on"
        assert posts[0].headers["x-amzn-sagemaker-target-model"] == "forecaster.tar.gz"
        assert len(first.splitlines()) > 1 and set(json.loads(first.splitlines()[0])) == {"instance"}
    for entries, item in zip(out_lines(analysis, tmp_path), ITEMS, strict=True):
        scores = np.array([e["scores"] for e in entries])
        np.testing.assert_allclose(scores, expected(item, "chronological", "zero"), rtol=1e-12, atol=1e-12)


def test_static_covariate_baselines_attribute_the_covariates(configs, tmp_path: Path, monkeypatch) -> None:
    """Covariates enter before every step: the steps keep their values (covariates at the item's values) and the
    covariate gets f(b, u) - f(b, u_b) (one covariate: its exact Shapley value); all add up to f(x, u) - f(b, u_b)."""
    folder, built = configs
    config = built["static_covariate_baseline"]["config"]
    analysis, _ = run_sdk_config(config, folder, tmp_path, monkeypatch)
    covariate_baseline = {"a": 0, "b": 5}
    for entries, item in zip(out_lines(analysis, tmp_path), ITEMS, strict=True):
        steps, (static,) = entries[:-1], entries[-1:]
        assert static["feature_name"] == "u" and "timestamp" not in static
        np.testing.assert_allclose(
            [e["scores"] for e in steps], expected(item, "chronological", "zero", related="mean"), rtol=1e-12
        )
        n = len(item["x"])
        bx, br = [0.0] * n, [float(np.mean(item["r"]))] * n
        want = model(bx, br, item["u"]) - model(bx, br, covariate_baseline[item["id"]])
        np.testing.assert_allclose(static["scores"], want, rtol=1e-12, atol=1e-12)
        total = np.sum([e["scores"] for e in entries], axis=0)
        full = model(item["x"], item["r"], item["u"]) - model(bx, br, covariate_baseline[item["id"]])
        np.testing.assert_allclose(total, full, rtol=1e-12, atol=1e-12)


def test_baseline_given_as_a_file(configs, tmp_path: Path, monkeypatch) -> None:
    folder, built = configs
    config = built["baseline_uri"]["config"]
    assert config["methods"]["asymmetric_shapley_value"]["baseline"] == str(folder / "baseline.json")
    (folder / "baseline.json").write_text(json.dumps({"target_time_series": "mean", "related_time_series": "mean"}))
    analysis, _ = run_sdk_config(config, folder, tmp_path, monkeypatch)
    for entries, item in zip(out_lines(analysis, tmp_path), ITEMS, strict=True):
        scores = np.array([e["scores"] for e in entries])
        np.testing.assert_allclose(scores, expected(item, "bidirectional", "mean"), rtol=1e-12, atol=1e-12)


def test_model_name_runs_on_a_shadow_endpoint(configs, moto_endpoint, tmp_path: Path, monkeypatch) -> None:
    """The SDK's ModelConfig(model_name=...): an endpoint made for the run (moto), called, then deleted."""
    folder, built = configs
    config = built["model_name_shadow"]["config"]
    aws_chain(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", moto_endpoint)
    control = boto3.client("sagemaker")
    control.create_model(
        ModelName="forecaster-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/clarion-test",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/deepar:1"},
    )
    analysis, posts = run_sdk_config(config, folder, tmp_path, monkeypatch)
    names = {s.path.split("/")[2] for s in posts}
    assert len(names) == 1 and next(iter(names)).startswith("ts-shadow-")
    assert not [e for e in control.list_endpoints()["Endpoints"] if e["EndpointName"].startswith("ts-shadow")]
    configs_left = control.list_endpoint_configs()["EndpointConfigs"]
    assert not [c for c in configs_left if c["EndpointConfigName"].startswith("ts-shadow")]
    for entries, item in zip(out_lines(analysis, tmp_path), ITEMS, strict=True):
        scores = np.array([e["scores"] for e in entries])
        np.testing.assert_allclose(scores, expected(item, "chronological", "zero"), rtol=1e-12, atol=1e-12)


def test_column_indices_read_list_records(configs, tmp_path: Path, monkeypatch) -> None:
    folder, built = configs
    config = built["column_indices"]["config"]
    assert config["time_series_data_config"]["target_time_series"] == 3
    assert "dataset_format" not in config["time_series_data_config"]
    analysis, _ = run_sdk_config(config, folder, tmp_path, monkeypatch)
    for entries, item in zip(out_lines(analysis, tmp_path), ITEMS, strict=True):
        assert [e["feature_name"] for e in entries] == ["3"] * len(item["t"])
        scores = np.array([e["scores"] for e in entries])
        np.testing.assert_allclose(scores, expected(item, "anti_chronological", "zero"), rtol=1e-12, atol=1e-12)
