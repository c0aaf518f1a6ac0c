"""`clarion config`: the analysis config built from flags loads with load_config and carries exactly the values."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from clarion.cli import main
from clarion.config import load_config
from clarion.config_builder import ShapConfigRequest, build_shap_config, parse_baseline, parse_headers
from clarion.errors import ConfigError

ABALONE = ["Sex", "Length", "Diameter", "Height", "Whole weight", "Shucked weight", "Viscera weight", "Shell weight",
           "Rings"]  # fmt: skip


def test_blog_flags_give_the_blog_config(tmp_path):
    target = tmp_path / "cfg" / "analysis_config.json"
    code = main([
        "config", "--headers", ",".join(ABALONE), "--label", "Rings", "--baseline", "s3://bucket/baseline.csv",
        "--num-samples", "20", "--agg-method", "mean_abs", "--save-local-shap-values",
        "--model", "models/model.joblib", "--shadow", "--content-type", "text/csv", "--accept-type", "text/csv",
        "--report-name", "abalone", "--title", "Abalone explained", "--output", str(target),
    ])  # fmt: skip
    assert code == 0
    parsed = load_config(target)
    assert parsed.dataset_type == "text/csv"
    assert parsed.headers == ABALONE
    assert parsed.label == "Rings"
    shap = parsed.methods.shap
    assert shap.baseline == "s3://bucket/baseline.csv"
    assert shap.num_samples == 20
    assert shap.agg_method == "mean_abs"
    assert shap.save_local_shap_values is True
    assert shap.num_clusters is None and shap.seed is None
    assert parsed.predictor.model_uri == "models/model.joblib"
    assert parsed.predictor.shadow is True
    assert parsed.predictor.content_type == "text/csv"
    assert parsed.predictor.accept_type == "text/csv"
    assert parsed.methods.report.name == "abalone"
    assert parsed.methods.report.title == "Abalone explained"
    # nothing beyond what was asked for
    raw = json.loads(target.read_text())
    assert set(raw) == {"dataset_type", "headers", "label", "predictor", "methods"}
    assert set(raw["methods"]) == {"shap", "report"}
    assert set(raw["predictor"]) == {"model_uri", "shadow", "content_type", "accept_type"}


def test_inline_baseline_rows_keep_types_and_order(tmp_path):
    target = tmp_path / "c.json"
    assert main([
        "config", "--headers", "Sex,Length,Rings", "--label", "Rings", "--baseline", "M,0.5;F,12",
        "--no-save-local-shap-values", "--agg-method", "median", "--seed", "7", "--endpoint-url",
        "http://127.0.0.1:8080", "--output", str(target),
    ]) == 0  # fmt: skip
    parsed = load_config(target)
    assert parsed.methods.shap.baseline == [["M", 0.5], ["F", 12]]
    assert isinstance(parsed.methods.shap.baseline[1][1], int)
    assert parsed.methods.shap.save_local_shap_values is False
    assert parsed.methods.shap.agg_method == "median"
    assert parsed.methods.shap.seed == 7
    assert parsed.predictor.endpoint_url == "http://127.0.0.1:8080"
    assert parsed.predictor.shadow is False
    assert parsed.methods.report is None


def test_without_output_the_config_goes_to_stdout(capsys):
    assert main(["config", "--headers", "a,b,y", "--label", "y", "--num-clusters", "3", "--probability", "1"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written == {
        "dataset_type": "text/csv",
        "headers": ["a", "b", "y"],
        "label": "y",
        "predictor": {"probability": 1},
        "methods": {"shap": {"num_clusters": 3, "agg_method": "mean_abs", "save_local_shap_values": True}},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--headers", "a,b", "--label", "c"], "--label: 'c' is not one of --headers"),
        (
            ["--headers", "a,b,y", "--label", "y", "--baseline", "1,2,3"],
            "--baseline: expected 2 feature values per row, got 3",
        ),
        (["--headers", "a,y", "--shadow"], "--shadow: needs --model (the model file to serve)"),
        (
            ["--headers", "a,y", "--agg-method", "mean"],
            "--agg-method: expected one of mean_abs, median, mean_sq, got 'mean'",
        ),
        (["--headers", "a,a"], "--headers: duplicate column names ['a']"),
        (
            ["--headers", "a,y", "--model", "m.joblib", "--endpoint-url", "http://x"],
            "--model and --endpoint-url: give only one",
        ),
        (
            ["--headers", "a,y", "--baseline", "b.csv", "--num-clusters", "2"],
            "--baseline and --num-clusters: give only one",
        ),
        (
            ["--headers", "a,s,y", "--label", "y", "--pre-training", "all", "--facet", "s=0"],
            "--label-values: required for bias metrics (--pre-training / --post-training)",
        ),
        (
            ["--headers", "a,s,y", "--label", "y", "--post-training", "all", "--label-values", "1"],
            "--facet: required for bias metrics (--pre-training / --post-training)",
        ),
        (
            ["--headers", "a,s,y", "--label", "y", "--no-shap", "--grid-resolution", "4", "--model", "m.joblib"],
            "--pdp-features: required for PDP without SHAP (with SHAP, the top features are used)",
        ),
        (
            ["--headers", "a,y", "--facet", "=1", "--pre-training", "all"],
            "--facet: expected COLUMN or COLUMN=VALUES, got '=1'",
        ),
        (
            ["--headers", "a,y", "--pre-training", " , "],
            "--pre-training: expected 'all' or metric codes such as 'CI,DPL', got ' , '",
        ),
    ],
)
def test_bad_flags_are_one_line_errors(args, message, capsys):
    assert main(["config", *args]) == 1
    assert capsys.readouterr().err == f"clarion: error: {message}\n"


def test_values_the_schema_refuses_are_reported_with_the_key_path(capsys):
    assert main(["config", "--headers", "a,y", "--num-samples", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("clarion: error: methods.shap.num_samples")


def test_parse_headers_keeps_spaces_inside_names_and_strips_around():
    assert parse_headers(' Whole weight , Sex,"a,b"') == ("Whole weight", "Sex", "a,b")
    with pytest.raises(ConfigError, match="--headers"):
        parse_headers("a,,b")


def test_parse_baseline_file_or_rows():
    assert parse_baseline("data/baseline.csv") == "data/baseline.csv"
    assert parse_baseline("1,2.5,x\n3,4,y") == ([1, 2.5, "x"], [3, 4, "y"])
    with pytest.raises(ConfigError, match="different lengths"):
        parse_baseline("1,2;3")


names = st.lists(st.text(alphabet="abcdefgh XYZ_", min_size=1, max_size=8).map(str.strip).filter(bool), min_size=2,
                 max_size=6, unique=True)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(names, st.integers(1, 5000), st.sampled_from(["mean_abs", "median", "mean_sq"]), st.booleans())
def test_any_headers_and_settings_round_trip(headers, num_samples, agg, save_local):
    request = ShapConfigRequest(
        headers=tuple(headers), label=headers[-1], num_samples=num_samples, agg_method=agg,
        save_local_shap_values=save_local, model="m.joblib",
    )  # fmt: skip
    parsed = load_config(json.loads(json.dumps(build_shap_config(request))))
    assert parsed.headers == headers
    assert parsed.label == headers[-1]
    assert (parsed.methods.shap.num_samples, parsed.methods.shap.agg_method) == (num_samples, agg)
    assert parsed.methods.shap.save_local_shap_values is save_local
    assert parsed.predictor.model_uri == "m.joblib"


def test_bias_flags_give_the_sdk_shaped_bias_config(tmp_path):
    target = tmp_path / "bias.json"
    assert main([
        "config", "--headers", "Age,Sex,Race,Income,Target", "--label", "Target", "--label-values", "1",
        "--facet", "Sex=0", "--facet", "Race", "--facet", "Age=40", "--group", "Race",
        "--pre-training", "all", "--post-training", "DPPL,DI,FT", "--probability-threshold", "0.4",
        "--endpoint-url", "http://127.0.0.1:8080", "--content-type", "text/csv", "--probability", "0",
        "--output", str(target),
    ]) == 0  # fmt: skip
    assert json.loads(target.read_text()) == {
        "dataset_type": "text/csv",
        "headers": ["Age", "Sex", "Race", "Income", "Target"],
        "label": "Target",
        "label_values_or_threshold": [1],
        "facet": [
            {"name_or_index": "Sex", "value_or_threshold": [0]},
            {"name_or_index": "Race"},
            {"name_or_index": "Age", "value_or_threshold": [40]},
        ],
        "group_variable": "Race",
        "predictor": {"endpoint_url": "http://127.0.0.1:8080", "content_type": "text/csv", "probability": 0},
        "probability_threshold": 0.4,
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["DPPL", "DI", "FT"]}},
    }
    # text label values and a predicted-label column: post-training bias with no model at all
    assert main([
        "config", "--headers", "sex,income,pred", "--label", "income", "--label-values", ">50K,=50K",
        "--facet", "sex=Female", "--post-training", "all", "--predicted-label", "pred", "-o", str(target),
    ]) == 0  # fmt: skip
    parsed = load_config(target)
    assert parsed.label_values_or_threshold == [">50K", "=50K"] and parsed.predicted_label == "pred"
    assert parsed.predictor is None and parsed.methods.shap is None


@pytest.mark.slow
def test_every_section_from_flags_runs(tmp_path):
    """Bias (both stages), SHAP with use_logit, PDP and a report from flags; the run's numbers recomputed here."""
    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame({"Age": rng.integers(18, 80, n), "Sex": rng.integers(0, 2, n), "Income": rng.normal(5, 2, n)})
    frame["Target"] = ((frame["Income"] + frame["Sex"] + rng.normal(0, 1, n)) > 5.5).astype(int)
    frame.to_csv(tmp_path / "data.csv", header=False, index=False)
    features = ["Age", "Sex", "Income"]
    model = LogisticRegression(max_iter=1000).fit(frame[features], frame["Target"])
    joblib.dump(model, tmp_path / "model.joblib")
    config = tmp_path / "analysis_config.json"
    assert main([
        "config", "--headers", "Age,Sex,Income,Target", "--label", "Target", "--dataset", str(tmp_path / "data.csv"),
        "--model", str(tmp_path / "model.joblib"), "--label-values", "1", "--facet", "Sex=0", "--group", "Age",
        "--pre-training", "CI,DPL", "--post-training", "DPPL,DI", "--probability-threshold", "0.4",
        "--baseline", "40,1,5.0", "--num-samples", "6", "--use-logit", "--seed", "3", "--no-save-local-shap-values",
        "--pdp-features", "Income", "--grid-resolution", "4", "--report-name", "report", "-o", str(config),
    ]) == 0  # fmt: skip
    assert main(["validate", str(config)]) == 0
    assert main(["run", str(config), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())

    d = (frame["Sex"] == 0).to_numpy()
    predicted = model.predict_proba(frame[features])[:, 1] > 0.4
    post = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]}
    assert post["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
    pre = {m["name"]: m["value"] for m in analysis["pre_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]}
    assert pre["CI"] == pytest.approx(((~d).sum() - d.sum()) / n, abs=1e-12)
    p_base = model.predict_proba(pd.DataFrame([[40, 1, 5.0]], columns=features))[0, 1]
    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert shap["expected_value"] == pytest.approx(np.log(p_base / (1 - p_base)), abs=1e-9)  # use_logit
    (pdp,) = analysis["explanations"]["pdp"]
    assert pdp["feature_name"] == "Income" and len(pdp["feature_values"]) == 4
    assert not (tmp_path / "out" / "explanations_shap" / "out.csv").exists()
    assert (tmp_path / "out" / "report.html").stat().st_size > 0
