"""``dataset_type: application/sagemakercapturejson``: SHAP and PDP on SageMaker data-capture files.

The captured requests (CSV bodies, some holding several rows) are the dataset; a linear model makes the
exact Kernel SHAP values known in closed form: phi_j = w_j * (x_j - b_j) for baseline b.
"""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from clarion.engine import run_analysis
from clarion.errors import ConfigError

FEATURES = ["a", "b", "c"]
WEIGHTS = np.array([2.0, -1.0, 0.5])


def capture_line(rows: np.ndarray, outputs: np.ndarray, event: int) -> str:
    body = "\n".join(",".join(f"{v:.6f}" for v in row) for row in rows)
    answer = "\n".join(f"{v:.6f}" for v in outputs)
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": body, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": answer, "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": f"e{event}", "inferenceTime": "2026-11-30T00:00:00Z"},
        "eventVersion": "0",
    })  # fmt: skip


@pytest.fixture
def captured(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(24, 3)).round(6)
    model = LinearRegression().fit(x, x @ WEIGHTS + 1.0)
    joblib.dump(model, tmp_path / "model.joblib")
    lines, start, event = [], 0, 0
    for size in (1, 3, 2, 5, 1, 4, 8):  # requests of several rows, as endpoints receive them
        rows = x[start : start + size]
        lines.append(capture_line(rows, model.predict(rows), event))
        start, event = start + size, event + 1
    folder = tmp_path / "capture" / "2026" / "11" / "30"
    folder.mkdir(parents=True)
    (folder / "capture.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path, x


def config(model: str, **methods: object) -> dict:
    return {
        "dataset_type": "application/sagemakercapturejson",
        "headers": FEATURES,
        "predictor": {"model_uri": model, "content_type": "text/csv", "accept_type": "text/csv"},
        "methods": methods or {"shap": {"baseline": [[0.0, 0.0, 0.0]], "num_samples": 6, "seed": 0}},
    }


def test_shap_on_captured_requests(captured):
    folder, x = captured
    raw = config(str(folder / "model.joblib"))
    analysis = run_analysis(raw, data_uri=str(folder / "capture"), output_dir=folder / "out", quiet=True)
    local = pd.read_csv(folder / "out" / "explanations_shap" / "out.csv")
    assert list(local.columns) == [f"{f}_label0" for f in FEATURES]
    np.testing.assert_allclose(local.to_numpy(), x * WEIGHTS, atol=1e-8)  # every captured row, in order
    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert shap["expected_value"] == pytest.approx(1.0, abs=1e-8)  # f(baseline) = intercept
    assert shap["global_shap_values"]["a"] == pytest.approx(np.abs(x[:, 0] * 2.0).mean(), abs=1e-8)
    written = (folder / "out" / "analysis_config.json").read_text()
    assert json.loads(written) == raw  # the config as given, not the derived CSV one


def test_bias_on_capture_files_points_to_ground_truth(captured):
    folder, _ = captured
    raw = config(str(folder / "model.joblib"), pre_training_bias={"methods": "all"})
    raw.update(label="y", label_values_or_threshold=[1], facet=[{"name_or_index": "a"}])
    with pytest.raises(ConfigError, match="clarion monitor run --ground-truth"):
        run_analysis(raw, data_uri=str(folder / "capture"), output_dir=folder / "out", quiet=True)
