"""Build the reference analysis configs with the sagemaker SDK v2, without any AWS call.

    python tests/api_reference/make_sdk_configs.py --setup      # once: virtualenv with 'sagemaker<3'
    bench/.venvs/sagemaker/bin/python tests/api_reference/make_sdk_configs.py OUT.json

``--setup`` creates the virtualenv (default ``bench/.venvs/sagemaker``, or ``--venv PATH``) with the
interpreter running the script and installs ``sagemaker<3`` into it; it needs the package index.
Without ``--setup`` the script must run under that virtualenv: for each case of ``cases.py`` it calls
the SDK processor's ``run_*`` method with the job submission replaced by a function that returns the
analysis config, checks the config against the SDK's ``ANALYSIS_CONFIG_SCHEMA_V1_0`` and writes
``{case: {"config": ..., "schema_error": null | str} | {"error": "ExceptionType: message"}}`` to OUT.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_VENV = HERE.parents[1] / "bench" / ".venvs" / "sagemaker"


def setup(venv: Path) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "sagemaker<3"], check=True)


def build(out_path: Path) -> None:
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    sys.path.insert(0, str(HERE))
    import cases  # noqa: E402
    from sagemaker import clarify  # noqa: E402

    results: dict[str, object] = {}
    for name, (method, kwargs) in cases.CASES.items():
        processor = clarify.SageMakerClarifyProcessor.__new__(clarify.SageMakerClarifyProcessor)
        processor.job_name_prefix = None
        processor._run = lambda data_config, analysis_config, *rest: analysis_config
        try:
            arguments = cases.instantiate(kwargs, clarify, "/tmp/clarion-sdk-reference")
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
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    build(Path(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
