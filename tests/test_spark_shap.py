"""Spark SHAP values stay on the executors: global values (the exact median included) and part files equal the
local engine's, and the global values equal numpy's over the local values written.

The median is forced through the counting passes (``GATHER_LIMIT`` 0: intervals are narrowed down to one key),
so the selection runs as Spark jobs over the persisted values.
"""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from clarion.engine import spark_median
from spark_fixtures import (
    assert_close,
    both_engines,
    spark_fixture,  # noqa: F401 - the session fixture, named spark
    split_bytes,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]
FEATURES = ["a", "b", "c"]


@pytest.fixture(scope="module")
def model_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shap")
    rng = np.random.default_rng(17)
    n = 901  # odd; the even case drops a row
    frame = pd.DataFrame({"id": [f"k{i:04d}" for i in range(n)]})
    for name in FEATURES:
        frame[name] = np.round(rng.normal(size=n), 3)
    frame["y"] = ((frame["a"] - frame["b"] + rng.normal(size=n)) > 0).astype(int)
    model = LogisticRegression().fit(frame[FEATURES], frame["y"])
    joblib.dump(model, folder / "model.joblib")
    return folder, frame


def shap_config(folder, agg_method, explain=None):
    config = {
        "dataset_type": "text/csv",
        "headers": ["id", *FEATURES, "y"],
        "label": "y",
        "joinsource_name_or_index": "id",
        "methods": {
            "shap": {
                "baseline": [[0.0, 0.0, 0.0]],
                "num_samples": 6,
                "seed": 4,
                "agg_method": agg_method,
                "save_local_shap_values": True,
            }
        },
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    if explain is not None:
        config["methods"]["shap"]["features_to_explain"] = explain
    return config


def part_files(folder):
    parts = sorted((folder / "explanations_shap").glob("part-*.csv"))
    return parts, pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)


@pytest.mark.parametrize(
    ("rows", "agg_method", "explain"),
    [(901, "median", None), (900, "median", None), (900, "mean_sq", None), (901, "mean_abs", ["b"])],
)
def test_global_values_and_part_files_equal_the_local_engine(
    tmp_path, spark, model_data, monkeypatch, rows, agg_method, explain
):
    folder, frame = model_data
    data = tmp_path / "data.csv"
    frame.iloc[:rows].to_csv(data, header=False, index=False)
    monkeypatch.setattr(spark_median, "GATHER_LIMIT", 0)  # every interval narrowed by counting jobs
    with split_bytes(spark, 4 * 1024):  # ~9 partitions of the 33 kB file
        local, distributed = both_engines(shap_config(folder, agg_method, explain), data, tmp_path, spark)
    assert_close(distributed, local)
    if agg_method != "median":  # the sums run over the rows in the local engine's order: equal bit for bit
        assert distributed["explanations"] == local["explanations"]
    parts, values = part_files(tmp_path / "spark")
    assert len(parts) > 3
    reference = pd.read_csv(tmp_path / "local" / "explanations_shap" / "out.csv")
    # parts numbered in dataset order: read in file order they are out.csv row for row
    assert values["id"].tolist() == frame["id"].iloc[:rows].tolist() == reference["id"].tolist()
    pd.testing.assert_frame_equal(values, reference, rtol=1e-9, atol=1e-12)
    # numpy over the values Spark wrote (CSV keeps every float's digits): the median exactly, the mean closely
    section = distributed["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    for name in explain or FEATURES:
        column = values[f"{name}_label0"].to_numpy()
        if agg_method == "median":
            assert section[name] == np.median(column)
        elif agg_method == "mean_sq":
            assert section[name] == pytest.approx(np.mean(column * column), rel=1e-12)
        else:
            assert section[name] == pytest.approx(np.mean(np.abs(column)), rel=1e-12)
