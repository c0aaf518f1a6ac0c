"""SHAP baselines: explicit rows (lists, JSON objects via JMESPath), files, k-means and k-prototypes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clarion.config import ShapConfig
from clarion.errors import ConfigError, DataError
from clarion.explain.baseline import baseline_from_config, cluster_baseline, write_baseline_csv
from clarion.explain.clustering import GAMMA, _costs, _encode, cluster_rows, default_num_clusters, prototypes


def _data():
    return pd.DataFrame({"age": [30, 40, 50], "city": ["Oslo", "Rome", "Oslo"], "score": [0.5, 1.5, 2.5]})


def test_list_rows_follow_feature_order_and_column_types():
    out = baseline_from_config(
        ShapConfig(baseline=[["35", "Rome", 1], [45, "Oslo", "2.5"]]), _data(), np.random.default_rng(0)
    )
    assert list(out.columns) == ["age", "city", "score"]
    assert out["age"].tolist() == [35, 45] and out["score"].tolist() == [1.0, 2.5]
    assert out["city"].tolist() == ["Rome", "Oslo"]


def test_json_rows_use_the_features_jmespath():
    config = ShapConfig(baseline=[{"features": [35, "Rome", 1.0]}, {"features": [45, "Oslo", 2.0]}])
    out = baseline_from_config(config, _data(), np.random.default_rng(0), features_expr="features")
    assert out.to_numpy().tolist() == [[35, "Rome", 1.0], [45, "Oslo", 2.0]]
    keyed = baseline_from_config(
        ShapConfig(baseline={"score": 3.0, "city": "Oslo", "age": 20}), _data(), np.random.default_rng(0)
    )
    assert keyed.to_numpy().tolist() == [[20, "Oslo", 3.0]]


def test_bad_rows_name_the_key():
    with pytest.raises(ConfigError, match=r"^methods\.shap\.baseline\[1\]: expected 3 feature values, got 2$"):
        baseline_from_config(ShapConfig(baseline=[[1, "a", 2], [1, "a"]]), _data(), np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"feature 'age': expected numbers"):
        baseline_from_config(ShapConfig(baseline=[["old", "a", 2]]), _data(), np.random.default_rng(0))


def test_file_baseline_and_round_trip(tmp_path):
    path = tmp_path / "explanations_shap" / "baseline.csv"
    written = pd.DataFrame({"age": [33.5], "city": ["Rome"], "score": [0.25]})
    write_baseline_csv(written, path)
    assert path.read_text() == "33.5,Rome,0.25\n"
    assert not [p for p in path.parent.iterdir() if p.name != "baseline.csv"]  # no temp file left
    back = baseline_from_config(ShapConfig(baseline=str(path)), _data(), np.random.default_rng(0))
    assert back.to_numpy().tolist() == [[33.5, "Rome", 0.25]]
    jl = tmp_path / "b.jsonl"
    jl.write_text(json.dumps({"f": {"age": 1, "city": "Oslo", "score": 2}}) + "\n")
    out = baseline_from_config(
        ShapConfig(baseline=str(jl)),
        _data(),
        np.random.default_rng(0),
        features_expr="f",
        dataset_type="application/jsonlines",
    )
    assert out.to_numpy().tolist() == [[1, "Oslo", 2]]
    with pytest.raises(DataError, match="expected 3 feature columns in the baseline, got 2"):
        (tmp_path / "short.csv").write_text("1,2\n")
        baseline_from_config(ShapConfig(baseline=str(tmp_path / "short.csv")), _data(), np.random.default_rng(0))
    with pytest.raises(DataError, match="cannot read the SHAP baseline"):
        baseline_from_config(ShapConfig(baseline=str(tmp_path / "missing.csv")), _data(), np.random.default_rng(0))


def _blobs(rng, centres, n_per):
    return np.concatenate([c + 0.05 * rng.normal(size=(n_per, len(c))) for c in centres])


def test_kmeans_recovers_separated_centres():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 10.0], [5.0, -3.0], [-4.0, 2.0]])
    data = pd.DataFrame(_blobs(rng, centres, 50), columns=["a", "b"])
    out = baseline_from_config(ShapConfig(num_clusters=3), data, np.random.default_rng(1))
    got = out.sort_values("a").to_numpy()
    # each centre is the mean of its blob's points (computed here directly)
    truth = np.array([data.iloc[i * 50 : (i + 1) * 50].mean().to_numpy() for i in range(3)])
    np.testing.assert_allclose(got, truth[np.argsort(truth[:, 0])], atol=1e-9)


def test_kprototypes_fixed_point_and_separated_clusters():
    rng = np.random.default_rng(2)
    num = _blobs(rng, np.array([[0.0], [6.0]]), 40).ravel()
    cat = np.array(["x"] * 35 + ["y"] * 5 + ["y"] * 38 + ["x"] * 2)
    data = pd.DataFrame({"v": num, "c": cat})
    clustering = cluster_rows(data, 2, np.random.default_rng(3))
    labels = clustering.labels
    assert len(set(labels[:40])) == 1 and len(set(labels[40:])) == 1 and labels[0] != labels[40]
    protos = prototypes(data, labels).sort_values("v").reset_index(drop=True)
    assert protos["c"].tolist() == ["x", "y"]
    np.testing.assert_allclose(protos["v"], [num[:40].mean(), num[40:].mean()], atol=1e-12)
    # every row is assigned to its cheapest prototype (standardised distance + gamma * mismatches)
    z, codes, _, _ = _encode(data)
    mu = np.array([z[labels == c].mean(axis=0) for c in np.unique(labels)])
    modes = np.array([[np.bincount(codes[labels == c, 0]).argmax()] for c in np.unique(labels)])
    by_hand = ((z[:, None, :] - mu[None]) ** 2).sum(2) + GAMMA * (codes[:, None, :] != modes[None]).sum(2)
    np.testing.assert_allclose(_costs(z, codes, mu, modes), by_hand)
    assert (by_hand.argmin(axis=1) == np.searchsorted(np.unique(labels), labels)).all()


@pytest.mark.slow
def test_default_cluster_count_finds_the_elbow_and_is_bounded():
    rng = np.random.default_rng(4)
    data = pd.DataFrame(
        _blobs(rng, np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]]), 30), columns=["a", "b"]
    )
    assert default_num_clusters(data, np.random.default_rng(0)) == 4
    tiny = pd.DataFrame({"a": [1.0, 1.0, 2.0]})
    assert default_num_clusters(tiny, np.random.default_rng(0)) <= 2
    out = baseline_from_config(ShapConfig(), data, np.random.default_rng(0))
    assert len(out) == 4


def test_cluster_baseline_of_mixed_data_keeps_types():
    out = cluster_baseline(_data(), 5, np.random.default_rng(0))  # more clusters than rows
    assert len(out) <= 3 and set(out["city"]) <= {"Oslo", "Rome"}
    assert out["age"].dtype.kind == "f"
