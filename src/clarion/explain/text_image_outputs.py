"""Outputs of text and image explanations, in Clarify's shapes where they are known.

Text (CLARIFY_OUTPUTS.md 1b and 2, from the text-sentiment notebook's real output):

- ``explanations_shap/out.jsonl``: one line per record, ``{"explanations": [{"feature_name": col,
  "data_type": "free_text", "attributions": [{"attribution": [v per output], "description":
  {"partial_text": unit, "start_idx": offset}}, ...]}, ...]}`` plus ``"join_source_value"`` when a
  join-source column is configured. Non-text columns are entries too, with ``data_type``
  ``numerical`` or ``categorical`` and one attribution without a description.
- ``explanations.kernel_shap.<label>``: ``expected_value`` (mean model output on the baseline rows),
  ``global_top_shap_text`` {text column: {unit: value}} with at most ``max_top_tokens`` units, and
  ``global_shap_values`` for the non-text columns (when there are any). A unit's global value
  aggregates its local values over all its occurrences in all records by ``agg_method`` (mean_abs:
  mean |phi|, mean_sq: mean phi^2, median: signed median); the key is the unit's text without its
  trailing whitespace, case kept (what the model saw). The top units are those with the largest
  |global value|, ties broken by text; they are written largest first.

Images (CLARIFY_OUTPUTS.md 1e; Clarify's JSON for images is not public, so out.jsonl is clarion's):

- Heat maps go to ``explanations_shap/`` beside out.jsonl (Clarify's notebooks collect every
  ``.jpeg`` below the job output, so the folder is free): classification ``shap_<stem>_<label>.jpeg``
  for the best-scoring output of each image (left: the image with its segment borders, right: the
  SHAP heat map, blue = positive, red = negative, opacity = |value| / max |value|); object detection
  ``shap_<stem>_box<N>_object.jpeg`` per explained box and ``<stem>_objects.jpeg`` with every
  detection above the threshold drawn.
- ``explanations_shap/out.jsonl``: one line per image, ``{"explanations": [{"feature_name": <file
  name>, "data_type": "image", "attributions": [{"attribution": [v per output], "description":
  {"segment_id": j}}, ...]}], "label_headers": [...]}`` (for detection the outputs are ``box1``..
  and ``"boxes"`` lists ``{"class_id", "score", "box"}``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clarion.data.atomic import write_bytes_atomic, write_with
from clarion.explain.aggregate import AggMethod
from clarion.explain.image import ImageExplanation, ImageShapResult
from clarion.explain.text import TextShapResult

# ---------------------------------------------------------------- text


def _num(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def text_records(result: TextShapResult, join_source: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """The out.jsonl objects, one per record, in input order."""
    if join_source is not None and len(join_source) != len(result.records):
        raise ValueError(f"join_source has {len(join_source)} values for {len(result.records)} records")
    out = []
    for i, record in enumerate(result.records):
        entries: list[dict[str, Any]] = []
        for feature in record.features:
            attributions: list[dict[str, Any]]
            if feature.units is None:
                attributions = [{"attribution": [_num(v) for v in feature.values[0]]}]
            else:
                attributions = [
                    {
                        "attribution": [_num(v) for v in values],
                        "description": {"partial_text": unit.partial_text, "start_idx": unit.start_idx},
                    }
                    for unit, values in zip(feature.units, feature.values, strict=True)
                ]
            entries.append(
                {"feature_name": feature.feature_name, "data_type": feature.data_type, "attributions": attributions}
            )
        line: dict[str, Any] = {"explanations": entries}
        if join_source is not None:
            line["join_source_value"] = _plain(join_source[i])
        out.append(line)
    return out


def write_jsonl(path: str | Path, lines: Sequence[dict[str, Any]]) -> Path:
    """One compact JSON object per line, written atomically."""

    def dump(handle: Any) -> None:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False, separators=(", ", ": ")) + "\n")

    return write_with(path, dump)


def write_text_out_jsonl(path: str | Path, result: TextShapResult, join_source: Sequence[Any] | None = None) -> Path:
    """explanations_shap/out.jsonl for text explanations."""
    return write_jsonl(path, text_records(result, join_source))


def _aggregate(values: np.ndarray, method: AggMethod) -> float:
    if method == "mean_abs":
        return float(np.abs(values).mean())
    if method == "mean_sq":
        return float((values * values).mean())
    if method == "median":
        return float(np.median(values))
    raise ValueError(f"unknown aggregation method {method!r}")


def global_top_shap_text(
    result: TextShapResult, agg_method: AggMethod = "mean_abs", max_top_tokens: int = 50
) -> dict[str, dict[str, dict[str, float]]]:
    """{label: {text column: {unit: global value}}}, at most ``max_top_tokens`` units per column."""
    section: dict[str, dict[str, dict[str, float]]] = {label: {} for label in result.output_names}
    for column in result.text_columns:
        occurrences: dict[str, list[np.ndarray]] = {}
        for record in result.records:
            feature = next(f for f in record.features if f.feature_name == column)
            for unit, values in zip(feature.units or (), feature.values, strict=True):
                occurrences.setdefault(unit.core, []).append(values)
        for k, label in enumerate(result.output_names):
            scored = [
                (token, _aggregate(np.array([v[k] for v in vals]), agg_method)) for token, vals in occurrences.items()
            ]
            scored.sort(key=lambda item: (-abs(item[1]), item[0]))
            section[label][column] = {token: value for token, value in scored[:max_top_tokens]}
    return section


def text_kernel_shap_section(
    result: TextShapResult, agg_method: AggMethod = "mean_abs", max_top_tokens: int = 50
) -> dict[str, Any]:
    """``explanations.kernel_shap`` for a run with ``text_config`` (see the module docstring)."""
    top = global_top_shap_text(result, agg_method, max_top_tokens)
    section: dict[str, Any] = {}
    others = [f.feature_name for f in result.records[0].features if f.units is None] if result.records else []
    for k, label in enumerate(result.output_names):
        entry: dict[str, Any] = {}
        if others:
            entry["global_shap_values"] = {
                name: _aggregate(
                    np.array(
                        [next(f for f in r.features if f.feature_name == name).values[0, k] for r in result.records]
                    ),
                    agg_method,
                )
                for name in others
            }
        entry["expected_value"] = _num(result.expected_value[k])
        entry["global_top_shap_text"] = top[label]
        section[label] = entry
    return section


# ---------------------------------------------------------------- images


def heat_overlay(image: np.ndarray, segments: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The image in grey with each segment tinted blue (value > 0) or red (< 0), opacity |v| / max |v|."""
    grey = image.astype(float).mean(axis=2, keepdims=True).repeat(3, axis=2)
    scale = float(np.abs(values).max()) if values.size else 0.0
    strength = np.abs(values) / scale if scale > 0 else np.zeros_like(values)
    alpha = (0.75 * strength[segments])[..., None]
    colour = np.where((values[segments] >= 0)[..., None], np.array([40.0, 90.0, 255.0]), np.array([255.0, 40.0, 40.0]))
    return np.clip((1 - alpha) * grey + alpha * colour, 0, 255).astype(np.uint8)


def with_borders(image: np.ndarray, segments: np.ndarray) -> np.ndarray:
    from skimage.segmentation import find_boundaries

    out = image.copy()
    out[find_boundaries(segments, mode="inner")] = (255, 220, 0)
    return out


def _jpeg(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _draw_boxes(image: np.ndarray, boxes: Sequence[Any], labels: Sequence[str]) -> np.ndarray:
    from PIL import Image, ImageDraw

    h, w = image.shape[:2]
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for box, label in zip(boxes, labels, strict=True):
        x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
        draw.rectangle([x0, y0, x1, y1], outline=(0, 230, 0), width=max(1, min(h, w) // 100))
        draw.text((x0 + 2, y0 + 1), label, fill=(0, 230, 0))
    return np.asarray(canvas)


def _stem(item: ImageExplanation) -> str:
    return Path(item.name).stem


def image_heatmap_files(item: ImageExplanation, model_type: str) -> dict[str, np.ndarray]:
    """File name -> image for one explained image (see the module docstring)."""
    files: dict[str, np.ndarray] = {}
    if model_type != "object_detection":
        k = int(np.argmax(item.prediction))
        panel = np.concatenate(
            [with_borders(item.image, item.segments), heat_overlay(item.image, item.segments, item.values[:, k])],
            axis=1,
        )
        files[f"shap_{_stem(item)}_{item.output_names[k]}.jpeg"] = panel
        return files
    for n, box in enumerate(item.boxes, start=1):
        heat = heat_overlay(item.image, item.segments, item.values[:, n - 1])
        files[f"shap_{_stem(item)}_box{n}_object.jpeg"] = _draw_boxes(
            heat, [box.box], [f"class {box.class_id:g}: {box.score:.2f}"]
        )
    files[f"{_stem(item)}_objects.jpeg"] = _draw_boxes(
        item.image, [b.box for b in item.boxes], [f"class {b.class_id:g}: {b.score:.2f}" for b in item.boxes]
    )
    return files


def write_image_heatmaps(out_dir: str | Path, result: ImageShapResult) -> list[Path]:
    """Write every heat map JPEG of the result into ``out_dir``; returns the paths."""
    written = []
    for item in result.images:
        for name, picture in image_heatmap_files(item, result.model_type).items():
            written.append(write_bytes_atomic(Path(out_dir) / name, _jpeg(picture)))
    return written


def image_records(result: ImageShapResult) -> list[dict[str, Any]]:
    """The image out.jsonl objects, one per image."""
    out = []
    for item in result.images:
        attributions = [
            {"attribution": [_num(v) for v in item.values[j]], "description": {"segment_id": j}}
            for j in range(item.values.shape[0])
        ]
        line: dict[str, Any] = {
            "explanations": [{"feature_name": item.name, "data_type": "image", "attributions": attributions}],
            "label_headers": list(item.output_names),
        }
        if result.model_type == "object_detection":
            line["boxes"] = [{"class_id": b.class_id, "score": b.score, "box": list(b.box)} for b in item.boxes]
        out.append(line)
    return out


def write_image_out_jsonl(path: str | Path, result: ImageShapResult) -> Path:
    """explanations_shap/out.jsonl for image explanations."""
    return write_jsonl(path, image_records(result))


def image_kernel_shap_section(result: ImageShapResult) -> dict[str, Any]:
    """``explanations.kernel_shap`` for image classification: per output, ``expected_value`` = the mean
    over images of the model output on the baseline image. Empty for object detection (outputs are
    per-image boxes)."""
    if result.model_type == "object_detection" or not result.images:
        return {}
    base = np.array([item.base_value for item in result.images])
    return {label: {"expected_value": _num(base[:, k].mean())} for k, label in enumerate(result.output_names)}


# ---------------------------------------------------------------- text picture (docs, reports)


def text_heatmap_png(record_feature: Any, output_index: int = 0, width: int = 900) -> bytes:
    """A PNG of one text feature's units, each on a background tinted blue (positive) or red (negative)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=18)
    values = record_feature.values[:, output_index] if len(record_feature.units) else np.zeros(0)
    scale = float(np.abs(values).max()) if values.size else 1.0
    scale = scale or 1.0
    line_h, margin = 28, 12
    placed, x, y = [], margin, margin
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for unit, value in zip(record_feature.units, values, strict=True):
        text = unit.partial_text.replace("\n", " ")
        w = int(probe.textlength(text, font=font))
        if x + w > width - margin and x > margin:
            x, y = margin, y + line_h
        placed.append((x, y, w, text, value))
        x += w
    canvas = Image.new("RGB", (width, y + line_h + margin), "white")
    draw = ImageDraw.Draw(canvas)
    for x, y, w, text, value in placed:
        a = min(1.0, abs(value) / scale)
        base = np.array([40, 90, 255]) if value >= 0 else np.array([255, 40, 40])
        fill = tuple(int(c) for c in (1 - 0.6 * a) * np.array([255, 255, 255]) + 0.6 * a * base)
        draw.rectangle([x, y, x + w, y + line_h - 4], fill=fill)
        draw.text((x, y + 2), text, fill="black", font=font)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()
