"""examples/monitoring end to end at reduced size: baseline, three windows (one from data capture, one drifted),
`clarion check` exit codes and the over-time report; numbers checked against the model called directly."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pandas as pd
import pytest

from clarion.monitor import is_bias_drift
from examples_fixtures import run_example

pytestmark = pytest.mark.slow

HEADERS = [
    "Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation", "Relationship",
    "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country", "Target",
]  # fmt: skip
FEATURES = HEADERS[:-1]
ROWS = 800


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("monitoring")
    summary = run_example("monitoring", out, "--rows", str(ROWS), "--num-samples", "32")
    return out, summary, joblib.load(out / "model.joblib")


def post_metrics(run_dir: Path) -> dict[str, float]:
    analysis = json.loads((run_dir / "analysis.json").read_text())
    (entry,) = analysis["post_training_bias_metrics"]["facets"]["Sex"]
    return {m["name"]: m["value"] for m in entry["metrics"]}


def dppl(model, frame: pd.DataFrame) -> float:
    predicted = model.predict_proba(frame[FEATURES])[:, 1] > 0.5
    women = (frame["Sex"] == 0).to_numpy()
    return predicted[~women].mean() - predicted[women].mean()


def test_three_windows_each_a_complete_run(example):
    out, summary, _ = example
    runs = summary["runs"]
    assert [r["window"] for r in runs] == ["week 1", "week 2 (captured)", "week 3 (drifted)"]
    for run in runs:
        folder = Path(run["path"])
        assert folder.parent == out / "monitoring" / "runs"
        for name in ("analysis.json", "analysis_config.json", "report.html", "monitor.json"):
            assert (folder / name).stat().st_size > 0
        written = json.loads((folder / "constraint_violations.json").read_text())
        assert written == {"version": "1.0", "violations": run["violations"]}
        assert run["check_exit_code"] == (3 if run["violations"] else 0)
        assert run["status"] == ("CompletedWithViolations" if run["violations"] else "Completed")
    assert not [p for p in (out / "monitoring" / "runs").iterdir() if p.name.startswith(".")]


def test_drifted_window_violates_attribution_and_bias(example):
    out, summary, model = example
    week3 = summary["runs"][2]
    (attribution,) = [v for v in week3["violations"] if v["constraint_check_type"] == "feature_attribution_drift_check"]
    assert attribution["label"] == "label0" and week3["ndcg"]["label0"] < 0.9
    assert week3["ndcg"]["label0"] < min(summary["runs"][0]["ndcg"]["label0"], summary["runs"][1]["ndcg"]["label0"])
    shap = json.loads((Path(week3["path"]) / "analysis.json").read_text())["explanations"]["kernel_shap"]["label0"]
    assert max(shap["global_shap_values"], key=shap["global_shap_values"].get) == "Hours per week"
    # DPPL of the drifted window and of the baseline, from the model called directly.
    drifted = pd.read_csv(out / "data" / "week3.csv", header=None, names=HEADERS)
    baseline = pd.read_csv(out / "data" / "baseline.csv", header=None, names=HEADERS)
    now, base = dppl(model, drifted), dppl(model, baseline)
    assert post_metrics(Path(week3["path"]))["DPPL"] == pytest.approx(now, abs=1e-12)
    dppl_violated = any(v["metric_name"] == "DPPL" for v in week3["violations"])
    assert dppl_violated == is_bias_drift("DPPL", base, now, tolerance=0.05)


def test_captured_window_uses_the_captured_scores(example):
    out, summary, model = example
    week2 = Path(summary["runs"][1]["path"])
    captured = pd.read_csv(week2 / "captured_data.csv", header=None, names=[*HEADERS, "predicted_label"])
    assert len(captured) == ROWS
    scores = model.predict_proba(captured[FEATURES])[:, 1]
    assert (captured["predicted_label"] == (scores > 0.5).astype(int)).all()
    assert post_metrics(week2)["DPPL"] == pytest.approx(dppl(model, captured), abs=1e-12)


def test_report_lists_every_window(example):
    out, summary, _ = example
    html, pdf = (Path(p) for p in summary["reports"])
    assert html.name == "monitoring_report.html" and pdf.read_bytes()[:5] == b"%PDF-"
    text = html.read_text()
    for run in summary["runs"]:
        assert run["window"] in text
    assert "feature_attribution_drift_check" in text
