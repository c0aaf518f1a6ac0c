"""Configs the sagemaker SDK v2 writes for every dataset format and model option, run unchanged by clarion.

The configs come from the real SDK (``tests/api_reference/sdk_run_cases.py``). The model is a SageMaker
endpoint reached through boto3 at a runtime server on 127.0.0.1 that speaks every request and answer form
(CSV, JSON Lines, JSON with records by list, by name/value object or by placeholder, PNG images); the shadow
endpoint's control plane is moto. Expected values are computed here: bias metrics from pandas counts, SHAP
values by exact enumeration of the coalitions (``shapley_by_enumeration``), images by the detector itself.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
import spacy
from PIL import Image
from skimage.segmentation import slic

from clarion.engine import run_analysis
from predictors_fixtures import Seen, http_server
from reference_tools import REFERENCE_DIR, assert_same_values, run_smclarify, sdk_configs
from text_image_fixtures import colour_classifier, red_detector, shapes_image, shapley_by_enumeration

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

FEATURES = ["Age", "Sex", "Income", "Hours"]
BASELINE = np.array([40.0, 0.0, 50000.0, 40.0])
CUT = 0.6  # the two-output model's own predicted label: score > 0.6
WORDS = {"free": 2.0, "win": 1.0, "Win": 1.0, "Call": -0.5, "now": 0.5, "晴れ": 2.0, "雨": -1.0, "ดี": 1.5, "ฝน": -1.0}
TEXTS = {
    "english": ["win free money now", "nothing here", "free tickets", "call me now"],
    "japanese": ["今日は晴れです", "明日は雨でしょう"],
    "thai": ["วันนี้อากาศดี", "พรุ่งนี้ฝนตก"],
    "sentences": ["Win a prize. It is free now!  Call us.", "Nothing to see. Move on."],
}


def score(rows: np.ndarray) -> np.ndarray:
    """The tabular model: a logistic score, not additive in the features."""
    rows = np.asarray(rows, dtype=float)
    z = 0.05 * (rows[:, 0] - 40) + 0.9 * rows[:, 1] + 3e-5 * (rows[:, 2] - 50000) + 0.03 * (rows[:, 3] - 40)
    return 1.0 / (1.0 + np.exp(-z))


def text_score(texts: list[str]) -> np.ndarray:
    """The text model: a logistic score of word weights, by occurrences (masked words count for nothing)."""
    z = np.array([sum(w * t.count(word) for word, w in WORDS.items()) - 1.0 for t in texts])
    return 1.0 / (1.0 + np.exp(-z))


CLASSIFIER = colour_classifier()
LANGUAGE_CODES = {"english": "en", "japanese": "ja", "thai": "th", "sentences": "en"}


class Runtime:
    """A SageMaker runtime server's answers for every request form the configs produce."""

    def __call__(self, seen: Seen, number: int) -> tuple[int, bytes]:
        kind = seen.headers.get("content-type", "")
        accept = seen.headers.get("accept", "")
        if kind.startswith("image/"):
            image = np.asarray(Image.open(io.BytesIO(seen.body)).convert("RGB"))
            if seen.headers.get("x-amzn-sagemaker-custom-attributes") == "detect":
                return 200, json.dumps({"prediction": red_detector(image[None])[0]}).encode()
            return 200, json.dumps({"probabilities": CLASSIFIER(image[None])[0].tolist()}).encode()
        text = seen.body.decode(errors="replace")
        many = True
        if kind == "application/x-npy":
            rows = np.load(io.BytesIO(seen.body), allow_pickle=False).tolist()
        elif kind == "text/csv":
            rows = list(csv.reader(io.StringIO(text)))
        elif kind == "application/jsonlines":
            rows = [json.loads(line)["features"] for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            many = "instances" in doc
            records = doc["instances"] if many else [doc]
            rows = [[r[f] for f in FEATURES] if isinstance(r, dict) else r for r in records]
        if len(rows[0]) == 3:  # the model without Hours (excluded_columns): Hours at 40
            rows = [[*r, 40] for r in rows]
        if len(rows[0]) == 1:  # the text model
            scores = text_score([r[0] for r in rows])
        else:
            scores = score(np.array(rows, dtype=float))
        if seen.headers.get("x-amzn-sagemaker-custom-attributes") == "two-outputs":
            answers = [{"predicted_label": int(p > CUT), "probabilities": [1 - p, p]} for p in scores.tolist()]
            return 200, "".join(json.dumps(a) + "\n" for a in answers).encode()
        if seen.headers.get("x-amzn-sagemaker-custom-attributes") == "label,score":
            return 200, "".join(f"{int(p > 0.5)},{float(p)!r}\n" for p in scores).encode()
        if accept == "text/csv":
            return 200, "".join(f"{float(s)!r}\n" for s in scores).encode()
        if accept == "application/jsonlines":
            return 200, "".join(json.dumps({"score": s}) + "\n" for s in scores).encode()
        if not many:
            return 200, json.dumps({"score": float(scores[0])}).encode()
        return 200, json.dumps({"predictions": [{"score": s} for s in scores.tolist()]}).encode()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 60
    out = pd.DataFrame(
        {
            "Age": rng.integers(18, 70, n),
            "Sex": rng.integers(0, 2, n),
            "Income": rng.integers(20, 90, n) * 1000,
            "Hours": rng.integers(20, 60, n),
        }
    )
    out["Target"] = (score(out[FEATURES].to_numpy()) + rng.normal(0, 0.2, n) > 0.5).astype(int)
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("sdk_formats")
    frame.to_csv(folder / "plain.csv", header=False, index=False)
    rows = [{"features": r[:4], "label": r[4]} for r in frame.to_numpy().tolist()]
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "data.json").write_text(json.dumps({"rows": rows}))
    pd.DataFrame([BASELINE]).to_csv(folder / "baseline.csv", header=False, index=False)
    extra = [{"id": f"r{i}", **r, "pred": int(r["features"][2] > 55000)} for i, r in enumerate(rows)]
    (folder / "data_extra.jsonl").write_text("".join(json.dumps(r) + "\n" for r in extra))
    (folder / "baseline.jsonl").write_text(json.dumps({"features": BASELINE.tolist()}) + "\n")
    texts = pd.DataFrame({"Text": TEXTS["english"]})
    texts.assign(Target=[1, 0, 1, 0]).to_csv(folder / "texts.csv", header=False, index=False)
    pd.DataFrame({"Text": TEXTS["thai"], "Target": [1, 0]}).to_csv(folder / "texts_th.csv", header=False, index=False)
    lines = [json.dumps({"text": t, "label": 1}, ensure_ascii=False) + "\n" for t in TEXTS["japanese"]]
    (folder / "texts_ja.jsonl").write_text("".join(lines), encoding="utf-8")
    lines = [json.dumps({"text": t, "label": 0}) + "\n" for t in TEXTS["sentences"]]
    (folder / "texts_sentences.jsonl").write_text("".join(lines))
    images = folder / "images"
    images.mkdir()
    rng = np.random.default_rng(5)
    Image.fromarray(shapes_image(rng, 32, red=True, blue=True)).save(images / "a.png")
    Image.fromarray(shapes_image(rng, 32, red=True)).save(images / "b.png")
    Image.fromarray(np.full((32, 32, 3), 128, dtype=np.uint8)).save(folder / "grey.png")
    return folder, sdk_configs(REFERENCE_DIR / "sdk_run_cases.py", folder)


def config_of(built: dict, case: str) -> dict:
    entry = built[case]
    assert "config" in entry and entry["schema_error"] is None, entry
    return entry["config"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    with http_server(Runtime()) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
        yield server


def exact_shap(rows: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Shapley values of v(S) = f(x_S, b_rest), one row per record."""
    out = []
    for x in rows:
        out.append(shapley_by_enumeration(len(x), lambda keep, x=x: score(np.where(keep, x, baseline)[None]))[:, 0])
    return np.array(out)


def pre_training(frame: pd.DataFrame, facet: pd.Series) -> dict[str, float]:
    """CI and DPL from counts: a = facet value not 0, d = facet value 0."""
    d = facet == 0
    positive = frame["Target"] == 1
    return {
        "CI": (int((~d).sum()) - int(d.sum())) / len(frame),
        "DPL": positive[~d].mean() - positive[d].mean(),
    }


def check_bias(analysis: dict, frame: pd.DataFrame, facet_key: str) -> None:
    (entry,) = analysis["pre_training_bias_metrics"]["facets"][facet_key]
    assert entry["value_or_threshold"] == "0"
    metrics = {m["name"]: m["value"] for m in entry["metrics"]}
    for name, value in pre_training(frame, frame["Sex"]).items():
        assert metrics[name] == pytest.approx(value, abs=1e-12), name
    predicted = score(frame[FEATURES].to_numpy()) > 0.5
    d = (frame["Sex"] == 0).to_numpy()
    (post,) = analysis["post_training_bias_metrics"]["facets"][facet_key]
    dppl = {m["name"]: m["value"] for m in post["metrics"]}["DPPL"]
    assert dppl == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)


def check_shap(analysis: dict, out: Path, frame: pd.DataFrame, names: list[str]) -> None:
    phi = exact_shap(frame[FEATURES].to_numpy(dtype=float), BASELINE)
    section = analysis["explanations"]["kernel_shap"]["label0"]
    assert list(section["global_shap_values"]) == names
    np.testing.assert_allclose(list(section["global_shap_values"].values()), np.abs(phi).mean(axis=0), rtol=1e-9)
    assert section["expected_value"] == pytest.approx(float(score(BASELINE[None])[0]), rel=1e-12)
    local = pd.read_csv(out / "explanations_shap" / "out.csv")
    assert list(local.columns) == [f"{n}_label0" for n in names]
    np.testing.assert_allclose(local.to_numpy(), phi, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["jsonlines", "json"])
def test_json_datasets_by_jmespath(case: str, workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, case)
    data = folder / ("data.jsonl" if case == "jsonlines" else "data.json")
    analysis = run_analysis(config, data_uri=str(data), output_dir=tmp_path / "out", quiet=True)
    check_bias(analysis, frame, "Sex")
    check_shap(analysis, tmp_path / "out", frame, FEATURES)
    bodies = [s.body.decode() for s in aws.posts()]
    if case == "json":  # $features_kvp: each record names its features
        assert set(json.loads(bodies[0])["instances"][0]) == set(FEATURES)


def test_csv_without_headers_by_index(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "csv_by_index")
    assert "headers" not in config and config["label"] == 4
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    check_bias(analysis, frame, "column_1")  # Clarify's names for a file without headers
    check_shap(analysis, tmp_path / "out", frame, ["column_0", "column_1", "column_2", "column_3"])


def test_two_outputs_label_key_and_pdp(workspace, frame, aws, tmp_path: Path) -> None:
    """label_headers name both outputs; predicted labels come from the answer's label key (cut at 0.6, not the
    default 0.5 threshold); PDP is the mean prediction with the feature set to each bucket centre."""
    folder, built = workspace
    config = config_of(built, "two_outputs_pdp")
    analysis = run_analysis(config, data_uri=str(folder / "data.jsonl"), output_dir=tmp_path / "out", quiet=True)
    x = frame[FEATURES].to_numpy(dtype=float)
    p = score(x)
    predicted, d = p > CUT, (frame["Sex"] == 0).to_numpy()
    assert (p > 0.5).sum() != predicted.sum()  # the cut matters here
    (post,) = analysis["post_training_bias_metrics"]["facets"]["Sex"]
    metrics = {m["name"]: m["value"] for m in post["metrics"]}
    assert metrics["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
    assert metrics["DI"] == pytest.approx(predicted[d].mean() / predicted[~d].mean(), rel=1e-12)
    shap = analysis["explanations"]["kernel_shap"]
    assert list(shap) == ["no", "yes"]
    phi = exact_shap(x, BASELINE)
    np.testing.assert_allclose(list(shap["yes"]["global_shap_values"].values()), np.abs(phi).mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(list(shap["no"]["global_shap_values"].values()), np.abs(phi).mean(axis=0), rtol=1e-9)
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    np.testing.assert_allclose(local[[f"{f}_yes" for f in FEATURES]].to_numpy(), phi, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(local[[f"{f}_no" for f in FEATURES]].to_numpy(), -phi, rtol=1e-9, atol=1e-12)
    entries = {e["feature_name"]: e for e in analysis["explanations"]["pdp"]}
    assert list(entries) == ["Age", "Sex"]
    for j, name in ((0, "Age"), (1, "Sex")):
        lo, hi = x[:, j].min(), x[:, j].max()
        width = (hi - lo) / 5
        centres = lo + (np.arange(5) + 0.5) * width
        bucket = np.minimum(((x[:, j] - lo) // width).astype(int), 4)
        entry = entries[name]
        assert entry["data_type"] == "numerical" and entry["label_headers"] == ["no", "yes"]
        np.testing.assert_allclose(entry["feature_values"], centres, rtol=1e-12)
        np.testing.assert_allclose(entry["data_distribution"], np.bincount(bucket, minlength=5) / len(x), rtol=1e-12)
        means = np.array([score(np.where(np.arange(4) == j, c, x)).mean() for c in centres])
        np.testing.assert_allclose(entry["model_predictions"], [1 - means, means], rtol=1e-9)


def test_logit_scale_median_and_features_to_explain(workspace, frame, aws, tmp_path: Path) -> None:
    """Players are Age and Income only (the other features keep the row's values); values of logit(f)."""
    folder, built = workspace
    config = config_of(built, "logit_median_subset")
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    x = frame[FEATURES].to_numpy(dtype=float)
    players = [0, 2]

    def logit(v: np.ndarray) -> np.ndarray:
        return np.log(v / (1 - v))

    phi = []
    for row in x:

        def value(keep: tuple[bool, ...], row: np.ndarray = row) -> np.ndarray:
            mixed = row.copy()
            for player, kept in zip(players, keep, strict=True):
                mixed[player] = row[player] if kept else BASELINE[player]
            return logit(score(mixed[None]))

        phi.append(shapley_by_enumeration(2, value)[:, 0])
    phi = np.array(phi)
    section = analysis["explanations"]["kernel_shap"]["label0"]
    assert list(section["global_shap_values"]) == ["Age", "Income"]
    np.testing.assert_allclose(list(section["global_shap_values"].values()), np.median(phi, axis=0), rtol=1e-9)
    assert section["expected_value"] == pytest.approx(float(logit(score(BASELINE[None]))[0]), rel=1e-12)
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    np.testing.assert_allclose(local[["Age_label0", "Income_label0"]].to_numpy(), phi, rtol=1e-9, atol=1e-12)


SMCLARIFY_PRE = r"""
import json, sys
import pandas as pd
from smclarify.bias import report
job = json.loads(sys.argv[1])
df = pd.read_csv(job["path"], header=None, names=job["columns"])
label = report.LabelColumn("Target", df["Target"], job["label"])
out = report.bias_report(df, report.FacetColumn(job["facet_name"], job["facet"]), label, report.StageType.PRE_TRAINING,
                         metrics=job["metrics"])
print(json.dumps(out))
"""


def test_numeric_label_and_facet_thresholds(workspace, frame, tmp_path: Path) -> None:
    """Age [40] is a threshold (many distinct ages: d = Age > 40); the label's [0.5] on a 0/1 column is a value,
    which smclarify casts to the column's type (0): the metrics are smclarify's on the same file."""
    folder, built = workspace
    config = config_of(built, "thresholds")
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    d = frame["Age"] > 40
    (entry,) = analysis["pre_training_bias_metrics"]["facets"]["Age"]
    assert entry["value_or_threshold"] == f"(40, {frame['Age'].max()}]"
    got = {m["name"]: m["value"] for m in entry["metrics"]}
    assert got["CI"] == pytest.approx((int((~d).sum()) - int(d.sum())) / len(frame), abs=1e-12)
    job = {
        "path": str(folder / "plain.csv"), "columns": [*FEATURES, "Target"], "label": [0.5], "facet": [40],
        "facet_name": "Age", "metrics": ["CI", "DPL", "KL"],
    }  # fmt: skip
    (theirs,) = run_smclarify(SMCLARIFY_PRE, job)
    assert_same_values(entry, theirs)


def test_jsonlines_baseline_file(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "jsonlines_baseline_file")
    analysis = run_analysis(config, data_uri=str(folder / "data.jsonl"), output_dir=tmp_path / "out", quiet=True)
    check_shap(analysis, tmp_path / "out", frame, FEATURES)


def test_jsonlines_clustered_baseline_is_efficient(workspace, frame, aws, tmp_path: Path) -> None:
    """num_clusters: the baseline is 3 rows (written to explanations_shap/baseline.csv, as Clarify does); the values
    are the Shapley values of v(S) = mean_b f(x_S, b_rest) over those rows, by enumeration."""
    folder, built = workspace
    config = config_of(built, "jsonlines_clustered_baseline")
    analysis = run_analysis(config, data_uri=str(folder / "data.jsonl"), output_dir=tmp_path / "out", quiet=True)
    section = analysis["explanations"]["kernel_shap"]["label0"]
    p = score(frame[FEATURES].to_numpy(dtype=float))
    assert p.min() < section["expected_value"] < p.max()
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    np.testing.assert_allclose(local.to_numpy().sum(axis=1), p - section["expected_value"], rtol=1e-9, atol=1e-12)
    rows = pd.read_csv(tmp_path / "out" / "explanations_shap" / "baseline.csv", header=None).to_numpy(dtype=float)
    assert rows.shape == (3, 4)
    assert section["expected_value"] == pytest.approx(float(score(rows).mean()), rel=1e-12)
    x = frame[FEATURES].to_numpy(dtype=float)
    want = []
    for row in x[:10]:

        def value(keep: tuple[bool, ...], row: np.ndarray = row) -> np.ndarray:
            return np.array([score(np.where(keep, row, rows)).mean()])

        want.append(shapley_by_enumeration(4, value)[:, 0])
    np.testing.assert_allclose(local.to_numpy()[:10], want, rtol=1e-9, atol=1e-12)


def test_jsonlines_predicted_label_excluded_joinsource(workspace, frame, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "jsonlines_predicted_label_excluded")
    analysis = run_analysis(config, data_uri=str(folder / "data_extra.jsonl"), output_dir=tmp_path / "out", quiet=True)
    predicted = (frame["Income"] > 55000).to_numpy()
    label = (frame["Target"] == 1).to_numpy()
    d = (frame["Sex"] == 0).to_numpy()
    accuracy = predicted == label
    want = {
        "DPPL": predicted[~d].mean() - predicted[d].mean(),
        "DI": predicted[d].mean() / predicted[~d].mean(),
        "AD": accuracy[~d].mean() - accuracy[d].mean(),
    }
    (entry,) = analysis["post_training_bias_metrics"]["facets"]["Sex"]
    got = {m["name"]: m["value"] for m in entry["metrics"]}
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name


def test_jsonlines_excluded_column_is_not_sent(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "jsonlines_excluded_shap")
    analysis = run_analysis(config, data_uri=str(folder / "data.jsonl"), output_dir=tmp_path / "out", quiet=True)
    assert all(len(line.split(",")) == 3 for line in aws.posts()[0].body.decode().splitlines())
    x = frame[["Age", "Sex", "Income"]].to_numpy(dtype=float)
    base = BASELINE[:3]
    phi = [
        shapley_by_enumeration(3, lambda keep, row=row: score(np.r_[np.where(keep, row, base), 40.0][None]))[:, 0]
        for row in x
    ]
    section = analysis["explanations"]["kernel_shap"]["label0"]
    assert list(section["global_shap_values"]) == ["Age", "Sex", "Income"]
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    np.testing.assert_allclose(local.to_numpy(), phi, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["model_scores_string", "model_scores_index"])
def test_model_scores_as_a_bare_expression(case: str, workspace, frame, aws, tmp_path: Path) -> None:
    """run_explainability(model_scores="score" or 1) writes predictor.label: where the scores SHAP explains are
    (a JMESPath into JSON Lines answers, a column of CSV answers "label,score")."""
    folder, built = workspace
    config = config_of(built, case)
    assert config["predictor"]["label"] == ("score" if case == "model_scores_string" else 1)
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    check_shap(analysis, tmp_path / "out", frame, FEATURES)


def test_jsonlines_segments(workspace, frame, tmp_path: Path) -> None:
    """Each segment's metrics are smclarify's on the segment's rows (which types the columns on those rows). Where
    the label's reading on those rows leaves no positive row, clarion reports an error instead of smclarify's 0.0
    (a deliberate difference: 0.0 would read as "no bias")."""
    folder, built = workspace
    config = config_of(built, "jsonlines_segments")
    analysis = run_analysis(config, data_uri=str(folder / "data.jsonl"), output_dir=tmp_path / "out", quiet=True)
    (described,) = analysis["pre_training_bias_metrics"]["segment_metrics"]
    young = (frame["Age"] > 0) & (frame["Age"] <= 40)
    parts = {"(0, 40]": frame[young], "__default__": frame[~young]}
    assert [e["segment"] for e in described["segments"]] == list(parts)
    for entry in described["segments"]:
        part = parts[entry["segment"]]
        assert entry["rows"] == len(part)
        path = tmp_path / "segment.csv"
        part.to_csv(path, header=False, index=False)
        job = {
            "path": str(path), "columns": [*FEATURES, "Target"], "label": [1], "facet": [0], "facet_name": "Sex",
            "metrics": ["CI", "DPL"],
        }  # fmt: skip
        (theirs,) = run_smclarify(SMCLARIFY_PRE, job)
        (ours,) = entry["facets"]["Sex"]
        assert ours["value_or_threshold"] == theirs["value_or_threshold"]
        for mine, reference in zip(ours["metrics"], theirs["metrics"], strict=True):
            if "error" in mine:
                assert "match no row of label column 'Target'" in mine["error"] and reference["value"] == 0.0
            else:
                assert_same_values(mine, reference, f"{entry['segment']} {mine['name']}")


def test_csv_requests_ignore_a_content_template(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "csv_ignores_template")
    assert config["predictor"]["content_template"] == {"payload": "$features"}
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    check_shap(analysis, tmp_path / "out", frame, FEATURES)
    assert aws.posts()[0].headers["content-type"] == "text/csv"


def test_baseline_file_and_pass_through_keys(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "baseline_file_custom_attributes")
    assert config["methods"]["shap"]["baseline"] == str(folder / "baseline.csv")
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    check_shap(analysis, tmp_path / "out", frame, FEATURES)
    for seen in aws.posts():
        assert seen.path == "/endpoints/tabular/invocations"
        assert seen.headers["content-type"] == "text/csv" and seen.headers["accept"] == "application/jsonlines"
        assert seen.headers["x-amzn-sagemaker-custom-attributes"] == "tenant=clarion"
        assert seen.headers["x-amzn-sagemaker-target-model"] == "model-b.tar.gz"


def test_record_template_by_feature_name(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "record_template_by_name")
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    check_shap(analysis, tmp_path / "out", frame, FEATURES)
    first = json.loads(aws.posts()[0].body)
    assert sorted(first) == sorted(FEATURES) and all(isinstance(v, (int, float)) for v in first.values())


def test_npy_requests(workspace, frame, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "npy_request")
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    check_shap(analysis, tmp_path / "out", frame, FEATURES)
    first = np.load(io.BytesIO(aws.posts()[0].body), allow_pickle=False)
    assert first.dtype == np.float64 and first.shape[1] == 4


def test_shadow_endpoint_from_model_name_with_prefix(workspace, frame, aws, moto_endpoint, monkeypatch, tmp_path):
    folder, built = workspace
    config = config_of(built, "shadow_prefix")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", moto_endpoint)
    control = boto3.client("sagemaker")
    control.create_model(
        ModelName="tabular-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/clarion-test",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/tabular:1"},
    )
    analysis = run_analysis(config, data_uri=str(folder / "plain.csv"), output_dir=tmp_path / "out", quiet=True)
    predicted = score(frame[FEATURES].to_numpy()) > 0.5
    d = (frame["Sex"] == 0).to_numpy()
    (post,) = analysis["post_training_bias_metrics"]["facets"]["Sex"]
    metrics = {m["name"]: m["value"] for m in post["metrics"]}
    assert metrics["DPPL"] == pytest.approx(predicted[~d].mean() - predicted[d].mean(), abs=1e-12)
    assert {s.path.split("/")[2][:11] for s in aws.posts()} == {"tab-shadow-"}
    assert not [e for e in control.list_endpoints()["Endpoints"] if e["EndpointName"].startswith("tab-shadow")]


def spacy_units(text: str, language: str, granularity: str) -> list[tuple[int, str]]:
    """(start, text) of spaCy's tokens (with their trailing whitespace) or sentences (stripped)."""
    nlp = spacy.blank(LANGUAGE_CODES[language])
    if granularity == "token":
        return [(t.idx, t.text_with_ws) for t in nlp(text) if not t.is_space]
    nlp.add_pipe("sentencizer")
    return [(s.start_char + len(s.text) - len(s.text.lstrip()), s.text.strip()) for s in nlp(text).sents]


@pytest.mark.parametrize(
    ("case", "language", "granularity", "data"),
    [
        ("text_tokens", "english", "token", "texts.csv"),
        ("text_japanese", "japanese", "token", "texts_ja.jsonl"),  # spaCy's Japanese tokenizer runs on sudachipy
        ("text_thai", "thai", "token", "texts_th.csv"),  # and its Thai tokenizer on pythainlp
        ("text_sentences", "sentences", "sentence", "texts_sentences.jsonl"),
    ],
)
def test_text_units(case: str, language: str, granularity: str, data: str, workspace, aws, tmp_path: Path) -> None:
    """Units are spaCy's tokens or sentences of the language; masked units show the baseline text (the text around
    them kept); values by exact enumeration."""
    folder, built = workspace
    config = config_of(built, case)
    analysis = run_analysis(config, data_uri=str(folder / data), output_dir=tmp_path / "out", quiet=True)
    assert "kernel_shap" in analysis["explanations"]
    lines = (tmp_path / "out" / "explanations_shap" / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(TEXTS[language])
    for line, text in zip(lines, TEXTS[language], strict=True):
        units = spacy_units(text, language, granularity)
        (entry,) = json.loads(line)["explanations"]
        attributions = entry["attributions"]
        assert [(a["description"]["start_idx"], a["description"]["partial_text"]) for a in attributions] == units
        assert len(units) > 1

        def value(keep: tuple[bool, ...], text: str = text, units: list = units) -> np.ndarray:
            masked, end = "", 0
            for (start, unit), kept in zip(units, keep, strict=True):
                stop = start + len(unit.rstrip())
                masked += text[end:start] + (text[start:stop] if kept else "<UNK>")
                end = stop
            return text_score([masked + text[end:]])

        want = shapley_by_enumeration(len(units), value)[:, 0]
        np.testing.assert_allclose([a["attribution"][0] for a in attributions], want, rtol=1e-9, atol=1e-12)


def segments_of(image: np.ndarray) -> np.ndarray:
    """SLIC superpixels as Clarify computes them (the SDK's default compactness 5), numbered 0..M-1."""
    labels = slic(image, n_segments=8, compactness=5.0, start_label=0, channel_axis=-1)
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape)


def image_lines(folder: Path, out: Path) -> list[tuple[np.ndarray, dict]]:
    lines = [json.loads(x) for x in (out / "explanations_shap" / "out.jsonl").read_text().splitlines()]
    images = [np.asarray(Image.open(folder / "images" / f"{n}.png").convert("RGB")) for n in ("a", "b")]
    assert [line["explanations"][0]["feature_name"] for line in lines] == ["a.png", "b.png"]
    return list(zip(images, lines, strict=True))


def test_image_classification_against_enumeration(workspace, aws, tmp_path: Path) -> None:
    folder, built = workspace
    config = config_of(built, "image_classification")
    run_analysis(config, data_uri=str(folder / "images"), output_dir=tmp_path / "out", quiet=True)
    grey = np.full((32, 32, 3), 128, dtype=np.uint8)
    for image, line in image_lines(folder, tmp_path / "out"):
        segments = segments_of(image)
        (entry,) = line["explanations"]
        got = np.array([a["attribution"] for a in entry["attributions"]])
        assert [a["description"]["segment_id"] for a in entry["attributions"]] == list(range(segments.max() + 1))

        def value(keep: tuple[bool, ...], image: np.ndarray = image, segments: np.ndarray = segments) -> np.ndarray:
            return CLASSIFIER(np.where(np.asarray(keep)[segments][..., None], image, grey)[None])[0]

        np.testing.assert_allclose(got, shapley_by_enumeration(len(got), value), atol=1e-9)
        assert line["label_headers"] == ["plain", "red"]


def test_object_detection_boxes_and_efficiency(workspace, aws, tmp_path: Path) -> None:
    """The kept boxes are the detector's above the threshold; each box's segment values add up to its score on
    the image minus its value on the grey baseline (no detection there: 0)."""
    folder, built = workspace
    config = config_of(built, "image_detection")
    run_analysis(config, data_uri=str(folder / "images"), output_dir=tmp_path / "out", quiet=True)
    grey = np.full((1, 32, 32, 3), 128, dtype=np.uint8)
    assert red_detector(grey) == [[]]
    for image, line in image_lines(folder, tmp_path / "out"):
        kept = sorted([r for r in red_detector(image[None])[0] if r[1] > 0.3], key=lambda r: -r[1])[:2]
        assert kept
        (entry,) = line["explanations"]
        got = np.array([a["attribution"] for a in entry["attributions"]])
        assert got.shape[1] == len(kept)
        np.testing.assert_allclose(got.sum(axis=0), [r[1] for r in kept], atol=1e-9)
    names = sorted(p.name for p in (tmp_path / "out" / "explanations_shap").iterdir())
    assert "a_objects.jpeg" in names and "shap_a_box1_object.jpeg" in names
