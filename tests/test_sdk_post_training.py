"""Post-training bias configs as the sagemaker SDK v2 writes them, run by clarion, checked against smclarify.

The configs come from the real SDK (``tests/api_reference/run_cases.py``); the data is UCI Adult (the first
800 rows, six numeric or label-encoded features) and the model a scikit-learn logistic regression. The
expected metrics, flip test included, are smclarify's ``bias_report`` on the same rows with the predicted
labels computed here from the model (``predict_proba`` cut at the config's threshold).
"""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from adult_fixtures import FEATURES, adult_numeric
from clarion.engine import run_analysis
from reference_tools import REFERENCE_DIR, assert_same_values, run_smclarify, sdk_configs

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

RUN_CASES = REFERENCE_DIR / "run_cases.py"
SMCLARIFY_BIAS = r"""
import json, sys
import pandas as pd
from smclarify.bias import report
job = json.loads(sys.argv[1])
df = pd.read_csv(job["path"])
out = {}
for stage in job["stages"]:
    predicted = None
    frame = df.drop(columns=["pred"])
    if stage == "post_training":
        predicted = report.LabelColumn("pred", df["pred"], job["label_values"])
        frame = df
    out[stage] = report.bias_report(
        frame,
        report.FacetColumn(job["facet"], job["facet_values"]),
        report.LabelColumn(job["label"], df[job["label"]], job["label_values"]),
        report.StageType(stage),
        predicted_label_column=predicted,
        metrics=["all"],
        group_variable=df[job["group"]],
    )
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return adult_numeric(800)


@pytest.fixture(scope="module")
def model(adult: pd.DataFrame) -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(adult[FEATURES], adult["Target"])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, adult: pd.DataFrame, model: object) -> Path:
    folder = tmp_path_factory.mktemp("sdk_post")
    adult.to_csv(folder / "adult.csv", header=False, index=False)
    joblib.dump(model, folder / "model.joblib")
    return folder


@pytest.fixture(scope="module")
def configs(workspace: Path) -> dict:
    return sdk_configs(RUN_CASES, workspace)


def smclarify_bias(folder: Path, frame: pd.DataFrame, predicted: pd.Series, stages: list[str]) -> dict:
    path = folder / "smclarify_input.csv"
    frame.assign(pred=predicted.to_numpy()).to_csv(path, index=False)
    job = {
        "path": str(path), "stages": stages, "label": "Target", "label_values": [1], "facet": "Sex",
        "facet_values": [0], "group": "Age",
    }  # fmt: skip
    return run_smclarify(SMCLARIFY_BIAS, job)


def config_of(configs: dict, case: str) -> dict:
    entry = configs[case]
    assert entry.get("schema_error") is None and "config" in entry, entry
    return entry["config"]


def test_predictions_dataset_without_predicted_label_runs_every_metric(workspace, configs, adult, model):
    config = config_of(configs, "post_predictions_dataset_unnamed")
    assert "predicted_label" not in config and config["predicted_label_dataset_uri"].endswith("predictions.csv")
    assert config["methods"]["post_training_bias"] == {"methods": "all"}
    predicted = pd.Series(model.predict(adult[FEATURES]))
    predicted.to_csv(workspace / "predictions.csv", header=False, index=False)

    out = workspace / "out_dataset"
    analysis = run_analysis(config, data_uri=str(workspace / "adult.csv"), output_dir=out, quiet=True)

    section = analysis["post_training_bias_metrics"]
    expected = smclarify_bias(workspace, adult, predicted, ["post_training"])["post_training"]
    assert_same_values(section["facets"]["Sex"], expected)
    codes = [m["name"] for m in section["facets"]["Sex"][0]["metrics"]]
    assert "FT" in codes and len(codes) == 13
    assert all(m["value"] is not None for m in section["facets"]["Sex"][0]["metrics"])


def test_model_predictions_cut_at_the_sdk_threshold(workspace, configs, adult, model):
    config = config_of(configs, "post_model_threshold")
    assert config["probability_threshold"] == 0.4 and "label" not in config["predictor"]
    config["predictor"]["model_uri"] = str(workspace / "model.joblib")  # the SageMaker model, here a local file

    analysis = run_analysis(config, data_uri=str(workspace / "adult.csv"), output_dir=workspace / "out_04", quiet=True)

    predicted = pd.Series((model.predict_proba(adult[FEATURES])[:, 1] > 0.4).astype(int))
    assert predicted.sum() != (model.predict_proba(adult[FEATURES])[:, 1] > 0.5).sum()  # the cut matters here
    expected = smclarify_bias(workspace, adult, predicted, ["post_training"])["post_training"]
    assert_same_values(analysis["post_training_bias_metrics"]["facets"]["Sex"], expected)


def test_run_bias_with_a_model_and_no_label_config(workspace, configs, adult, model):
    config = config_of(configs, "bias_model_default_threshold")
    assert "probability_threshold" not in config
    config["predictor"]["model_uri"] = str(workspace / "model.joblib")

    analysis = run_analysis(config, data_uri=str(workspace / "adult.csv"), output_dir=workspace / "out_05", quiet=True)

    predicted = pd.Series((model.predict_proba(adult[FEATURES])[:, 1] > 0.5).astype(int))
    expected = smclarify_bias(workspace, adult, predicted, ["pre_training", "post_training"])
    assert_same_values(analysis["pre_training_bias_metrics"]["facets"]["Sex"], expected["pre_training"])
    assert_same_values(analysis["post_training_bias_metrics"]["facets"]["Sex"], expected["post_training"])


@pytest.mark.parametrize("case", ["bias_facet_dataset_by_id", "bias_facet_dataset_by_position"])
def test_facets_from_a_separate_dataset(case, workspace, configs, adult):
    """Sex lives in a facet dataset (by id: its rows shuffled); the model never sees it."""
    config = config_of(configs, case)
    assert config["facet_dataset_uri"].endswith(".csv") and "Sex" not in config["headers"]
    features = [f for f in FEATURES if f != "Sex"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(adult[features], adult["Target"])
    joblib.dump(model, workspace / "model_without_sex.joblib")
    config["predictor"]["model_uri"] = str(workspace / "model_without_sex.joblib")
    main = adult.drop(columns=["Sex"]).assign(id=[f"r{i}" for i in range(len(adult))])
    main[["id", *features, "Target"]].to_csv(workspace / "adult_id.csv", header=False, index=False)
    facets = pd.DataFrame({"id": main["id"], "Sex": adult["Sex"]})
    facets.sample(frac=1.0, random_state=4).to_csv(workspace / "facets_by_id.csv", header=False, index=False)
    facets[["Sex"]].to_csv(workspace / "facets_by_position.csv", header=False, index=False)

    out = workspace / f"out_{case}"
    analysis = run_analysis(config, data_uri=str(workspace / "adult_id.csv"), output_dir=out, quiet=True)

    predicted = pd.Series((model.predict_proba(adult[features])[:, 1] > 0.5).astype(int))
    frame = adult[[*features, "Sex", "Target"]]
    expected = smclarify_bias(workspace, frame, predicted, ["pre_training", "post_training"])
    assert_same_values(analysis["pre_training_bias_metrics"]["facets"]["Sex"], expected["pre_training"])
    assert_same_values(analysis["post_training_bias_metrics"]["facets"]["Sex"], expected["post_training"])


def test_bias_metrics_per_segment(workspace, configs, adult, model):
    """segment_config from the SDK's SegmentationConfig: each segment's metrics are smclarify's on its rows."""
    config = config_of(configs, "bias_segments")
    assert [c["name_or_index"] for c in config["segment_config"]] == ["Age", "Ethnic group"]
    config["predictor"]["model_uri"] = str(workspace / "model.joblib")
    analysis = run_analysis(config, data_uri=str(workspace / "adult.csv"), output_dir=workspace / "out_seg", quiet=True)

    predicted = pd.Series((model.predict_proba(adult[FEATURES])[:, 1] > 0.5).astype(int))
    age = adult["Age"]
    young = (age > 0) & (age <= 30)
    middle = ((age > 30) & (age <= 50)) | ((age > 60) & (age <= 70))
    race = adult["Ethnic group"]
    expected_rows = {
        ("Age", "young"): young, ("Age", "middle"): middle & ~young, ("Age", "rest"): ~young & ~middle,
        ("Ethnic group", "4"): race == 4, ("Ethnic group", "__default__"): race != 4,
    }  # fmt: skip
    for stage in ("pre_training", "post_training"):
        configs_out = analysis[f"{stage}_bias_metrics"]["segment_metrics"]
        assert configs_out[0]["config_name"] == "ages" and "config_name" not in configs_out[1]
        for described in configs_out:
            for entry in described["segments"]:
                rows = expected_rows[(described["name_or_index"], entry["segment"])].to_numpy()
                assert entry["rows"] == int(rows.sum())
                frame = adult[rows].reset_index(drop=True)
                theirs = smclarify_bias(workspace, frame, predicted[rows].reset_index(drop=True), [stage])[stage]
                ours = entry["facets"]["Sex"]
                codes = {m["name"] for m in ours[0]["metrics"]}
                theirs = [{**e, "metrics": [m for m in e["metrics"] if m["name"] in codes]} for e in theirs]
                where = f"{stage} {described['name_or_index']}={entry['segment']}"
                assert_same_values(_failed_as_flag(ours), _failed_as_flag(theirs), where)


def _failed_as_flag(entries: list) -> list:
    """Metric entries with a failure's message replaced by True (clarion words some failures its own way)."""
    return [{**e, "metrics": [{**m, "error": True} if "error" in m else m for m in e["metrics"]]} for e in entries]
