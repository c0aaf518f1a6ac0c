"""examples/abalone end to end on 40 rows: config from `clarion config`, SHAP through a shadow endpoint,
`clarion serve` called once, the plot; numbers checked against the model called directly."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest

from clarion.config import load_config
from examples_fixtures import is_png, mean_abs, process_alive, processes_mentioning, run_example

pytestmark = pytest.mark.slow

FEATURES = ["Sex", "Length", "Diameter", "Height", "Whole weight", "Shucked weight", "Viscera weight", "Shell weight"]
ROWS = 40


@pytest.fixture(scope="module")
def abalone(tmp_path_factory):
    out = tmp_path_factory.mktemp("abalone")
    summary = run_example("abalone", out, "--rows", str(ROWS))
    model = joblib.load(out / "model.joblib")
    test = pd.read_csv(out / "test.csv", header=None, names=[*FEATURES, "Rings"])
    baseline = pd.read_csv(out / "baseline.csv", header=None, names=FEATURES)
    return out, summary, model, test, baseline


def test_outputs_exist(abalone):
    out = abalone[0]
    for name in ("model.joblib", "analysis_config.json", "analysis.json", "report.html", "report.pdf", "report.ipynb"):
        assert (out / name).stat().st_size > 0, name
    assert is_png(out / "shap_local.png")
    assert len(pd.read_csv(out / "explanations_shap" / "out.csv")) == ROWS


def test_config_is_the_blog_config(abalone):
    out = abalone[0]
    parsed = load_config(out / "analysis_config.json")
    assert parsed.headers == [*FEATURES, "Rings"] and parsed.label == "Rings"
    shap = parsed.methods.shap
    assert (shap.num_samples, shap.agg_method, shap.save_local_shap_values) == (20, "mean_abs", True)
    assert shap.baseline == str(out / "baseline.csv")
    assert parsed.predictor.model_uri == str(out / "model.joblib") and parsed.predictor.shadow is True
    assert (parsed.predictor.content_type, parsed.predictor.accept_type) == ("text/csv", "text/csv")


def test_local_shap_values_add_up_to_the_model_output(abalone):
    out, _, model, test, baseline = abalone
    local = pd.read_csv(out / "explanations_shap" / "out.csv")
    assert list(local.columns) == [f"{f}_label0" for f in FEATURES]
    f_x = model.predict(test[FEATURES])
    f_base = model.predict(baseline)[0]
    np.testing.assert_allclose(local.to_numpy().sum(axis=1), f_x - f_base, atol=1e-6)
    section = json.loads((out / "analysis.json").read_text())["explanations"]["kernel_shap"]["label0"]
    assert section["expected_value"] == pytest.approx(f_base, abs=1e-9)
    # mean_abs aggregation recomputed from the local values
    expected = dict(zip(FEATURES, mean_abs(local.to_numpy()), strict=True))
    assert section["global_shap_values"] == pytest.approx(expected, abs=1e-9)


def test_served_model_answers_what_the_model_predicts(abalone):
    _, summary, model, test, _ = abalone
    np.testing.assert_allclose(summary["served_predictions"], model.predict(test[FEATURES].head(3)), rtol=1e-12)


def test_bare_feature_names_option_serves_the_blogs_plotting_code(abalone, tmp_path):
    out, summary, baseline = tmp_path / "bare", abalone[1], abalone[4]
    bare = run_example("abalone", out, "--rows", str(ROWS), "--bare-feature-names")
    assert bare["out_csv_columns"] == FEATURES
    assert summary["out_csv_columns"] == [f"{f}_label0" for f in FEATURES]
    local = pd.read_csv(out / "explanations_shap" / "out.csv")
    row = local.iloc[10][baseline.columns]  # the blog's `local_explanations_out.iloc[100][baseline.columns]`
    default = pd.read_csv(abalone[0] / "explanations_shap" / "out.csv")
    np.testing.assert_array_equal(row.to_numpy(), default.iloc[10].to_numpy())  # same run, same seed


def test_no_server_is_left_running(abalone):
    out, summary = abalone[0], abalone[1]
    assert not process_alive(summary["server_pid"])
    assert processes_mentioning(str(out / "model.joblib")) == []
