"""The bring-your-own-container Clarify notebook on UCI Adult, run locally with clarion.

    python examples/adult_byoc/run.py [--rows N] [--num-samples S] [--output DIR] [--content-type TYPE]

Chain: label-encode Adult (14 features + Target) -> train LogisticRegression -> serve it with `clarion serve`
on a free 127.0.0.1 port (the container contract: JSON Lines in and {"predicted_label", "score"} out, or CSV
in and a bare score out) -> with the Python API (`import clarion as clarify`), as the notebook:
ModelPredictedLabelConfig(probability=..., probability_threshold=0.4) with no label, run_bias (pre- and
post-training, all metrics; predicted label = score > 0.4) and run_explainability (SHAP, baseline = mean of
the test features) against that endpoint -> `clarion card`.
The server is always stopped at the end, also on error.

Writes into DIR (default out/adult): train.csv, test.csv, model.joblib, bias/ and explainability/ (each with
analysis_config.json, analysis.json, report.html/.pdf/.ipynb, model_card.md/.json; explainability/ also
explanations_shap/out.csv) and summary.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import clarion as clarify
from clarion.predictors.shadow import ShadowEndpoint

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "datasets" / "adult" / "adult.data"
TEST = ROOT / "datasets" / "adult" / "adult.test"
HEADERS = [
    "Age", "Workclass", "fnlwgt", "Education", "Education-Num", "Marital Status", "Occupation", "Relationship",
    "Ethnic group", "Sex", "Capital Gain", "Capital Loss", "Hours per week", "Country", "Target",
]  # fmt: skip
LABEL = "Target"
FEATURES = HEADERS[:-1]
PROBABILITY_THRESHOLD = 0.4
CONTENT_TYPES = ("application/jsonlines", "text/csv")
SEED = 42


def read_adult(path: Path) -> pd.DataFrame:
    """One UCI file with the notebook's column names; adult.test's first line and trailing '.' dropped."""
    frame = pd.read_csv(
        path, header=None, names=HEADERS, skipinitialspace=True, comment="|", na_values="?", keep_default_na=False
    )
    frame[LABEL] = frame[LABEL].str.rstrip(".")
    return frame.dropna().reset_index(drop=True)


def label_encode(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every text column as integer codes, in sorted order of the values of both files (as LabelEncoder does):
    Sex: Female = 0, Male = 1; Target: <=50K = 0, >50K = 1."""
    train, test = train.copy(), test.copy()
    for column in HEADERS:
        if not pd.api.types.is_numeric_dtype(train[column]):
            codes = {value: code for code, value in enumerate(sorted(set(train[column]) | set(test[column])))}
            train[column] = train[column].map(codes)
            test[column] = test[column].map(codes)
    return train, test


def train_model(train: pd.DataFrame) -> object:
    """Logistic regression on the 14 encoded features (standardised first, so the solver converges)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return model.fit(train[FEATURES], train[LABEL])


def serve_command(model: Path) -> list[str]:
    """`clarion serve MODEL` on the port ShadowEndpoint picks."""
    return [sys.executable, "-m", "clarion.cli", "serve", str(model), "--port", "{port}", "--host", "127.0.0.1"]


def model_configs(
    endpoint_url: str, content_type: str
) -> tuple[clarify.ModelConfig, clarify.ModelPredictedLabelConfig]:
    """The notebook's ModelConfig and ModelPredictedLabelConfig for ``content_type``: the endpoint answers a score
    (a bare number for text/csv, ``{"score": ...}`` for JSON Lines); no ``label``, so the bias metrics cut the
    score at ``probability_threshold`` 0.4."""
    if content_type == "text/csv":
        model_config = clarify.ModelConfig(accept_type="text/csv", content_type="text/csv", endpoint_url=endpoint_url)
        return model_config, clarify.ModelPredictedLabelConfig(
            probability=0, probability_threshold=PROBABILITY_THRESHOLD
        )
    model_config = clarify.ModelConfig(
        accept_type="application/jsonlines",
        content_type="application/jsonlines",
        content_template='{"features":$features}',
        endpoint_url=endpoint_url,
    )
    return model_config, clarify.ModelPredictedLabelConfig(
        probability="score", probability_threshold=PROBABILITY_THRESHOLD
    )


def analyse(
    endpoint_url: str, test_csv: Path, baseline: list[float], out: Path, num_samples: int, content_type: str
) -> None:
    """The notebook's two Clarify jobs, through the sagemaker.clarify-style API, against ``endpoint_url``."""
    processor = clarify.SageMakerClarifyProcessor(role="unused", instance_count=1, instance_type="local", quiet=True)
    model_config, predictions_config = model_configs(endpoint_url, content_type)

    bias_data = clarify.DataConfig(
        s3_data_input_path=str(test_csv), s3_output_path=str(out / "bias"), label=LABEL, headers=HEADERS,
        dataset_type="text/csv",
    )  # fmt: skip
    bias_config = clarify.BiasConfig(
        label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0], group_name="Age"
    )
    processor.run_bias(
        data_config=bias_data, bias_config=bias_config, model_config=model_config,
        model_predicted_label_config=predictions_config, pre_training_methods="all", post_training_methods="all",
    )  # fmt: skip

    explain_data = clarify.DataConfig(
        s3_data_input_path=str(test_csv), s3_output_path=str(out / "explainability"), label=LABEL, headers=HEADERS,
        dataset_type="text/csv",
    )  # fmt: skip
    shap_config = clarify.SHAPConfig(
        baseline=[baseline], num_samples=num_samples, agg_method="mean_abs", save_local_shap_values=True, seed=SEED
    )
    processor.run_explainability(
        data_config=explain_data, model_config=model_config, explainability_config=shap_config,
        model_scores=predictions_config.probability,
    )  # fmt: skip


def write_cards(out: Path) -> None:
    """`clarion card` on each analysis folder."""
    for folder in (out / "bias", out / "explainability"):
        subprocess.run(
            [sys.executable, "-m", "clarion.cli", "card", str(folder)], check=True, stdout=subprocess.DEVNULL
        )


def run(
    rows: int | None, output: Path, num_samples: int = 15, content_type: str = "application/jsonlines"
) -> dict[str, object]:
    """The whole chain; returns (and writes as summary.json) what it produced."""
    output.mkdir(parents=True, exist_ok=True)
    train, test = label_encode(read_adult(TRAIN), read_adult(TEST))
    if rows:
        test = test.iloc[:rows]
    model = train_model(train)
    model_path = output / "model.joblib"
    joblib.dump(model, model_path)
    test_csv = output / "test.csv"
    test.to_csv(test_csv, header=False, index=False)
    train.to_csv(output / "train.csv", header=False, index=False)
    baseline = [float(v) for v in test[FEATURES].mean()]

    endpoint = ShadowEndpoint(serve_command(model_path))
    try:
        url = endpoint.start()
        server_pid = endpoint.process.pid if endpoint.process is not None else None
        analyse(url, test_csv, baseline, output, num_samples, content_type)
    finally:
        endpoint.stop()
    write_cards(output)

    summary: dict[str, object] = {
        "train_rows": len(train),
        "test_rows": len(test),
        "endpoint": url,
        "server_pid": server_pid,
        "baseline": baseline,
        "num_samples": num_samples,
        "content_type": content_type,
        "probability_threshold": PROBABILITY_THRESHOLD,
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="analyse the first N test rows (default: all 15,060)")
    parser.add_argument("--num-samples", type=int, default=15, help="SHAP coalitions per row (notebook: 15)")
    parser.add_argument("--output", type=Path, default=ROOT / "out" / "adult")
    parser.add_argument(
        "--content-type", choices=CONTENT_TYPES, default="application/jsonlines",
        help="how the endpoint is called: JSON Lines (answers {\"score\": s}) or CSV (answers a bare score)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        summary = run(args.rows, args.output, args.num_samples, args.content_type)
    except clarify.ClarionError as exc:
        print(f"adult_byoc example: {exc}", file=sys.stderr)
        return 1
    bias = json.loads((args.output / "bias" / "analysis.json").read_text(encoding="utf-8"))
    post = bias["post_training_bias_metrics"]["facets"]["Sex"][0]["metrics"]
    shown = {m["name"]: m["value"] for m in post if m["name"] in ("DPPL", "DI")}
    print(f"Analysed {summary['test_rows']} test rows against {summary['endpoint']} (now stopped)")
    cut = f"predicted label = score > {PROBABILITY_THRESHOLD}"
    print(f"Sex = Female vs Male ({cut}): DPPL {shown.get('DPPL')}, DI {shown.get('DI')}")
    print(f"Reports: {args.output}/bias/report.html, {args.output}/explainability/report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
