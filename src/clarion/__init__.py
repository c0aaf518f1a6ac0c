"""clarion: run SageMaker Clarify analysis configs anywhere: bias metrics, SHAP, PDP and reports.

The Python API mirrors ``sagemaker.clarify``: change ``from sagemaker import clarify`` to
``import clarion as clarify`` and the processor runs the analysis locally (or on Spark).
"""

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

__version__ = "0.1.0"

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
