"""The AWS blog workflow "Explain a scikit-learn pipeline with SageMaker Clarify" on Abalone, run locally.

    python examples/abalone/run.py [--rows N] [--num-samples S] [--output DIR] [--bare-feature-names]

Chain: train (OneHotEncoder on Sex + numeric passthrough -> RandomForestRegressor) -> save the model (joblib)
-> write analysis_config.json with `clarion config` -> explain with SHAP against a shadow endpoint
(`clarion serve`, started and stopped by clarion) -> serve the model with `clarion serve` on a free
127.0.0.1 port and call it once -> plot local SHAP values read from explanations_shap/out.csv.

Writes into DIR (default out/abalone): model.joblib, test.csv, baseline.csv, analysis_config.json,
analysis.json, report.*, explanations_shap/out.csv, shap_local.png and summary.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import httpx
import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import clarion
from clarion.predictors.shadow import ShadowEndpoint

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "datasets" / "abalone" / "abalone.data"
HEADERS = [
    "Sex", "Length", "Diameter", "Height", "Whole weight", "Shucked weight", "Viscera weight", "Shell weight", "Rings",
]  # fmt: skip
LABEL = "Rings"
FEATURES = HEADERS[:-1]
SEED = 42


def load_abalone() -> pd.DataFrame:
    """The UCI file (no header row) with the blog's column names."""
    return pd.read_csv(DATA, header=None, names=HEADERS)


def split(frame: pd.DataFrame, rows: int | None, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle once; the first 20% (at most ``rows``) are explained, the rest train the model."""
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    n_test = len(shuffled) // 5
    test = shuffled.iloc[: min(n_test, rows) if rows else n_test]
    return shuffled.iloc[n_test:], test.reset_index(drop=True)


def train(frame: pd.DataFrame, seed: int = SEED) -> Pipeline:
    """The blog's pipeline: one-hot Sex, numeric columns passed through, a random forest on Rings."""
    encode = ColumnTransformer([("sex", OneHotEncoder(handle_unknown="ignore"), ["Sex"])], remainder="passthrough")
    forest = RandomForestRegressor(n_estimators=50, min_samples_leaf=2, random_state=seed, n_jobs=1)
    return Pipeline([("encode", encode), ("forest", forest)]).fit(frame[FEATURES], frame[LABEL])


def baseline_row(frame: pd.DataFrame) -> list[object]:
    """One typical abalone: the most frequent Sex and the median of each measurement."""
    return [frame["Sex"].mode().iloc[0], *(float(frame[c].median()) for c in FEATURES[1:])]


def write_config(out: Path, model: Path, baseline: Path, num_samples: int, bare_names: bool = False) -> Path:
    """analysis_config.json written by the `clarion config` command, as the blog's config function does;
    ``bare_names`` asks for out.csv columns named by the bare feature names, as Clarify's older releases wrote."""
    target = out / "analysis_config.json"
    command = [
        sys.executable, "-m", "clarion.cli", "config",
        "--headers", ",".join(HEADERS), "--label", LABEL,
        "--baseline", str(baseline), "--num-samples", str(num_samples), "--agg-method", "mean_abs",
        "--save-local-shap-values", "--seed", str(SEED),
        "--model", str(model), "--shadow", "--content-type", "text/csv", "--accept-type", "text/csv",
        "--report-name", "report", "--title", "Abalone SHAP report",
        "--output", str(target),
    ] + (["--bare-feature-names"] if bare_names else [])  # fmt: skip
    subprocess.run(command, check=True)
    return target


def serve_and_call(model: Path, rows: pd.DataFrame) -> tuple[list[float], int]:
    """Serve the model with `clarion serve` on a free port, send ``rows`` as CSV once; (scores, server pid)."""
    command = [sys.executable, "-m", "clarion.cli", "serve", str(model), "--port", "{port}", "--host", "127.0.0.1"]
    with ShadowEndpoint(command) as endpoint:
        assert endpoint.process is not None and endpoint.url is not None
        pid = endpoint.process.pid
        body = rows[FEATURES].to_csv(header=False, index=False)
        answer = httpx.post(
            f"{endpoint.url}/invocations", content=body, headers={"Content-Type": "text/csv", "Accept": "text/csv"}
        )
        answer.raise_for_status()
    return [float(line) for line in answer.text.split()], pid


def local_shap(out: Path) -> pd.DataFrame:
    """explanations_shap/out.csv with bare feature names (the `_label0` suffix stripped when present)."""
    frame = pd.read_csv(out / "explanations_shap" / "out.csv")
    frame.columns = frame.columns.str.removesuffix("_label0")
    return frame


def plot_local_shap(shap_values: pd.DataFrame, path: Path) -> Path:
    """A beeswarm-like strip plot: one dot per row and feature, features ordered by mean |SHAP|."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = shap_values.abs().mean().sort_values().index.tolist()
    rng = np.random.default_rng(SEED)
    figure, axes = plt.subplots(figsize=(7, 0.45 * len(order) + 1.2))
    for position, feature in enumerate(order):
        values = shap_values[feature].to_numpy()
        jitter = rng.uniform(-0.18, 0.18, size=len(values))
        axes.scatter(values, position + jitter, s=8, alpha=0.6, color="tab:blue")
    axes.axvline(0.0, color="grey", linewidth=0.8)
    axes.set_yticks(range(len(order)), order)
    axes.set_xlabel("SHAP value (rings)")
    axes.set_title(f"Local SHAP values of {len(shap_values)} abalones")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def run(rows: int | None, output: Path, num_samples: int = 20, bare_names: bool = False) -> dict[str, object]:
    """The whole chain; returns (and writes as summary.json) what it produced."""
    output.mkdir(parents=True, exist_ok=True)
    train_rows, test_rows = split(load_abalone(), rows)
    pipeline = train(train_rows)
    model = output / "model.joblib"
    joblib.dump(pipeline, model)
    test_csv = output / "test.csv"
    test_rows.to_csv(test_csv, header=False, index=False)
    baseline = output / "baseline.csv"
    pd.DataFrame([baseline_row(train_rows)]).to_csv(baseline, header=False, index=False)

    config = write_config(output, model, baseline, num_samples, bare_names)
    analysis = clarion.run_analysis(str(config), data_uri=str(test_csv), output_dir=output, quiet=True)
    scores, server_pid = serve_and_call(model, test_rows.head(3))
    plot = plot_local_shap(local_shap(output), output / "shap_local.png")

    shap = analysis["explanations"]["kernel_shap"]["label0"]
    summary: dict[str, object] = {
        "rows_explained": len(test_rows),
        "expected_value": shap["expected_value"],
        "global_shap_values": shap["global_shap_values"],
        "served_predictions": scores,
        "server_pid": server_pid,
        "plot": str(plot),
        "out_csv_columns": list(pd.read_csv(output / "explanations_shap" / "out.csv", nrows=0).columns),
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="explain at most N test rows (default: all 835)")
    parser.add_argument("--num-samples", type=int, default=20, help="SHAP coalitions per row (blog: 20)")
    parser.add_argument("--output", type=Path, default=ROOT / "out" / "abalone")
    parser.add_argument(
        "--bare-feature-names", action="store_true",
        help="name out.csv columns by the bare feature names, as Clarify's older releases (and the blog's code) did",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        summary = run(args.rows, args.output, args.num_samples, args.bare_feature_names)
    except clarion.ClarionError as exc:
        print(f"abalone example: {exc}", file=sys.stderr)
        return 1
    ranked = sorted(summary["global_shap_values"].items(), key=lambda kv: -kv[1])  # type: ignore[union-attr]
    print(f"Explained {summary['rows_explained']} abalones; mean |SHAP| (rings):")
    for name, value in ranked:
        print(f"  {name:<15} {value:.3f}")
    print(f"clarion serve answered {summary['served_predictions']} for the first 3 rows")
    print(f"Wrote {args.output}/analysis.json, report.html and {summary['plot']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
