"""monitoring_report.html in headless Chromium and monitoring_report.pdf through poppler, on a monitoring folder
built by hand: strings from data stay text, nothing runs, the NDCG and bias charts paint with their threshold
lines, and the violations are listed."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clarion.monitor import CheckOptions, attribution_drift, check, list_runs, render_monitoring_report
from report_fixtures import IMG_FACET, SCRIPT_FACET, chromium_command, require_tool

NAVY = (0x23, 0x34, 0x4D)
RED = (0xC8, 0x55, 0x3D)  # threshold line and violated points
BLUE = (0x3A, 0x6E, 0xA5)  # metric lines
BAND = (0xE3, 0xF1, 0xE6)  # allowed strip

BASE_SHAP = {"SAT": 0.70, "GPA": 0.50, "Class rank": 0.05}
DOC_LIVE = {"SAT": 0.10, "GPA": 0.20, "Class rank": 0.70}  # NDCG 0.688 (the documentation's example)


def analysis(shap: dict, dppl: float, di: float) -> dict:
    metrics = [{"name": "DI", "description": "Disparate Impact (DI)", "value": di},
               {"name": "DPPL", "description": "DPPL", "value": dppl}]  # fmt: skip
    return {
        "version": "1.0",
        "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
                                       "facets": {SCRIPT_FACET: [{"value_or_threshold": IMG_FACET,
                                                                  "metrics": metrics}]}},
        "explanations": {"kernel_shap": {"label0": {"global_shap_values": shap, "expected_value": 0.3}}},
    }  # fmt: skip


def write_run(root: Path, run_id: str, window: str, doc: dict, baseline: dict) -> None:
    """A run folder in the documented layout (analysis.json, constraint_violations.json, monitor.json)."""
    folder = root / "runs" / run_id
    folder.mkdir(parents=True)
    (folder / "analysis.json").write_text(json.dumps(doc))
    found = check(baseline, doc, CheckOptions())
    (folder / "constraint_violations.json").write_text(
        json.dumps({"version": "1.0", "violations": [v.to_json() for v in found]})
    )
    meta = {
        "run_id": run_id, "time": f"{run_id[:10]}T00:00:00Z", "window": window, "data": f"{window}.csv",
        "baseline": str(root / "baseline" / "analysis.json"), "threshold": 0.9, "bias_tolerance": 0.0,
        "ndcg": {d.label: d.ndcg for d in attribution_drift(baseline, doc, 0.9)},
        "violations": [{k: getattr(v, k) for k in v.__dataclass_fields__} for v in found],
        "status": "CompletedWithViolations" if found else "Completed",
    }  # fmt: skip
    (folder / "monitor.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("mon")
    baseline = analysis(BASE_SHAP, 0.2, 0.8)
    (root / "baseline").mkdir()
    (root / "baseline" / "analysis.json").write_text(json.dumps(baseline))
    write_run(root, "2024-06-01T00-00-00Z", "week 1", analysis(BASE_SHAP, 0.1, 0.9), baseline)
    write_run(root, "2024-06-08T00-00-00Z", SCRIPT_FACET, analysis(BASE_SHAP, 0.15, 0.82), baseline)
    write_run(root, "2024-06-15T00-00-00Z", "week 3", analysis(DOC_LIVE, -0.3, 1.3), baseline)
    return root


def test_runs_read_back_in_order(folder):
    runs = list_runs(folder)
    assert [r.window for r in runs] == ["week 1", SCRIPT_FACET, "week 3"]
    assert [r.status for r in runs] == ["Completed", "Completed", "CompletedWithViolations"]
    assert [v.metric_name for v in runs[2].violations] == ["shap", "DI", "DPPL"]
    assert runs[2].attribution[0].ndcg == pytest.approx(0.688, abs=5e-4)
    assert runs[2].violations[2].current == -0.3 and runs[2].violations[2].baseline == 0.2


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-800:]}"
    return result.stdout


def _near(pixels, rgb, tol=10):
    return np.all(np.abs(pixels.astype(int) - np.array(rgb)) <= tol, axis=-1)


@pytest.fixture(scope="module")
def page(folder, tmp_path_factory):
    (html,) = render_monitoring_report(folder, title="Adult monitoring", formats=("html",))
    return html, tmp_path_factory.mktemp("profile")


@pytest.mark.browser
def test_dom_shows_data_as_text_and_runs_nothing(page):
    path, profile = page
    dom = Dom()
    dom.feed(_run(chromium_command(profile) + ["--dump-dom", path.as_uri()]))
    assert not [t for t, _ in dom.tags if t == "script"]
    body = [a for t, a in dom.tags if t == "body"]
    assert body and "data-pwned" not in body[0]
    images = [a for t, a in dom.tags if t == "img"]
    assert len(images) == 2 and all(a["src"].startswith("data:image/svg+xml;base64,") for a in images)
    text = " ".join(" ".join(dom.text).split())
    assert SCRIPT_FACET in text and f"{SCRIPT_FACET} = {IMG_FACET}" in text
    assert "Adult monitoring" in text and "3 monitoring runs · 1 with violations" in text
    assert "label0 0.688" in text and "CompletedWithViolations" in text
    assert "Metric value -0.3 doesn't meet the baseline constraint requirement 0.2" in text
    assert "Feature attribution drift 0.68763962412262" in text


@pytest.mark.browser
def test_screenshot_paints_charts_with_threshold_lines(page, tmp_path):
    path, profile = page
    shot = tmp_path / "shot.png"
    _run(chromium_command(profile) + ["--window-size=1280,2200", f"--screenshot={shot}", path.as_uri()])
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[:2] == (2200, 1280)
    assert _near(img[:60], NAVY).mean() > 0.5
    non_white = np.any(img < 245, axis=-1).mean()
    assert 0.05 < non_white < 0.7
    # The NDCG chart's dashed red threshold and red violation points, the blue lines, the green strips.
    assert _near(img, RED, 8).sum() > 500
    assert _near(img, BLUE, 8).sum() > 1500
    assert _near(img, BAND, 3).sum() > 20000
    # A horizontal red run (the threshold line) spans much of a row somewhere in the page.
    red_rows = _near(img, RED, 8).sum(axis=1)
    assert red_rows.max() > 400


def test_pdf_pages_rasterise_and_hold_the_violations(folder, tmp_path):
    (pdf,) = render_monitoring_report(folder, title="Adult monitoring", formats=("pdf",))
    subprocess.run([require_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    for p in pages:
        assert (np.asarray(Image.open(p).convert("L")) < 235).mean() > 0.005, f"{p.name} is blank"
    text = subprocess.run([require_tool("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True)
    flat = " ".join(text.stdout.split())
    for needle in ("Adult monitoring", "Feature attribution drift", "Bias drift", "CompletedWithViolations",
                   "Feature attribution drift 0.6876396241226223 exceeds threshold 0.9", "bias_drift_check",
                   "-0.3000", SCRIPT_FACET):  # fmt: skip
        assert needle in flat, needle
