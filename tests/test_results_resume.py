"""Kernel SHAP checkpoints: saved chunks are reused by --resume only for the same run; a run killed during the
explain pass and resumed gives the same bytes as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clarion.config.load import load_config_and_raw
from clarion.engine import run_analysis
from clarion.engine.checkpoint import ShapCheckpoint, checkpoint_folder, run_fingerprint
from clarion.explain import ShapResult
from clarion.results import layout

ROOT = Path(__file__).resolve().parents[1]
ROWS, CHUNK = 240, 20


def write_data(folder: Path) -> Path:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.normal(size=(ROWS, 3)).round(4), columns=["x1", "x2", "x3"])
    frame["y"] = (frame["x1"] > 0).astype(int)
    path = folder / "data.csv"
    frame.to_csv(path, header=False, index=False)
    return path


def shap_config(seed: int = 5) -> dict:
    return {
        "dataset_type": "text/csv",
        "headers": ["x1", "x2", "x3", "y"],
        "label": "y",
        "joinsource_name_or_index": None,
        "methods": {"shap": {"baseline": [[0.0, 0.0, 0.0]], "num_samples": 6, "seed": seed, "agg_method": "mean_abs"}},
        "predictor": {"model_callable": "slow_model:score"},
    }


def fake_chunk(rows: int) -> ShapResult:
    """Values no model gives: 7.0 everywhere, so a row read from the checkpoint is recognisable."""
    return ShapResult(
        feature_names=("x1", "x2", "x3"),
        output_names=("label0",),
        values=np.full((rows, 3, 1), 7.0),
        stderr=np.zeros((rows, 3, 1)),
        base_values=np.full((rows, 1), 0.5),
        expected_value=np.array([0.5]),
        num_samples=6,
        exact=True,
        model_rows=0,
    )


@pytest.fixture
def fast_model(monkeypatch):
    import slow_model

    monkeypatch.setattr(slow_model, "PAUSE_SECONDS", 0.0)


def test_saved_chunks_are_used_only_on_resume_of_the_same_run(tmp_path, fast_model):
    data = write_data(tmp_path)
    out = tmp_path / "out"
    config = shap_config()
    _, raw = load_config_and_raw(config)
    fingerprint = run_fingerprint(raw, str(data), None, CHUNK)
    checkpoint = ShapCheckpoint(checkpoint_folder(out), fingerprint, resume=False)
    checkpoint.save(40, fake_chunk(CHUNK))  # rows 40..59 "already explained"

    def local_values(**options) -> pd.DataFrame:
        run_analysis(config | options.pop("config", {}), data_uri=str(data), output_dir=out, quiet=True,
                     chunk_rows=CHUNK, **options)  # fmt: skip
        return pd.read_csv(out / layout.LOCAL_SHAP_CSV)

    resumed = local_values(resume=True)
    assert (resumed.iloc[40:60] == 7.0).all().all()
    assert not (resumed.iloc[:40] == 7.0).any().any() and not (resumed.iloc[60:] == 7.0).any().any()
    assert not checkpoint_folder(out).exists()  # removed with the committed run

    ShapCheckpoint(checkpoint_folder(out), fingerprint, resume=False).save(40, fake_chunk(CHUNK))
    assert not (local_values(resume=False).iloc[40:60] == 7.0).any().any()  # without --resume: explained anew

    ShapCheckpoint(checkpoint_folder(out), fingerprint, resume=False).save(40, fake_chunk(CHUNK))
    other_seed = {"methods": {"shap": dict(shap_config()["methods"]["shap"], seed=6)}}
    assert not (local_values(resume=True, config=other_seed).iloc[40:60] == 7.0).any().any()  # another run's


def clarion(config: Path, data: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]))
    command = [sys.executable, "-m", "clarion.cli", "run", str(config), "-d", str(data), "-o", str(out), "-q",
               "--chunk-rows", str(CHUNK), *extra]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_resume_after_sigkill_during_the_explain_pass_gives_the_same_bytes(tmp_path):
    data = write_data(tmp_path)
    config = tmp_path / "config.json"
    document = shap_config()
    document["methods"]["pdp"] = {"grid_resolution": 4, "features": ["x1"]}
    config.write_text(json.dumps(document))
    reference = tmp_path / "reference"
    assert clarion(config, data, reference).wait() == 0
    out = tmp_path / "out"
    saved = checkpoint_folder(out)
    process = clarion(config, data, out)
    deadline = time.monotonic() + 120
    while len(list(saved.glob("chunk-*.npz"))) < 3:  # three chunks explained: the pass is under way
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(list(saved.glob("chunk-*.npz")))
    assert 3 <= done_before < ROWS // CHUNK and not out.exists()
    resumed = clarion(config, data, out, "--resume")
    assert resumed.wait() == 0, resumed.stderr.read().decode()[-2000:]
    assert run_files(out) == run_files(reference)
    assert set(run_files(out)) == {"analysis.json", "analysis_config.json", layout.BASELINE_CSV, layout.LOCAL_SHAP_CSV,
                                   layout.MANIFEST_FILE}  # fmt: skip
    assert not saved.exists()
