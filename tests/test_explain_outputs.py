"""Aggregation against numpy formulas; analysis.json kernel_shap section; out.csv columns, order, join source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clarion.config import ShapConfig
from clarion.explain import ShapResult, explain_tabular
from clarion.explain.aggregate import aggregate, aggregate_stderr
from clarion.explain.outputs import kernel_shap_section, local_values_frame, write_local_values_csv


def _result(values, stderr=None):
    n, m, k = values.shape
    return ShapResult(
        feature_names=tuple(f"f{j}" for j in range(m)),
        output_names=tuple(f"label{i}" for i in range(k)),
        values=values,
        stderr=np.zeros_like(values) if stderr is None else stderr,
        base_values=np.zeros((n, k)),
        expected_value=np.arange(k, dtype=float) + 0.5,
        num_samples=6,
        exact=True,
        model_rows=0,
    )


def test_aggregation_methods():
    v = np.array([[[1.0], [-2.0]], [[-3.0], [4.0]], [[5.0], [0.5]], [[-7.0], [-1.0]]])  # (4, 2, 1)
    np.testing.assert_allclose(aggregate(v, "mean_abs")[:, 0], [(1 + 3 + 5 + 7) / 4, (2 + 4 + 0.5 + 1) / 4])
    np.testing.assert_allclose(aggregate(v, "mean_sq")[:, 0], [(1 + 9 + 25 + 49) / 4, (4 + 16 + 0.25 + 1) / 4])
    np.testing.assert_allclose(aggregate(v, "median")[:, 0], [(-3 + 1) / 2, (-1 + 0.5) / 2])  # signed, exact
    odd = v[:3]
    np.testing.assert_allclose(aggregate(odd, "median")[:, 0], [1.0, 0.5])
    se = np.full_like(v, 0.1)
    np.testing.assert_allclose(aggregate_stderr(v, se, "mean_abs")[:, 0], [0.1, 0.1])
    np.testing.assert_allclose(aggregate_stderr(v, se, "mean_sq")[:, 0], [2 * 0.1 * 16 / 4, 2 * 0.1 * 7.5 / 4])
    # independent rows: sqrt(sum of squares) / N, by hand: sqrt(4 * 0.01) / 4 = 0.05
    np.testing.assert_allclose(aggregate_stderr(v, se, "mean_abs", independent=True)[:, 0], [0.05, 0.05])
    sq = np.sqrt(((2 * np.abs(v[:, :, 0]) * 0.1) ** 2).sum(axis=0)) / 4
    np.testing.assert_allclose(aggregate_stderr(v, se, "mean_sq", independent=True)[:, 0], sq)
    # a row's stderr widened to a t interval (10 degrees of freedom: 2.228 / 1.96) is narrowed back first
    wide = se.copy()
    wide[0] *= 2.228 / 1.959964
    np.testing.assert_allclose(aggregate_stderr(v, wide, "mean_abs", True, np.array([10, 0, 0, 0]))[:, 0], [0.05] * 2)
    # a row resting on 2 sampled pairs (1 degree of freedom) enters with the correlated bound, by hand:
    # sqrt(3 * 0.1^2) / 4 + 0.1 / 4
    wide = se.copy()
    wide[0] *= 12.706 / 1.959964
    few = aggregate_stderr(v, wide, "mean_abs", True, np.array([1, 0, 0, 0]))[:, 0]
    np.testing.assert_allclose(few, [np.sqrt(3 * 0.01) / 4 + 0.1 / 4] * 2, rtol=1e-6)
    nan = se.copy()
    nan[2, 1, 0] = np.nan
    assert np.isnan(aggregate_stderr(v, nan, "mean_abs", independent=True)[1, 0])


def test_kernel_shap_section_shape():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(5, 3, 2))
    section = kernel_shap_section(_result(v), "mean_sq")
    assert list(section) == ["label0", "label1"]
    assert list(section["label1"]) == [
        "global_shap_values",
        "expected_value",
        "global_shap_values_stderr",
        "clarion_num_samples_used",
    ]
    assert section["label1"]["expected_value"] == 1.5
    assert list(section["label0"]["global_shap_values"]) == ["f0", "f1", "f2"]
    assert section["label1"]["global_shap_values"]["f2"] == pytest.approx(float((v[:, 2, 1] ** 2).mean()))
    assert section["label0"]["global_shap_values_stderr"] == {"f0": 0.0, "f1": 0.0, "f2": 0.0}


def test_out_csv_columns_order_and_joinsource(tmp_path):
    v = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)  # value = 6 i + 2 j + k
    frame = local_values_frame(_result(v), pd.Series(["id-a", "id-b"], name="rid"))
    assert list(frame.columns) == ["rid", "f0_label0", "f1_label0", "f2_label0", "f0_label1", "f1_label1", "f2_label1"]
    assert frame["rid"].tolist() == ["id-a", "id-b"]
    assert frame["f2_label1"].tolist() == [5.0, 11.0]
    assert frame["f1_label0"].tolist() == [2.0, 8.0]
    path = write_local_values_csv(tmp_path / "explanations_shap" / "out.csv", _result(v))
    text = path.read_text().splitlines()
    assert text[0] == "f0_label0,f1_label0,f2_label0,f0_label1,f1_label1,f2_label1"
    assert text[1] == "0.0,2.0,4.0,1.0,3.0,5.0"
    assert len(text) == 3
    assert [p.name for p in path.parent.iterdir()] == ["out.csv"]


def test_end_to_end_abalone_like_columns(tmp_path):
    rows = pd.DataFrame({"Sex": ["M", "F", "I"], "Length": [0.4, 0.5, 0.3]})
    bl = pd.DataFrame({"Sex": ["I"], "Length": [0.35]})

    def model(frame):
        return (frame["Length"].to_numpy() * 10 + (frame["Sex"] == "M").to_numpy())[:, None]

    result = explain_tabular(rows, bl, model, ["label0"], ShapConfig(), np.random.default_rng(0))
    frame = pd.read_csv(write_local_values_csv(tmp_path / "out.csv", result))
    np.testing.assert_allclose(frame["Sex_label0"], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(frame["Length_label0"], [0.5, 1.5, -0.5])
    # the blog-era code reads bare feature names after stripping the label suffix
    assert list(frame.columns.str.removesuffix("_label0")) == ["Sex", "Length"]
