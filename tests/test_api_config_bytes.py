"""The Python API runs SDK calls for real and leaves the analysis_config.json the SDK would upload, byte for byte.

The SDK v2 builds each case of ``tests/api_reference/cases.py`` and its own ``_run`` writes the file it
uploads (``make_sdk_configs.py`` keeps that file's text). clarion's processor runs the same call for real
on a small synthetic dataset (a scikit-learn model file bound with ``model=``) and must write exactly
those bytes: "all" not expanded, keys in the SDK's order, no default added.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import clarion.api as api
from reference_tools import REFERENCE_DIR, sdk_configs
from test_api_sdk_parity import cases

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

RUNNABLE = [
    "pre_all",
    "pre_methods_group",
    "pre_several_facets_no_values",
    "pre_config_elsewhere",
    "post_predicted_label_column",
    "bias_all",
    "shap_baseline_rows",
    "shap_and_pdp",
    "shap_clusters_median_logit",
    "pdp_only",
    "bias_and_explainability_list",
    "bias_and_explainability_post_only",
    "pre_joinsource_excluded",
    "pre_parquet_segments",
]
COLUMNS = ["Age", "Sex", "Race", "Income", "Target"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data.csv (Age, Sex, Race, Income, Target, and a Prediction column for the predicted-label case) and a model."""
    folder = tmp_path_factory.mktemp("api_bytes")
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "Age": rng.integers(18, 80, n),
            "Sex": rng.integers(0, 2, n),
            "Race": rng.integers(0, 4, n),
            "Income": rng.normal(50_000, 15_000, n).round(0),
        }
    )
    frame["Target"] = ((frame["Income"] / 10_000 + 2 * frame["Sex"] + rng.normal(0, 1, n)) > 6).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    joblib.dump(model.fit(frame.iloc[:, :4], frame["Target"]), folder / "model.joblib")
    frame.to_csv(folder / "data.csv", header=False, index=False)
    return folder


@pytest.fixture(scope="module")
def sdk(workspace: Path) -> dict:
    return sdk_configs(REFERENCE_DIR / "cases.py", workspace)


@pytest.mark.parametrize("case", RUNNABLE)
def test_written_config_is_the_sdk_upload(case: str, workspace: Path, sdk: dict, tmp_path: Path) -> None:
    method, kwargs = cases.CASES[case]
    expected = sdk[case]
    folder = tmp_path / "run"
    folder.mkdir()
    data = pd.read_csv(workspace / "data.csv", header=None, names=COLUMNS)
    if case == "post_predicted_label_column":
        data = data.assign(prediction=data["Target"].to_numpy()[::-1])  # any 0/1 column stands for predictions
    if case == "pre_joinsource_excluded":
        data.insert(0, "id", [f"row{i}" for i in range(len(data))])
    if case == "pre_parquet_segments":
        data.to_parquet(folder / "data.csv", index=False)  # the SDK names the input path; the content is Parquet
    else:
        data.to_csv(folder / "data.csv", header=False, index=False)
    processor = api.ClarifyProcessor(quiet=True, model=str(workspace / "model.joblib"))

    analysis = getattr(processor, method)(**cases.instantiate(kwargs, api, str(folder)))

    written = (folder / "result" / "analysis_config.json").read_text(encoding="utf-8")
    assert written == expected["uploaded"]
    assert json.loads(written) == expected["config"]
    if "s3_analysis_config_output_path" in kwargs["data_config"]["kw"]:
        assert (folder / "configs" / "analysis_config.json").read_text(encoding="utf-8") == expected["uploaded"]
    methods = expected["config"]["methods"]
    assert ("pre_training_bias_metrics" in analysis) == ("pre_training_bias" in methods)
    assert ("post_training_bias_metrics" in analysis) == ("post_training_bias" in methods)
    assert ("explanations" in analysis) == ("shap" in methods or "pdp" in methods)
    if methods.get("pre_training_bias", {}).get("methods") == "all":  # "all" ran every metric, yet stays "all"
        assert len(analysis["pre_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]) == 8
    if "features" in methods.get("pdp", {}):
        assert [e["feature_name"] for e in analysis["explanations"]["pdp"]] == [
            str(COLUMNS[f]) if isinstance(f, int) else f for f in methods["pdp"]["features"]
        ]
    if "segment_config" in expected["config"]:
        segments = analysis["pre_training_bias_metrics"]["segment_metrics"]
        assert [len(c["segments"]) for c in segments] == [
            len(c["segments"]) + 1 for c in expected["config"]["segment_config"]
        ]
        assert sum(e["rows"] for e in segments[0]["segments"]) == len(data)
