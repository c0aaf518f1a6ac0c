"""The analysis-config model: parse Clarify's JSON into typed, validated objects."""

from clarion.config.load import load_config
from clarion.config.methods import (
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    ImageConfig,
    Methods,
    PdpConfig,
    ReportConfig,
    ShapConfig,
    TextConfig,
)
from clarion.config.model import AnalysisConfig, Facet
from clarion.config.predictor import PredictorConfig

__all__ = [
    "POST_TRAINING_METRICS",
    "PRE_TRAINING_METRICS",
    "AnalysisConfig",
    "Facet",
    "ImageConfig",
    "Methods",
    "PdpConfig",
    "PredictorConfig",
    "ReportConfig",
    "ShapConfig",
    "TextConfig",
    "load_config",
]
