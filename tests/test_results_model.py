"""The typed Analysis model: exact round trip of analysis.json, Clarify's number encoding, errors with key paths."""

from __future__ import annotations

import json
import math

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from clarion.engine import run_analysis
from clarion.errors import OutputError
from clarion.results import Analysis, read_analysis
from report_fixtures import realistic_analysis

# Clarify's own output, shaped as printed in the fraud-detection example notebook (null value plus error).
CLARIFY_FRAUD = """{
  "version": "1.0",
  "pre_training_bias_metrics": {
    "label": "fraud",
    "label_value_or_threshold": "0",
    "facets": {
      "customer_gender_female": [
        {
          "value_or_threshold": "1",
          "metrics": [
            {
              "name": "CDDL",
              "description": "Conditional Demographic Disparity in Labels (CDDL)",
              "value": null,
              "error": "Group variable is empty or not provided"
            },
            {
              "name": "CI",
              "description": "Class Imbalance (CI)",
              "value": 0.398
            },
            {
              "name": "KL",
              "description": "Kullback-Liebler Divergence (KL)",
              "value": "Infinity"
            }
          ]
        }
      ]
    }
  }
}
"""


def plain_encoding(document: dict) -> str:
    """The writer's encoding before the model existed: json.dumps with infinities as strings, NaN as null."""

    def safe(value):
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, float) and math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if isinstance(value, dict):
            return {k: safe(v) for k, v in value.items()}
        if isinstance(value, list):
            return [safe(v) for v in value]
        return value

    return json.dumps(safe(document), indent=2, allow_nan=False) + "\n"


def test_clarify_output_round_trips_byte_for_byte():
    analysis = Analysis.from_json(CLARIFY_FRAUD)
    assert analysis.to_json() == CLARIFY_FRAUD
    (entry,) = analysis.pre_training_bias_metrics.facets["customer_gender_female"]
    values = {m.name: m.value for m in entry.metrics}
    assert values["CI"] == 0.398 and values["KL"] == math.inf and values["CDDL"] is None
    assert entry.metrics[0].error == "Group variable is empty or not provided"
    assert analysis.post_training_bias_metrics is None and analysis.explanations is None


def test_realistic_analysis_round_trips_with_extra_keys_and_key_order():
    document = realistic_analysis()
    document["clarion"] = {"rows_left_out": 3}  # a key the model does not name
    document["explanations"]["kernel_shap"]["label0"] = dict(
        reversed(list(document["explanations"]["kernel_shap"]["label0"].items()))
    )
    text = plain_encoding(document)
    analysis = Analysis.from_json(text)
    assert analysis.to_json() == text
    shap = analysis.kernel_shap["label0"]
    assert (
        shap.global_shap_values_stderr["age"]
        == document["explanations"]["kernel_shap"]["label0"]["global_shap_values_stderr"]["age"]
    )
    assert [p.feature_name for p in analysis.pdp] == ["age", "workclass", "comment"]
    assert analysis.pdp[2].error.startswith("Detected data type") and analysis.pdp[2].feature_values is None


def test_ints_stay_ints_and_nan_is_written_as_null():
    document = {"version": "1.0", "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
                "facets": {"s": [{"value_or_threshold": "0", "metrics": [
                    {"name": "DI", "description": "Disparate Impact (DI)", "value": 1},
                    {"name": "TE", "description": "Treatment Equality (TE)", "value": float("nan")},
                    {"name": "DCA", "description": "Difference in Conditional Acceptance (DCA)",
                     "value": -math.inf}]}]}}}  # fmt: skip
    text = Analysis.from_data(document).to_json()
    assert '"value": 1\n' in text and '"value": null' in text and '"value": "-Infinity"' in text
    assert text == plain_encoding(document)


def test_a_wrong_type_names_the_key_path():
    bad = {"version": "1.0", "pre_training_bias_metrics": {"facets": {"sex": [{"metrics": [{"name": "CI",
           "value": "lots"}]}]}}}  # fmt: skip
    with pytest.raises(OutputError, match=r"pre_training_bias_metrics\.facets\.sex\.0\.metrics\.0\.value"):
        Analysis.from_data(bad)


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.integers(0, 5, n), "sex": rng.integers(0, 2, n)})
    frame["y"] = (frame["x1"] + 0.3 * frame["x2"] + rng.normal(size=n) > 0.5).astype(int)
    folder = tmp_path_factory.mktemp("model")
    model = LogisticRegression().fit(frame[["x1", "x2", "sex"]], frame["y"])
    joblib.dump(model, folder / "model.joblib")
    frame.to_csv(folder / "data.csv", header=False, index=False)
    return folder


@pytest.mark.parametrize(
    "methods",
    [
        {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
        {"shap": {"baseline": [[0.0, 2, 0]], "num_samples": 20, "seed": 1}, "pdp": {"grid_resolution": 4}},
    ],
    ids=["bias", "shap-pdp"],
)
def test_engine_output_is_the_plain_encoding_of_the_result_and_round_trips(tmp_path, model_folder, methods):
    config = {
        "dataset_type": "text/csv",
        "headers": ["x1", "x2", "sex", "y"],
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}, {"name_or_index": "x2"}],
        "methods": methods,
        "predictor": {"model_uri": str(model_folder / "model.joblib")},
    }
    returned = run_analysis(config, data_uri=str(model_folder / "data.csv"), output_dir=tmp_path, quiet=True)
    text = (tmp_path / "analysis.json").read_text(encoding="utf-8")
    assert text == plain_encoding(returned)
    assert read_analysis(tmp_path).to_json() == text
