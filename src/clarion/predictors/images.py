"""Image models behind a remote endpoint: each image is one request, under the same transport policy as rows.

Request: the image as ``image/jpeg`` (quality 95) or ``image/png`` bytes, ``Accept: application/json``.
Answer (JSON): classification -> a list of scores, or an object whose ``probability`` JMESPath (else key
``probabilities``, ``prediction``, ``predictions`` or ``scores``) holds them; object detection ->
``{"prediction": [[class, score, x0, y0, x1, y1], ...]}`` or a bare list. Concurrency, retries, the
whole-answer timeout, messages and closing are those of ``remote.Caller``.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import jmespath
import numpy as np

from clarion.errors import ConfigError, PredictorError
from clarion.predictors.http import HttpEndpoint
from clarion.predictors.remote import DEFAULT_SETTINGS, Caller, Endpoint, TransportSettings

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/jpg": "JPEG"}
ANSWER_KEYS = ("probabilities", "prediction", "predictions", "scores")


def encode_image(image: np.ndarray, content_type: str = "image/png") -> bytes:
    """PNG or JPEG (quality 95) bytes of an (H, W, 3) uint8 image."""
    from PIL import Image  # Pillow comes with the image extra

    fmt = IMAGE_TYPES.get(content_type)
    if fmt is None:
        raise ConfigError(f"predictor.content_type: expected image/jpeg or image/png for images, got {content_type!r}")
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def image_content_type(content_type: str | None) -> str:
    """The request type for images: the config's image type, else image/jpeg (image/jpg reads as image/jpeg)."""
    if content_type in ("image/jpeg", "image/jpg"):
        return "image/jpeg"
    return "image/png" if content_type == "image/png" else "image/jpeg"


def decode_answer(content: bytes, probability: str | None) -> Any:
    """The scores or detections in one JSON answer."""
    try:
        answer = json.loads(content)
    except ValueError:
        raise PredictorError("the answer is not JSON") from None
    if probability is not None:
        found = jmespath.search(probability, answer)
        if found is None:
            raise PredictorError(f"JMESPath {probability!r} found nothing in the answer")
        return found
    if isinstance(answer, dict):
        for key in ANSWER_KEYS:
            if key in answer:
                return answer[key]
        raise PredictorError("the JSON answer has none of probabilities, prediction, predictions, scores")
    return answer


class ImagePredictor:
    """A callable ``(n, H, W, 3) uint8 -> n answers`` over an endpoint; a context manager."""

    def __init__(
        self,
        endpoint: Endpoint,
        settings: TransportSettings = DEFAULT_SETTINGS,
        content_type: str = "image/jpeg",
        *,
        probability: str | None = None,
    ) -> None:
        encode_image(np.zeros((1, 1, 3), dtype=np.uint8), content_type)  # validates the content type
        self.endpoint = endpoint
        self.content_type = content_type
        self.probability = probability
        self.caller = Caller(endpoint, settings)

    def __enter__(self) -> ImagePredictor:
        self.endpoint.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.endpoint.close()

    def __call__(self, images: np.ndarray) -> list[Any]:
        self.endpoint.open()
        jobs: Iterable[Callable[[], Any]] = (functools.partial(self._one, i, image) for i, image in enumerate(images))
        return self.caller.run_all(jobs)

    def _one(self, index: int, image: np.ndarray) -> Any:
        where = f"{self.endpoint.where} (image {index})"
        content = self.caller.call(encode_image(image, self.content_type), self.content_type, "application/json", where)
        try:
            return decode_answer(content, self.probability)
        except PredictorError as exc:
            raise PredictorError(f"{where}: {exc}") from None


class HttpImagePredictor(ImagePredictor):
    """An ImagePredictor calling ``POST {url}/invocations``."""

    def __init__(
        self,
        url: str,
        content_type: str = "image/jpeg",
        *,
        probability: str | None = None,
        settings: TransportSettings = DEFAULT_SETTINGS,
    ) -> None:
        super().__init__(HttpEndpoint(url, settings), settings, content_type, probability=probability)


class CallableImages:
    """A Python function of an image array, as a context manager like the remote image predictors."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __enter__(self) -> CallableImages:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, images: np.ndarray) -> Any:
        return self.function(images)
