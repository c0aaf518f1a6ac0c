"""Time-series explainability calls of the sagemaker SDK v2 whose configs clarion runs (``cases.py`` form)."""

from __future__ import annotations

from typing import Any

from cases import OUT, member, obj
from cases import instantiate as instantiate  # make_sdk_configs.py calls it on this module

RECORD = (
    '{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series,'
    ' "cat": $static_covariates}'
)


def data(layout: str, prefix: str) -> dict[str, Any]:
    return obj(
        "DataConfig",
        s3_data_input_path=f"{OUT}/{layout}.json",
        s3_output_path=OUT + "/result",
        dataset_type="application/json",
        time_series_data_config=obj(
            "TimeSeriesDataConfig",
            target_time_series=f"{prefix}x",
            item_id=f"{prefix}id",
            timestamp=f"{prefix}t",
            related_time_series=[f"{prefix}r"],
            static_covariates=[f"{prefix}u"],
            dataset_format=member("TimeSeriesJSONDatasetFormat", layout.upper()),
        ),
    )


MODEL = obj(
    "ModelConfig",
    endpoint_name="forecaster",
    content_type="application/json",
    accept_type="application/json",
    content_template='{"instances": $records}',
    record_template=RECORD,
    time_series_model_config=obj("TimeSeriesModelConfig", forecast="predictions[*].mean"),
)


def model(**kwargs: Any) -> dict[str, Any]:
    """A forecaster without record_template (clarion sends DeepAR's record), other ModelConfig options in kwargs."""
    base: dict[str, Any] = {"endpoint_name": "forecaster"}
    base.update(kwargs)
    return obj("ModelConfig", time_series_model_config=obj("TimeSeriesModelConfig", forecast="mean"), **base)


def case(layout: str, prefix: str, model_config: dict[str, Any] = MODEL, **explain: Any) -> tuple[str, dict[str, Any]]:
    return (
        "run_explainability",
        {
            "data_config": data(layout, prefix),
            "model_config": model_config,
            "explainability_config": obj("AsymmetricShapleyValueConfig", **explain),
        },
    )


CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "timewise_defaults_item_records": case("item_records", "[*]."),
    "anti_chronological_timestamp_records": case("timestamp_records", "[*].", direction="anti_chronological"),
    "bidirectional_mean_columns": case(
        "columns", "", direction="bidirectional", baseline={"target_time_series": "mean", "related_time_series": "mean"}
    ),
    "fine_grained_item_records": case("item_records", "[*].", granularity="fine_grained", num_samples=6),
    # no templates at all: one DeepAR record per request
    "no_templates": case("item_records", "[*].", model()),
    # only a content template, JSON Lines both ways: one line per record
    "jsonlines_content_template_only": case(
        "timestamp_records",
        "[*].",
        model(
            content_type="application/jsonlines",
            accept_type="application/jsonlines",
            content_template='{"instance": $features}',
            custom_attributes="trace=on",
            target_model="forecaster.tar.gz",
        ),
    ),
    # static covariate baselines per item, and the related series at their mean
    "static_covariate_baseline": case(
        "columns",
        "",
        MODEL,
        baseline={"related_time_series": "mean", "static_covariates": {"a": [0], "b": [5]}},
    ),
    # the baseline in a file (the SDK passes the URI through)
    "baseline_uri": case("item_records", "[*].", MODEL, direction="bidirectional", baseline=OUT + "/baseline.json"),
    # column indices (no dataset_format): a JSON list of [u, id, t, x, r] records (the SDK refuses index 0 for
    # item_id, timestamp and target_time_series)
    "column_indices": (
        "run_explainability",
        {
            "data_config": obj(
                "DataConfig",
                s3_data_input_path=f"{OUT}/rows.json",
                s3_output_path=OUT + "/result",
                dataset_type="application/json",
                time_series_data_config=obj(
                    "TimeSeriesDataConfig",
                    target_time_series=3,
                    item_id=1,
                    timestamp=2,
                    related_time_series=[4],
                    static_covariates=[0],
                ),
            ),
            "model_config": MODEL,
            "explainability_config": obj("AsymmetricShapleyValueConfig", direction="anti_chronological"),
        },
    ),
    # a SageMaker model: clarion makes a shadow endpoint for the run
    "model_name_shadow": case(
        "item_records",
        "[*].",
        obj(
            "ModelConfig",
            model_name="forecaster-model",
            instance_count=1,
            instance_type="ml.m5.xlarge",
            endpoint_name_prefix="ts-shadow",
            content_template='{"instances": $records}',
            time_series_model_config=obj("TimeSeriesModelConfig", forecast="predictions[*].mean"),
        ),
    ),
}
