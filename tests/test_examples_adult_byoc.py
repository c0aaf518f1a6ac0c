"""examples/adult_byoc end to end on 300 test rows: bias and SHAP through the sagemaker.clarify-style API against
`clarion serve`, reports and model cards; numbers checked against pandas and the model called directly."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest

from clarion.card import md
from examples_fixtures import process_alive, processes_mentioning, run_example

pytestmark = pytest.mark.slow

HEADERS = [
    "Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation", "Relationship",
    "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country", "Target",
]  # fmt: skip
FEATURES = HEADERS[:-1]
ROWS = 300
PRE = {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
POST = {"AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"}


@pytest.fixture(scope="module", params=["application/jsonlines", "text/csv"])
def adult(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("adult_byoc")
    summary = run_example(
        "adult_byoc", out, "--rows", str(ROWS), "--num-samples", "12", "--content-type", request.param
    )
    model = joblib.load(out / "model.joblib")
    test = pd.read_csv(out / "test.csv", header=None, names=HEADERS)
    return out, summary, model, test


def metrics(section: dict) -> dict[str, float]:
    (entry,) = section["facets"]["Sex"]
    assert str(entry["value_or_threshold"]) == "0"
    return {m["name"]: m["value"] for m in entry["metrics"]}


def test_outputs_exist(adult):
    out = adult[0]
    for folder in ("bias", "explainability"):
        for name in ("analysis_config.json", "analysis.json", "report.html", "report.pdf", "report.ipynb",
                     "model_card.md", "model_card.json"):  # fmt: skip
            assert (out / folder / name).stat().st_size > 0, f"{folder}/{name}"
    assert len(pd.read_csv(out / "explainability" / "explanations_shap" / "out.csv")) == ROWS


def test_data_is_label_encoded_like_the_notebook(adult):
    test = adult[3]
    assert len(test) == ROWS
    assert all(pd.api.types.is_integer_dtype(test[c]) for c in HEADERS)
    assert set(test["Sex"]) == {0, 1} and set(test["Target"]) <= {0, 1}
    # adult.test's first data row: 25, Private, ..., Male, ..., <=50K.
    assert (test.loc[0, "Age"], test.loc[0, "Sex"], test.loc[0, "Target"]) == (25, 1, 0)


def test_configs_follow_the_notebook(adult):
    out = adult[0]
    bias = json.loads((out / "bias" / "analysis_config.json").read_text())
    assert bias["label_values_or_threshold"] == [1]
    assert bias["facet"] == [{"name_or_index": "Sex", "value_or_threshold": [0]}]
    assert bias["group_variable"] == "Age"
    assert bias["probability_threshold"] == 0.4
    # "all", as the SDK writes it
    assert bias["methods"]["pre_training_bias"]["methods"] == "all"
    assert bias["methods"]["post_training_bias"]["methods"] == "all"
    predictor = bias["predictor"]
    assert predictor["endpoint_url"] == adult[1]["endpoint"]
    content_type = adult[1]["content_type"]
    assert predictor["content_type"] == predictor["accept_type"] == content_type
    assert "label" not in predictor  # the notebook's ModelPredictedLabelConfig names no label
    if content_type == "application/jsonlines":
        assert predictor["content_template"] == '{"features":$features}'
        assert predictor["probability"] == "score"
    else:
        assert "content_template" not in predictor and predictor["probability"] == 0
    shap = json.loads((out / "explainability" / "analysis_config.json").read_text())["methods"]["shap"]
    means = adult[3][FEATURES].mean().to_numpy()
    np.testing.assert_allclose(shap["baseline"], [means], rtol=1e-12)


def test_bias_metrics_equal_pandas_on_the_served_predictions(adult):
    out, _, model, test = adult
    analysis = json.loads((out / "bias" / "analysis.json").read_text())
    pre, post = metrics(analysis["pre_training_bias_metrics"]), metrics(analysis["post_training_bias_metrics"])
    assert set(pre) == PRE and set(post) == POST
    d = (test["Sex"] == 0).to_numpy()
    y = (test["Target"] == 1).to_numpy()
    assert pre["CI"] == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)
    assert pre["DPL"] == pytest.approx(y[~d].mean() - y[d].mean(), abs=1e-12)
    # No label in the config: the endpoint's score is cut at probability_threshold 0.4 (score > 0.4 is positive).
    score = model.predict_proba(test[FEATURES])[:, 1]
    predicted = score > 0.4
    assert predicted.sum() > (score > 0.5).sum()  # the threshold changes the predicted labels here
    qa, qd = predicted[~d].mean(), predicted[d].mean()
    assert post["DPPL"] == pytest.approx(qa - qd, abs=1e-12)
    assert post["DI"] == pytest.approx(qd / qa, abs=1e-12)
    correct = predicted == y
    assert post["AD"] == pytest.approx(correct[~d].mean() - correct[d].mean(), abs=1e-12)


def test_the_report_says_the_threshold(adult):
    html = (adult[0] / "bias" / "report.html").read_text(encoding="utf-8")
    assert "Predicted label = the model&#39;s score &gt; 0.4 (probability_threshold)." in html


def test_local_shap_values_add_up_to_the_score(adult):
    out, _, model, test = adult
    local = pd.read_csv(out / "explainability" / "explanations_shap" / "out.csv")
    assert list(local.columns) == [f"{f}_label0" for f in FEATURES]
    baseline = pd.DataFrame([test[FEATURES].mean().to_numpy()], columns=FEATURES)
    f_base = model.predict_proba(baseline)[0, 1]
    f_x = model.predict_proba(test[FEATURES])[:, 1]
    np.testing.assert_allclose(local.to_numpy().sum(axis=1), f_x - f_base, atol=1e-6)
    section = json.loads((out / "explainability" / "analysis.json").read_text())["explanations"]["kernel_shap"]
    assert section["label0"]["expected_value"] == pytest.approx(f_base, abs=1e-9)


def test_model_card_names_the_sex_facet_and_top_features(adult):
    out = adult[0]
    card = (out / "explainability" / "model_card.md").read_text()
    local = pd.read_csv(out / "explainability" / "explanations_shap" / "out.csv")
    top = local.abs().mean().idxmax().removesuffix("_label0")
    assert md(top) in card  # the card writes names as literal Markdown (Education\\-Num)


def test_the_server_is_stopped(adult):
    out, summary = adult[0], adult[1]
    assert not process_alive(summary["server_pid"])
    assert processes_mentioning(str(out / "model.joblib")) == []
