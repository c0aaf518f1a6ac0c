"""Reference implementations for tests, each in its own virtualenv: the sagemaker SDK v2 and smclarify.

    python tests/reference_tools.py --setup     # once: bench/.venvs/sagemaker and bench/.venvs/smclarify

``CLARION_SAGEMAKER_PYTHON`` / ``CLARION_SMCLARIFY_PYTHON`` point at other interpreters. A test that needs
one fails (it does not skip) when the interpreter is missing, with the command that creates it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / "bench" / ".venvs"
REFERENCE_DIR = ROOT / "tests" / "api_reference"
SETUP = "python tests/reference_tools.py --setup"
SMCLARIFY_PACKAGES = ("smclarify", "pandas<3", "scikit-learn")


def sagemaker_python() -> str:
    """The interpreter that has the sagemaker SDK v2."""
    return _interpreter("CLARION_SAGEMAKER_PYTHON", VENVS / "sagemaker")


def smclarify_python() -> str:
    """The interpreter that has smclarify (with pandas<3, which smclarify needs)."""
    return _interpreter("CLARION_SMCLARIFY_PYTHON", VENVS / "smclarify")


def _interpreter(variable: str, venv: Path) -> str:
    python = os.environ.get(variable, str(venv / "bin" / "python"))
    if not Path(python).exists():
        pytest.fail(f"reference interpreter {python} is missing; run: {SETUP} (or set {variable})")
    return python


def sdk_configs(cases_file: Path, scratch: Path) -> dict[str, Any]:
    """The configs the SDK builds for every case of ``cases_file`` (``{out}`` replaced by ``scratch``)."""
    out = scratch / f"sdk_{cases_file.stem}.json"
    env = {**os.environ, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}
    command = [sagemaker_python(), str(REFERENCE_DIR / "make_sdk_configs.py"), str(out), str(cases_file), str(scratch)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the SDK reference failed:\n{done.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def run_smclarify(script: str, payload: Any) -> Any:
    """Run ``script`` under smclarify's interpreter, ``payload`` as JSON in argv[1]; its last stdout line, parsed."""
    done = subprocess.run([smclarify_python(), "-c", script, json.dumps(payload)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the smclarify reference failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def setup() -> None:
    """Create both reference virtualenvs (needs the package index)."""
    subprocess.run([sys.executable, str(REFERENCE_DIR / "make_sdk_configs.py"), "--setup"], check=True)
    venv = VENVS / "smclarify"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if subprocess.run([str(python), "-c", "import smclarify.bias.report"], capture_output=True).returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *SMCLARIFY_PACKAGES], check=True)


def assert_same_values(ours: Any, theirs: Any, path: str = "", tol: float = 1e-9) -> None:
    """Equal JSON documents, numbers equal within ``tol`` (relative and absolute); names the differing path."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{path}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_same_values(ours[key], theirs[key], f"{path}.{key}", tol)
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours!r} != {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_values(a, b, f"{path}[{i}]", tol)
    elif isinstance(theirs, float) and not isinstance(ours, bool) and isinstance(ours, (int, float)):
        assert ours == pytest.approx(theirs, rel=tol, abs=tol), f"{path}: {ours!r} != {theirs!r}"
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--setup"]:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    setup()
