"""Kernel SHAP for images: SLIC superpixels are the players, masked superpixels show a baseline image.

- Segments: ``skimage.segmentation.slic(image, n_segments=num_segments, compactness=segment_compactness,
  start_label=0)``, relabelled 0..M-1 (SLIC may return fewer or more segments than asked).
- Baseline (``methods.shap.baseline``): absent -> a white-noise image (uniform 0..255 per pixel and
  channel, drawn from the seeded generator) at the input's resolution, as Clarify documents; a URI
  or path -> that image resized to the input (bilinear).
- Image classification: K model outputs per image (class scores); one explanation per image and output.
- Object detection: the model answers rows ``[class_id, score, xmin/w, ymin/h, xmax/w, ymax/h]``. The
  original image's detections with score > probability_threshold are kept, best first, at most
  ``max_objects``. Box i's value on a masked image is the highest score among the masked image's
  detections of the same class whose IoU with box i is >= ``iou_threshold`` (0 when none).
  ``context`` c in [0, 1] is the share of the image outside box i that stays visible: the visible
  window is the box grown by c times its distance to each image border (c = 1: the whole image,
  c = 0: the box only); pixels outside it always show the baseline, and only segments that touch the
  window are players (the others get 0).
- Model calls: ``predict_images`` receives uint8 arrays (n, H, W, 3), in batches of ``batch_size``;
  remote image models are called through ``clarion.predictors.images`` (one image per request under the
  predictors' transport policy).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clarion.config.methods import ImageConfig
from clarion.errors import DataError, PredictorError
from clarion.explain.coalitions import effective_num_samples, plan_coalitions
from clarion.explain.kernel_shap import explain

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
DEFAULT_BATCH_SIZE = 64

PredictImages = Callable[[np.ndarray], Any]  # (n, H, W, 3) uint8 -> (n, K) scores, or n detection arrays (d, 6)
Progress = Callable[[int], None]


def list_image_files(location: str | Path) -> list[Path]:
    """An image file, or the .jpg/.jpeg/.png files of a folder (sorted by name, subfolders included)."""
    path = Path(location)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: no such image file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"{path}: the folder holds no .jpg, .jpeg or .png files")
    return files


def read_image(path: str | Path) -> np.ndarray:
    """The image as an (H, W, 3) uint8 RGB array."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the image: {str(exc).splitlines()[0]}") from None


def decode_image(data: bytes) -> np.ndarray:
    """(H, W, 3) uint8 RGB array from image bytes."""
    return read_image(io.BytesIO(data))  # type: ignore[arg-type]


def segment_image(image: np.ndarray, num_segments: int, compactness: float) -> np.ndarray:
    """SLIC superpixels as an (H, W) int array with labels 0..M-1."""
    from skimage.segmentation import slic

    labels = slic(image, n_segments=int(num_segments), compactness=float(compactness), start_label=0, channel_axis=-1)
    _, dense = np.unique(labels, return_inverse=True)
    return dense.reshape(labels.shape).astype(np.int32)


def noise_baseline(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """White noise: uniform integers 0..255 per pixel and channel."""
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def resized_baseline(baseline: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The baseline image resized (bilinear) to ``shape`` = (H, W, 3)."""
    from PIL import Image

    if baseline.shape == tuple(shape):
        return baseline
    resized = Image.fromarray(baseline).resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)


class MaskedImages:
    """Synthetic images, built lazily batch by batch: image i shows the explained image on the
    segments its mask keeps and on ``always`` pixels (when given), the background elsewhere."""

    def __init__(
        self,
        image: np.ndarray,
        segments: np.ndarray,
        players: np.ndarray,
        background: np.ndarray,
        background_ids: np.ndarray,
        masks: np.ndarray,
        window: np.ndarray | None,
    ) -> None:
        self._image, self._segments, self._players = image, segments, players
        self._background, self._bg_ids, self._masks, self._window = background, background_ids, masks, window
        # player index of each segment (-1: not a player, always from the image unless outside the window)
        self._player_of_segment = np.full(int(segments.max()) + 1, -1, dtype=np.intp)
        self._player_of_segment[players] = np.arange(players.shape[0])

    def __len__(self) -> int:
        return int(self._masks.shape[0])

    def batch(self, lo: int, hi: int) -> np.ndarray:
        masks = self._masks[lo:hi]
        keep_segment = np.ones((masks.shape[0], self._player_of_segment.shape[0]), dtype=bool)
        is_player = self._player_of_segment >= 0
        keep_segment[:, is_player] = masks[:, self._player_of_segment[is_player]]
        keep = keep_segment[:, self._segments]  # (n, H, W)
        if self._window is not None:
            keep &= self._window[None]
        bg = self._background[self._bg_ids[lo:hi]]
        return np.where(keep[..., None], self._image[None], bg)

    def batches(self, size: int) -> Iterator[np.ndarray]:
        for lo in range(0, len(self), size):
            yield self.batch(lo, min(len(self), lo + size))


class ImageComposer:
    """Composer (see ``composer.Composer``) for one image; players are the given segments."""

    def __init__(
        self,
        image: np.ndarray,
        segments: np.ndarray,
        background: np.ndarray,
        players: np.ndarray | None = None,
        window: np.ndarray | None = None,
    ) -> None:
        self._image = image
        self._segments = segments
        self._background = background  # (B, H, W, 3)
        self._players = np.arange(int(segments.max()) + 1) if players is None else np.asarray(players)
        self._window = window

    @property
    def num_players(self) -> int:
        return int(self._players.shape[0])

    @property
    def num_rows(self) -> int:
        return 1

    @property
    def num_background(self) -> int:
        return int(self._background.shape[0])

    @property
    def background_is_row_free(self) -> bool:
        return True  # with nothing kept from the image, the input is the background image

    def value_codes(self, row_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = self.num_background
        bg_codes = np.broadcast_to(np.arange(b)[:, None], (b, self.num_players)).copy()
        return bg_codes, np.full((len(row_ids), self.num_players), -1, dtype=np.int64)

    def compose(self, row_ids: np.ndarray, background_ids: np.ndarray, masks: np.ndarray) -> MaskedImages:
        return MaskedImages(
            self._image, self._segments, self._players, self._background, background_ids, masks, self._window
        )

    def background_inputs(self) -> MaskedImages:
        b = self.num_background
        return MaskedImages(
            self._image,
            self._segments,
            self._players,
            self._background,
            np.arange(b),
            np.zeros((b, self.num_players), dtype=bool),
            self._window,
        )


def _batched(predict: Callable[[np.ndarray], Any], batch_size: int) -> Callable[[Any], list[Any]]:
    def run(inputs: Any) -> list[Any]:
        if len(inputs) == 0:
            return []
        batches = inputs.batches(batch_size) if isinstance(inputs, MaskedImages) else [np.asarray(inputs)]
        out: list[Any] = []
        for batch in batches:
            answer = predict(batch)
            if len(answer) != len(batch):
                raise PredictorError(f"the image model answered {len(answer)} results for {len(batch)} images")
            out.extend(list(answer))
        return out

    return run


def _scores(predict: Callable[[np.ndarray], Any], batch_size: int, k: int) -> Callable[[Any], np.ndarray]:
    run = _batched(predict, batch_size)

    def scores(inputs: Any) -> np.ndarray:
        if len(inputs) == 0:
            return np.zeros((0, k))
        return np.asarray(run(inputs), dtype=float).reshape(len(inputs), k)

    return scores


@dataclass(frozen=True)
class DetectedBox:
    """A detection: class id, score and box corners as fractions of width and height."""

    class_id: float
    score: float
    box: tuple[float, float, float, float]  # xmin/w, ymin/h, xmax/w, ymax/h


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes a (n, 4) against one box b (4,), corners (x0, y0, x1, y1)."""
    ix = np.clip(np.minimum(a[:, 2], b[2]) - np.maximum(a[:, 0], b[0]), 0, None)
    iy = np.clip(np.minimum(a[:, 3], b[3]) - np.maximum(a[:, 1], b[1]), 0, None)
    inter = ix * iy
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _detections(value: Any) -> np.ndarray:
    rows = np.asarray(value, dtype=float).reshape(-1, 6) if len(value) else np.zeros((0, 6))
    return rows


def matched_scores(detections: Sequence[Any], boxes: Sequence[DetectedBox], iou_threshold: float) -> np.ndarray:
    """(n, K): for each image's detections and each box, the best score of a same-class detection with
    IoU >= iou_threshold, else 0."""
    out = np.zeros((len(detections), len(boxes)))
    for i, det in enumerate(detections):
        rows = _detections(det)
        if rows.shape[0] == 0:
            continue
        for k, box in enumerate(boxes):
            same = rows[:, 0] == box.class_id
            hit = same & (iou(rows[:, 2:6], np.asarray(box.box)) >= iou_threshold)
            if hit.any():
                out[i, k] = rows[hit, 1].max()
    return out


def select_boxes(detections: Any, max_objects: int, probability_threshold: float) -> list[DetectedBox]:
    """Detections with score > probability_threshold, best first, at most max_objects."""
    rows = _detections(detections)
    rows = rows[rows[:, 1] > probability_threshold]
    rows = rows[np.argsort(-rows[:, 1], kind="stable")][:max_objects]
    return [DetectedBox(float(r[0]), float(r[1]), (float(r[2]), float(r[3]), float(r[4]), float(r[5]))) for r in rows]


def context_window(box: tuple[float, float, float, float], shape: tuple[int, int], context: float) -> np.ndarray:
    """(H, W) bool: the box grown by ``context`` times its distance to each border."""
    h, w = shape
    x0, y0, x1, y1 = box
    gx0, gx1 = x0 * (1 - context), x1 + (1 - x1) * context
    gy0, gy1 = y0 * (1 - context), y1 + (1 - y1) * context
    cols = (np.arange(w) + 0.5) / w
    rows = (np.arange(h) + 0.5) / h
    return ((rows >= gy0) & (rows <= gy1))[:, None] & ((cols >= gx0) & (cols <= gx1))[None, :]


@dataclass(frozen=True, eq=False)
class ImageExplanation:
    """One image: segments (H, W), values (num_segments, K) per output (0 for non-players), base_value
    v(empty) and prediction f(x) (K,). For object detection, ``boxes`` are the K explained detections
    and all_detections everything the model found on the original image."""

    name: str
    path: str
    image: np.ndarray
    segments: np.ndarray
    values: np.ndarray
    base_value: np.ndarray
    prediction: np.ndarray
    output_names: tuple[str, ...]
    boxes: tuple[DetectedBox, ...] = ()
    all_detections: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class ImageShapResult:
    model_type: str
    images: tuple[ImageExplanation, ...]
    output_names: tuple[str, ...]
    model_rows: int
    exact: bool


def _background(image: np.ndarray, baseline: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    if baseline is None:
        return noise_baseline(image.shape, rng)[None]
    return resized_baseline(baseline, image.shape)[None]


def explain_images(
    image_files: Sequence[str | Path],
    image_config: ImageConfig,
    predict_images: PredictImages,
    output_names: Sequence[str] | None,
    num_samples: int | None,
    rng: np.random.Generator,
    out_dir: str | Path | None = None,
    *,
    baseline: np.ndarray | None = None,
    probability_threshold: float = 0.5,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImageShapResult:
    """Kernel SHAP values of the superpixels of each image.

    predict_images: (n, H, W, 3) uint8 -> (n, K) scores (classification) or n arrays of detection
        rows (object detection). output_names: K names for classification (None: label0..); ignored
        for detection (outputs are box1..boxN per image).
    baseline: an (h, w, 3) uint8 image resized to each input; None -> seeded white noise per image.
    out_dir: when given, the heat maps are written there (``text_image_outputs.write_image_heatmaps``).
    Efficiency per image and output: sum of values = f(x) - f(baseline window), exact for 2^M - 2 <= budget.
    """
    images, total_rows, exact = [], 0, True
    detection = image_config.model_type == "object_detection"
    for path in image_files:
        image = read_image(path)
        segments = segment_image(image, image_config.num_segments, image_config.segment_compactness)
        background = _background(image, baseline, rng)
        m_all = int(segments.max()) + 1
        name = Path(path).name
        if not detection:
            composer = ImageComposer(image, segments, background)
            probe = np.asarray(_batched(predict_images, batch_size)(image[None]), dtype=float)
            probe = probe.reshape(1, -1)
            k = probe.shape[1]
            scores = _scores(predict_images, batch_size, k)
            names = list(output_names) if output_names is not None else [f"label{i}" for i in range(k)]
            plan = plan_coalitions(m_all, effective_num_samples(m_all, num_samples), rng)
            shap = explain(
                composer,
                scores,
                plan,
                feature_names=[f"segment{j}" for j in range(m_all)],
                output_names=names,
                row_outputs=probe,
            )
            total_rows += shap.model_rows + 1
            exact &= shap.exact
            images.append(
                ImageExplanation(
                    name,
                    str(path),
                    image,
                    segments,
                    shap.values[0],
                    shap.base_values[0],
                    probe.reshape(-1),
                    tuple(names),
                )
            )
        else:
            run = _batched(predict_images, batch_size)
            found = _detections(run(image[None])[0])
            boxes = select_boxes(found, image_config.max_objects, probability_threshold)
            total_rows += 1
            names = [f"box{i + 1}" for i in range(len(boxes))]
            values = np.zeros((m_all, len(boxes)))
            base = np.zeros(len(boxes))
            pred = np.array([b.score for b in boxes])
            windows: list[tuple[np.ndarray | None, list[int]]] = []
            if image_config.context >= 1.0 or not boxes:
                windows.append((None, list(range(len(boxes)))))
            else:
                windows.extend(
                    (context_window(b.box, image.shape[:2], image_config.context), [i]) for i, b in enumerate(boxes)
                )
            for window, box_ids in windows:
                if not box_ids:
                    continue
                chosen = [boxes[i] for i in box_ids]
                players = np.arange(m_all) if window is None else np.unique(segments[window])
                composer = ImageComposer(image, segments, background, players, window)
                value = _box_values(run, chosen, image_config.iou_threshold)
                plan = plan_coalitions(len(players), effective_num_samples(len(players), num_samples), rng)
                row_out = None if window is not None else pred[None, box_ids]
                shap = explain(
                    composer,
                    value,
                    plan,
                    feature_names=[f"segment{j}" for j in players],
                    output_names=[names[i] for i in box_ids],
                    row_outputs=row_out,
                )
                total_rows += shap.model_rows
                exact &= shap.exact
                values[np.ix_(players, np.asarray(box_ids))] = shap.values[0]
                base[box_ids] = shap.base_values[0]
                pred[box_ids] = shap.base_values[0] + shap.values[0].sum(axis=0)
            images.append(
                ImageExplanation(
                    name, str(path), image, segments, values, base, pred, tuple(names), tuple(boxes), found
                )
            )
        if progress is not None:
            progress(1)
    result = ImageShapResult(
        model_type=image_config.model_type,
        images=tuple(images),
        output_names=tuple(images[0].output_names) if images and not detection else (),
        model_rows=total_rows,
        exact=exact,
    )
    if out_dir is not None:
        from clarion.explain.text_image_outputs import write_image_heatmaps

        write_image_heatmaps(out_dir, result)
    return result


def _box_values(
    run: Callable[[Any], list[Any]], boxes: list[DetectedBox], iou_threshold: float
) -> Callable[[Any], np.ndarray]:
    return lambda inputs: matched_scores(run(inputs), boxes, iou_threshold)
