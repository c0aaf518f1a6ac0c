"""Build the reference analysis configs with the sagemaker SDK v2, without any AWS call.

    python tests/api_reference/make_sdk_configs.py --setup      # once: virtualenv with 'sagemaker<3'
    bench/.venvs/sagemaker/bin/python tests/api_reference/make_sdk_configs.py OUT.json [CASES.py [DIR]]

``--setup`` creates the virtualenv (default ``bench/.venvs/sagemaker``, or ``--venv PATH``) with the
interpreter running the script and installs ``sagemaker<3`` into it; it needs the package index.
Without ``--setup`` the script must run under that virtualenv: for each case of ``cases.py`` it calls
the SDK processor's ``run_*`` method, lets the SDK's own ``_run`` write the analysis config file and stops
it at the upload (the file's text is kept), checks the config against the SDK's
``ANALYSIS_CONFIG_SCHEMA_V1_0`` and writes
``{case: {"config": ..., "uploaded": text, "schema_error": null | str} | {"error": "ExceptionType: message"}}``
to OUT.json.
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


class Uploaded(Exception):
    """Raised in place of the S3 upload; carries the text of the config file the SDK wrote."""


def _uploaded_config(sdk_run: Any, processor: Any, data_config: Any, analysis_config: Any, *rest: Any) -> Any:
    """(the config, the text of the file the SDK's own ``_run`` wrote for upload)."""
    try:
        sdk_run(processor, data_config, analysis_config, *rest)
    except Uploaded as upload:
        return analysis_config, upload.args[0]
    raise RuntimeError("the SDK did not upload an analysis config")


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

    def stop_at_upload(local_path: str, *_: Any) -> str:
        raise Uploaded(Path(local_path).read_text(encoding="utf-8"))

    clarify._upload_analysis_config = stop_at_upload
    results: dict[str, object] = {}
    for name, (method, kwargs) in cases.CASES.items():
        processor = clarify.SageMakerClarifyProcessor.__new__(clarify.SageMakerClarifyProcessor)
        processor.job_name_prefix = None
        processor.skip_early_validation = True  # validated below, so that a schema error is recorded, not raised
        processor.sagemaker_session = None  # only handed to the upload, which is stopped
        processor._run = lambda *args, p=processor: _uploaded_config(clarify.SageMakerClarifyProcessor._run, p, *args)
        try:
            arguments = cases.instantiate(kwargs, clarify, scratch)
            config, uploaded = getattr(processor, method)(**arguments)
        except Exception as exc:  # every SDK refusal is recorded, whatever its type
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        try:
            clarify.ANALYSIS_CONFIG_SCHEMA_V1_0.validate(config)
            schema_error = None
        except Exception as exc:
            schema_error = str(exc)
        results[name] = {"config": config, "uploaded": uploaded, "schema_error": schema_error}
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
