"""Real-world CSV inputs on the Spark engine give the local engine's analysis.json and local values.

- an integer facet column with one ``?`` in one partition only (the core reads mixed-type columns again as
  text and types them over the whole column; Spark's partitions must end up with the same values);
- a header row that is a permutation of the config's ``headers`` (columns mapped by name);
- a gzip-compressed CSV (with and without the ``.gz`` suffix);
- a dataset folder of several part files of unequal sizes (and one with a stray Parquet part: refused).

Each run explains rows (Kernel SHAP, local values saved) and computes bias metrics; pandas on the whole file
gives the bias numbers independently.
"""

from __future__ import annotations

import gzip

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from clarion.engine import run_analysis
from clarion.errors import DataError
from spark_fixtures import (
    assert_close,
    both_engines,
    metrics_of,
    run_spark,
    spark_fixture,  # noqa: F401 - the session fixture, named spark
    split_bytes,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]
HEADERS = ["id", "f", "a", "b", "y"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """1200 rows: an id, an integer facet f (0..2), two features, a 0/1 label; a model of a and b."""
    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(31)
    n = 1200
    frame = pd.DataFrame(
        {
            "id": [f"r{i:05d}" for i in range(n)],
            "f": rng.integers(0, 3, n),
            "a": np.round(rng.normal(size=n), 4),
            "b": np.round(rng.normal(size=n), 4),
        }
    )
    frame["y"] = ((frame["a"] + 0.5 * frame["f"] + rng.normal(size=n)) > 0.5).astype(int)
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    joblib.dump(model, folder / "model.joblib")
    return folder, frame, model


def config_for(folder, **overrides):
    config = {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "y",
        "label_values_or_threshold": [1],
        "joinsource_name_or_index": "id",
        "excluded_columns": ["f"],
        "facet": [{"name_or_index": "f", "value_or_threshold": [1]}],
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL"]},
            "post_training_bias": {"methods": ["DPPL"]},
            "shap": {
                "baseline": [[0.0, 0.0]],
                "num_samples": 2,
                "seed": 9,
                "agg_method": "median",
                "save_local_shap_values": True,
            },
        },
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    config.update(overrides)
    return config


def check_run(tmp_path, spark, config, data, expected, model, facet_rows):
    """Both engines on ``data``: equal analysis.json, Spark's part files (in order) equal to out.csv, and the
    bias numbers pandas gives on ``expected`` (the rows in dataset order) with ``facet_rows`` the facet's rows."""
    with split_bytes(spark, 8 * 1024):  # several splits per file
        local, distributed = both_engines(config, data, tmp_path, spark)
    assert_close(distributed, local)
    parts = sorted((tmp_path / "spark" / "explanations_shap").glob("part-*.csv"))
    assert parts
    values = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    reference = pd.read_csv(tmp_path / "local" / "explanations_shap" / "out.csv")
    assert values["id"].tolist() == expected["id"].tolist()
    pd.testing.assert_frame_equal(values, reference, rtol=1e-9, atol=1e-12)
    d = facet_rows.to_numpy()
    positive = (expected["y"] == 1).to_numpy()
    pre = metrics_of(distributed["pre_training_bias_metrics"], "f")
    assert pre["CI"] == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)
    assert pre["DPL"] == pytest.approx(positive[~d].mean() - positive[d].mean(), abs=1e-12)
    predicted = model.predict(expected[["a", "b"]]) == 1
    post = metrics_of(distributed["post_training_bias_metrics"], "f")
    assert post["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
    medians = distributed["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert medians == {name: np.median(values[f"{name}_label0"]) for name in ("a", "b")}
    return distributed


def test_one_question_mark_in_an_integer_facet_column_in_one_partition(tmp_path, spark, table):
    folder, frame, model = table
    text = frame.astype(str)
    text.loc[1100, "f"] = "?"  # in the last splits only
    text.to_csv(tmp_path / "data.csv", header=False, index=False)
    # pandas on the whole file reads the column as text: the facet value 1 matches the text "1"
    whole = pd.read_csv(tmp_path / "data.csv", header=None, names=HEADERS)
    assert not pd.api.types.is_numeric_dtype(whole["f"])
    distributed = check_run(
        tmp_path, spark, config_for(folder), tmp_path / "data.csv", frame, model, whole["f"].astype(str) == "1"
    )
    values = distributed["pre_training_bias_metrics"]["facets"]["f"]
    assert [entry["value_or_threshold"] for entry in values] == ["1"]


def test_a_header_row_in_another_order_is_mapped_by_name(tmp_path, spark, table):
    folder, frame, model = table
    permuted = ["y", "b", "id", "a", "f"]
    frame[permuted].to_csv(tmp_path / "data.csv", index=False)
    check_run(tmp_path, spark, config_for(folder), tmp_path / "data.csv", frame, model, frame["f"] == 1)
    # read by Spark's splits (each knowing the file's column order), not by one task for the whole file
    assert len(list((tmp_path / "spark" / "explanations_shap").glob("part-*.csv"))) > 1
    # a folder whose files each name the columns in their own order (one in config order)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, (lo, hi, order) in enumerate([(0, 500, permuted), (500, 700, HEADERS), (700, 1200, HEADERS[::-1])]):
        frame.iloc[lo:hi][order].to_csv(parts / f"part-{i:05d}.csv", index=False)
    check_run(tmp_path / "folder", spark, config_for(folder), parts, frame, model, frame["f"] == 1)
    assert len(list((tmp_path / "folder" / "spark" / "explanations_shap").glob("part-*.csv"))) > 3


def test_a_gzip_csv(tmp_path, spark, table):
    folder, frame, model = table
    with gzip.open(tmp_path / "data.csv.gz", "wt") as handle:
        frame.to_csv(handle, header=False, index=False)
    check_run(tmp_path, spark, config_for(folder), tmp_path / "data.csv.gz", frame, model, frame["f"] == 1)
    # gzip data named without the suffix: Spark's codecs go by the suffix, the local reader by the magic bytes
    (tmp_path / "data.csv.gz").rename(tmp_path / "data.csv")
    check_run(tmp_path / "plain", spark, config_for(folder), tmp_path / "data.csv", frame, model, frame["f"] == 1)


def test_a_folder_of_part_files(tmp_path, spark, table):
    folder, frame, model = table
    parts = tmp_path / "parts"
    parts.mkdir()
    cuts = [0, 90, 700, 710, 1200]  # unequal sizes: Spark orders splits by size, clarion by name
    for i, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False)):
        frame.iloc[lo:hi].to_csv(parts / f"part-{i:05d}.csv", header=False, index=False)
    (parts / "_SUCCESS").write_text("")
    check_run(tmp_path, spark, config_for(folder), parts, frame, model, frame["f"] == 1)


def test_a_stray_part_file_of_another_format_is_refused_as_locally(tmp_path, spark, table):
    folder, frame, _ = table
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.to_csv(parts / "part-00000.csv", header=False, index=False)
    frame.to_parquet(parts / "part-00001.parquet")
    config = config_for(folder, methods={"pre_training_bias": {"methods": ["CI"]}})
    message = r"part-00001.parquet: a application/x-parquet file in a text/csv dataset; remove it"
    with pytest.raises(DataError, match=message):
        run_analysis(config, data_uri=str(parts), output_dir=tmp_path / "local", quiet=True)
    with pytest.raises(DataError, match=message):
        run_spark(config, parts, tmp_path / "spark", spark)
    assert not (tmp_path / "spark" / "analysis.json").exists()
    # a Parquet part without an extension: its magic bytes give it away in both engines
    (parts / "part-00001.parquet").rename(parts / "part-00001")
    message = r"part-00001: a Parquet file in a text/csv dataset \(dataset_type is text/csv\)"
    with pytest.raises(DataError, match=message):
        run_analysis(config, data_uri=str(parts), output_dir=tmp_path / "local", quiet=True)
    with pytest.raises(DataError, match=message):
        run_spark(config, parts, tmp_path / "spark", spark)
