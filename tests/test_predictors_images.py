"""Image models through the predictor layer: one image per request under the transport policy."""

import io
import json
import sys

import httpx
import numpy as np
import pytest
from PIL import Image

from clarion.config import load_config
from clarion.errors import NotSupportedError, PredictorError
from clarion.predictors import HttpEndpoint, RetryPolicy, TransportSettings
from clarion.predictors.build import build_image_predictor
from clarion.predictors.images import ImagePredictor

RNG = np.random.default_rng(7)
IMAGES = RNG.integers(0, 256, size=(6, 8, 8, 3), dtype=np.uint8)


def channel_means(image: np.ndarray) -> list[float]:
    """The model: mean of each colour channel / 255 (computed on the decoded request image)."""
    return [float(v) for v in image.reshape(-1, 3).mean(axis=0) / 255.0]


def mock_images(handler, content_type="image/png", probability=None, **settings):
    settings.setdefault("retry", RetryPolicy(max_retries=2, base_seconds=0.001, cap_seconds=0.002))
    transport_settings = TransportSettings(**settings)
    endpoint = HttpEndpoint("http://images.test", transport_settings, transport=httpx.MockTransport(handler))
    return ImagePredictor(endpoint, transport_settings, content_type, probability=probability)


def decoded(request: httpx.Request) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(request.content)).convert("RGB"))


def test_each_image_is_one_png_request_and_503_is_retried():
    seen = []

    def handler(request):
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"probabilities": channel_means(decoded(request))})

    with mock_images(handler, max_concurrency=1) as predict:
        answers = predict(IMAGES)
    # PNG is lossless: the server saw exactly our pixels
    assert answers == [channel_means(image) for image in IMAGES]
    assert len(seen) == len(IMAGES) + 1
    assert all(r.headers["content-type"] == "image/png" and r.headers["accept"] == "application/json" for r in seen)
    assert predict.endpoint._client is None


def test_probability_jmespath_and_bare_lists():
    with mock_images(lambda r: httpx.Response(200, json={"out": {"p": [0.25, 0.75]}}), probability="out.p") as p:
        assert p(IMAGES[:2]) == [[0.25, 0.75], [0.25, 0.75]]
    with mock_images(lambda r: httpx.Response(200, json=[0.5, 0.5])) as p:
        assert p(IMAGES[:1]) == [[0.5, 0.5]]


def test_bad_answers_name_the_image_and_stay_short():
    long_text = "x" * 300
    with mock_images(lambda r: httpx.Response(200, content=long_text.encode())) as p:
        with pytest.raises(PredictorError, match=r"^POST http://images.test/invocations \(image 0\): the answer is"):
            p(IMAGES[:1])
    with mock_images(lambda r: httpx.Response(400, content=long_text.encode())) as p:
        with pytest.raises(PredictorError) as info:
            p(IMAGES[:1])
    assert str(info.value).endswith("HTTP 400: " + "x" * 39 + "…")


def test_timeouts_and_retries_come_from_the_config():
    cfg = load_config(
        {
            "dataset_type": "application/x-image",
            "methods": {"shap": {"image_config": {"num_segments": 4}}},
            "predictor": {
                "endpoint_url": "http://127.0.0.1:9",
                "content_type": "image/png",
                "max_retries": 1,
                "timeout_seconds": 7,
                "max_concurrency": 3,
            },
        }
    )
    predictor = build_image_predictor(cfg)
    assert isinstance(predictor, ImagePredictor) and predictor.content_type == "image/png"
    assert predictor.caller.settings.timeout_seconds == 7 and predictor.caller.settings.retry.max_retries == 1
    assert predictor.caller.settings.max_concurrency == 3
    with predictor:  # port 9 (discard) refuses: retried once, then a clear error
        with pytest.raises(PredictorError, match=r"connection failed \(ConnectError\) \(gave up after 2 attempts\)"):
            predictor(IMAGES[:1])


def test_model_files_are_not_image_models():
    cfg = load_config(
        {
            "dataset_type": "application/x-image",
            "methods": {"shap": {"image_config": {}}},
            "predictor": {"model_uri": sys.executable},
        }
    )
    with pytest.raises(NotSupportedError, match="image models are called through endpoint_url"):
        build_image_predictor(cfg)


def test_json_answer_object_keys():
    body = json.dumps({"prediction": [[1, 0.9, 0.1, 0.1, 0.5, 0.5]]})
    with mock_images(lambda r: httpx.Response(200, content=body.encode())) as p:
        assert p(IMAGES[:1]) == [[[1, 0.9, 0.1, 0.1, 0.5, 0.5]]]
