"""``workers``: with a model living in this process, worker processes (each loading the same model) explain blocks
of rows beside this one; the local SHAP values (out.csv) and analysis.json are byte for byte those of one
process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import joblib
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from adult_fixtures import RAW_HEADERS as ADULT_HEADERS
from clarion.engine import local, run_analysis
from clarion.engine.local import MIN_BLOCKS_PER_WORKER
from clarion.engine.pool import resolve_workers
from clarion.errors import ConfigError
from clarion.explain.kernel_shap import rows_per_call
from conftest import DATASETS
from predictors_fixtures import ABALONE_COLUMNS as ABALONE_HEADERS
from workers_model import LoggedModel, callers

ADULT_TEXT = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex", "native-country"]


def run_twice(tmp_path, config, data, estimator, **options):
    """The same run with one and with two workers: (output folder, process ids that called the model) each."""
    results = {}
    for workers in (1, 2):
        log = tmp_path / f"calls-{workers}.txt"
        model = tmp_path / f"model-{workers}.joblib"
        joblib.dump(LoggedModel(estimator, log), model)
        out = tmp_path / f"out-{workers}"
        run_analysis(
            {**config, "predictor": {"model_uri": str(model)}},
            data_uri=str(data),
            output_dir=out,
            quiet=True,
            workers=workers,
            **options,
        )
        results[workers] = out, callers(log)
    return results


def assert_identical(results):
    (one, one_callers), (two, two_callers) = results[1], results[2]
    assert one_callers == {os.getpid()}  # one worker: every call made here
    assert two_callers - {os.getpid()}, "two workers: some rows must be explained in another process"
    for name in ("explanations_shap/out.csv", "analysis.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    return json.loads((one / "analysis.json").read_text())


@pytest.mark.slow
def test_abalone_example_config_gives_the_same_values_with_two_workers(tmp_path, monkeypatch):
    """The abalone example's config (1-row baseline: the most frequent Sex and the medians; seed 42; mean_abs),
    the model in process; 200 coalitions per row make 4 blocks of rows. The workers start before the data is
    read, as for a large dataset (the Adult test starts them from pass one's first chunk)."""
    monkeypatch.setattr(local, "EARLY_START_BYTES", 0)
    frame = pd.read_csv(DATASETS / "abalone" / "abalone.data", header=None, names=ABALONE_HEADERS)
    features = ABALONE_HEADERS[:-1]
    encode = ColumnTransformer([("sex", OneHotEncoder(handle_unknown="ignore"), ["Sex"])], remainder="passthrough")
    forest = RandomForestRegressor(n_estimators=8, min_samples_leaf=2, random_state=42, n_jobs=1)
    model = Pipeline([("encode", encode), ("forest", forest)]).fit(frame[features], frame["Rings"])
    data = tmp_path / "abalone.csv"
    frame.to_csv(data, header=False, index=False)
    baseline = [frame["Sex"].mode().iloc[0], *(float(frame[c].median()) for c in features[1:])]
    shap = {"baseline": [baseline], "num_samples": 200, "agg_method": "mean_abs", "save_local_shap_values": True}
    config = {
        "dataset_type": "text/csv",
        "headers": ABALONE_HEADERS,
        "label": "Rings",
        "methods": {"shap": {**shap, "seed": 42}},
    }
    step = rows_per_call(200, 1)
    assert len(frame) > (MIN_BLOCKS_PER_WORKER * 2 - 1) * step  # enough blocks for the pool to start
    analysis = assert_identical(run_twice(tmp_path, config, data, model))
    values = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(values) == set(features)


@pytest.mark.slow
def test_adult_config_with_clusters_and_chunks_gives_the_same_values_with_two_workers(tmp_path):
    """Adult (text and numeric columns), a LogisticRegression pipeline, a k-means baseline of 10 rows from the
    row sample, 50 coalitions per row, and chunks of 2,500 rows: the first chunk is split into blocks for the
    workers, the last (500 rows, one block) is explained here."""
    frame = pd.read_csv(DATASETS / "adult" / "adult.data", header=None, names=ADULT_HEADERS).iloc[:3000]
    features = ADULT_HEADERS[:-1]
    numeric = [c for c in features if c not in ADULT_TEXT]
    encode = ColumnTransformer(
        [("text", OneHotEncoder(handle_unknown="ignore"), ADULT_TEXT), ("numbers", StandardScaler(), numeric)]
    )
    model = Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=500))])
    model.fit(frame[features], frame["income"] == " >50K")
    data = tmp_path / "adult.csv"
    frame.to_csv(data, header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": ADULT_HEADERS,
        "label": "income",
        "label_values_or_threshold": [" >50K"],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [" Female"]}],
        "methods": {
            "shap": {"num_clusters": 10, "num_samples": 50, "save_local_shap_values": True, "seed": 3},
            "post_training_bias": {"methods": ["DPPL", "DI"]},
        },
    }
    step = rows_per_call(50, 10)
    assert 2500 >= MIN_BLOCKS_PER_WORKER * 2 * step > 500  # the first chunk starts the pool, the last is one block
    analysis = assert_identical(run_twice(tmp_path, config, data, model, chunk_rows=2500))
    assert len(pd.read_csv(tmp_path / "out-2" / "explanations_shap" / "out.csv")) == 3000
    assert "post_training_bias_metrics" in analysis


def test_workers_default_to_every_core_and_refuse_zero():
    assert resolve_workers(None) == os.cpu_count()
    assert resolve_workers(3) == 3
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigError, match="workers"):
            resolve_workers(bad)


def test_cli_refuses_zero_workers(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "clarion.cli", "run", "config.json", "-o", str(tmp_path), "--workers", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "--workers" in done.stderr
