"""Post-training bias: smclarify vs clarion on UCI Adult (label-encoded) and resampled to 1,000,000 rows.

Run:  .venv/bin/python bench/bias_posttraining.py [--rows 1000000]
The categorical columns of Adult are label-encoded (sorted categories -> 0..k-1, as in the Clarify BYOC
example) so that the flip test (FT) can run; the label is income > 50K as 0/1. A LogisticRegression trained
once on the original rows (fixed seed) writes a deterministic predicted-label column ``pred`` that both
sides read from the same CSV. Facets: sex [0] (Female), race (each value vs the rest), age [40];
group: education. FT fits a k-NN per facet entry over all rows, so it runs at Adult size only; at 1M rows
the other 12 metrics are compared and timed.
"""

from __future__ import annotations

import argparse

import pandas as pd
from bias_pretraining import load_adult, report_run, resample
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ALL = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]


def encoded_adult() -> pd.DataFrame:
    df = load_adult()
    for column in df.columns:
        if df[column].dtype == object or str(df[column].dtype) in ("str", "string"):
            categories = sorted(df[column].unique())
            df[column] = df[column].map({c: i for i, c in enumerate(categories)}).astype("int64")
    features = [c for c in df.columns if c != "income"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0))
    model.fit(df[features], df["income"])
    df["pred"] = model.predict(df[features]).astype("int64")
    return df


def job(metrics: list[str]) -> dict:
    return {
        "stage": "post_training",
        "label": "income",
        "label_values": [1],
        "facets": [
            {"name": "sex", "values": [0]},
            {"name": "race", "values": None},
            {"name": "age", "values": [40]},
        ],
        "group": "education",
        "predicted_label": "pred",
        "metrics": metrics,
        "metric_codes": metrics,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    adult = encoded_adult()
    report_run("adult_encoded", adult, job(ALL))
    report_run(f"adult_encoded_{args.rows}", resample(adult, args.rows), job([m for m in ALL if m != "FT"]))


if __name__ == "__main__":
    main()
