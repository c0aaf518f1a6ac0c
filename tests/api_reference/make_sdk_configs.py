"""Build the reference analysis configs with the sagemaker SDK v2, without any AWS call.

    python tests/api_reference/make_sdk_configs.py --setup      # once: virtualenv with 'sagemaker<3'
    bench/.venvs/sagemaker/bin/python tests/api_reference/make_sdk_configs.py OUT.json [CASES.py [DIR]]

``--setup`` creates the virtualenv (default ``bench/.venvs/sagemaker``, or ``--venv PATH``) with the
interpreter running the script and installs ``sagemaker<3`` into it; it needs the package index.
Without ``--setup`` the script must run under that virtualenv: for each case of ``cases.py`` it calls
the SDK processor's ``run_*`` method with the job submission replaced by a function that returns the
analysis config, checks the config against the SDK's ``ANALYSIS_CONFIG_SCHEMA_V1_0`` and writes
``{case: {"config": ..., "schema_error": null | str} | {"error": "ExceptionType: message"}}`` to OUT.json.
``CASES.py`` (default ``cases.py`` here) is any module with a ``CASES`` dict and an ``instantiate`` function
in the same form; ``DIR`` replaces ``{out}`` in the case arguments (default ``/tmp/clarion-sdk-reference``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_VENV = HERE.parents[1] / "bench" / ".venvs" / "sagemaker"


def setup(venv: Path) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "sagemaker<3"], check=True)


def load_cases(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"clarion_sdk_cases_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build(out_path: Path, cases_path: Path = HERE / "cases.py", scratch: str = "/tmp/clarion-sdk-reference") -> None:
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    cases = load_cases(cases_path)
    from sagemaker import clarify  # noqa: E402

    results: dict[str, object] = {}
    for name, (method, kwargs) in cases.CASES.items():
        processor = clarify.SageMakerClarifyProcessor.__new__(clarify.SageMakerClarifyProcessor)
        processor.job_name_prefix = None
        processor._run = lambda data_config, analysis_config, *rest: analysis_config
        try:
            arguments = cases.instantiate(kwargs, clarify, scratch)
            config = getattr(processor, method)(**arguments)
        except Exception as exc:  # every SDK refusal is recorded, whatever its type
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        try:
            clarify.ANALYSIS_CONFIG_SCHEMA_V1_0.validate(config)
            schema_error = None
        except Exception as exc:
            schema_error = str(exc)
        results[name] = {"config": config, "schema_error": schema_error}
    results["__text_languages__"] = {"config": list(clarify.TextConfig._SUPPORTED_LANGUAGES)}
    out_path.write_text(json.dumps(results, indent=1), encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--setup":
        venv = Path(argv[2]) if len(argv) > 2 and argv[1] == "--venv" else DEFAULT_VENV
        setup(venv)
        return 0
    if not 1 <= len(argv) <= 3:
        print(__doc__, file=sys.stderr)
        return 2
    build(Path(argv[0]), *([Path(argv[1])] if len(argv) > 1 else []), *argv[2:3])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
