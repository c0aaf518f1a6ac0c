"""The config model: every Clarify key accepted, defaults as the SDK writes them, errors naming the key path."""

from __future__ import annotations

import copy
import json

import pytest

from clarion.config import POST_TRAINING_METRICS, PRE_TRAINING_METRICS, load_config
from clarion.errors import ConfigError

BASE = {
    "dataset_type": "text/csv",
    "headers": ["age", "sex", "income", "id"],
    "label": "income",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
    "methods": {"pre_training_bias": {"methods": "all"}},
}

# A config using every key of Clarify's schema, as the SDK writes them.
FULL = {
    "version": "1.0",
    "dataset_type": "TEXT/CSV",
    "dataset_uri": "s3://bucket/data.csv",
    "headers": ["age", "sex", "income", "id", "pred"],
    "label": "income",
    "features": "features",
    "label_values_or_threshold": [1],
    "probability_threshold": 0.4,
    "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}, {"name_or_index": 0, "value_or_threshold": [40]}],
    "group_variable": "age",
    "facet_dataset_uri": "s3://bucket/facets.csv",
    "facet_headers": ["sex"],
    "predicted_label": "pred",
    "predicted_label_dataset_uri": "s3://bucket/pred.csv",
    "predicted_label_headers": ["pred"],
    "excluded_columns": ["id", 3],
    "joinsource_name_or_index": "id",
    "segment_config": [
        {"name_or_index": "age", "segments": [["(30, 50]"]], "config_name": "ages", "display_aliases": ["mid", "rest"]}
    ],
    "methods": {
        "pre_training_bias": {"methods": ["CI", "dpl"]},
        "post_training_bias": {"methods": "all"},
        "shap": {
            "baseline": [[30, 1, 7]],
            "num_samples": 100,
            "agg_method": "MEAN_ABS",
            "use_logit": False,
            "save_local_shap_values": True,
            "seed": 7,
            "features_to_explain": ["age", 1],
        },
        "pdp": {"grid_resolution": 15, "features": ["age"], "top_k_features": 10},
        "report": {"name": "report", "title": "Analysis Report"},
    },
    "predictor": {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "accelerator_type": "ml.eia1.medium",
        "content_type": "application/jsonlines",
        "accept_type": "application/jsonlines",
        "label": "predicted_label",
        "probability": "score",
        "label_headers": ["no", "yes"],
        "content_template": '{"features":$features}',
        "record_template": "$features",
        "custom_attributes": "trace-1234",
        "endpoint_name_prefix": "sm-clarify",
        "target_model": "model.tar.gz",
    },
}


def with_change(change):
    config = copy.deepcopy(BASE)
    change(config)
    return config


def test_every_clarify_key_is_accepted_and_typed():
    config = load_config(FULL)
    assert config.dataset_type == "text/csv"
    assert config.methods.pre_training_bias.methods == ("CI", "DPL")
    assert config.methods.post_training_bias.methods == POST_TRAINING_METRICS
    assert config.methods.shap.agg_method == "mean_abs"
    assert config.methods.shap.features_to_explain == ["age", 1]
    assert config.predictor.label_headers == ["no", "yes"]
    assert config.probability_threshold == 0.4
    assert config.segment_config[0].display_aliases == ["mid", "rest"]


def test_defaults_follow_the_sdk():
    config = load_config(
        with_change(lambda c: c["methods"].update(shap={}, pdp={"grid_resolution": 10}, report={"name": "r"}))
    )
    shap = config.methods.shap
    assert (shap.agg_method, shap.use_logit, shap.save_local_shap_values, shap.num_samples) == (
        "mean_abs",
        False,
        True,
        None,
    )
    assert config.methods.pdp.top_k_features == 10
    assert config.methods.report.title == "Analysis Report"
    assert config.effective_probability_threshold == 0.5
    assert config.methods.pre_training_bias.methods == PRE_TRAINING_METRICS


def test_text_and_image_settings():
    config = load_config(
        with_change(
            lambda c: c["methods"].update(
                shap={"text_config": {"granularity": "Sentence", "language": "French"}, "baseline": [["<UNK>"]]}
            )
        )
    )
    assert config.methods.shap.text_config.language == "fr"
    assert config.methods.shap.text_config.max_top_tokens == 50
    image = load_config(
        with_change(lambda c: c["methods"].update(shap={"image_config": {"model_type": "OBJECT_DETECTION"}}))
    )
    assert image.methods.shap.image_config.num_segments == 20
    assert image.methods.shap.image_config.model_type == "object_detection"


def test_config_from_file_and_invalid_json(tmp_path):
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(BASE))
    assert load_config(path).label == "income"
    path.write_text('{"dataset_type": "text/csv",\n "methods": }')
    with pytest.raises(ConfigError, match=r"analysis_config.json:2: invalid JSON"):
        load_config(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["methods"].update(shap={"num_samples": -3}),
            "methods.shap.num_samples: expected a positive integer, got -3",
        ),
        (
            lambda c: c["methods"].update(shap={"num_samples": 10.0}),
            "methods.shap.num_samples: expected a positive integer, got 10.0",
        ),
        (lambda c: c.update(colour="red"), "colour: unknown key"),
        (lambda c: c["methods"].update(shap={"numsamples": 3}), "methods.shap.numsamples: unknown key"),
        (lambda c: c.pop("label"), "label: required for bias metrics"),
        (lambda c: c.pop("methods"), "methods: required key is missing"),
        (lambda c: c.pop("dataset_type"), "dataset_type: required key is missing"),
        (lambda c: c.update(dataset_type="text/tsv"), "dataset_type: expected one of"),
        (
            lambda c: c["facet"][0].update(name_or_index="gender"),
            "facet[0].name_or_index: column 'gender' is not in headers",
        ),
        (lambda c: c["facet"][0].update(name_or_index=9), "facet[0].name_or_index: column index 9 is out of range"),
        (
            lambda c: c["facet"][0].update(value_or_threshold=0),
            "facet[0].value_or_threshold: Input should be a valid list",
        ),
        (lambda c: c.update(label_values_or_threshold=1), "label_values_or_threshold: Input should be a valid list"),
        (lambda c: c["methods"]["pre_training_bias"].update(methods=["CI", "XYZ"]), "unknown metric 'XYZ'"),
        (lambda c: c.update(probability_threshold=1.5), "probability_threshold: expected a number between 0 and 1"),
        (
            lambda c: c["methods"].update(shap={"use_logit": 1}),
            "methods.shap.use_logit: Input should be a valid boolean",
        ),
        (lambda c: c["methods"].update(shap={"seed": True}), "methods.shap.seed: Input should be a valid integer"),
        (lambda c: c["methods"].update(shap={"baseline": [[1]], "num_clusters": 2}), "baseline and num_clusters"),
        (
            lambda c: c["methods"].update(pdp={"features": ["age"]}),
            "methods.pdp.grid_resolution: required key is missing",
        ),
        (lambda c: c["methods"].update(pdp={"grid_resolution": 5}), "pdp: features must be given"),
        (
            lambda c: c["methods"].update(shap={"text_config": {"granularity": "word", "language": "en"}}),
            "methods.shap.text_config.granularity",
        ),
        (
            lambda c: c["methods"].update(shap={"text_config": {"granularity": "token", "language": "klingon"}}),
            "unknown language 'klingon'",
        ),
        (lambda c: c.update(headers=["a", "a"]), "headers: duplicate column names"),
        (
            lambda c: c.update(predictor={"content_type": "application/jsonlines", "content_template": "{}"}),
            "must contain the placeholder $features",
        ),
    ],
)
def test_bad_configs_name_the_key_path(change, message):
    with pytest.raises(ConfigError) as info:
        load_config(with_change(change))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
