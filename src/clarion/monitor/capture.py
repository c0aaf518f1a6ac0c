"""A monitoring window from SageMaker data capture: captured requests are the features, captured responses the
predicted labels, and ground truth (Model Monitor's merge format) the labels.

The window is written as a header-less CSV and analysed with a derived config: ``dataset_type`` text/csv,
``headers`` = the config's headers without the label (the captured request columns, in order), then the label
(when ground truth is given), then ``predicted_label`` (the captured model answers, read with the predictor's
``accept_type``/``label``/``probability``/``label_headers`` and ``probability_threshold``, as Clarify reads a
live model). The model is still called for SHAP and PDP.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import fsspec

from clarion.config import AnalysisConfig
from clarion.config.columns import resolve
from clarion.data.capture_reader import (
    merge_ground_truth,
    parse_inputs,
    parse_outputs,
    read_capture,
    read_ground_truth,
)
from clarion.data.sources import list_files
from clarion.errors import ConfigError, DataError
from clarion.predictors.codecs import ResponseCodec
from clarion.predictors.predictions import predicted_labels

CAPTURE_TYPE = "application/sagemakercapturejson"
CAPTURED_DATA_FILE = "captured_data.csv"


def is_capture(uri: str) -> bool:
    """True when the first file at ``uri`` starts with a data-capture record (a JSON object whose first line
    holds ``"captureData"``); only its first 64 KiB are read."""
    try:
        first = list_files(uri)[0]
        with fsspec.open(first.uri, "rt", encoding="utf-8") as handle:
            head = handle.read(1 << 16)
    except (DataError, OSError, UnicodeDecodeError, IndexError):
        return False
    line = head.lstrip().split("\n", 1)[0]
    return line.startswith("{") and '"captureData"' in line


def _name(ref: str | int | None, headers: list[str], key: str) -> str | None:
    """A column named by index is looked up in ``headers``; a name is kept (the label may come from ground truth)."""
    return ref if ref is None or isinstance(ref, str) else resolve(ref, headers, key, "headers")


def _codec(config: AnalysisConfig) -> ResponseCodec:
    p = config.predictor
    if p is None:
        return ResponseCodec(accept_type="text/csv")
    accept = p.accept_type or p.content_type or "text/csv"
    headers = tuple(str(h) for h in p.label_headers) if p.label_headers else None
    return ResponseCodec(accept_type=accept, label=p.label, probability=p.probability, label_headers=headers)


def capture_dataset(
    config: AnalysisConfig, raw: dict[str, Any], capture_uri: str, ground_truth_uri: str | None, folder: Path
) -> tuple[dict[str, Any], Path]:
    """Write the captured window as ``folder/captured_data.csv``; return the derived config and the file."""
    if not config.headers:
        raise ConfigError("headers: required to name the columns of captured requests")
    headers = list(config.headers)
    label = _name(config.label, headers, "label")
    old_predicted = _name(config.predicted_label, headers, "predicted_label")
    columns = [h for h in headers if h not in (label, old_predicted)]
    records = read_capture(capture_uri)
    frame, counts = parse_inputs(records, columns, config.features)
    needs_label = config.methods.pre_training_bias is not None or config.methods.post_training_bias is not None
    if ground_truth_uri is not None:
        if label is None:
            raise ConfigError("label: required to merge ground truth into captured data")
        frame[label] = merge_ground_truth(records, counts, read_ground_truth(ground_truth_uri))
    elif needs_label:
        raise ConfigError("ground truth: the config's bias methods need labels; give the ground-truth file")
    predicted = "predicted_label"
    while predicted in frame.columns:
        predicted = "_" + predicted
    answers = parse_outputs(records, counts, _codec(config))
    frame[predicted] = predicted_labels(answers, config.effective_probability_threshold)

    derived = copy.deepcopy(raw)
    for key in ("dataset_uri", "features", "predicted_label_dataset_uri", "predicted_label_headers"):
        derived.pop(key, None)
    derived["dataset_type"] = "text/csv"
    derived["headers"] = list(frame.columns)
    if ground_truth_uri is not None:
        derived["label"] = label
    else:
        derived.pop("label", None)
    derived["predicted_label"] = predicted
    path = folder / CAPTURED_DATA_FILE
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, header=False, index=False)
    return derived, path
