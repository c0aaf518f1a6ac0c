"""Time-series explainability calls of the sagemaker SDK v2 whose configs clarion runs (``cases.py`` form)."""

from __future__ import annotations

from typing import Any

OUT = "{out}"
RECORD = (
    '{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series,'
    ' "cat": $static_covariates}'
)


def obj(name: str, **kwargs: Any) -> dict[str, Any]:
    return {"__class__": name, "kw": kwargs}


def member(enum: str, name: str) -> dict[str, Any]:
    return {"__member__": enum, "name": name}


def instantiate(value: Any, namespace: Any, out: str) -> Any:
    """Build the objects a spec describes from the classes of ``namespace`` (a module)."""
    if isinstance(value, dict):
        if "__class__" in value:
            cls = getattr(namespace, value["__class__"])
            return cls(**{k: instantiate(v, namespace, out) for k, v in value["kw"].items()})
        if "__member__" in value:
            return getattr(getattr(namespace, value["__member__"]), value["name"])
        return {k: instantiate(v, namespace, out) for k, v in value.items()}
    if isinstance(value, list):
        return [instantiate(v, namespace, out) for v in value]
    if isinstance(value, str) and OUT in value:
        return value.replace(OUT, out)
    return value


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


def case(layout: str, prefix: str, **explain: Any) -> tuple[str, dict[str, Any]]:
    return (
        "run_explainability",
        {
            "data_config": data(layout, prefix),
            "model_config": MODEL,
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
}
