"""`clarion config`: the analysis config built from flags loads with load_config and carries exactly the values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
