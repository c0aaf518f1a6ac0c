"""Monitoring runs through the real engine on UCI Adult rows with an in-process model: a clean window has no
violations, a facet's positive rate changed gives exactly the DPL violation, a rescaled feature gives the
attribution violation, data-capture files with ground truth reproduce the dataset run, and `clarion check`
answers 0 / 3 / 1 with skip and register options."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import clarion
from clarion.cli import main
from clarion.errors import ClarionError
from clarion.monitor import (
    BIAS_DRIFT,
    FEATURE_ATTRIBUTION_DRIFT,
    CheckOptions,
    Monitor,
    is_bias_drift,
    list_runs,
    ndcg,
    read_violations,
)
from conftest import DATASETS

pytestmark = pytest.mark.slow

FEATURES = ["Age", "Education-Num", "Sex", "Capital Gain", "Hours per week"]
HEADERS = [*FEATURES, "Target"]
ROWS = 600


def adult() -> pd.DataFrame:
    names = ["Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation",
             "Relationship", "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country",
             "Target"]  # fmt: skip
    raw = pd.read_csv(DATASETS / "adult" / "adult.data", header=None, names=names, skipinitialspace=True)
    frame = raw[HEADERS].copy()
    frame["Sex"] = (frame["Sex"] == "Male").astype(int)  # Female = 0
    frame["Target"] = (frame["Target"] == ">50K").astype(int)
    return frame


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("monitoring")
    data = adult()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(
        data[FEATURES].iloc[5000:], data["Target"].iloc[5000:]
    )
    joblib.dump(model, root / "model.joblib")
    window = data.iloc[:ROWS].reset_index(drop=True)
    config = {
        "dataset_type": "text/csv", "headers": HEADERS, "label": "Target", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}], "probability_threshold": 0.5,
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL"]},
            "post_training_bias": {"methods": ["DPPL", "DI"]},
            "shap": {"num_samples": 24, "seed": 3, "baseline": [data[FEATURES].iloc[5000:].mean().tolist()]},
        },
        "predictor": {"model_uri": str(root / "model.joblib")},
    }  # fmt: skip
    base_csv = root / "baseline.csv"
    window.to_csv(base_csv, header=False, index=False)
    mon = Monitor(config, root / "mon")
    mon.suggest_baseline(str(base_csv))
    return root, mon, model, window


def write(frame: pd.DataFrame, path: Path) -> str:
    frame.to_csv(path, header=False, index=False)
    return str(path)


def dpl(frame: pd.DataFrame) -> float:
    women = frame["Sex"] == 0
    return frame.loc[~women, "Target"].mean() - frame.loc[women, "Target"].mean()


def test_baseline_is_a_complete_run(setup):
    _, mon, _, window = setup
    analysis = json.loads(mon.baseline.read_text())
    (entry,) = analysis["pre_training_bias_metrics"]["facets"]["Sex"]
    values = {m["name"]: m["value"] for m in entry["metrics"]}
    assert values["DPL"] == pytest.approx(dpl(window), abs=1e-12)
    assert set(analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == set(FEATURES)


def test_clean_window_has_no_violations(setup):
    root, mon, _, window = setup
    shuffled = window.sample(frac=1.0, random_state=1)  # the same rows in another order
    run = mon.run(write(shuffled, root / "clean.csv"), window="clean")
    assert run.violations == () and run.status == "Completed"
    assert run.attribution[0].ndcg > 0.99
    assert read_violations(run.path / "constraint_violations.json") == []
    assert main(["check", str(run.path), "--baseline", str(mon.baseline)]) == 0


def test_changed_positive_rate_of_one_facet_is_a_dpl_violation(setup):
    root, mon, _, window = setup
    drifted = window.copy()
    women_positive = drifted.index[(drifted["Sex"] == 0) & (drifted["Target"] == 1)]
    drifted.loc[women_positive[: len(women_positive) // 2 + 1], "Target"] = 0
    assert is_bias_drift("DPL", dpl(window), dpl(drifted))  # computed with pandas
    run = mon.run(write(drifted, root / "labels.csv"), window="labels")
    # CI (same rows), DPPL and DI (same predictions) and the attributions (same features) are unchanged.
    (v,) = run.violations
    assert (v.constraint_check_type, v.facet, v.facet_value, v.metric_name) == (BIAS_DRIFT, "Sex", "0", "DPL")
    assert v.current == pytest.approx(dpl(drifted), abs=1e-12) and v.baseline == pytest.approx(dpl(window), abs=1e-12)
    assert main(["check", str(run.path), "--baseline", str(mon.baseline)]) == 3
    assert main(["check", str(run.path), "--baseline", str(mon.baseline), "--skip-check", "bias_drift_check"]) == 0
    # The gate does not register a baseline that fails it.
    before = mon.baseline.read_bytes()
    assert main(["check", str(run.path), "--baseline", str(mon.baseline), "--register-new-baseline"]) == 3
    assert mon.baseline.read_bytes() == before


def test_rescaled_feature_is_an_attribution_violation(setup):
    root, mon, _, window = setup
    drifted = window.copy()
    drifted["Hours per week"] = drifted["Hours per week"] * 60  # minutes instead of hours
    run = mon.run(write(drifted, root / "minutes.csv"), window="minutes")
    found = [v for v in run.violations if v.constraint_check_type == FEATURE_ATTRIBUTION_DRIFT]
    (v,) = found
    base = json.loads(mon.baseline.read_text())["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    now = json.loads((run.path / "analysis.json").read_text())["explanations"]["kernel_shap"]["label0"]
    expected = ndcg(base, now["global_shap_values"])
    assert max(now["global_shap_values"], key=now["global_shap_values"].get) == "Hours per week"
    assert v.current == pytest.approx(expected, abs=1e-12) and expected < 0.9
    assert v.description == f"Feature attribution drift {expected!r} exceeds threshold 0.9"
    assert json.loads((run.path / "constraint_violations.json").read_text())["violations"][0] == {
        "label": "label0", "metric_name": "shap", "constraint_check_type": FEATURE_ATTRIBUTION_DRIFT,
        "description": v.description,
    }  # fmt: skip
    assert main(["check", str(run.path), "--baseline", str(mon.baseline), "--threshold", "0.2",
                 "--skip-check", "bias_drift_check"]) == 0  # fmt: skip


def test_capture_files_reproduce_the_dataset_run(setup):
    root, mon, model, window = setup
    scores = model.predict_proba(window[FEATURES])[:, 1]
    folder = root / "capture" / "AllTraffic" / "2024" / "06" / "01" / "00"
    folder.mkdir(parents=True)
    lines, truth = [], []
    for i, row in enumerate(window[FEATURES].itertuples(index=False)):
        event = str(uuid.uuid4())
        text = ",".join(str(v) for v in row)
        request = {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "BASE64",
                   "data": base64.b64encode(text.encode()).decode()}  # fmt: skip
        response = {
            "observedContentType": "text/csv",
            "mode": "OUTPUT",
            "encoding": "CSV",
            "data": repr(float(scores[i])),
        }
        lines.append(json.dumps({"captureData": {"endpointInput": request, "endpointOutput": response},
                                 "eventMetadata": {"eventId": event, "inferenceTime": "2024-06-01T00:00:00Z"},
                                 "eventVersion": "0"}))  # fmt: skip
        truth.append(json.dumps({"groundTruthData": {"data": str(window["Target"].iloc[i]), "encoding": "CSV"},
                                 "eventMetadata": {"eventId": event}, "eventVersion": "0"}))  # fmt: skip
    (folder / "part-a.jsonl").write_text("\n".join(lines[:250]) + "\n")
    (folder / "part-b.jsonl").write_text("\n".join(lines[250:]) + "\n")
    labels = root / "ground_truth.jsonl"
    labels.write_text("\n".join(reversed(truth)) + "\n")
    run = mon.run(str(root / "capture"), ground_truth_uri=str(labels), window="captured")
    assert [v for v in run.violations if v.constraint_check_type == BIAS_DRIFT] == []
    analysis = json.loads((run.path / "analysis.json").read_text())
    post = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]}
    predicted = scores > 0.5
    women = (window["Sex"] == 0).to_numpy()
    assert post["DPPL"] == pytest.approx(predicted[~women].mean() - predicted[women].mean(), abs=1e-12)
    assert post["DI"] == pytest.approx(predicted[women].mean() / predicted[~women].mean(), abs=1e-12)
    captured = pd.read_csv(run.path / "captured_data.csv", header=None)
    np.testing.assert_array_equal(captured.iloc[:, : len(HEADERS)].to_numpy(), window[HEADERS].to_numpy())


def test_runs_are_listed_complete_and_in_order(setup):
    root, mon, _, _ = setup
    runs = list_runs(root / "mon")
    assert [r.window for r in runs][:4] == ["clean", "labels", "minutes", "captured"]
    assert not [p for p in (root / "mon" / "runs").iterdir() if p.name.startswith(".")]
    with pytest.raises(ClarionError):
        mon.run(str(root / "missing.csv"), window="broken")
    assert len(list_runs(root / "mon")) == len(runs)
    assert not [p for p in (root / "mon" / "runs").iterdir() if p.name.startswith(".")]
    assert not (root / "mon" / ".staging").exists()


def test_check_errors_exit_1_and_register_replaces_the_baseline(setup, tmp_path):
    root, mon, _, _ = setup
    clean = next(r for r in list_runs(root / "mon") if r.window == "clean")
    assert main(["check", str(clean.path), "--baseline", str(tmp_path / "nowhere")]) == 1
    assert main(["check", str(clean.path), "--baseline", str(mon.baseline), "--skip-check", "data_check"]) == 1
    copy = tmp_path / "baseline.json"
    copy.write_bytes(mon.baseline.read_bytes())
    assert main(["check", str(clean.path), "--baseline", str(copy), "--register-new-baseline"]) == 0
    assert copy.read_bytes() == (clean.path / "analysis.json").read_bytes()
    assert CheckOptions().threshold == 0.9


def test_monitor_commands(setup, tmp_path, capsys):
    root, mon, _, window = setup
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps(mon.config))
    data = write(window, tmp_path / "window.csv")
    folder = tmp_path / "mon"
    assert main(["monitor", "baseline", str(config), "--data", data, "--output", str(folder), "-q"]) == 0
    baseline = folder / "baseline" / "analysis.json"
    assert baseline.is_file()
    # --output defaults to the folder holding baseline/.
    assert main(["monitor", "run", str(config), "--data", data, "--baseline", str(baseline), "--window", "cli"]) == 0
    (run,) = list_runs(folder)
    assert run.window == "cli" and run.violations == ()
    assert main(["monitor", "report", str(folder), "--no-pdf"]) == 0
    assert "cli" in (folder / "monitoring_report.html").read_text()
    capsys.readouterr()
    assert main(["monitor", "run", str(config), "--data", data]) == 1
    assert "--output: give the monitoring folder" in capsys.readouterr().err
    assert main(["monitor", "report", str(tmp_path / "empty")]) == 1


def test_monitor_is_exported_from_clarion():
    assert clarion.Monitor is Monitor


def test_register_new_baseline_replaces_the_baseline_folder(setup):
    root, mon, _, _ = setup
    clean = next(r for r in list_runs(root / "mon") if r.window == "clean")
    result = mon.check(clean, register_new_baseline=True)
    assert result.exit_code == 0 and result.registered
    assert mon.baseline.read_bytes() == (clean.path / "analysis.json").read_bytes()
    assert not (mon.baseline.parent / "monitor.json").exists()
    assert not [p for p in (root / "mon").iterdir() if p.name.startswith(".")]
