"""The local engine end to end: Adult bias against pandas formulas, chunking invariance, a model in process."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from clarion.engine import run_analysis
from clarion.errors import DataError
from conftest import DATASETS

ADULT_HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip
ADULT = str(DATASETS / "adult" / "adult.data")


def adult_config(**methods):
    return {
        "dataset_type": "text/csv",
        "headers": ADULT_HEADERS,
        "label": "income",
        "label_values_or_threshold": [" >50K"],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [" Female"]}],
        "group_variable": "education",
        "methods": methods or {"pre_training_bias": {"methods": "all"}},
    }


def metrics_of(section, facet="sex", entry=0):
    return {m["name"]: m for m in section["facets"][facet][entry]["metrics"]}


@pytest.fixture(scope="module")
def adult_frame():
    return pd.read_csv(ADULT, header=None, names=ADULT_HEADERS)


def test_adult_pre_training_bias_matches_pandas_formulas(tmp_path, adult_frame):
    analysis = run_analysis(adult_config(), data_uri=ADULT, output_dir=tmp_path, quiet=True)
    section = analysis["pre_training_bias_metrics"]
    assert section["label"] == "income" and section["label_value_or_threshold"] == " >50K"
    assert section["facets"]["sex"][0]["value_or_threshold"] == " Female"
    metrics = metrics_of(section)
    d = adult_frame["sex"] == " Female"
    positive = adult_frame["income"] == " >50K"
    n_d, n_a = d.sum(), (~d).sum()
    assert metrics["CI"]["value"] == pytest.approx((n_a - n_d) / (n_a + n_d), abs=1e-12)
    q_a, q_d = positive[~d].mean(), positive[d].mean()
    assert metrics["DPL"]["value"] == pytest.approx(q_a - q_d, abs=1e-12)
    p_a = np.array([1 - q_a, q_a])
    p_d = np.array([1 - q_d, q_d])
    assert metrics["KL"]["value"] == pytest.approx(np.sum(p_a * np.log(p_a / p_d)), abs=1e-12)
    assert metrics["TVD"]["value"] == pytest.approx(0.5 * np.abs(p_a - p_d).sum(), abs=1e-12)
    # CDDL: sum over education groups of n_i * (share of d among negatives - share of d among positives) / n
    total = 0.0
    for _, group in adult_frame.groupby("education"):
        g_d = group["sex"] == " Female"
        g_pos = group["income"] == " >50K"
        neg_share = (g_d & ~g_pos).sum() / (~g_pos).sum() if (~g_pos).sum() else 0.0
        pos_share = (g_d & g_pos).sum() / g_pos.sum() if g_pos.sum() else 0.0
        total += len(group) * (neg_share - pos_share)
    assert metrics["CDDL"]["value"] == pytest.approx(total / len(adult_frame), abs=1e-12)
    written = json.loads((tmp_path / "analysis.json").read_text())
    assert written["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"][1]["name"] == "CI"


@pytest.mark.slow
def test_results_do_not_depend_on_the_chunk_size(tmp_path):
    config = adult_config()
    config["facet"].append({"name_or_index": "race"})
    config["facet"].append({"name_or_index": "age", "value_or_threshold": [40]})
    whole = run_analysis(config, data_uri=ADULT, output_dir=tmp_path / "a", quiet=True)
    chunked = run_analysis(config, data_uri=ADULT, output_dir=tmp_path / "b", quiet=True, chunk_rows=3_000)
    assert chunked == whole
    assert [e["value_or_threshold"] for e in whole["pre_training_bias_metrics"]["facets"]["race"]][0] == " White"


@pytest.fixture(scope="module")
def adult_numeric(tmp_path_factory, adult_frame):
    """Adult with the numeric columns and a 0/1 label and sex, plus a LogisticRegression saved with joblib."""
    folder = tmp_path_factory.mktemp("adult_numeric")
    frame = adult_frame[["age", "education-num", "hours-per-week", "capital-gain"]].copy()
    frame["sex"] = (adult_frame["sex"] == " Male").astype(int)
    frame["income"] = (adult_frame["income"] == " >50K").astype(int)
    frame = frame.iloc[:4000].reset_index(drop=True)
    features = ["age", "education-num", "hours-per-week", "capital-gain", "sex"]
    model = LogisticRegression(max_iter=1000).fit(frame[features], frame["income"])
    joblib.dump(model, folder / "model.joblib")
    frame.to_csv(folder / "data.csv", header=False, index=False)
    return folder, frame, model, features


def test_post_training_bias_with_an_in_process_model(tmp_path, adult_numeric):
    folder, frame, model, features = adult_numeric
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "income",
        "label_values_or_threshold": [1],
        "probability_threshold": 0.4,
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": {"post_training_bias": {"methods": ["DPPL", "DI", "AD"]}},
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    analysis = run_analysis(config, data_uri=str(folder / "data.csv"), output_dir=tmp_path, quiet=True)
    metrics = metrics_of(analysis["post_training_bias_metrics"])
    predicted = model.predict_proba(frame[features])[:, 1] > 0.4
    d = frame["sex"] == 0
    qa, qd = predicted[~d].mean(), predicted[d].mean()
    assert metrics["DPPL"]["value"] == pytest.approx(qa - qd, abs=1e-12)
    assert metrics["DI"]["value"] == pytest.approx(qd / qa, abs=1e-12)
    correct = predicted == (frame["income"] == 1)
    assert metrics["AD"]["value"] == pytest.approx(correct[~d].mean() - correct[d].mean(), abs=1e-12)


def test_shap_local_values_satisfy_efficiency(tmp_path, adult_numeric):
    folder, frame, model, features = adult_numeric
    small = folder / "small.csv"
    frame.iloc[:60].to_csv(small, header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "income",
        "methods": {"shap": {"baseline": [[38, 10, 40, 0, 1]], "num_samples": 10, "seed": 3}},
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    analysis = run_analysis(config, data_uri=str(small), output_dir=tmp_path, quiet=True)
    local = pd.read_csv(tmp_path / "explanations_shap" / "out.csv")
    labels = list(analysis["explanations"]["kernel_shap"])
    assert len(local) == 60
    baseline = pd.DataFrame([[38, 10, 40, 0, 1]], columns=features)
    # a binary classifier in process is explained through its probability of the positive class
    assert labels == ["label0"]
    proba = model.predict_proba(frame.iloc[:60][features])[:, [1]]
    expected = model.predict_proba(baseline)[0, [1]]
    for k, label in enumerate(labels):
        columns = [f"{f}_{label}" for f in features]
        assert analysis["explanations"]["kernel_shap"][label]["expected_value"] == pytest.approx(expected[k])
        np.testing.assert_allclose(local[columns].sum(axis=1), proba[:, k] - expected[k], atol=1e-9)
        mean_abs = local[columns].abs().mean()
        for f in features:
            assert analysis["explanations"]["kernel_shap"][label]["global_shap_values"][f] == pytest.approx(
                mean_abs[f"{f}_{label}"]
            )


def test_failed_run_leaves_no_analysis_json(tmp_path):
    data = tmp_path / "data.csv"
    text = (DATASETS / "adult" / "adult.data").read_text().splitlines(keepends=True)
    data.write_text("".join(text[:5000]) + "1,2,3\n" + "".join(text[5000:6000]))
    with pytest.raises(DataError, match=r"data.csv:5001: Expected 15 fields in line 5001, saw 3"):
        run_analysis(adult_config(), data_uri=str(data), output_dir=tmp_path / "out", quiet=True, chunk_rows=1000)
    assert not (tmp_path / "out" / "analysis.json").exists()


def small_frame(n=60):
    """n rows: x, sex (0/1), y (0/1), pred (0/1), with integer columns categorical under the 5% rule."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "x": rng.integers(0, 3, n),
            "sex": rng.integers(0, 2, n),
            "y": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
        }
    )
    return frame


def dppl_by_hand(frame):
    d = frame["sex"] == 1
    return (frame["pred"][~d] == 1).mean() - (frame["pred"][d] == 1).mean()


BIAS_KEYS = {
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    "methods": {"post_training_bias": {"methods": ["DPPL"]}},
}


def test_predicted_labels_from_a_separate_dataset(tmp_path):
    frame = small_frame()
    frame[["x", "sex", "y"]].to_csv(tmp_path / "data.csv", header=False, index=False)
    frame[["pred"]].to_csv(tmp_path / "pred.csv", header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": ["x", "sex", "y"],
        "label": "y",
        "predicted_label_dataset_uri": str(tmp_path / "pred.csv"),
        "predicted_label_headers": ["pred"],
        "predicted_label": "pred",
        **BIAS_KEYS,
    }
    analysis = run_analysis(config, data_uri=str(tmp_path / "data.csv"), output_dir=tmp_path / "o", chunk_rows=7)
    dppl = metrics_of(analysis["post_training_bias_metrics"])["DPPL"]["value"]
    assert dppl == pytest.approx(dppl_by_hand(frame), abs=1e-12)
    frame[["pred"]].iloc[:-1].to_csv(tmp_path / "pred.csv", header=False, index=False)
    with pytest.raises(DataError, match="fewer rows than the dataset"):
        run_analysis(config, data_uri=str(tmp_path / "data.csv"), output_dir=tmp_path / "o2", quiet=True)


def test_jsonlines_dataset_end_to_end(tmp_path):
    frame = small_frame()
    lines = [
        json.dumps({"features": [int(r.x), int(r.sex)], "label": int(r.y), "prediction": {"label": int(r.pred)}})
        for r in frame.itertuples()
    ]
    (tmp_path / "data.jsonl").write_text("\n".join(lines) + "\n")
    config = {
        "dataset_type": "application/jsonlines",
        "headers": ["x", "sex", "y"],
        "features": "features",
        "label": "label",
        "predicted_label": "prediction.label",
        **BIAS_KEYS,
    }
    analysis = run_analysis(config, data_uri=str(tmp_path / "data.jsonl"), output_dir=tmp_path / "o", quiet=True)
    section = analysis["post_training_bias_metrics"]
    assert section["label"] == "y"
    assert metrics_of(section)["DPPL"]["value"] == pytest.approx(dppl_by_hand(frame), abs=1e-12)


def test_parquet_directory_end_to_end(tmp_path):
    frame = small_frame()
    (tmp_path / "parts").mkdir()
    frame.iloc[:25].to_parquet(tmp_path / "parts" / "part-0.parquet")
    frame.iloc[25:].to_parquet(tmp_path / "parts" / "part-1.parquet")
    config = {"dataset_type": "application/x-parquet", "label": "y", "predicted_label": "pred", **BIAS_KEYS}
    analysis = run_analysis(config, data_uri=str(tmp_path / "parts"), output_dir=tmp_path / "o", quiet=True)
    assert metrics_of(analysis["post_training_bias_metrics"])["DPPL"]["value"] == pytest.approx(
        dppl_by_hand(frame), abs=1e-12
    )
