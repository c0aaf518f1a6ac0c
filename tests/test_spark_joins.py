"""A separate facet dataset (``facet_dataset_uri``) on the Spark engine: the local engine's numbers.

The local engine streams the facet dataset beside the chunks; Spark reads it once on the driver and joins
it to each partition's chunks on the executors, by id or by dataset position. Both are checked against
each other and against pandas on the joined frame.
"""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from clarion.engine import run_analysis
from clarion.errors import DataError
from spark_fixtures import (
    both_engines,
    metrics_of,
    run_spark,
    spark_fixture,  # noqa: F401 - the session fixture, named spark
    split_bytes,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def facet_data(tmp_path_factory):
    """A dataset of ids, two features and a label; sex and a group in a separate facet dataset; a model of x1, x2."""
    folder = tmp_path_factory.mktemp("facets")
    rng = np.random.default_rng(21)
    n = 3000
    sex = rng.integers(0, 2, n)
    main = pd.DataFrame(
        {"id": [f"u{i:05d}" for i in range(n)], "x1": rng.normal(size=n) + sex, "x2": rng.normal(size=n)}
    )
    main["y"] = (main["x1"] + main["x2"] + rng.normal(size=n) > 0.5).astype(int)
    facets = pd.DataFrame({"id": main["id"], "sex": sex, "grp": rng.choice(["north", "south", "east"], n)})
    model = LogisticRegression().fit(main[["x1", "x2"]], main["y"])
    joblib.dump(model, folder / "model.joblib")
    main.to_csv(folder / "data.csv", header=False, index=False)
    facets.sample(frac=1.0, random_state=5).to_csv(folder / "by_id.csv", header=False, index=False)
    facets[["sex", "grp"]].to_csv(folder / "by_position.csv", header=False, index=False)
    return folder, main, facets, model


def facet_config(folder, *, by_id):
    config = {
        "dataset_type": "text/csv",
        "headers": ["id", "x1", "x2", "y"],
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}, {"name_or_index": "grp"}],
        "facet_dataset_uri": str(folder / ("by_id.csv" if by_id else "by_position.csv")),
        "facet_headers": ["id", "sex", "grp"] if by_id else ["sex", "grp"],
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL"]},
            "post_training_bias": {"methods": ["DPPL", "DI"]},
            "shap": {"baseline": [[0.0, 0.0]], "num_samples": 2, "seed": 1, "save_local_shap_values": True},
        },
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    if by_id:
        config["joinsource_name_or_index"] = "id"
    else:
        config["excluded_columns"] = ["id"]
    return config


@pytest.mark.parametrize("by_id", [True, False], ids=["by_id", "by_position"])
def test_a_facet_dataset_equals_the_local_engine_and_pandas(tmp_path, spark, facet_data, by_id):
    folder, main, facets, model = facet_data
    with split_bytes(spark, 16 * 1024):  # ~8 partitions for the 130 kB dataset
        local, distributed = both_engines(facet_config(folder, by_id=by_id), folder / "data.csv", tmp_path, spark)
    assert distributed == local
    # pandas on the joined frame
    joined = main.merge(facets, on="id")
    d = joined["sex"] == 0
    positive = joined["y"] == 1
    pre = metrics_of(distributed["pre_training_bias_metrics"], "sex")
    assert pre["CI"] == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)
    assert pre["DPL"] == pytest.approx(positive[~d].mean() - positive[d].mean(), abs=1e-12)
    predicted = model.predict(joined[["x1", "x2"]]) == 1
    post = metrics_of(distributed["post_training_bias_metrics"], "sex")
    assert post["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
    groups = [e["value_or_threshold"] for e in distributed["pre_training_bias_metrics"]["facets"]["grp"]]
    first_seen = facets.set_index("id").loc[main["id"], "grp"] if by_id else facets["grp"]
    assert groups == list(dict.fromkeys(first_seen))
    # the facets are never model inputs: local values of x1 and x2 only, on every row, equal to the local engine's
    parts = sorted((tmp_path / "spark" / "explanations_shap").glob("part-*.csv"))
    values = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    reference = pd.read_csv(tmp_path / "local" / "explanations_shap" / "out.csv")
    assert list(values.columns) == list(reference.columns)
    assert [c for c in values.columns if c != "id"] == ["x1_label0", "x2_label0"]
    pd.testing.assert_frame_equal(values, reference, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("drop", "by_id.csv: no facet values for id 'u00007'"),
        ("extra", "by_id.csv: id 'zz' has facet values but no row in the dataset"),
        ("duplicate", "by_id.csv: id 'u00007' appears more than once in the facet dataset"),
        ("short", "by_position.csv: the facet dataset has fewer rows than the dataset"),
        ("long", "by_position.csv: the facet dataset has more rows than the dataset"),
    ],
)
def test_facet_rows_that_do_not_pair_are_the_local_engines_data_errors(tmp_path, spark, facet_data, edit, message):
    folder, main, facets, _ = facet_data
    by_id = edit in ("drop", "extra", "duplicate")
    bad = tmp_path / ("by_id.csv" if by_id else "by_position.csv")
    table = facets if by_id else facets[["sex", "grp"]]
    if edit == "drop":
        table = table[table["id"] != "u00007"]
    elif edit == "extra":
        table = pd.concat([table, pd.DataFrame({"id": ["zz"], "sex": [1], "grp": ["east"]})])
    elif edit == "duplicate":
        table = pd.concat([table, table[table["id"] == "u00007"]])
    elif edit == "short":
        table = table.iloc[:-1]
    else:
        table = pd.concat([table, table.iloc[:1]])
    table.to_csv(bad, header=False, index=False)
    config = facet_config(folder, by_id=by_id)
    config["facet_dataset_uri"] = str(bad)
    config["methods"] = {"pre_training_bias": {"methods": ["CI"]}}
    with pytest.raises(DataError, match=message):
        run_analysis(config, data_uri=str(folder / "data.csv"), output_dir=tmp_path / "local", quiet=True)
    with pytest.raises(DataError, match=message):
        run_spark(config, folder / "data.csv", tmp_path / "spark", spark)
    assert not (tmp_path / "spark" / "analysis.json").exists()
