"""The analysis config: every top-level key of Clarify's ``analysis_config.json``, typed.

Defaults follow the SageMaker SDK v2 (``sagemaker/clarify.py``) and the Clarify developer guide.
"""

from __future__ import annotations

from pydantic import StrictStr, model_validator

from clarion.config._base import ClosedModel, NameOrIndex, ScalarValue, StrictNumber, lower_choice
from clarion.config.methods import Methods
from clarion.config.predictor import PredictorConfig

DATASET_TYPES = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/sagemakercapturejson",
    "application/x-parquet",
    "application/x-image",
)


class Facet(ClosedModel):
    """A sensitive attribute: column name or index, and the sensitive values or one threshold."""

    name_or_index: NameOrIndex
    value_or_threshold: list[ScalarValue] | None = None

    @model_validator(mode="after")
    def _non_empty(self) -> Facet:
        if self.value_or_threshold is not None and not self.value_or_threshold:
            raise ValueError("value_or_threshold: expected at least one value")
        return self


class Segment(ClosedModel):
    name_or_index: NameOrIndex
    segments: list[list[ScalarValue]]
    config_name: StrictStr | None = None
    display_aliases: list[StrictStr] | None = None


class TimeSeriesDataConfig(ClosedModel):
    target_time_series: NameOrIndex
    item_id: NameOrIndex
    timestamp: NameOrIndex
    related_time_series: list[NameOrIndex] | None = None
    static_covariates: list[NameOrIndex] | None = None
    dataset_format: lower_choice("columns", "item_records", "timestamp_records") | None = None  # type: ignore[valid-type]


class AnalysisConfig(ClosedModel):
    """A validated Clarify analysis config. Enum strings are stored lower-cased."""

    version: StrictStr | None = None
    dataset_type: lower_choice(*DATASET_TYPES)  # type: ignore[valid-type]
    dataset_uri: StrictStr | None = None
    headers: list[StrictStr] | None = None
    label: NameOrIndex | None = None
    features: StrictStr | None = None
    label_values_or_threshold: list[ScalarValue] | None = None
    probability_threshold: StrictNumber | None = None
    facet: list[Facet] | None = None
    group_variable: NameOrIndex | None = None
    facet_dataset_uri: StrictStr | None = None
    facet_headers: list[StrictStr] | None = None
    predicted_label: NameOrIndex | None = None
    predicted_label_dataset_uri: StrictStr | None = None
    predicted_label_headers: list[StrictStr] | None = None
    excluded_columns: list[NameOrIndex] | None = None
    joinsource_name_or_index: NameOrIndex | None = None
    segment_config: list[Segment] | None = None
    time_series_data_config: TimeSeriesDataConfig | None = None
    methods: Methods
    predictor: PredictorConfig | None = None

    @property
    def effective_probability_threshold(self) -> float:
        """Score > threshold means predicted label 1 (Clarify's default threshold is 0.5)."""
        return 0.5 if self.probability_threshold is None else self.probability_threshold

    @model_validator(mode="after")
    def _cross_checks(self) -> AnalysisConfig:
        bias = self.methods.pre_training_bias or self.methods.post_training_bias
        if bias and self.label is None:
            raise ValueError("label: required for bias metrics")
        if bias and not self.facet:
            raise ValueError("facet: required for bias metrics")
        if bias and not self.label_values_or_threshold:
            raise ValueError("label_values_or_threshold: required for bias metrics")
        if self.headers is not None and len(set(self.headers)) != len(self.headers):
            dupes = sorted({h for h in self.headers if self.headers.count(h) > 1})
            raise ValueError(f"headers: duplicate column names {dupes}")
        if self.dataset_type == "application/json" and self.features is None and self.time_series_data_config is None:
            raise ValueError("features: required for dataset_type application/json")
        if self.probability_threshold is not None and not 0.0 <= self.probability_threshold <= 1.0:
            raise ValueError(
                f"probability_threshold: expected a number between 0 and 1, got {self.probability_threshold!r}"
            )
        return self
