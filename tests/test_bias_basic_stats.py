"""``bias_basic_stats`` and ``model_performance_report`` in analysis.json, against smclarify's own functions.

smclarify (in its own virtualenv, see tests/reference_tools.py) computes ``bias_basic_stats`` per facet for
both stages and ``model_performance_report`` on the same rows; clarion's runs must give the same objects.
Cases: Adult with 0/1 labels (a categorical facet with a value, one facet value against the rest, a
continuous facet with a threshold), Adult with text labels, and abalone's continuous label with a threshold
and a regressor's predictions. A hand-counted table checks the formulas on four rows as well.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from adult_fixtures import FEATURES, adult_numeric, adult_raw
from clarion.bias import BiasCounts, BiasSpec, FacetSpec
from clarion.bias.basic_stats import bias_basic_stats, model_performance_report
from clarion.engine import run_analysis
from clarion.results import Analysis
from conftest import DATASETS
from reference_tools import assert_same_values, run_smclarify

SMCLARIFY_STATS = r"""
import json, sys
import pandas as pd
from smclarify.bias import report
job = json.loads(sys.argv[1])
df = pd.read_csv(job["path"])
frame = df.drop(columns=["pred"])
label = lambda: report.LabelColumn(job["label"], df[job["label"]], list(job["label_values"]))
pred = lambda: report.LabelColumn("pred", df["pred"], list(job["label_values"]))
out = {"pre": {}, "post": {}}
for f in job["facets"]:
    values = lambda: None if f["values"] is None else list(f["values"])
    out["pre"][f["name"]] = report.bias_basic_stats(
        frame, report.FacetColumn(f["name"], values()), label(), report.StageType.PRE_TRAINING)
    out["post"][f["name"]] = report.bias_basic_stats(
        frame, report.FacetColumn(f["name"], values()), label(), report.StageType.POST_TRAINING, pred())
out["performance"] = report.model_performance_report(frame, label(), pred())
print(json.dumps(out))
"""


def run_both(tmp_path: Path, frame: pd.DataFrame, label: str, label_values: list, facets: list[dict]) -> tuple:
    """(clarion's analysis.json, smclarify's objects) for ``frame`` whose ``pred`` column holds predictions."""
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": label,
        "predicted_label": "pred",
        "label_values_or_threshold": label_values,
        "facet": [
            {"name_or_index": f["name"], **({} if f["values"] is None else {"value_or_threshold": f["values"]})}
            for f in facets
        ],
        "methods": {"pre_training_bias": {"methods": ["CI"]}, "post_training_bias": {"methods": ["DPPL"]}},
    }
    analysis = run_analysis(config, data_uri=str(path), output_dir=tmp_path / "out", quiet=True)
    job = {"path": str(path), "label": label, "label_values": label_values, "facets": facets}
    return analysis, run_smclarify(SMCLARIFY_STATS, job)


def assert_same_stats(analysis: dict, expected: dict) -> None:
    pre, post = analysis["pre_training_bias_metrics"], analysis["post_training_bias_metrics"]
    assert_same_values(pre["bias_basic_stats"], expected["pre"], "pre.bias_basic_stats")
    assert_same_values(post["bias_basic_stats"], expected["post"], "post.bias_basic_stats")
    ours, theirs = dict(post["model_performance_report"]), dict(expected["performance"])
    if "confusion_matrix" in theirs:  # smclarify orders the values of a Python set; compare as mappings
        ours_matrix, theirs_matrix = ours.pop("confusion_matrix"), theirs.pop("confusion_matrix")
        assert {k: dict(v) for k, v in ours_matrix.items()} == {k: dict(v) for k, v in theirs_matrix.items()}
    assert_same_values(ours, theirs, "model_performance_report")


@pytest.mark.slow
@pytest.mark.sdk
def test_adult_numeric_labels_match_smclarify(tmp_path):
    frame = adult_numeric(1000)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(frame[FEATURES], frame["Target"])
    frame = frame.assign(pred=model.predict(frame[FEATURES]))
    facets = [
        {"name": "Sex", "values": [0]},
        {"name": "Ethnic group", "values": None},
        {"name": "Age", "values": [40]},
    ]
    analysis, expected = run_both(tmp_path, frame, "Target", [1], facets)
    assert_same_stats(analysis, expected)
    stats = analysis["post_training_bias_metrics"]["bias_basic_stats"]
    assert [e["value_or_threshold"] for e in stats["Age"]] == ["(40, 90]"]
    assert len(stats["Ethnic group"]) == frame["Ethnic group"].nunique()
    report = analysis["post_training_bias_metrics"]["model_performance_report"]
    accuracy = report["model_performance_metrics"][0]
    assert accuracy["name"] == "Accuracy"
    assert accuracy["value"] == pytest.approx((frame["pred"] == frame["Target"]).mean(), abs=1e-15)
    typed = Analysis.from_data(analysis).post_training_bias_metrics
    assert typed is not None and typed.model_performance_report is not None
    assert typed.model_performance_report.model_performance_metrics[0].value == accuracy["value"]
    assert typed.bias_basic_stats["Sex"][0].metrics[1].value == stats["Sex"][0]["metrics"][1]["value"]


@pytest.mark.slow
@pytest.mark.sdk
def test_adult_text_labels_match_smclarify(tmp_path):
    raw = adult_raw(1000)
    numeric = adult_numeric(1000)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(numeric[FEATURES], raw["income"])
    frame = pd.DataFrame(
        {
            "age": raw["age"],
            "sex": raw["sex"],
            "race": raw["race"],
            "income": raw["income"],
            "pred": model.predict(numeric[FEATURES]),
        }
    )
    facets = [{"name": "sex", "values": ["Female"]}, {"name": "race", "values": None}]
    analysis, expected = run_both(tmp_path, frame, "income", [">50K"], facets)
    assert_same_stats(analysis, expected)
    matrix = analysis["post_training_bias_metrics"]["model_performance_report"]["confusion_matrix"]
    assert matrix[">50K"]["<=50K"] == float(((frame["income"] == ">50K") & (frame["pred"] == "<=50K")).sum())


@pytest.mark.slow
@pytest.mark.sdk
def test_abalone_continuous_label_matches_smclarify(tmp_path):
    names = ["Sex", "Length", "Diameter", "Height", "Whole", "Shucked", "Viscera", "Shell", "Rings"]
    frame = pd.read_csv(DATASETS / "abalone" / "abalone.data", header=None, names=names).iloc[:1500]
    features = names[1:-1]
    model = LinearRegression().fit(frame[features], frame["Rings"])
    frame = frame.assign(Rings=frame["Rings"].astype(float), pred=model.predict(frame[features]).round(3))
    facets = [{"name": "Sex", "values": ["F"]}, {"name": "Length", "values": [0.5]}]
    analysis, expected = run_both(tmp_path, frame, "Rings", [10], facets)
    assert_same_stats(analysis, expected)
    assert "confusion_matrix" not in analysis["post_training_bias_metrics"]["model_performance_report"]


def test_formulas_on_a_hand_counted_table():
    """Four facet-d rows and four others; every number below is counted by hand."""
    frame = pd.DataFrame(
        {
            "f": ["d", "d", "d", "d", "a", "a", "a", "a"],
            "y": ["yes", "yes", "no", "no", "yes", "no", "no", "no"],
            "p": ["yes", "no", "yes", "no", "yes", "yes", "no", "no"],
        }
    )
    spec = BiasSpec(label="y", label_values=("yes",), facets=(FacetSpec("f", ("d",)),), predicted_label="p")
    counts = BiasCounts.from_frame(frame, spec.columns, row_offset=0)
    stats = bias_basic_stats(counts, spec, post_training=True)["f"][0]
    assert stats["value_or_threshold"] == "d"
    values = {m["name"]: m["value"] for m in stats["metrics"]}
    # facet d: TP 1, FN 1, FP 1, TN 1 of 4 rows; 2 of 4 labels positive
    assert values == {"proportion": 0.5, "observed_label_distribution": [0.5, 0.5], "confusion_matrix": [0.25] * 4}
    report = model_performance_report(counts, spec)
    # all rows: TP 2, FP 2, FN 1, TN 3
    metrics = {m["name"]: m["value"] for m in report["model_performance_metrics"]}
    assert metrics["Accuracy"] == 5 / 8
    assert metrics["True Positive Rate / Recall"] == 2 / 3
    assert metrics["Acceptance Rate / Precision"] == 2 / 4
    assert metrics["Conditional Rejection"] == (3 + 2) / (3 + 1)
    assert metrics["F1 Score"] == pytest.approx(2 * (2 / 4) * (2 / 3) / (2 / 4 + 2 / 3), abs=1e-15)
    assert report["binary_confusion_matrix"] == [2 / 8, 2 / 8, 1 / 8, 3 / 8]
    assert report["confusion_matrix"] == {"no": {"no": 3.0, "yes": 2.0}, "yes": {"no": 1.0, "yes": 2.0}}
