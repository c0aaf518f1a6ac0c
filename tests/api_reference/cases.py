"""Argument sets for the SDK-parity tests, as plain data both sides can instantiate.

Used by ``make_sdk_configs.py`` (run with the sagemaker SDK v2 in its own virtualenv) and by
``tests/test_api_sdk_parity.py`` (run with clarion). A class is written ``obj("Name", **kwargs)``;
an enum member ``member("Enum", "NAME")``. Each case calls one ``run_*`` method of the processor with
``kwargs``; ``{out}`` in a DataConfig path is replaced by a scratch directory. No SDK output is kept here.
"""

from __future__ import annotations

from typing import Any

HEADERS = ["Age", "Sex", "Race", "Income", "Target"]
OUT = "{out}"


def obj(name: str, **kwargs: Any) -> dict[str, Any]:
    return {"__class__": name, "kw": kwargs}


def member(enum: str, name: str) -> dict[str, Any]:
    return {"__enum__": enum, "member": name}


def instantiate(value: Any, namespace: Any, out: str) -> Any:
    """Build the objects a spec describes from the classes of ``namespace`` (a module)."""
    if isinstance(value, dict):
        if "__class__" in value:
            cls = getattr(namespace, value["__class__"])
            return cls(**{k: instantiate(v, namespace, out) for k, v in value["kw"].items()})
        if "__enum__" in value:
            return getattr(getattr(namespace, value["__enum__"]), value["member"])
        return {k: instantiate(v, namespace, out) for k, v in value.items()}
    if isinstance(value, list):
        return [instantiate(v, namespace, out) for v in value]
    if isinstance(value, str) and OUT in value:
        return value.replace(OUT, out)
    return value


def csv_data(**kwargs: Any) -> dict[str, Any]:
    base = {
        "s3_data_input_path": OUT + "/data.csv",
        "s3_output_path": OUT + "/result",
        "label": "Target",
        "headers": HEADERS,
        "dataset_type": "text/csv",
    }
    base.update(kwargs)
    return obj("DataConfig", **base)


def model(**kwargs: Any) -> dict[str, Any]:
    base = {
        "model_name": "xgb-model",
        "instance_count": 1,
        "instance_type": "ml.m5.xlarge",
        "accept_type": "text/csv",
        "content_type": "text/csv",
    }
    base.update(kwargs)
    return obj("ModelConfig", **base)


SEX_BIAS = obj("BiasConfig", label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0])
TS_DATA = obj(
    "DataConfig",
    s3_data_input_path=OUT + "/ts.json",
    s3_output_path=OUT + "/result",
    dataset_type="application/json",
    time_series_data_config=obj(
        "TimeSeriesDataConfig",
        target_time_series="target",
        item_id="id",
        timestamp="ts",
        related_time_series=["r1"],
        static_covariates=["s1", "s2"],
        dataset_format=member("TimeSeriesJSONDatasetFormat", "COLUMNS"),
    ),
)
TS_MODEL = obj(
    "ModelConfig",
    endpoint_name="forecaster",
    content_type="application/jsonlines",
    accept_type="application/json",
    content_template='{"instances": $features}',
    time_series_model_config=obj("TimeSeriesModelConfig", forecast="predictions[*].mean"),
)

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    # pre-training bias
    "pre_all": ("run_pre_training_bias", {"data_config": csv_data(), "data_bias_config": SEX_BIAS}),
    "pre_methods_group": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": obj(
                "BiasConfig",
                label_values_or_threshold=[1],
                facet_name="Sex",
                facet_values_or_threshold=[0],
                group_name="Race",
            ),
            "methods": ["CI", "DPL", "KL", "CDDL"],
        },
    ),
    "pre_several_facets": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": obj(
                "BiasConfig",
                label_values_or_threshold=[1],
                facet_name=["Sex", "Race", "Age"],
                facet_values_or_threshold=[[0], None, [40]],
            ),
        },
    ),
    "pre_several_facets_no_values": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": obj("BiasConfig", label_values_or_threshold=[1], facet_name=["Sex", "Race"]),
        },
    ),
    "pre_facet_count_mismatch": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": obj(
                "BiasConfig", label_values_or_threshold=[1], facet_name=["Sex", "Race"], facet_values_or_threshold=[[0]]
            ),
        },
    ),
    "pre_facet_without_value_threshold_label": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(label=4),
            "data_bias_config": obj("BiasConfig", label_values_or_threshold=[10.5], facet_name=1),
        },
    ),
    "pre_config_elsewhere": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(s3_analysis_config_output_path=OUT + "/configs"),
            "data_bias_config": SEX_BIAS,
            "methods": ["CI", "DPL"],
        },
    ),
    "pre_joinsource_excluded": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(headers=["id", *HEADERS], joinsource="id", excluded_columns=["id", "Race"]),
            "data_bias_config": SEX_BIAS,
        },
    ),
    "pre_jsonlines": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(
                dataset_type="application/jsonlines", headers=None, label="label", features="features"
            ),
            "data_bias_config": obj(
                "BiasConfig",
                label_values_or_threshold=["yes"],
                facet_name="gender",
                facet_values_or_threshold=["female", "other"],
            ),
        },
    ),
    "pre_parquet_segments": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(
                dataset_type="application/x-parquet",
                segmentation_config=[
                    obj(
                        "SegmentationConfig",
                        name_or_index="Age",
                        segments=[["(10, 30]"], ["(30, 50]", "(60, 70]"]],
                        config_name="ages",
                        display_aliases=["young", "middle", "rest"],
                    ),
                    obj("SegmentationConfig", name_or_index="Race", segments=[[1, 2]]),
                ],
            ),
            "data_bias_config": SEX_BIAS,
        },
    ),
    "pre_bad_dataset_type": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(dataset_type="text/tsv"),
            "data_bias_config": SEX_BIAS,
        },
    ),
    "pre_json_without_features": (
        "run_pre_training_bias",
        {
            "data_config": csv_data(dataset_type="application/json"),
            "data_bias_config": SEX_BIAS,
        },
    ),
    # post-training bias
    "post_model_predicted_label": (
        "run_post_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": model(),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability_threshold=0.8),
            "methods": ["DPPL", "DI", "DCA"],
        },
    ),
    "post_endpoint_jsonlines_label_headers": (
        "run_post_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": obj(
                "ModelConfig",
                endpoint_name="my-endpoint",
                content_type="application/jsonlines",
                accept_type="application/jsonlines",
                content_template='{"features":$features}',
                custom_attributes="trace=1",
                target_model="m1.tar.gz",
            ),
            "model_predicted_label_config": obj(
                "ModelPredictedLabelConfig", label="predicted_label", probability="score", label_headers=["no", "yes"]
            ),
        },
    ),
    "post_predicted_label_column": (
        "run_post_training_bias",
        {
            "data_config": csv_data(headers=[*HEADERS, "Prediction"], predicted_label="Prediction"),
            "data_bias_config": SEX_BIAS,
        },
    ),
    "post_predicted_label_dataset": (
        "run_post_training_bias",
        {
            "data_config": csv_data(
                headers=["id", *HEADERS],
                joinsource="id",
                predicted_label_dataset_uri="s3://bucket/predictions/",
                predicted_label_headers=["id", "pred"],
                predicted_label="pred",
            ),
            "data_bias_config": SEX_BIAS,
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability_threshold=0.3, label=0),
        },
    ),
    "post_no_model_no_predictions": (
        "run_post_training_bias",
        {"data_config": csv_data(), "data_bias_config": SEX_BIAS},
    ),
    "post_model_shadow_prefix_accelerator": (
        "run_post_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": model(endpoint_name_prefix="clarify-shadow", accelerator_type="ml.eia2.medium"),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability=1, label_headers=["a", "b"]),
            "methods": "all",
        },
    ),
    "post_model_and_endpoint": (
        "run_post_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": model(endpoint_name="ep"),
        },
    ),
    "post_jsonlines_without_template": (
        "run_post_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": model(content_type="application/jsonlines"),
        },
    ),
    "post_bad_threshold": (
        "run_post_training_bias",
        {
            "data_config": csv_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": model(),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability_threshold="high"),
        },
    ),
    # both bias stages
    "bias_all": (
        "run_bias",
        {
            "data_config": csv_data(),
            "bias_config": SEX_BIAS,
            "model_config": model(),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability=0, probability_threshold=0.6),
        },
    ),
    "bias_pre_only_with_model": (
        "run_bias",
        {
            "data_config": csv_data(),
            "bias_config": SEX_BIAS,
            "model_config": model(),
            "pre_training_methods": ["CI"],
            "post_training_methods": [],
        },
    ),
    "bias_no_methods": (
        "run_bias",
        {
            "data_config": csv_data(),
            "bias_config": SEX_BIAS,
            "model_config": model(),
            "pre_training_methods": [],
            "post_training_methods": [],
        },
    ),
    "bias_facet_dataset": (
        "run_bias",
        {
            "data_config": csv_data(
                headers=["id", "Age", "Income", "Target"],
                joinsource="id",
                facet_dataset_uri="s3://bucket/facets.csv",
                facet_headers=["id", "Sex"],
            ),
            "bias_config": obj(
                "BiasConfig",
                label_values_or_threshold=[1],
                facet_name="Sex",
                facet_values_or_threshold=[1],
                group_name="Age",
            ),
            "model_config": model(),
            "post_training_methods": ["DI", "AD"],
        },
    ),
    "bias_facet_dataset_jsonlines": (
        "run_bias",
        {
            "data_config": csv_data(dataset_type="application/jsonlines", facet_dataset_uri="s3://bucket/f.csv"),
            "bias_config": SEX_BIAS,
            "model_config": model(),
        },
    ),
    # explainability
    "shap_baseline_rows": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[[35, 1, 2, 50000]],
                num_samples=100,
                agg_method="mean_abs",
                save_local_shap_values=False,
            ),
            "model_scores": 1,
        },
    ),
    "shap_clusters_median_logit": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj("SHAPConfig", num_clusters=3, agg_method="median", use_logit=True, seed=7),
            "model_scores": obj("ModelPredictedLabelConfig", probability="score", label_headers=["yes"]),
        },
    ),
    "shap_baseline_uri_features_to_explain": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj(
                "SHAPConfig",
                baseline="s3://bucket/baseline.csv",
                agg_method="mean_sq",
                features_to_explain=["Age", "Income"],
            ),
            "model_scores": "probability",
        },
    ),
    "shap_baseline_and_clusters": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj("SHAPConfig", baseline=[[1, 2, 3, 4]], num_clusters=2),
        },
    ),
    "shap_bad_agg_method": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj("SHAPConfig", agg_method="sum"),
        },
    ),
    "pdp_only": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj("PDPConfig", features=["Age", 3], grid_resolution=20),
        },
    ),
    "pdp_without_features": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj("PDPConfig"),
        },
    ),
    "shap_and_pdp": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": [
                obj("SHAPConfig", baseline=[[30, 0, 1, 4000]]),
                obj("PDPConfig", top_k_features=3),
            ],
        },
    ),
    "pdp_list_without_shap": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": [obj("PDPConfig")],
        },
    ),
    "duplicate_shap": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": [obj("SHAPConfig"), obj("SHAPConfig", num_samples=10)],
        },
    ),
    "empty_explainability_list": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": [],
        },
    ),
    "text_sentence": (
        "run_explainability",
        {
            "data_config": csv_data(dataset_type="application/jsonlines", headers=None, label="label", features="text"),
            "model_config": obj(
                "ModelConfig",
                endpoint_name="nlp",
                content_type="application/jsonlines",
                content_template='{"inputs": $features}',
                accept_type="application/jsonlines",
            ),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[["<UNK>"]],
                text_config=obj("TextConfig", granularity="sentence", language="english"),
            ),
            "model_scores": obj("ModelPredictedLabelConfig", probability="probabilities", label_headers=["neg", "pos"]),
        },
    ),
    "text_token_code": (
        "run_explainability",
        {
            "data_config": csv_data(headers=["review"], label=None),
            "model_config": model(),
            "explainability_config": obj(
                "SHAPConfig",
                save_local_shap_values=False,
                text_config=obj("TextConfig", granularity="token", language="de"),
            ),
        },
    ),
    "text_bad_language": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj(
                "SHAPConfig", text_config=obj("TextConfig", granularity="token", language="klingon")
            ),
        },
    ),
    "text_with_features_to_explain": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj(
                "SHAPConfig",
                features_to_explain=["a"],
                text_config=obj("TextConfig", granularity="token", language="en"),
            ),
        },
    ),
    "image_detection": (
        "run_explainability",
        {
            "data_config": csv_data(dataset_type="application/x-image", headers=None, label=None),
            "model_config": model(content_type="image/jpeg", accept_type="application/json"),
            "explainability_config": obj(
                "SHAPConfig",
                num_samples=500,
                image_config=obj(
                    "ImageConfig",
                    model_type="OBJECT_DETECTION",
                    num_segments=30,
                    segment_compactness=10,
                    max_objects=5,
                    iou_threshold=0.6,
                    context=0.5,
                    feature_extraction_method="segmentation",
                ),
            ),
            "model_scores": obj("ModelPredictedLabelConfig", probability_threshold=0.4),
        },
    ),
    "image_classification": (
        "run_explainability",
        {
            "data_config": csv_data(dataset_type="application/x-image", headers=None, label=None),
            "model_config": model(content_type="image/png", accept_type=None),
            "explainability_config": obj(
                "SHAPConfig", image_config=obj("ImageConfig", model_type="IMAGE_CLASSIFICATION")
            ),
        },
    ),
    "image_bad_model_type": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": obj("SHAPConfig", image_config=obj("ImageConfig", model_type="segmentation")),
        },
    ),
    "image_predicted_label": (
        "run_explainability",
        {
            "data_config": csv_data(dataset_type="application/x-image", predicted_label="p"),
            "model_config": model(),
            "explainability_config": obj("SHAPConfig"),
        },
    ),
    "json_records": (
        "run_explainability",
        {
            "data_config": csv_data(
                dataset_type="application/json", headers=["a", "b"], label="labels", features="data"
            ),
            "model_config": model(
                content_type="application/json",
                accept_type="application/json",
                content_template='{"instances": $records}',
                record_template="$features_kvp",
            ),
            "explainability_config": obj("SHAPConfig", baseline={"data": [[0, 0]]}, num_samples=20),
            "model_scores": obj("ModelPredictedLabelConfig", probability="predictions[*].score"),
        },
    ),
    "json_without_record_template": (
        "run_explainability",
        {
            "data_config": csv_data(dataset_type="application/json", features="data"),
            "model_config": model(content_type="application/json", content_template="$records"),
            "explainability_config": obj("SHAPConfig"),
        },
    ),
    "bad_endpoint_prefix": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(endpoint_name_prefix="-bad"),
            "explainability_config": obj("SHAPConfig"),
        },
    ),
    "bad_accept_type": (
        "run_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(accept_type="text/plain"),
            "explainability_config": obj("SHAPConfig"),
        },
    ),
    # bias and explainability
    "bias_and_explainability_list": (
        "run_bias_and_explainability",
        {
            "data_config": csv_data(),
            "model_config": model(),
            "explainability_config": [
                obj("SHAPConfig", num_clusters=4, num_samples=64),
                obj("PDPConfig", features=["Age"], grid_resolution=5),
            ],
            "bias_config": SEX_BIAS,
            "pre_training_methods": ["CI", "KS"],
            "post_training_methods": "all",
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability=0, probability_threshold=0.5),
        },
    ),
    "bias_and_explainability_defaults": (
        "run_bias_and_explainability",
        {
            "data_config": csv_data(excluded_columns=[2]),
            "model_config": model(),
            "explainability_config": obj("SHAPConfig"),
            "bias_config": SEX_BIAS,
        },
    ),
    "bias_and_explainability_post_only": (
        "run_bias_and_explainability",
        {
            "data_config": csv_data(),
            "model_config": obj("ModelConfig", endpoint_name="ep"),
            "explainability_config": obj("PDPConfig", features=["Income"]),
            "bias_config": SEX_BIAS,
            "pre_training_methods": None,
            "post_training_methods": ["DPPL"],
        },
    ),
    "bias_and_explainability_time_series": (
        "run_bias_and_explainability",
        {
            "data_config": TS_DATA,
            "model_config": TS_MODEL,
            "explainability_config": obj("AsymmetricShapleyValueConfig"),
            "bias_config": SEX_BIAS,
        },
    ),
    # time series
    "time_series_fine_grained": (
        "run_explainability",
        {
            "data_config": TS_DATA,
            "model_config": TS_MODEL,
            "explainability_config": obj(
                "AsymmetricShapleyValueConfig",
                granularity="fine_grained",
                num_samples=5,
                baseline={"related_time_series": "mean", "static_covariates": {"item1": [1, 2], "item2": [0, 0]}},
            ),
        },
    ),
    "time_series_timewise_defaults": (
        "run_explainability",
        {
            "data_config": TS_DATA,
            "model_config": TS_MODEL,
            "explainability_config": obj("AsymmetricShapleyValueConfig", direction="bidirectional"),
        },
    ),
    "time_series_bad_covariate_baseline": (
        "run_explainability",
        {
            "data_config": TS_DATA,
            "model_config": TS_MODEL,
            "explainability_config": obj(
                "AsymmetricShapleyValueConfig", baseline={"static_covariates": {"item1": [1]}}
            ),
        },
    ),
    "time_series_with_shap": (
        "run_explainability",
        {
            "data_config": TS_DATA,
            "model_config": TS_MODEL,
            "explainability_config": obj("SHAPConfig"),
        },
    ),
    "time_series_fine_grained_without_samples": (
        "run_explainability",
        {
            "data_config": TS_DATA,
            "model_config": TS_MODEL,
            "explainability_config": obj("AsymmetricShapleyValueConfig", granularity="fine_grained"),
        },
    ),
}
