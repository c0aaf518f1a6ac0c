"""SDK calls over the data formats and model options of the SDK, run by clarion (``cases.py`` form).

Built by ``make_sdk_configs.py OUT.json sdk_run_cases.py DIR`` under the sagemaker SDK v2; ``{out}`` is the
test's folder, where ``tests/test_sdk_formats.py`` writes the data files before it runs the configs.
"""

from __future__ import annotations

from typing import Any

from cases import OUT, obj
from cases import instantiate as instantiate  # make_sdk_configs.py calls it on this module

HEADERS = ["Age", "Sex", "Income", "Hours", "Target"]
BASELINE_ROW = [40, 0, 50000, 40]


def data(path: str, **kwargs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "s3_data_input_path": f"{OUT}/{path}",
        "s3_output_path": OUT + "/result",
        "label": "Target",
        "headers": HEADERS,
        "dataset_type": "text/csv",
    }
    base.update(kwargs)
    return obj("DataConfig", **{k: v for k, v in base.items() if v is not None})


def endpoint(**kwargs: Any) -> dict[str, Any]:
    return obj("ModelConfig", endpoint_name="tabular", **kwargs)


BIAS = obj("BiasConfig", label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0])
SHAP = obj("SHAPConfig", baseline=[BASELINE_ROW], num_samples=100, agg_method="mean_abs", save_local_shap_values=True)
SCORE = obj("ModelPredictedLabelConfig", probability="score")

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    # JSON Lines dataset, features and label by JMESPath; JSON Lines model
    "jsonlines": (
        "run_bias_and_explainability",
        {
            "data_config": data("data.jsonl", dataset_type="application/jsonlines", features="features", label="label"),
            "bias_config": BIAS,
            "model_config": endpoint(
                content_type="application/jsonlines",
                accept_type="application/jsonlines",
                content_template='{"features":$features}',
            ),
            "model_predicted_label_config": SCORE,
            "explainability_config": SHAP,
        },
    ),
    # JSON dataset (one document); JSON model, many records per request, records as name/value objects
    "json": (
        "run_bias_and_explainability",
        {
            "data_config": data(
                "data.json", dataset_type="application/json", features="rows[*].features", label="rows[*].label"
            ),
            "bias_config": BIAS,
            "model_config": endpoint(
                content_type="application/json",
                accept_type="application/json",
                content_template='{"instances": $records}',
                record_template="$features_kvp",
            ),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability="predictions[*].score"),
            "explainability_config": SHAP,
        },
    ),
    # CSV without headers, the label and the facet by column index; CSV model with a bare score
    "csv_by_index": (
        "run_bias_and_explainability",
        {
            "data_config": data("plain.csv", headers=None, label=4),
            "bias_config": obj(
                "BiasConfig", label_values_or_threshold=[1], facet_name=1, facet_values_or_threshold=[0]
            ),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": SHAP,
        },
    ),
    # two model outputs named by label_headers; predicted labels read from the answer's label key; PDP beside SHAP
    "two_outputs_pdp": (
        "run_bias_and_explainability",
        {
            "data_config": data("data.jsonl", dataset_type="application/jsonlines", features="features", label="label"),
            "bias_config": BIAS,
            "model_config": endpoint(
                content_type="application/jsonlines",
                accept_type="application/jsonlines",
                content_template='{"features":$features}',
                custom_attributes="two-outputs",
            ),
            "model_predicted_label_config": obj(
                "ModelPredictedLabelConfig",
                label="predicted_label",
                probability="probabilities",
                label_headers=["no", "yes"],
            ),
            "explainability_config": [SHAP, obj("PDPConfig", features=["Age", "Sex"], grid_resolution=5)],
            "pre_training_methods": ["CI"],
            "post_training_methods": ["DPPL", "DI"],
        },
    ),
    # SHAP on the logit scale for two features only (the others keep the row's values), median aggregation
    "logit_median_subset": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[BASELINE_ROW],
                num_samples=100,
                use_logit=True,
                agg_method="median",
                features_to_explain=["Income", "Age"],
                save_local_shap_values=True,
            ),
        },
    ),
    # numeric thresholds for the label and the facet (Age > 40 is the sensitive group)
    "thresholds": (
        "run_pre_training_bias",
        {
            "data_config": data("plain.csv"),
            "data_bias_config": obj(
                "BiasConfig", label_values_or_threshold=[0.5], facet_name="Age", facet_values_or_threshold=[40]
            ),
            "methods": ["CI", "DPL", "KL"],
        },
    ),
    # JSON Lines data with its SHAP baseline in a JSON Lines file; and with the baseline computed by clustering
    "jsonlines_baseline_file": (
        "run_explainability",
        {
            "data_config": data("data.jsonl", dataset_type="application/jsonlines", features="features", label="label"),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": obj(
                "SHAPConfig", baseline=OUT + "/baseline.jsonl", num_samples=100, save_local_shap_values=True
            ),
        },
    ),
    "jsonlines_clustered_baseline": (
        "run_explainability",
        {
            "data_config": data("data.jsonl", dataset_type="application/jsonlines", features="features", label="label"),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": obj("SHAPConfig", num_clusters=3, num_samples=100, save_local_shap_values=True),
        },
    ),
    # JSON Lines: predictions in the data (predicted_label by JMESPath), a feature left out, rows joined by id
    "jsonlines_predicted_label_excluded": (
        "run_post_training_bias",
        {
            "data_config": data(
                "data_extra.jsonl",
                dataset_type="application/jsonlines",
                features="features",
                label="label",
                predicted_label="pred",
                excluded_columns=["Hours"],
                joinsource="id",
            ),
            "data_bias_config": BIAS,
            "methods": ["DPPL", "DI", "AD"],
        },
    ),
    "jsonlines_excluded_shap": (
        "run_explainability",
        {
            "data_config": data(
                "data.jsonl",
                dataset_type="application/jsonlines",
                features="features",
                label="label",
                excluded_columns=["Hours"],
            ),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv", custom_attributes="three"),
            "explainability_config": obj(
                "SHAPConfig", baseline=[BASELINE_ROW[:3]], num_samples=100, save_local_shap_values=True
            ),
        },
    ),
    # model_scores as a bare JMESPath (the SDK writes it as predictor.label: where the scores are)
    "model_scores_string": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(content_type="text/csv", accept_type="application/jsonlines"),
            "model_scores": "score",
            "explainability_config": SHAP,
        },
    ),
    "model_scores_index": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv", custom_attributes="label,score"),
            "model_scores": 1,
            "explainability_config": SHAP,
        },
    ),
    # bias metrics per segment of a JSON Lines dataset
    "jsonlines_segments": (
        "run_pre_training_bias",
        {
            "data_config": data(
                "data.jsonl",
                dataset_type="application/jsonlines",
                features="features",
                label="label",
                segmentation_config=[obj("SegmentationConfig", name_or_index="Age", segments=[["(0, 40]"]])],
            ),
            "data_bias_config": BIAS,
            "methods": ["CI", "DPL"],
        },
    ),
    # a content_template the SDK lets through for a CSV model (a dict, as its schema allows): CSV requests ignore it
    "csv_ignores_template": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(content_template={"payload": "$features"}),
            "explainability_config": SHAP,
        },
    ),
    # SHAP baseline in a file; the SDK's pass-through keys for the endpoint
    "baseline_file_custom_attributes": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(
                content_type="text/csv",
                accept_type="application/jsonlines",
                custom_attributes="tenant=clarion",
                target_model="model-b.tar.gz",
            ),
            "model_scores": SCORE,
            "explainability_config": obj(
                "SHAPConfig", baseline=OUT + "/baseline.csv", num_samples=100, save_local_shap_values=True
            ),
        },
    ),
    # one record per request, each feature placed by name
    "record_template_by_name": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(
                content_type="application/json",
                accept_type="application/json",
                content_template="$record",
                record_template='{"Age": "${Age}", "Sex": "${Sex}", "Income": "${Income}", "Hours": "${Hours}"}',
            ),
            "model_scores": SCORE,
            "explainability_config": SHAP,
        },
    ),
    # the rows of a request as one NumPy array, the answer as CSV
    "npy_request": (
        "run_explainability",
        {
            "data_config": data("plain.csv"),
            "model_config": endpoint(content_type="application/x-npy", accept_type="text/csv"),
            "explainability_config": SHAP,
        },
    ),
    # a SageMaker model: clarion makes a shadow endpoint named by the prefix
    "shadow_prefix": (
        "run_post_training_bias",
        {
            "data_config": data("plain.csv"),
            "data_bias_config": BIAS,
            "model_config": obj(
                "ModelConfig",
                model_name="tabular-model",
                instance_count=1,
                instance_type="ml.m5.xlarge",
                endpoint_name_prefix="tab-shadow",
                content_type="text/csv",
                accept_type="text/csv",
            ),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability_threshold=0.5),
        },
    ),
    # text explanations: tokens of a text column, masked tokens replaced by the baseline's text
    "text_tokens": (
        "run_explainability",
        {
            "data_config": data("texts.csv", headers=["Text", "Target"]),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[["<UNK>"]],
                num_samples=200,
                save_local_shap_values=True,
                text_config=obj("TextConfig", granularity="token", language="english"),
            ),
        },
    ),
    # Japanese tokens (sudachipy) from a JSON Lines dataset, JSON Lines model; Thai tokens (pythainlp) from CSV
    "text_japanese": (
        "run_explainability",
        {
            "data_config": data(
                "texts_ja.jsonl", dataset_type="application/jsonlines", headers=None, features="text", label="label"
            ),
            "model_config": endpoint(
                content_type="application/jsonlines",
                accept_type="application/jsonlines",
                content_template='{"features":$features}',
            ),
            "model_scores": SCORE,
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[["<UNK>"]],
                num_samples=200,
                text_config=obj("TextConfig", granularity="token", language="japanese"),
            ),
        },
    ),
    "text_sentences": (
        "run_explainability",
        {
            "data_config": data(
                "texts_sentences.jsonl",
                dataset_type="application/jsonlines",
                headers=None,
                features="text",
                label="label",
            ),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[["<UNK>"]],
                num_samples=100,
                text_config=obj("TextConfig", granularity="sentence", language="en"),
            ),
        },
    ),
    "text_thai": (
        "run_explainability",
        {
            "data_config": data("texts_th.csv", headers=["Text", "Target"]),
            "model_config": endpoint(content_type="text/csv", accept_type="text/csv"),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=[["<UNK>"]],
                num_samples=200,
                text_config=obj("TextConfig", granularity="token", language="thai"),
            ),
        },
    ),
    # image classification and object detection on a folder of PNG images
    "image_classification": (
        "run_explainability",
        {
            "data_config": data("images", dataset_type="application/x-image", headers=None, label=None),
            "model_config": endpoint(content_type="image/png", accept_type="application/json"),
            "model_scores": obj(
                "ModelPredictedLabelConfig", probability="probabilities", label_headers=["plain", "red"]
            ),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=OUT + "/grey.png",
                num_samples=200,
                image_config=obj("ImageConfig", model_type="IMAGE_CLASSIFICATION", num_segments=8),
            ),
        },
    ),
    "image_detection": (
        "run_explainability",
        {
            "data_config": data("images", dataset_type="application/x-image", headers=None, label=None),
            "model_config": endpoint(
                content_type="image/png", accept_type="application/json", custom_attributes="detect"
            ),
            "model_scores": obj("ModelPredictedLabelConfig", probability_threshold=0.3),
            "explainability_config": obj(
                "SHAPConfig",
                baseline=OUT + "/grey.png",
                num_samples=200,
                image_config=obj(
                    "ImageConfig", model_type="OBJECT_DETECTION", num_segments=8, max_objects=2, iou_threshold=0.5
                ),
            ),
        },
    ),
}
