"""Python API mirroring ``sagemaker.clarify`` (SDK v2): the same config classes and processor, run locally.

    from clarion.api import ClarifyProcessor, DataConfig, BiasConfig

    data = DataConfig(s3_data_input_path="datasets/adult/adult.data", s3_output_path="out/", label="Target",
                      headers=[...], dataset_type="text/csv")
    bias = BiasConfig(label_values_or_threshold=[">50K"], facet_name="Sex", facet_values_or_threshold=["Female"])
    ClarifyProcessor().run_pre_training_bias(data, bias)

Every ``run_*`` writes the ``analysis_config.json`` the SDK would write for the same arguments, then runs it.
The ``build_*`` functions return that config without running anything.
"""

from clarion.api._common import ArgumentError
from clarion.api.bias import BiasConfig
from clarion.api.data import (
    DataConfig,
    DatasetType,
    SegmentationConfig,
    TimeSeriesDataConfig,
    TimeSeriesJSONDatasetFormat,
)
from clarion.api.explain import (
    AsymmetricShapleyValueConfig,
    ExplainabilityConfig,
    ImageConfig,
    PDPConfig,
    SHAPConfig,
    TextConfig,
)
from clarion.api.generator import (
    build_bias,
    build_bias_and_explainability,
    build_explainability,
    build_post_training_bias,
    build_pre_training_bias,
)
from clarion.api.model import ModelConfig, ModelPredictedLabelConfig, TimeSeriesModelConfig
from clarion.api.processor import ClarifyProcessor, SageMakerClarifyProcessor

__all__ = [
    "ArgumentError",
    "AsymmetricShapleyValueConfig",
    "BiasConfig",
    "ClarifyProcessor",
    "DataConfig",
    "DatasetType",
    "ExplainabilityConfig",
    "ImageConfig",
    "ModelConfig",
    "ModelPredictedLabelConfig",
    "PDPConfig",
    "SHAPConfig",
    "SageMakerClarifyProcessor",
    "SegmentationConfig",
    "TextConfig",
    "TimeSeriesDataConfig",
    "TimeSeriesJSONDatasetFormat",
    "TimeSeriesModelConfig",
    "build_bias",
    "build_bias_and_explainability",
    "build_explainability",
    "build_post_training_bias",
    "build_pre_training_bias",
]
