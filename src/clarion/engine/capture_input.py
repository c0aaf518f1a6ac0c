"""Runs on SageMaker data capture (``dataset_type: application/sagemakercapturejson``).

The captured requests are the dataset (columns named by ``headers``, without the label) and the captured
responses the model's predictions, read as a live model's answers (``predictor`` accept type, label,
probability, ``probability_threshold``). The capture files become a header-less CSV in a scratch folder,
and the run uses the derived CSV config (``clarion.monitor.capture``); analysis_config.json keeps the config
as given. Bias metrics need labels, which capture files lack: ``clarion monitor run --ground-truth``
merges Model Monitor's ground-truth files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clarion.config import AnalysisConfig
from clarion.config.load import load_config
from clarion.errors import ConfigError
from clarion.monitor.capture import CAPTURE_TYPE, capture_dataset


def is_capture_config(config: AnalysisConfig) -> bool:
    return config.dataset_type == CAPTURE_TYPE


def captured_as_csv(
    config: AnalysisConfig, raw: dict[str, Any], data_uri: str, scratch: Path
) -> tuple[AnalysisConfig, str]:
    """The derived CSV config and the CSV file of the captured rows at ``data_uri``."""
    m = config.methods
    if m.pre_training_bias is not None or m.post_training_bias is not None:
        raise ConfigError(
            f"dataset_type: {CAPTURE_TYPE} holds no labels, which the bias methods need; run the bias analysis "
            "with clarion monitor run --ground-truth (Model Monitor's ground-truth files)"
        )
    derived, path = capture_dataset(config, raw, data_uri, None, scratch)  # the answers: predicted_label column
    return load_config(derived), str(path)
