"""SDK calls whose configs clarion runs on bundled data (same form as ``cases.py``; ``{out}`` = the test's folder).

Built by ``make_sdk_configs.py OUT.json run_cases.py DIR`` under the sagemaker SDK v2. The data files the
configs name (``{out}/...``) are written by the tests before they run the configs.
"""

from __future__ import annotations

from typing import Any

from cases import OUT, obj
from cases import instantiate as instantiate  # make_sdk_configs.py calls it on this module

ADULT_HEADERS = ["Age", "Workclass", "Education-Num", "Sex", "Ethnic group", "Hours per week", "Target"]


def adult_data(**kwargs: Any) -> dict[str, Any]:
    base = {
        "s3_data_input_path": OUT + "/adult.csv",
        "s3_output_path": OUT + "/result",
        "label": "Target",
        "headers": ADULT_HEADERS,
        "dataset_type": "text/csv",
    }
    base.update(kwargs)
    return obj("DataConfig", **base)


def xgb_model(**kwargs: Any) -> dict[str, Any]:
    base = {"model_name": "adult-model", "instance_count": 1, "instance_type": "ml.m5.xlarge"}
    base.update(kwargs)
    return obj("ModelConfig", **base)


SEX_BIAS = obj(
    "BiasConfig", label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0], group_name="Age"
)

WITHOUT_SEX = ["id", "Age", "Workclass", "Education-Num", "Ethnic group", "Hours per week", "Target"]

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    # bias metrics per segment: Age intervals with display aliases, and Ethnic group codes
    "bias_segments": (
        "run_bias",
        {
            "data_config": adult_data(
                segmentation_config=[
                    obj(
                        "SegmentationConfig",
                        name_or_index="Age",
                        segments=[["(0, 30]"], ["(30, 50]", "(60, 70]"]],
                        config_name="ages",
                        display_aliases=["young", "middle", "rest"],
                    ),
                    obj("SegmentationConfig", name_or_index="Ethnic group", segments=[[4]]),
                ]
            ),
            "bias_config": SEX_BIAS,
            "model_config": xgb_model(),
            "post_training_methods": ["AD", "DI", "DPPL", "DCA", "RD", "TE"],
        },
    ),
    # the facet in a separate dataset, joined by id (the ids in another order) or by row position
    "bias_facet_dataset_by_id": (
        "run_bias",
        {
            "data_config": adult_data(
                s3_data_input_path=OUT + "/adult_id.csv",
                headers=WITHOUT_SEX,
                joinsource="id",
                facet_dataset_uri=OUT + "/facets_by_id.csv",
                facet_headers=["id", "Sex"],
            ),
            "bias_config": SEX_BIAS,
            "model_config": xgb_model(),
        },
    ),
    "bias_facet_dataset_by_position": (
        "run_bias",
        {
            "data_config": adult_data(
                s3_data_input_path=OUT + "/adult_id.csv",
                headers=WITHOUT_SEX,
                facet_dataset_uri=OUT + "/facets_by_position.csv",
                facet_headers=["Sex"],
                excluded_columns=["id"],
            ),
            "bias_config": SEX_BIAS,
            "model_config": xgb_model(),
        },
    ),
    # predictions from the model, read from a separate dataset that names no column (no predicted_label key)
    "post_predictions_dataset_unnamed": (
        "run_post_training_bias",
        {
            "data_config": adult_data(predicted_label_dataset_uri=OUT + "/predictions.csv"),
            "data_bias_config": SEX_BIAS,
        },
    ),
    # predictions from the model, called by clarion; the probability cut at 0.4
    "post_model_threshold": (
        "run_post_training_bias",
        {
            "data_config": adult_data(),
            "data_bias_config": SEX_BIAS,
            "model_config": xgb_model(content_type="text/csv", accept_type="text/csv"),
            "model_predicted_label_config": obj("ModelPredictedLabelConfig", probability_threshold=0.4),
        },
    ),
    "bias_model_default_threshold": (
        "run_bias",
        {"data_config": adult_data(), "bias_config": SEX_BIAS, "model_config": xgb_model()},
    ),
}
