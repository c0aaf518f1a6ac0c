"""Which config keys make clarion run code, and the rule for configs handed over by other systems.

A config runs code when it names a command (``predictor.serve_command``), a Python function
(``predictor.model_callable``) or a pickle/joblib model file (``predictor.model_uri`` other than an XGBoost
or LightGBM file: unpickling runs whatever the file says). ``clarion run`` and the Python API run them (the
user chose the config); ``clarion job`` refuses them unless ``--allow-code`` or ``CLARION_ALLOW_CODE=1``.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from clarion.config.model import AnalysisConfig
from clarion.errors import ConfigError
from clarion.predictors.models import LIGHTGBM_SUFFIXES, XGBOOST_SUFFIXES

ALLOW_CODE_ENV = "CLARION_ALLOW_CODE"


def code_keys(config: AnalysisConfig) -> list[str]:
    """The key paths of ``config`` that make clarion run code, in config order."""
    p = config.predictor
    if p is None:
        return []
    keys = []
    if p.model_uri is not None and not is_data_model_file(p.model_uri):
        keys.append("predictor.model_uri")
    if p.model_callable is not None:
        keys.append("predictor.model_callable")
    if p.serve_command is not None:
        keys.append("predictor.serve_command")
    return keys


def is_data_model_file(uri: str) -> bool:
    """True for model files read as data (XGBoost, LightGBM), False for pickle/joblib files (code)."""
    suffix = PurePosixPath(uri.split("?", 1)[0]).suffix.lower()
    return suffix in XGBOOST_SUFFIXES + LIGHTGBM_SUFFIXES


def code_allowed_by_env() -> bool:
    """``CLARION_ALLOW_CODE`` is 1 / true / yes."""
    return os.environ.get(ALLOW_CODE_ENV, "").strip().lower() in ("1", "true", "yes")


def refuse_code(config: AnalysisConfig) -> None:
    """ConfigError naming the first key that would run code (job mode without --allow-code)."""
    keys = code_keys(config)
    if keys:
        raise ConfigError(
            f"{keys[0]}: clarion job does not run code named by a config ({', '.join(keys)}); "
            f"if you trust this config, pass --allow-code or set {ALLOW_CODE_ENV}=1"
        )
