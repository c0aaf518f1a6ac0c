"""Regenerate the report screenshots in docs/ from a real run on UCI Adult.

    .venv/bin/python docs/report_screenshots.py

Trains a small scikit-learn pipeline on a seeded sample of datasets/adult/adult.data, runs pre- and
post-training bias, Kernel SHAP and PDP through clarion, renders the reports and writes
docs/report-adult.png (HTML in headless Chromium) and docs/report-adult-pdf.png (first PDF pages).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from PIL import Image
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

REPO = Path(__file__).resolve().parents[1]
HEADERS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
           "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
           "income"]  # fmt: skip
CATEGORICAL = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
               "native-country"]  # fmt: skip
SAMPLE_ROWS = 600
SEED = 7


def build_run(work: Path) -> Path:
    """Sample the data, train the model, run clarion; return the output directory."""
    from clarion.engine import run_analysis

    frame = pd.read_csv(REPO / "datasets/adult/adult.data", header=None, names=HEADERS)
    frame = frame.sample(n=SAMPLE_ROWS, random_state=np.random.default_rng(SEED).integers(2**31))
    data_path = work / "adult_sample.csv"
    frame.to_csv(data_path, header=False, index=False)
    features = frame.drop(columns=["income"])
    numeric = [c for c in features.columns if c not in CATEGORICAL]
    model = make_pipeline(
        ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL), ("num", StandardScaler(), numeric)]
        ),  # fmt: skip
        LogisticRegression(max_iter=2000),
    ).fit(features, frame["income"])
    joblib.dump(model, work / "model.joblib")
    config = {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "income",
        "label_values_or_threshold": [" >50K"],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [" Female"]},
                  {"name_or_index": "race"},
                  {"name_or_index": "age", "value_or_threshold": [40]}],  # fmt: skip
        "group_variable": "education",
        "predictor": {"model_uri": str(work / "model.joblib")},
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
            "shap": {"num_clusters": 2, "num_samples": 64, "agg_method": "mean_abs", "save_local_shap_values": True,
                     "seed": SEED},
            "pdp": {"features": ["age", "hours-per-week", "relationship"], "grid_resolution": 10},
            "report": {"name": "report", "title": "UCI Adult: bias and explanations"},
        },
    }  # fmt: skip
    (work / "analysis_config.json").write_text(json.dumps(config))
    out = work / "out"
    run_analysis(work / "analysis_config.json", data_uri=str(data_path), output_dir=out, quiet=True)
    return out


def screenshots(out: Path) -> None:
    from clarion.report import render_reports

    render_reports(out, title="UCI Adult: bias and explanations")
    with tempfile.TemporaryDirectory() as profile:
        shot = out / "shot.png"
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--window-size=1280,2200", f"--screenshot={shot}",
             (out / "report.html").as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip
        Image.open(shot).convert("RGB").save(REPO / "docs/report-adult.png", optimize=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "3", str(out / "report.pdf"), str(out / "page")],
                   check=True)  # fmt: skip
    pages = [Image.open(p).convert("RGB") for p in sorted(out.glob("page-*.png"))]
    sheet = Image.new("RGB", (sum(p.width for p in pages) + 16 * (len(pages) + 1), pages[0].height + 32), "#d5d8de")
    x = 16
    for page in pages:
        sheet.paste(page, (x, 16))
        x += page.width + 16
    sheet.save(REPO / "docs/report-adult-pdf.png", optimize=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        screenshots(build_run(Path(tmp)))
    print("wrote docs/report-adult.png and docs/report-adult-pdf.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
