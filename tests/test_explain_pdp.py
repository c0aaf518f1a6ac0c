"""Partial dependence against a direct computation; grids, distributions, feature selection, error entries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clarion.explain.pdp import UNSUPPORTED, pdp_section, top_features


def _model(frame):
    colour = frame["colour"].map({"red": 1.0, "blue": -1.0}).to_numpy(dtype=float)
    y = frame["x"].to_numpy(dtype=float) ** 2 + colour * frame["z"].to_numpy(dtype=float)
    return np.stack([y, -2 * y], axis=1)


def _rows():
    return pd.DataFrame(
        {"x": [0.0, 1.0, 2.0, 4.0, 3.0], "colour": ["red", "blue", "red", "red", "blue"], "z": [1, 2, 3, 4, 5]}
    )


def test_numerical_feature_grid_and_predictions():
    rows = _rows()
    calls = []

    def model(frame):
        calls.append(len(frame))
        return _model(frame)

    [entry] = pdp_section(rows, model, ["a", "b"], ["x"], 4)
    assert entry["feature_name"] == "x" and entry["data_type"] == "numerical"
    assert entry["feature_values"] == pytest.approx([0.5, 1.5, 2.5, 3.5])  # centres of 4 buckets over [0, 4]
    assert entry["data_distribution"] == pytest.approx([0.2, 0.2, 0.2, 0.4])  # 4 falls in the last bucket
    colour = np.where(rows["colour"] == "red", 1.0, -1.0)
    direct = [np.mean(g**2 + colour * rows["z"]) for g in entry["feature_values"]]
    np.testing.assert_allclose(entry["model_predictions"][0], direct)
    np.testing.assert_allclose(entry["model_predictions"][1], -2 * np.array(direct))
    assert entry["label_headers"] == ["a", "b"]
    assert calls == [4 * 5]  # one call for the whole grid


def test_categorical_feature():
    rows = _rows()
    [entry] = pdp_section(rows, _model, ["a", "b"], ["colour"], 10, max_batch_rows=5)
    assert entry["data_type"] == "categorical"
    assert entry["feature_values"] == ["blue", "red"]
    assert entry["data_distribution"] == pytest.approx([0.4, 0.6])
    for g, value in zip(entry["feature_values"], entry["model_predictions"][0], strict=True):
        c = 1.0 if g == "red" else -1.0
        assert value == pytest.approx(np.mean(rows["x"] ** 2 + c * rows["z"]))


def test_top_k_by_global_shap_and_unsupported_type():
    rows = _rows().assign(when=pd.to_datetime(["2020-01-01"] * 5))
    shap = {"x": 0.1, "colour": 0.9, "z": -0.5, "when": 0.7}
    assert top_features(shap, 2) == ["colour", "when"]
    entries = pdp_section(rows, lambda f: _model(f)[:, :1], ["l"], top_features(shap, 3), 3)
    assert [e["feature_name"] for e in entries] == ["colour", "when", "z"]
    assert entries[1] == {"feature_name": "when", "data_type": "datetime64[us]", "error": UNSUPPORTED} or (
        entries[1]["error"] == UNSUPPORTED and set(entries[1]) == {"feature_name", "data_type", "error"}
    )
    assert entries[2]["feature_values"] == pytest.approx([1 + 2 / 3, 3.0, 5 - 2 / 3])
