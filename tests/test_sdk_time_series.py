"""Time-series configs as the sagemaker SDK v2 writes them, run unchanged by clarion against enumeration.

The configs come from the real SDK (``tests/api_reference/timeseries_cases.py``): the dataset in each of
the three JSON layouts, the model an existing SageMaker endpoint, reached through boto3 at a runtime server
on 127.0.0.1. Expected values are computed here from the model's formula, coalition by coalition.
"""

from __future__ import annotations

import json
from pathlib import Path

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


def answer(seen: Seen, number: int) -> tuple[int, bytes]:
    records = json.loads(seen.body)["instances"]
    out = [{"mean": model(r["target"], r["dynamic_feat"][0], r["cat"][0]).tolist()} for r in records]
    return 200, json.dumps({"predictions": out}).encode()


def write_layouts(folder: Path) -> None:
    records = [
        {"id": it["id"], "t": t, "x": it["x"][i], "r": it["r"][i], "u": it["u"]}
        for it in ITEMS
        for i, t in enumerate(it["t"])
    ]
    (folder / "item_records.json").write_text(json.dumps(ITEMS))
    (folder / "timestamp_records.json").write_text(json.dumps(records))
    (folder / "columns.json").write_text(json.dumps({k: [r[k] for r in records] for k in records[0]}))


def expected(item: dict, direction: str, baseline: str) -> np.ndarray:
    x, r = item["x"], item["r"]
    n = len(x)
    bx = [float(np.mean(x)) if baseline == "mean" else 0.0] * n
    br = [float(np.mean(r)) if baseline == "mean" else 0.0] * n

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
    for key, value in {
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    layout = config["time_series_data_config"]["dataset_format"]
    with http_server(answer) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
        analysis = run_analysis(config, data_uri=str(folder / f"{layout}.json"), output_dir=tmp_path, quiet=True)
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
