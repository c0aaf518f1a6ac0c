"""Start-up: ``clarion --help`` and ``clarion validate`` of a config that calls no model import none of the heavy
libraries (pandas, httpx, boto3, scikit-learn, matplotlib...). Checked in a fresh interpreter through
``sys.modules``, not by timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = ROOT / "examples" / "adult" / "analysis_config.json"
HEAVY = ("pandas", "numpy", "pyarrow", "httpx", "boto3", "botocore", "sklearn", "scipy", "matplotlib", "fsspec")

# Runs the CLI's entry point in a fresh interpreter, then prints the exit code and which heavy packages loaded.
PROBE = """
import json, os, sys
from clarion.cli import main
code = main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(os.environ["HEAVY"])))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def probe(*args: str) -> dict:
    env = {**os.environ, "HEAVY": json.dumps(HEAVY)}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_imports_no_heavy_library():
    assert probe("--help") == {"code": 0, "heavy": []}


def test_validate_of_the_bundled_example_imports_no_heavy_library():
    assert probe("validate", str(EXAMPLE_CONFIG)) == {"code": 0, "heavy": []}


def test_validate_with_segments_and_a_facet_dataset_imports_no_heavy_library(tmp_path):
    config = json.loads(EXAMPLE_CONFIG.read_text())
    config["segment_config"] = [{"name_or_index": "age", "segments": [["(30, 50]"]]}]
    config["facet_dataset_uri"] = "facets.csv"
    config["facet_headers"] = ["sex2"]
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(config))
    assert probe("validate", str(path)) == {"code": 0, "heavy": []}


def test_validate_of_a_config_calling_a_model_loads_the_transports(tmp_path):
    """The probe can see an import: checking whether a model can be called loads the predictors' transports."""
    config = json.loads(EXAMPLE_CONFIG.read_text())
    config["methods"] = {"post_training_bias": {"methods": ["DPPL"]}}
    config["predictor"] = {"model_uri": str(tmp_path / "missing.joblib")}
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(config))
    result = probe("validate", str(path))
    assert result["code"] == 1
    assert "httpx" in result["heavy"]
