"""Job mode runs configs handed over by other systems: keys that make clarion run code need --allow-code."""

from __future__ import annotations

import json
import os
import pickle
import sys

import numpy as np
import pandas as pd
import pytest

from clarion.cli import main
from clarion.config import load_config
from clarion.predictors.trust import code_keys

ROWS = [(1, 0, 1), (2, 1, 0), (3, 1, 1), (4, 0, 0), (5, 0, 1)] * 10


def x_parity(frame: pd.DataFrame) -> np.ndarray:
    """The model: predicts 1 for odd x."""
    return (frame["x"].to_numpy() % 2).astype(int)


CALLABLE = f"{x_parity.__module__}:x_parity"


def job_root(tmp_path, predictor: dict) -> object:
    root = tmp_path / "ml"
    (root / "processing" / "input" / "config").mkdir(parents=True)
    (root / "processing" / "input" / "data").mkdir(parents=True)
    config = {
        "dataset_type": "text/csv",
        "headers": ["x", "sex", "y"],
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
        "methods": {"post_training_bias": {"methods": ["DPPL"]}},
        "predictor": predictor,
    }
    (root / "processing" / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    (root / "processing" / "input" / "data" / "data.csv").write_text("".join(f"{a},{b},{c}\n" for a, b, c in ROWS))
    return root


def expected_dppl() -> float:
    """DPPL = q'_a - q'_d: rate of predicted 1 among sex != 1 minus among sex == 1, predictions x mod 2."""
    frame = pd.DataFrame(ROWS, columns=["x", "sex", "y"])
    predicted = frame["x"] % 2
    return float(predicted[frame["sex"] != 1].mean() - predicted[frame["sex"] == 1].mean())


def test_model_callable_is_refused_without_allow_code(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CLARION_ALLOW_CODE", raising=False)
    root = job_root(tmp_path, {"model_callable": CALLABLE})
    assert main(["job", "--root", str(root), "-q"]) == 1
    message = (root / "output" / "message").read_text()
    assert message == (
        "ConfigError: predictor.model_callable: clarion job does not run code named by a config "
        "(predictor.model_callable); if you trust this config, pass --allow-code or set CLARION_ALLOW_CODE=1"
    )
    assert not (root / "processing" / "output" / "analysis.json").exists()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_allow_code_by_flag_or_environment(tmp_path, monkeypatch, how):
    root = job_root(tmp_path, {"model_callable": CALLABLE})
    args = ["job", "--root", str(root), "-q"]
    if how == "flag":
        monkeypatch.delenv("CLARION_ALLOW_CODE", raising=False)
        args.append("--allow-code")
    else:
        monkeypatch.setenv("CLARION_ALLOW_CODE", "1")
    assert main(args) == 0
    analysis = json.loads((root / "processing" / "output" / "analysis.json").read_text())
    (metric,) = analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    assert metric["name"] == "DPPL" and metric["value"] == pytest.approx(expected_dppl())


def test_serve_command_never_starts_when_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("CLARION_ALLOW_CODE", raising=False)
    marker = tmp_path / "ran"
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()", "{port}"]
    root = job_root(tmp_path, {"serve_command": command})
    assert main(["job", "--root", str(root), "-q"]) == 1
    assert (root / "output" / "message").read_text().startswith("ConfigError: predictor.serve_command: ")
    assert not marker.exists()


class _Payload:
    """Unpickling this object creates a directory: a model file is code."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_pickle_model_file_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    monkeypatch.delenv("CLARION_ALLOW_CODE", raising=False)
    marker = tmp_path / "unpickled"
    model = tmp_path / "model.joblib"
    model.write_bytes(pickle.dumps(_Payload(str(marker))))
    root = job_root(tmp_path, {"model_uri": str(model)})
    assert main(["job", "--root", str(root), "-q"]) == 1
    assert (root / "output" / "message").read_text().startswith("ConfigError: predictor.model_uri: ")
    assert not marker.exists()
    # the same file, allowed: loading it runs its code (then clarion finds it is no model)
    assert main(["job", "--root", str(root), "-q", "--allow-code"]) == 1
    assert marker.is_dir()
    assert "not a model" in (root / "output" / "message").read_text()


def test_which_keys_run_code():
    def keys(predictor):
        return code_keys(load_config({"dataset_type": "text/csv", "methods": {"shap": {}}, "predictor": predictor}))

    assert keys({"model_uri": "s3://b/model.joblib"}) == ["predictor.model_uri"]
    assert keys({"model_uri": "m.pkl", "shadow": True}) == ["predictor.model_uri"]
    assert keys({"model_uri": "m.JSON"}) == [] and keys({"model_uri": "file:///m/model.txt"}) == []
    assert keys({"endpoint_url": "http://127.0.0.1:1"}) == [] and keys({"endpoint_name": "ep"}) == []
    assert keys({"serve_command": ["srv", "{port}"]}) == ["predictor.serve_command"]
