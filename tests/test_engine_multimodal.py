"""Text and image explanations through the engine: config in, out.jsonl and heat maps out."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from clarion.engine import run_analysis
from clarion.errors import ConfigError
from text_image_fixtures import shapes_image, spam_pipeline

MESSAGES = [
    "Free entry! Win a prize now, call 0800 123",
    "Are we still meeting for lunch today?",
    "URGENT: your account was selected. Claim your reward",
    "ok see you at home",
]


def colour_scores(batch: np.ndarray) -> np.ndarray:
    """An image model: score of 'red' = share of strongly red pixels, and its complement."""
    b = np.asarray(batch).astype(int)
    red = ((b[..., 0] > 170) & (b[..., 1] < 80) & (b[..., 2] < 80)).mean(axis=(1, 2))
    return np.stack([red, 1 - red], axis=1)


@pytest.fixture(scope="module")
def spam_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spam")
    pipe, _ = spam_pipeline()
    joblib.dump(pipe, folder / "model.joblib")
    return folder, pipe


@pytest.mark.slow
def test_text_run_writes_out_jsonl_with_efficient_attributions(tmp_path, spam_model):
    folder, pipe = spam_model
    data = tmp_path / "texts.csv"
    pd.DataFrame({"id": range(len(MESSAGES)), "text": MESSAGES}).to_csv(data, header=False, index=False)
    config = {
        "dataset_type": "text/csv",
        "headers": ["id", "text"],
        "joinsource_name_or_index": "id",
        "methods": {
            "shap": {
                "text_config": {"granularity": "token", "language": "english", "max_top_tokens": 5},
                "num_samples": 64,
                "seed": 1,
            }
        },
        "predictor": {"model_uri": str(folder / "model.joblib")},
    }
    analysis = run_analysis(config, data_uri=str(data), output_dir=tmp_path / "out", quiet=True)
    lines = [
        json.loads(line) for line in (tmp_path / "out" / "explanations_shap" / "out.jsonl").read_text().splitlines()
    ]
    assert [line["join_source_value"] for line in lines] == [0, 1, 2, 3]
    empty = pipe.predict_proba(pd.DataFrame({"text": [""]}))[0, 1]
    for message, line in zip(MESSAGES, lines, strict=True):
        (entry,) = line["explanations"]
        assert entry["feature_name"] == "text" and entry["data_type"] == "free_text"
        for item in entry["attributions"]:
            start, part = item["description"]["start_idx"], item["description"]["partial_text"]
            assert message[start : start + len(part)] == part
        total = sum(item["attribution"][0] for item in entry["attributions"])
        full = pipe.predict_proba(pd.DataFrame({"text": [message]}))[0, 1]
        assert total == pytest.approx(full - empty, abs=1e-9)
    top = analysis["explanations"]["kernel_shap"]["label0"]["global_top_shap_text"]["text"]
    assert 0 < len(top) <= 5


def test_image_run_writes_heatmaps(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(shapes_image(rng, 48, red=True, blue=bool(i))).save(folder / f"img{i}.png")
    black = tmp_path / "black.png"
    Image.fromarray(np.zeros((48, 48, 3), dtype=np.uint8)).save(black)
    config = {
        "dataset_type": "application/x-image",
        "methods": {
            "shap": {
                "image_config": {"model_type": "IMAGE_CLASSIFICATION", "num_segments": 8},
                "baseline": str(black),
                "num_samples": 100,
                "seed": 2,
            }
        },
        "predictor": {"model_callable": "test_engine_multimodal:colour_scores", "label_headers": ["red", "other"]},
    }
    analysis = run_analysis(config, data_uri=str(folder), output_dir=tmp_path / "out", quiet=True)
    assert set(analysis["explanations"]["kernel_shap"]) == {"red", "other"}
    shap_dir = tmp_path / "out" / "explanations_shap"
    assert sorted(p.name for p in shap_dir.glob("*.jpeg"))
    lines = [json.loads(line) for line in (shap_dir / "out.jsonl").read_text().splitlines()]
    assert len(lines) == 2
    for i, line in enumerate(lines):
        image = np.asarray(Image.open(folder / f"img{i}.png").convert("RGB"))[None]
        values = np.array([a["attribution"] for a in line["explanations"][0]["attributions"]])
        # efficiency per image: sum of segment values = f(image) - f(black baseline), and f(black) = (0, 1)
        expected = colour_scores(image)[0] - np.array([0.0, 1.0])
        np.testing.assert_allclose(values.sum(axis=0), expected, atol=1e-9)
        assert expected[0] > 0.01  # the image really has red pixels to attribute


def test_image_config_needs_an_image_dataset(tmp_path):
    config = {
        "dataset_type": "text/csv",
        "methods": {"shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION"}}},
        "predictor": {"model_callable": "test_engine_multimodal:colour_scores"},
    }
    with pytest.raises(ConfigError, match="methods.shap.image_config: needs dataset_type application/x-image"):
        run_analysis(config, data_uri=str(tmp_path), output_dir=tmp_path / "out", quiet=True)
