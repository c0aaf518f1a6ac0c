"""Processing-job mode: the SageMaker Processing layout under a root (``/opt/ml`` in a container).

Reads ``{root}/processing/input/config/analysis_config.json`` and the dataset under
``{root}/processing/input/data`` (a ``dataset_uri`` in the config wins), writes results to
``{root}/processing/output``. On failure it writes the reason (UTF-8, at most 1 KB is shown by
SageMaker) to ``{root}/output/message`` and returns a non-zero exit code.

Configs reach job mode from other systems, so a config that would make clarion run code
(``predictor.serve_command``, ``predictor.model_callable``, a pickle ``predictor.model_uri``) is refused
unless ``allow_code`` (``clarion job --allow-code``) or ``CLARION_ALLOW_CODE=1`` allows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from clarion.data.atomic import write_text_atomic
from clarion.errors import ClarionError
from clarion.predictors.trust import code_allowed_by_env, refuse_code
from clarion.results import layout

SUCCESS_MESSAGE = "Completed: clarion analysis ran successfully"


def job_paths(root: Path) -> tuple[Path, Path, Path, Path]:
    """(config file, data directory, output directory, failure message file) under ``root``."""
    processing = root / "processing"
    return (
        processing / "input" / "config" / layout.CONFIG_FILE,
        processing / "input" / "data",
        processing / "output",
        root / "output" / "message",
    )


def run_job(root: Path, *, allow_code: bool = False, workers: int | None = None) -> int:
    """Run the job; 0 on success, 1 on failure (with the reason in the message file and on stderr).

    ``workers``: as ``run_analysis``'s (None: every core)."""
    from clarion.config.load import load_config_and_raw
    from clarion.engine import run_analysis

    config_path, data_dir, output_dir, message_path = job_paths(root)
    try:
        config, raw = load_config_and_raw(config_path)
        if not (allow_code or code_allowed_by_env()):
            refuse_code(config)
        data_uri = None if config.dataset_uri else str(data_dir)
        # the config copy keeps its content
        run_analysis(raw, data_uri=data_uri, output_dir=str(output_dir), workers=workers)
    except ClarionError as exc:
        return _failed(message_path, f"{type(exc).__name__}: {exc}", f"clarion: error: {exc}")
    except Exception as exc:  # an unexpected failure still tells the job's user why (no traceback there)
        reason = f"InternalError: {type(exc).__name__}: {exc}"
        return _failed(message_path, reason, f"clarion: internal error: {type(exc).__name__}: {exc}")
    print(SUCCESS_MESSAGE, file=sys.stderr)
    return 0


def _failed(message_path: Path, reason: str, line: str) -> int:
    """Write the failure reason (first 1 KB, UTF-8) to the message file and stderr; the exit code 1."""
    try:
        write_text_atomic(message_path, reason.encode("utf-8")[:1024].decode("utf-8", "ignore"))
    except ClarionError as exc:
        print(f"clarion: error: cannot write {message_path}: {exc}", file=sys.stderr)
    print(line, file=sys.stderr)
    return 1
