"""Kill test: `clarion run` killed with SIGKILL at random moments leaves exactly one complete run, no temp files."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clarion.results import layout, verify_run
from clarion.results.store import STAGING_MARK

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ["x", "sex", "y"]
PREVIOUS = {  # a quick bias run, no report
    "dataset_type": "text/csv",
    "headers": HEADERS,
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    "methods": {"pre_training_bias": {"methods": ["CI"]}},
}
NEW = dict(  # more files and a longer write: all metrics and the three reports
    PREVIOUS, methods={"pre_training_bias": {"methods": "all"}, "report": {"name": "audit", "title": "Kill test"}}
)
RUNS = 24


def clarion(config: Path, data: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, "-m", "clarion.cli", "run", str(config), "-d", str(data), "-o", str(out), "-q"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def state_of(out: Path) -> tuple[frozenset[str], bytes]:
    """(file names, analysis.json bytes) of the one complete run in ``out``; fails on anything else."""
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    manifest = verify_run(out)  # every hash matches
    assert manifest is not None, f"no manifest: {sorted(on_disk)}"
    assert on_disk == set(manifest) | {layout.MANIFEST_FILE}, f"files beside the run: {on_disk - set(manifest)}"
    return frozenset(manifest), (out / layout.ANALYSIS_FILE).read_bytes()


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_one_complete_run(tmp_path):
    rows = "".join(f"{i},{i % 3 == 0:d},{(i * 7) % 5 < 2:d}\n" for i in range(400))
    (tmp_path / "data.csv").write_text(rows)
    (tmp_path / "previous.json").write_text(json.dumps(PREVIOUS))
    (tmp_path / "new.json").write_text(json.dumps(NEW))
    data, work = tmp_path / "data.csv", tmp_path / "work"
    work.mkdir()
    references = {}
    for name in ("previous", "new"):
        started = time.monotonic()
        assert clarion(tmp_path / f"{name}.json", data, tmp_path / f"ref-{name}").wait() == 0
        references[name] = (state_of(tmp_path / f"ref-{name}"), time.monotonic() - started)
    (previous_state, _), (new_state, duration) = references["previous"], references["new"]
    assert previous_state != new_state
    rng = random.Random(20261130)
    # two fixed moments (before anything, never) and random ones, half of them near the end of the run
    delays = [0.0, None] + [
        rng.uniform(0, 1.1 * duration) if k % 2 else rng.uniform(0.75 * duration, 1.1 * duration)
        for k in range(RUNS - 2)
    ]
    outcomes = []
    for delay in delays:
        out = work / "out"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(tmp_path / "ref-previous", out)
        process = clarion(tmp_path / "new.json", data, out)
        if delay is not None:
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
        process.wait()
        state = state_of(out)
        assert state in (previous_state, new_state)
        outcomes.append("new" if state == new_state else "previous")
        leftovers = [p.name for p in work.iterdir() if p.name != "out"]
        assert all(name.startswith(f".out{STAGING_MARK}") for name in leftovers), leftovers
    assert len(outcomes) == RUNS and outcomes[0] == "previous" and outcomes[1] == "new"
    # the next run in that place removes what killed runs left beside it
    assert clarion(tmp_path / "new.json", data, work / "out").wait() == 0
    assert [p.name for p in work.iterdir()] == ["out"]
    assert state_of(work / "out") == new_state
    print(f"kill outcomes: {outcomes.count('previous')} previous, {outcomes.count('new')} new")
