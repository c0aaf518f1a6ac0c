"""Shared helpers for the example tests: run an example script as a user would, find leftover servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, output: Path, *args: str) -> dict:
    """Run ``examples/<name>/run.py --output OUTPUT ARGS`` in a fresh interpreter; return its summary.json."""
    script = ROOT / "examples" / name / "run.py"
    done = subprocess.run(
        [sys.executable, str(script), "--output", str(output), *args], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((output / "summary.json").read_text())


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def mean_abs(values: np.ndarray) -> np.ndarray:
    return np.abs(values).mean(axis=0)
