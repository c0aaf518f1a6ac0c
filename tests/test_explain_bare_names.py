"""``methods.shap.bare_feature_names``: out.csv columns named by the bare feature names for a one-output model,
as Clarify's older releases wrote them; the values are those of the default ``<feature>_label0`` columns."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from clarion.engine import run_analysis
from clarion.errors import ConfigError
from clarion.explain.outputs import local_value_columns

FEATURES = ["a", "b", "c"]


def config(model_uri: str, **shap: object) -> dict:
    return {
        "dataset_type": "text/csv",
        "headers": [*FEATURES, "y"],
        "label": "y",
        "predictor": {"model_uri": model_uri},
        "methods": {"shap": {"baseline": [[0.0, 0.0, 0.0]], "num_samples": 6, "seed": 1, **shap}},
    }


def test_bare_names_write_the_same_values_under_the_feature_names(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=FEATURES)
    frame["y"] = frame @ np.array([1.0, -2.0, 0.5])
    frame.to_csv(tmp_path / "data.csv", header=False, index=False)
    joblib.dump(LinearRegression().fit(frame[FEATURES], frame["y"]), tmp_path / "model.joblib")
    model = str(tmp_path / "model.joblib")

    run_analysis(config(model), data_uri=str(tmp_path / "data.csv"), output_dir=tmp_path / "suffixed", quiet=True)
    run_analysis(
        config(model, bare_feature_names=True),
        data_uri=str(tmp_path / "data.csv"),
        output_dir=tmp_path / "bare",
        quiet=True,
    )

    suffixed = pd.read_csv(tmp_path / "suffixed" / "explanations_shap" / "out.csv")
    bare = pd.read_csv(tmp_path / "bare" / "explanations_shap" / "out.csv")
    assert list(suffixed.columns) == [f"{f}_label0" for f in FEATURES]
    assert list(bare.columns) == FEATURES
    np.testing.assert_array_equal(bare.to_numpy(), suffixed.to_numpy())
    # a linear model: each local value is coefficient * (x - baseline), exactly
    np.testing.assert_allclose(bare.to_numpy(), frame[FEATURES].to_numpy() * [1.0, -2.0, 0.5], atol=1e-9)
    baseline = pd.DataFrame([[0.0, 0.0, 0.0]], columns=FEATURES)
    row = bare.iloc[7][baseline.columns]  # the blog's plotting code indexes by the baseline's columns
    assert list(row.index) == FEATURES


def test_bare_names_need_a_single_output():
    assert local_value_columns(["a", "b"], ["label0"], bare=True) == ["a", "b"]
    with pytest.raises(ConfigError, match=r"methods\.shap\.bare_feature_names: .* has 2 \(no, yes\)"):
        local_value_columns(["a", "b"], ["no", "yes"], bare=True)
