"""Data-side config classes of ``sagemaker.clarify``: DataConfig, SegmentationConfig, TimeSeriesDataConfig.

Same names, argument names, order and defaults as the SageMaker Python SDK v2, and the same
``analysis_config.json`` keys. Locations (``s3_data_input_path``, ``s3_output_path``, ...) may be local
paths, ``file://`` URIs or any fsspec URI (``s3://``, ``gs://``, ``memory://``): clarion reads and
writes them with fsspec, so no SageMaker job is involved.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import Enum
from typing import Any

from clarion.api._common import ArgumentError, put

TABULAR_DATASET_TYPES = ("text/csv", "application/jsonlines", "application/json", "application/x-parquet")
DATASET_TYPES = (*TABULAR_DATASET_TYPES, "application/x-image")


class DatasetType(Enum):
    """Dataset types the SDK's DataConfig accepts."""

    TEXTCSV = "text/csv"
    JSONLINES = "application/jsonlines"
    JSON = "application/json"
    PARQUET = "application/x-parquet"
    IMAGE = "application/x-image"


class TimeSeriesJSONDatasetFormat(Enum):
    """Layouts of a JSON time-series dataset (``columns``, ``item_records``, ``timestamp_records``)."""

    COLUMNS = "columns"
    ITEM_RECORDS = "item_records"
    TIMESTAMP_RECORDS = "timestamp_records"


@dataclass(frozen=True)
class SegmentationConfig:
    """Segments of a column on which metrics are computed (``segment_config`` entries).

    ``segments`` is a list of value lists (categorical) or interval strings such as ``"(2, 5]"``;
    the rows not covered form an extra ``__default__`` segment. ``display_aliases`` has one name per
    segment, optionally plus one for the default segment.
    """

    name_or_index: str | int
    segments: list[list[str | int]]
    config_name: str | None = None
    display_aliases: list[str] | None = None

    def __post_init__(self) -> None:
        if self.name_or_index is None:
            raise ArgumentError("SegmentationConfig.name_or_index: cannot be None")
        if (
            not self.segments
            or not isinstance(self.segments, list)
            or not all(isinstance(s, list) for s in self.segments)
        ):
            raise ArgumentError("SegmentationConfig.segments: expected a list of lists of values or intervals")
        if self.display_aliases is not None and len(self.display_aliases) not in (
            len(self.segments),
            len(self.segments) + 1,
        ):
            raise ArgumentError(
                "SegmentationConfig.display_aliases: expected one alias per segment, optionally plus one for the"
                f" default segment ({len(self.segments)} or {len(self.segments) + 1}), got {len(self.display_aliases)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The ``segment_config`` entry; ``config_name`` and ``display_aliases`` only when non-empty."""
        entry: dict[str, Any] = {"name_or_index": self.name_or_index, "segments": copy.deepcopy(self.segments)}
        if self.config_name:
            entry["config_name"] = self.config_name
        if self.display_aliases:
            entry["display_aliases"] = list(self.display_aliases)
        return entry


@dataclass(frozen=True)
class TimeSeriesDataConfig:
    """Where the time-series fields sit in a JSON dataset (JMESPaths) or a table (indices).

    All locators are strings, or all are ints; ``dataset_format`` is required with strings (JSON data)
    and refused with ints. clarion parses this section but does not run time-series explainability yet.
    """

    target_time_series: str | int
    item_id: str | int
    timestamp: str | int
    related_time_series: list[str | int] | None = None
    static_covariates: list[str | int] | None = None
    dataset_format: TimeSeriesJSONDatasetFormat | None = None

    def __post_init__(self) -> None:
        for name in ("target_time_series", "item_id", "timestamp"):
            if not getattr(self, name):
                raise ArgumentError(f"TimeSeriesDataConfig.{name}: required")
        kind = type(self.target_time_series)
        if kind not in (str, int):
            raise ArgumentError("TimeSeriesDataConfig.target_time_series: expected a string or an int")
        for name in ("item_id", "timestamp"):
            if not isinstance(getattr(self, name), kind):
                raise ArgumentError(f"TimeSeriesDataConfig.{name}: expected {kind.__name__} like target_time_series")
        for name in ("related_time_series", "static_covariates"):
            values = getattr(self, name)
            if values:
                if not isinstance(values, list) or not all(isinstance(v, kind) for v in values):
                    raise ArgumentError(f"TimeSeriesDataConfig.{name}: expected a list of {kind.__name__}")
                if kind is str and not all(values):
                    raise ArgumentError(f"TimeSeriesDataConfig.{name}: empty strings are not allowed")
        if kind is str and not isinstance(self.dataset_format, TimeSeriesJSONDatasetFormat):
            raise ArgumentError("TimeSeriesDataConfig.dataset_format: expected a TimeSeriesJSONDatasetFormat")
        if kind is int and self.dataset_format:
            raise ArgumentError("TimeSeriesDataConfig.dataset_format: only for JSON data (string locators)")

    def get_time_series_data_config(self) -> dict[str, Any]:
        """The ``time_series_data_config`` section."""
        section: dict[str, Any] = {}
        put(self.target_time_series, "target_time_series", section)
        put(self.item_id, "item_id", section)
        put(self.timestamp, "timestamp", section)
        if self.related_time_series:
            put(self.related_time_series, "related_time_series", section)
        if self.static_covariates:
            put(self.static_covariates, "static_covariates", section)
        if isinstance(self.target_time_series, str) and self.dataset_format is not None:
            section["dataset_format"] = self.dataset_format.value
        return section


@dataclass(frozen=True)
class DataConfig:
    """Input data, output location and the dataset keys of the analysis config.

    Args (as in the SDK):
        s3_data_input_path: the dataset: a file, a directory of part files, or any fsspec URI.
        s3_output_path: where results go (local directory or fsspec URI).
        s3_analysis_config_output_path: where ``analysis_config.json`` is written (default: ``s3_output_path``).
        label, headers, features, dataset_type, joinsource, facet_dataset_uri, facet_headers,
        predicted_label_dataset_uri, predicted_label_headers, predicted_label, excluded_columns,
        segmentation_config, time_series_data_config: written to the config as the SDK writes them.
        s3_compression_type: accepted for compatibility and not used (SageMaker's input channel setting).
    """

    s3_data_input_path: str
    s3_output_path: str
    s3_analysis_config_output_path: str | None = None
    label: str | int | None = None
    headers: list[str] | None = None
    features: str | None = None
    dataset_type: str = "text/csv"
    s3_compression_type: str = "None"
    joinsource: str | int | None = None
    facet_dataset_uri: str | None = None
    facet_headers: list[str] | None = None
    predicted_label_dataset_uri: str | None = None
    predicted_label_headers: list[str] | None = None
    predicted_label: str | int | None = None
    excluded_columns: list[int] | list[str] | None = None
    segmentation_config: list[SegmentationConfig] | None = None
    time_series_data_config: TimeSeriesDataConfig | None = None

    def __post_init__(self) -> None:
        kind = self.dataset_type
        if kind not in DATASET_TYPES:
            raise ArgumentError(f"DataConfig.dataset_type: expected one of {', '.join(DATASET_TYPES)}, got {kind!r}")
        if kind not in TABULAR_DATASET_TYPES:
            if self.predicted_label:
                raise ArgumentError(f"DataConfig.predicted_label: not supported for dataset_type {kind!r}")
            if self.excluded_columns:
                raise ArgumentError(f"DataConfig.excluded_columns: not supported for dataset_type {kind!r}")
        if kind != "text/csv":
            if self.facet_dataset_uri or self.facet_headers:
                raise ArgumentError(f"DataConfig.facet_dataset_uri/facet_headers: only for text/csv, not {kind!r}")
            if self.predicted_label_dataset_uri or self.predicted_label_headers:
                raise ArgumentError(
                    f"DataConfig.predicted_label_dataset_uri/predicted_label_headers: only for text/csv, not {kind!r}"
                )
        if self.time_series_data_config is not None and kind != "application/json":
            raise ArgumentError("DataConfig.time_series_data_config: time series data must be application/json")
        if kind == "application/json" and self.features is None and self.time_series_data_config is None:
            raise ArgumentError("DataConfig.features: a JMESPath is required for dataset_type application/json")

    @property
    def s3_data_distribution_type(self) -> str:
        """SageMaker's input distribution (always ``FullyReplicated`` in the SDK); informational."""
        return "FullyReplicated"

    @property
    def analysis_config(self) -> dict[str, Any]:
        """The dataset part of the analysis config (the SDK's attribute of the same name)."""
        return self.get_config()

    def get_config(self) -> dict[str, Any]:
        """Dataset keys of the analysis config, in the SDK's order; absent arguments write no key."""
        config: dict[str, Any] = {"dataset_type": self.dataset_type}
        put(self.features, "features", config)
        put(self.headers, "headers", config)
        put(self.label, "label", config)
        put(self.joinsource, "joinsource_name_or_index", config)
        put(self.facet_dataset_uri, "facet_dataset_uri", config)
        put(self.facet_headers, "facet_headers", config)
        put(self.predicted_label_dataset_uri, "predicted_label_dataset_uri", config)
        put(self.predicted_label_headers, "predicted_label_headers", config)
        put(self.predicted_label, "predicted_label", config)
        put(self.excluded_columns, "excluded_columns", config)
        if self.segmentation_config:
            config["segment_config"] = [item.to_dict() for item in self.segmentation_config]
        if self.time_series_data_config is not None:
            config["time_series_data_config"] = self.time_series_data_config.get_time_series_data_config()
        return config
