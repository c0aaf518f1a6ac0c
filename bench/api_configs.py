"""Building analysis configs: the sagemaker SDK v2 vs clarion.api, over every case of the parity tests.

Run:  .venv/bin/python bench/api_configs.py [--repeat 200]
The SDK runs in its own virtualenv (bench/.venvs/sagemaker, created here when missing) through a
subprocess; each side builds every successful case ``--repeat`` times through the processor's run_*
method with the job submission replaced by schema validation (no AWS call, no engine run), and the
script prints the time per config of each side, the ratio, and whether both sides built identical configs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".venvs" / "sagemaker"
CASES_FILE = ROOT / "tests" / "api_reference" / "cases.py"

SDK_SIDE = r"""
import json, sys, time, importlib.util
spec = importlib.util.spec_from_file_location("cases", sys.argv[1]); cases = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cases)
from sagemaker import clarify
repeat = int(sys.argv[2]); configs = {}; built = 0
start = time.perf_counter()
for name, (method, kwargs) in cases.CASES.items():
    for _ in range(repeat):
        p = clarify.SageMakerClarifyProcessor.__new__(clarify.SageMakerClarifyProcessor)
        p.job_name_prefix = None
        schema = clarify.ANALYSIS_CONFIG_SCHEMA_V1_0
        p._run = lambda data_config, analysis_config, *rest: (schema.validate(analysis_config), analysis_config)[1]
        try:
            configs[name] = getattr(p, method)(**cases.instantiate(kwargs, clarify, "/tmp/bench"))
            built += 1
        except Exception:
            break
print(json.dumps({"seconds": time.perf_counter() - start, "built": built, "configs": configs}))
"""


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "sagemaker<3"], check=True)
    return python


def clarion_side(cases: Any, repeat: int) -> tuple[float, int, dict[str, Any]]:
    import clarion.api as api
    import clarion.api.processor as processor_module

    processor_module._engine_runner = lambda: lambda config, **kwargs: {}
    logging.getLogger("clarion.api.explain").setLevel(logging.ERROR)  # the text-config advice, once per build
    configs: dict[str, Any] = {}
    built = 0
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        for name, (method, kwargs) in cases.CASES.items():
            for _ in range(repeat):
                processor = api.ClarifyProcessor(quiet=True)
                try:
                    getattr(processor, method)(**cases.instantiate(kwargs, api, scratch))
                except api.ArgumentError:
                    break
                configs[name] = processor._last_analysis_config
                built += 1
        seconds = time.perf_counter() - start
    return seconds, built, configs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    spec = importlib.util.spec_from_file_location("cases", CASES_FILE)
    assert spec is not None and spec.loader is not None
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)

    python = ensure_venv()
    env = {"SAGEMAKER_SUPPRESS_V2_WARNING": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [str(python), "-c", SDK_SIDE, str(CASES_FILE), str(repeat)], check=True, capture_output=True, text=True, env=env
    )
    sdk = json.loads(out.stdout.strip().splitlines()[-1])
    seconds, built, configs = clarion_side(cases, repeat)
    same = configs == sdk["configs"]
    sdk_ms = 1000 * sdk["seconds"] / max(sdk["built"], 1)
    clarion_ms = 1000 * seconds / max(built, 1)
    print(f"cases: {len(configs)} built configs, x{repeat} each; identical to the SDK: {same}")
    print("both sides validate each config (SDK: its schema; clarion: load_config); clarion also writes the file")
    print(f"sdk      {sdk_ms:8.3f} ms per config")
    print(f"clarion  {clarion_ms:8.3f} ms per config   ratio clarion/sdk = {clarion_ms / sdk_ms:.2f}")


if __name__ == "__main__":
    main()
