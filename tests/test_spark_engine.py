"""The Spark engine (a real local[2] session) gives the local engine's numbers and outputs.

The local engine is the reference: it reads with a different code path (one process, 200k-row
chunks), while Spark splits the files into many small partitions here (maxPartitionBytes is set
low), so equal results check the merge laws, the positions and the parsing on executors.
"""

from __future__ import annotations

import io
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression

from clarion.engine import run_analysis
from clarion.errors import ClarionError, DataError, PredictorError
from conftest import DATASETS
from spark_fixtures import (
    assert_close,
    both_engines,
    spark_fixture,  # noqa: F401 - the session fixture, named spark
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ADULT_HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip
ADULT = DATASETS / "adult" / "adult.data"
NUMERIC = ["age", "education-num", "hours-per-week", "capital-gain", "sex"]


@pytest.fixture(scope="module")
def adult_frame():
    return pd.read_csv(ADULT, header=None, names=ADULT_HEADERS)


def adult_config(**methods):
    return {
        "dataset_type": "text/csv",
        "headers": ADULT_HEADERS,
        "label": "income",
        "label_values_or_threshold": [" >50K"],
        "facet": [
            {"name_or_index": "sex", "value_or_threshold": [" Female"]},
            {"name_or_index": "race"},
            {"name_or_index": "age", "value_or_threshold": [40]},
        ],
        "group_variable": "education",
        "methods": methods or {"pre_training_bias": {"methods": "all"}},
    }


def metrics_of(section, facet="sex", entry=0):
    return {m["name"]: m["value"] for m in section["facets"][facet][entry]["metrics"]}


def test_pre_training_bias_equals_the_local_engine_on_adult(tmp_path, spark, adult_frame):
    local, distributed = both_engines(adult_config(), ADULT, tmp_path, spark)
    assert distributed == local
    assert json.loads((tmp_path / "spark" / "analysis.json").read_text()) == json.loads(
        (tmp_path / "local" / "analysis.json").read_text()
    )
    # and an independent check of two numbers
    metrics = metrics_of(distributed["pre_training_bias_metrics"])
    d = adult_frame["sex"] == " Female"
    assert metrics["CI"] == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)
    positive = adult_frame["income"] == " >50K"
    assert metrics["DPL"] == pytest.approx(positive[~d].mean() - positive[d].mean(), abs=1e-12)
    # one-vs-rest facet entries come in order of first appearance, as locally
    races = [e["value_or_threshold"] for e in distributed["pre_training_bias_metrics"]["facets"]["race"]]
    assert races == list(dict.fromkeys(adult_frame["race"]))
    assert (
        distributed["pre_training_bias_metrics"]["facets"]["age"][0]["value_or_threshold"] == "40"
    )  # few distinct ages: categorical


def test_a_directory_of_part_files_with_a_header_row_and_no_headers_in_config(tmp_path, spark, adult_frame):
    folder = tmp_path / "parts"
    folder.mkdir()
    lines = ADULT.read_text().splitlines(keepends=True)
    header = ",".join(ADULT_HEADERS) + "\n"
    cuts = [0, 7000, 7100, 20000, len(lines)]  # unequal sizes: Spark orders splits by size, not by name
    for i, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False)):
        (folder / f"part-{i}.csv").write_text(header + "".join(lines[lo:hi]) + "\n\n")
    config = adult_config()
    del config["headers"]
    local, distributed = both_engines(config, folder, tmp_path, spark)
    assert distributed == local
    d = adult_frame["sex"] == " Female"
    ci = metrics_of(distributed["pre_training_bias_metrics"])["CI"]
    assert ci == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)


def test_parquet_and_jsonlines_equal_the_local_engine(tmp_path, spark, adult_frame):
    frame = adult_frame.iloc[:5000]
    frame.to_parquet(tmp_path / "adult.parquet", row_group_size=700)
    config = adult_config()
    config["dataset_type"] = "application/x-parquet"
    local, distributed = both_engines(config, tmp_path / "adult.parquet", tmp_path / "pq", spark)
    assert distributed == local
    with open(tmp_path / "adult.jsonl", "w") as handle:
        for row in frame.itertuples(index=False):
            handle.write(json.dumps({"features": list(row[:-1]), "income": row[-1]}) + "\n")
    config = adult_config()
    config.update(dataset_type="application/jsonlines", features="features", label="income")
    config["headers"] = ADULT_HEADERS
    local, distributed = both_engines(config, tmp_path / "adult.jsonl", tmp_path / "jl", spark)
    assert distributed == local
    d = frame["sex"] == " Female"
    ci = metrics_of(distributed["pre_training_bias_metrics"])["CI"]
    assert ci == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)


@pytest.fixture(scope="module")
def adult_numeric(tmp_path_factory, adult_frame):
    """Adult's numeric columns, a row id, a 0/1 label; a LogisticRegression saved with joblib."""
    folder = tmp_path_factory.mktemp("adult_numeric")
    frame = adult_frame[["age", "education-num", "hours-per-week", "capital-gain"]].copy()
    frame["sex"] = (adult_frame["sex"] == " Male").astype(int)
    frame["income"] = (adult_frame["income"] == " >50K").astype(int)
    frame.insert(0, "id", [f"r{i:05d}" for i in range(len(frame))])
    model = LogisticRegression(max_iter=1000).fit(frame[NUMERIC].iloc[:5000], frame["income"].iloc[:5000])
    joblib.dump(model, folder / "model.joblib")
    frame.to_csv(folder / "data.csv", header=False, index=False)
    return folder, frame, model


def numeric_config(folder, frame, methods):
    return {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "income",
        "label_values_or_threshold": [1],
        "joinsource_name_or_index": "id",
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": methods,
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }


def test_post_training_bias_with_a_model_on_executors(tmp_path, spark, adult_numeric):
    folder, frame, model = adult_numeric
    config = numeric_config(folder, frame, {"post_training_bias": {"methods": "all"}})
    config["probability_threshold"] = 0.4
    local, distributed = both_engines(config, folder / "data.csv", tmp_path, spark)
    assert distributed == local
    metrics = metrics_of(distributed["post_training_bias_metrics"])
    predicted = model.predict_proba(frame[NUMERIC])[:, 1] > 0.4
    d = frame["sex"] == 0
    assert metrics["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
    assert metrics["FT"] is not None and math.isfinite(metrics["FT"])


def read_parts(folder):
    parts = sorted(folder.glob("part-*.csv"))
    return parts, pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)


def test_shap_values_and_part_files_equal_the_local_engine(tmp_path, spark, adult_numeric):
    folder, frame, model = adult_numeric
    small = tmp_path / "small.csv"
    frame.iloc[:600].to_csv(small, header=False, index=False)
    shap = {"baseline": [[38, 10, 40, 0, 1]], "num_samples": 12, "seed": 7, "save_local_shap_values": True}
    config = numeric_config(folder, frame, {"shap": shap})
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(4 * 1024))  # ~5 partitions for 20 kB
    try:
        local, distributed = both_engines(config, small, tmp_path, spark)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(256 * 1024))
    assert_close(distributed, local)
    parts, values = read_parts(tmp_path / "spark" / "explanations_shap")
    assert len(parts) > 1
    assert not (tmp_path / "spark" / "explanations_shap" / "out.csv").exists()
    reference = pd.read_csv(tmp_path / "local" / "explanations_shap" / "out.csv")
    assert list(values.columns) == list(reference.columns) and values.columns[0] == "id"
    values = values.sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(values, reference.sort_values("id").reset_index(drop=True), rtol=1e-9, atol=1e-12)
    # efficiency, independently of both engines: values sum to f(x) - f(baseline)
    columns = [f"{f}_label0" for f in NUMERIC]
    proba = model.predict_proba(frame.iloc[:600][NUMERIC])[:, 1]
    base = model.predict_proba(pd.DataFrame([[38, 10, 40, 0, 1]], columns=NUMERIC))[0, 1]
    np.testing.assert_allclose(values[columns].sum(axis=1), proba - base, atol=1e-9)
    assert (tmp_path / "spark" / "explanations_shap" / "baseline.csv").read_text() == (
        tmp_path / "local" / "explanations_shap" / "baseline.csv"
    ).read_text()


def test_clustered_baseline_median_and_pdp_equal_the_local_engine(tmp_path, spark, adult_numeric):
    folder, frame, model = adult_numeric
    small = tmp_path / "small.csv"
    frame.iloc[:3000].to_csv(small, header=False, index=False)
    methods = {
        "shap": {"num_clusters": 2, "num_samples": 8, "seed": 11, "agg_method": "median"},
        "pdp": {"features": ["age"], "grid_resolution": 5},
    }
    config = numeric_config(folder, frame, methods)
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(16 * 1024))
    try:
        local, distributed = both_engines(config, small, tmp_path, spark)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(256 * 1024))
    assert_close(distributed, local)
    assert (tmp_path / "spark" / "explanations_shap" / "baseline.csv").read_text() == (
        tmp_path / "local" / "explanations_shap" / "baseline.csv"
    ).read_text()


def test_a_failing_prediction_on_an_executor_fails_with_the_predictor_message(tmp_path, spark, adult_numeric):
    folder, frame, model = adult_numeric
    config = numeric_config(folder, frame, {"post_training_bias": {"methods": ["DPPL"]}})
    config["excluded_columns"] = ["sex"]  # the model was fitted on 5 features; it now gets 4
    with pytest.raises(ClarionError) as local_error:
        run_analysis(config, data_uri=str(folder / "data.csv"), output_dir=tmp_path / "l", quiet=True)
    with pytest.raises(ClarionError) as spark_error:
        run_analysis(
            config,
            data_uri=str(folder / "data.csv"),
            output_dir=tmp_path / "s",
            quiet=True,
            engine="spark",
            spark_session=spark,
        )
    assert type(spark_error.value) is type(local_error.value)
    assert str(spark_error.value) == str(local_error.value)
    assert "expects 5 features" in str(spark_error.value) and type(spark_error.value) is PredictorError
    assert "java" not in str(spark_error.value).lower() and "\n" not in str(spark_error.value)
    assert not (tmp_path / "s" / "analysis.json").exists()


def test_a_malformed_row_is_a_data_error_naming_the_file(tmp_path, spark):
    data = tmp_path / "data.csv"
    lines = ADULT.read_text().splitlines(keepends=True)
    data.write_text("".join(lines[:3000]) + "1,2,3\n" + "".join(lines[3000:4000]))
    with pytest.raises(DataError, match=r"data.csv.*Expected 15 fields"):
        run_analysis(
            adult_config(),
            data_uri=str(data),
            output_dir=tmp_path / "o",
            quiet=True,
            engine="spark",
            spark_session=spark,
        )
    with pytest.raises(DataError, match="cannot read dataset"):
        run_analysis(
            adult_config(),
            data_uri=str(tmp_path / "missing.csv"),
            output_dir=tmp_path / "o",
            quiet=True,
            engine="spark",
            spark_session=spark,
        )
    assert not (tmp_path / "o" / "analysis.json").exists()


def test_executor_error_markers_round_trip():
    from clarion.engine.spark_session import mark_error, translate

    wrapped = RuntimeError(
        "Py4JJavaError: ... Traceback ...\nRuntimeError: " + mark_error(PredictorError("HTTP 503: busy"))
    )
    error = translate(wrapped)
    assert type(error) is PredictorError and str(error) == "HTTP 503: busy"
    foreign = translate(RuntimeError("x\n" + mark_error(ValueError("bad\nvalue"))))
    assert type(foreign) is ClarionError and str(foreign) == "ValueError: bad value"
    plain = translate(RuntimeError("\n  Job aborted due to stage failure\n at org.apache..."))
    assert str(plain) == "Spark job failed: Job aborted due to stage failure"


def test_text_explanations_equal_the_local_engine(tmp_path, spark):
    from text_image_fixtures import sms_frame, spam_pipeline

    pipe, _ = spam_pipeline()
    joblib.dump(pipe, tmp_path / "spam.joblib")
    texts = sms_frame()["text"].iloc[:12].tolist()
    data = tmp_path / "texts.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(data, header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": ["id", "text"],
        "joinsource_name_or_index": "id",
        "methods": {
            "shap": {
                "text_config": {"granularity": "token", "language": "english", "max_top_tokens": 5},
                "num_samples": 32,
                "seed": 3,
            }
        },
        "predictor": {"model_uri": str(tmp_path / "spam.joblib")},
    }
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(256))  # several partitions for a small file
    try:
        local, distributed = both_engines(config, data, tmp_path, spark)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(256 * 1024))
    assert_close(distributed, local)
    out = "explanations_shap/out.jsonl"
    spark_lines = [json.loads(line) for line in (tmp_path / "spark" / out).read_text().splitlines()]
    assert [line["join_source_value"] for line in spark_lines] == list(range(len(texts)))
    assert_close(spark_lines, [json.loads(line) for line in (tmp_path / "local" / out).read_text().splitlines()])
    # efficiency, independently of both engines: a text's unit values sum to f(text) - f("")
    empty = pipe.predict_proba(pd.DataFrame({"text": [""]}))[0, 1]
    for text, line in zip(texts, spark_lines, strict=True):
        total = sum(item["attribution"][0] for item in line["explanations"][0]["attributions"])
        assert total == pytest.approx(pipe.predict_proba(pd.DataFrame({"text": [text]}))[0, 1] - empty, abs=1e-9)


def _red_share(image: np.ndarray) -> list[float]:
    """An image model: the share of strongly red pixels, and its complement."""
    b = image.astype(int)
    red = float(((b[..., 0] > 170) & (b[..., 1] < 80) & (b[..., 2] < 80)).mean())
    return [red, 1 - red]


class _RedShareHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        data = json.dumps(_red_share(np.asarray(Image.open(io.BytesIO(body)).convert("RGB")))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_image_explanations_equal_the_local_engine(tmp_path, spark):
    from text_image_fixtures import shapes_image

    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(shapes_image(rng, 40, red=True, blue=bool(i % 2))).save(folder / f"img{i}.png")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RedShareHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = {
        "dataset_type": "application/x-image",
        "methods": {
            "shap": {
                "image_config": {"model_type": "IMAGE_CLASSIFICATION", "num_segments": 6},
                "num_samples": 40,
                "seed": 5,
            }
        },
        "predictor": {
            "endpoint_url": f"http://127.0.0.1:{server.server_port}",
            "content_type": "image/png",
            "label_headers": ["red", "other"],
        },
    }
    try:
        local, distributed = both_engines(config, folder, tmp_path, spark)
    finally:
        server.shutdown()
        thread.join()
    assert_close(distributed, local)
    local_dir, spark_dir = tmp_path / "local" / "explanations_shap", tmp_path / "spark" / "explanations_shap"
    heat_maps = sorted(p.name for p in local_dir.glob("*.jpeg"))
    assert len(heat_maps) == 3 and heat_maps == sorted(p.name for p in spark_dir.glob("*.jpeg"))
    assert all((spark_dir / name).read_bytes() == (local_dir / name).read_bytes() for name in heat_maps)
    lines = [json.loads(line) for line in (spark_dir / "out.jsonl").read_text().splitlines()]
    assert_close(lines, [json.loads(line) for line in (local_dir / "out.jsonl").read_text().splitlines()])
    for i, line in enumerate(lines):
        assert line["explanations"][0]["feature_name"] == f"img{i}.png"
        # the model's two outputs sum to one, so every segment's values for them are opposite
        values = np.array([a["attribution"] for a in line["explanations"][0]["attributions"]])
        np.testing.assert_allclose(values[:, 0], -values[:, 1], atol=1e-9)
        assert np.abs(values).sum() > 0.01


def test_a_json_document_equals_the_local_engine(tmp_path, spark, adult_frame):
    frame = adult_frame.iloc[:3000]
    document = {"rows": frame.drop(columns="income").to_numpy().tolist(), "income": frame["income"].tolist()}
    (tmp_path / "adult.json").write_text(json.dumps(document))
    config = adult_config()
    config.update(dataset_type="application/json", features="rows", label="income")
    local, distributed = both_engines(config, tmp_path / "adult.json", tmp_path, spark)
    assert distributed == local
    d = frame["sex"] == " Female"
    metrics = metrics_of(distributed["pre_training_bias_metrics"])
    assert metrics["CI"] == pytest.approx(((~d).sum() - d.sum()) / len(d), abs=1e-12)


def test_csv_records_with_quoted_line_breaks_equal_the_local_engine(tmp_path, spark, adult_numeric):
    folder, frame, model = adult_numeric
    notes = frame.iloc[:800].copy()
    # a free-text column whose quoted values hold line breaks (and a doubled quote) in some records
    notes["note"] = [f'line one\nline "two"\n\nend {i}' if i % 7 == 0 else f"note {i}" for i in range(len(notes))]
    notes.to_csv(tmp_path / "notes.csv", header=False, index=False)
    config = numeric_config(folder, frame, {"post_training_bias": {"methods": ["DPPL", "DI"]}})
    config["headers"] = [*frame.columns, "note"]
    config["excluded_columns"] = ["note"]
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(8 * 1024))  # splits fall inside quoted records
    try:
        local, distributed = both_engines(config, tmp_path / "notes.csv", tmp_path, spark)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(256 * 1024))
    assert distributed == local
    predicted = model.predict_proba(notes[NUMERIC])[:, 1] > 0.5
    d = notes["sex"] == 0
    metrics = metrics_of(distributed["post_training_bias_metrics"])
    assert metrics["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)


def test_a_separate_predicted_label_dataset_equals_the_local_engine(tmp_path, spark, adult_numeric):
    folder, frame, model = adult_numeric
    rng = np.random.default_rng(8)
    data = frame.iloc[:4000]
    predicted = rng.integers(0, 2, len(data))
    data.to_csv(tmp_path / "data.csv", header=False, index=False)
    labels = pd.DataFrame({"id": data["id"], "score": rng.random(len(data)), "pred": predicted})
    labels.sample(frac=1, random_state=1).to_csv(tmp_path / "by_id.csv", index=False)  # paired by id, any order
    labels[["score", "pred"]].to_csv(tmp_path / "by_position.csv", index=False)
    config = numeric_config(folder, frame, {"post_training_bias": {"methods": ["DPPL", "DI", "FT"]}})
    del config["predictor"]
    config.update(
        predicted_label_dataset_uri=str(tmp_path / "by_id.csv"),
        predicted_label_headers=["id", "score", "pred"],
        predicted_label="pred",
    )
    by_position = {
        **{k: v for k, v in config.items() if k != "joinsource_name_or_index"},
        "predicted_label_dataset_uri": str(tmp_path / "by_position.csv"),
        "predicted_label_headers": ["score", "pred"],
    }
    d = (data["sex"] == 0).to_numpy()
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(16 * 1024))
    try:
        for name, setup in (("id", config), ("position", by_position)):
            local, distributed = both_engines(setup, tmp_path / "data.csv", tmp_path / name, spark)
            assert distributed == local, name
            metrics = metrics_of(distributed["post_training_bias_metrics"])
            assert metrics["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
        labels.iloc[:-1].to_csv(tmp_path / "missing.csv", index=False)
        labels[["score", "pred"]].iloc[:-1].to_csv(tmp_path / "short.csv", index=False)
        for setup, uri, message in (
            (config, "missing.csv", f"missing.csv: no predicted label for id '{data['id'].iloc[-1]}'"),
            (by_position, "short.csv", "short.csv: the predicted-label dataset has fewer rows than the dataset"),
        ):
            with pytest.raises(DataError, match=message):
                run_analysis(
                    {**setup, "predicted_label_dataset_uri": str(tmp_path / uri)},
                    data_uri=str(tmp_path / "data.csv"),
                    output_dir=tmp_path / "failed",
                    quiet=True,
                    engine="spark",
                    spark_session=spark,
                )
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(256 * 1024))


def test_quiet_cli_run_on_spark_prints_nothing(tmp_path):
    """Spark's own start-up messages and logs stay off the terminal with --quiet (a fresh JVM in a subprocess)."""
    import subprocess
    import sys

    (tmp_path / "adult.csv").write_text("".join(ADULT.read_text().splitlines(keepends=True)[:300]))
    (tmp_path / "config.json").write_text(json.dumps(adult_config()))
    command = [sys.executable, "-m", "clarion.cli", "run", str(tmp_path / "config.json")]
    command += ["--data", str(tmp_path / "adult.csv"), "--output", str(tmp_path / "out"), "--engine", "spark"]
    done = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "" and done.stderr == ""
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert "pre_training_bias_metrics" in analysis
