"""clarion: run SageMaker Clarify analysis configs anywhere: bias metrics, SHAP, PDP and reports.

The Python API mirrors ``sagemaker.clarify``: change ``from sagemaker import clarify`` to
``import clarion as clarify`` and the processor runs the analysis locally (or on Spark).

Names are loaded on first use, so ``import clarion`` and the command line start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion._exports import lazy_names

if TYPE_CHECKING:
    from clarion.api import (
        BiasConfig,
        ClarifyProcessor,
        DataConfig,
        ImageConfig,
        ModelConfig,
        ModelPredictedLabelConfig,
        PDPConfig,
        SageMakerClarifyProcessor,
        SHAPConfig,
        TextConfig,
    )
    from clarion.card import build_card, write_card
    from clarion.config import load_config
    from clarion.engine import run_analysis
    from clarion.errors import ClarionError, ConfigError, DataError, NotSupportedError, OutputError, PredictorError
    from clarion.monitor import Monitor

__version__ = "0.1.0"

_EXPORTS = {
    "api": (
        "BiasConfig", "ClarifyProcessor", "DataConfig", "ImageConfig", "ModelConfig", "ModelPredictedLabelConfig",
        "PDPConfig", "SHAPConfig", "SageMakerClarifyProcessor", "TextConfig",
    ),
    "card": ("build_card", "write_card"),
    "config": ("load_config",),
    "engine": ("run_analysis",),
    "errors": ("ClarionError", "ConfigError", "DataError", "NotSupportedError", "OutputError", "PredictorError"),
    "monitor": ("Monitor",),
}  # fmt: skip
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "BiasConfig",
    "ClarifyProcessor",
    "ClarionError",
    "ConfigError",
    "DataConfig",
    "DataError",
    "ImageConfig",
    "ModelConfig",
    "ModelPredictedLabelConfig",
    "Monitor",
    "NotSupportedError",
    "OutputError",
    "PDPConfig",
    "PredictorError",
    "SHAPConfig",
    "SageMakerClarifyProcessor",
    "TextConfig",
    "build_card",
    "load_config",
    "run_analysis",
    "write_card",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, __all__)
