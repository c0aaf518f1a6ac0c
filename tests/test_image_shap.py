"""Image Kernel SHAP: exact values against enumeration, efficiency, detection boxes, heat maps, HTTP, errors."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image
from skimage.segmentation import slic

from clarion.config.methods import ImageConfig
from clarion.errors import DataError
from clarion.explain.image import explain_images, list_image_files, read_image
from clarion.explain.text_image_outputs import image_kernel_shap_section, image_records, write_image_out_jsonl
from clarion.predictors.images import HttpImagePredictor

try:
    from tests.text_image_fixtures import colour_classifier, red_detector, shapes_image, shapley_by_enumeration
except ImportError:  # pragma: no cover
    from text_image_fixtures import colour_classifier, red_detector, shapes_image, shapley_by_enumeration

FEW = ImageConfig(num_segments=5, segment_compactness=10)


@pytest.fixture(scope="module")
def classifier():
    return colour_classifier()


def _save(path, image):
    Image.fromarray(image).save(path)
    return path


def _segments(image, config):
    labels = slic(image, n_segments=config.num_segments, compactness=config.segment_compactness, start_label=0)
    _, dense = np.unique(labels, return_inverse=True)
    return dense.reshape(labels.shape)


def test_classification_equals_brute_force_shapley(classifier, tmp_path):
    image = shapes_image(np.random.default_rng(1), 32, red=True, blue=True)
    path = _save(tmp_path / "scene.png", image)
    grey = np.full((16, 16, 3), 128, dtype=np.uint8)  # resized to 32 x 32: still flat grey
    result = explain_images([path], FEW, classifier, ["plain", "red"], None, np.random.default_rng(0), baseline=grey)
    (item,) = result.images
    segments = _segments(image, FEW)
    m = int(segments.max()) + 1
    assert 2 <= m <= 8 and np.array_equal(item.segments, segments)
    background = np.full_like(image, 128)

    def value(keep):
        keep_px = np.asarray(keep)[segments]
        return classifier(np.where(keep_px[..., None], image, background)[None])[0]

    np.testing.assert_allclose(item.values, shapley_by_enumeration(m, value), atol=1e-8)
    np.testing.assert_allclose(item.prediction, classifier(image[None])[0], atol=1e-12)
    np.testing.assert_allclose(item.base_value, classifier(background[None])[0], atol=1e-12)
    assert result.exact and item.output_names == ("plain", "red")
    # the red square's segment pushes "red" up more than any other segment
    red_segment = np.bincount(segments[(image[..., 0] == 220) & (image[..., 1] == 30)]).argmax()
    assert item.values[:, 1].argmax() == red_segment


def test_default_baseline_is_seeded_white_noise(classifier, tmp_path):
    image = shapes_image(np.random.default_rng(2), 32)
    path = _save(tmp_path / "a.png", image)
    result = explain_images(
        [path], ImageConfig(num_segments=12, segment_compactness=10), classifier, None, 40, np.random.default_rng(7)
    )
    noise = np.random.default_rng(7).integers(0, 256, size=image.shape, dtype=np.uint8)
    (item,) = result.images
    np.testing.assert_allclose(item.base_value, classifier(noise[None])[0], atol=1e-12)
    # efficiency holds for sampled coalitions too
    np.testing.assert_allclose(item.values.sum(axis=0), classifier(image[None])[0] - item.base_value, atol=1e-9)
    assert item.output_names == ("label0", "label1")


def _box_value(rows, box, iou_threshold):
    """Best same-class score with IoU >= threshold (computed here from the corners)."""
    best = 0.0
    for c, score, x0, y0, x1, y1 in rows:
        if c != box.class_id:
            continue
        bx0, by0, bx1, by1 = box.box
        inter = max(0.0, min(x1, bx1) - max(x0, bx0)) * max(0.0, min(y1, by1) - max(y0, by0))
        union = (x1 - x0) * (y1 - y0) + (bx1 - bx0) * (by1 - by0) - inter
        if union > 0 and inter / union >= iou_threshold:
            best = max(best, score)
    return best


@pytest.mark.parametrize("context", [1.0, 0.0])
def test_detection_boxes_equal_brute_force_shapley(tmp_path, context):
    image = shapes_image(np.random.default_rng(4), 32, red=True, blue=True)
    path = _save(tmp_path / "boxes.png", image)
    config = ImageConfig(
        model_type="object_detection", num_segments=5, segment_compactness=10, context=context, max_objects=3
    )
    grey = np.full_like(image, 128)
    result = explain_images(
        [path], config, red_detector, None, None, np.random.default_rng(0), baseline=grey, probability_threshold=0.5
    )
    (item,) = result.images
    found = red_detector(image[None])[0]
    kept = sorted([r for r in found if r[1] > 0.5], key=lambda r: -r[1])[:3]
    assert [(b.class_id, b.score) for b in item.boxes] == [(r[0], r[1]) for r in kept]
    assert len(item.boxes) == 2 and item.output_names == ("box1", "box2")
    segments = _segments(image, config)
    m = int(segments.max()) + 1
    h, w = segments.shape
    for k, box in enumerate(item.boxes):
        if context == 1.0:
            window = np.ones((h, w), dtype=bool)
        else:  # only the box itself stays visible
            x0, y0, x1, y1 = box.box
            cy, cx = (np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w
            window = ((cy >= y0) & (cy <= y1))[:, None] & ((cx >= x0) & (cx <= x1))[None, :]
        players = np.unique(segments[window])

        def value(keep, window=window, players=players, box=box):
            keep_segment = np.zeros(m, dtype=bool)
            keep_segment[players] = keep
            keep_px = keep_segment[segments] & window
            masked = np.where(keep_px[..., None], image, grey)
            return np.array([_box_value(red_detector(masked[None])[0], box, config.iou_threshold)])

        expected = shapley_by_enumeration(len(players), value)[:, 0]
        np.testing.assert_allclose(item.values[players, k], expected, atol=1e-8)
        others = np.setdiff1d(np.arange(m), players)
        assert np.all(item.values[others, k] == 0)


def test_heatmaps_and_out_jsonl(classifier, tmp_path):
    rng = np.random.default_rng(3)
    folder = tmp_path / "images"
    folder.mkdir()
    _save(folder / "one.png", shapes_image(rng, 40))
    Image.fromarray(shapes_image(rng, 40)).save(folder / "two.jpg", quality=95)
    (folder / "notes.txt").write_text("not an image")
    files = list_image_files(folder)
    assert [f.name for f in files] == ["one.png", "two.jpg"]
    out = tmp_path / "explanations_shap"
    result = explain_images(
        files, ImageConfig(num_segments=10), classifier, ["plain", "red"], 30, np.random.default_rng(0), out
    )
    heat = {p.name for p in out.glob("*.jpeg")}
    best = [item.output_names[int(np.argmax(item.prediction))] for item in result.images]
    assert heat == {f"shap_one_{best[0]}.jpeg", f"shap_two_{best[1]}.jpeg"}
    with Image.open(out / f"shap_one_{best[0]}.jpeg") as picture:
        assert picture.format == "JPEG" and picture.size == (80, 40)
    lines = [json.loads(line) for line in write_image_out_jsonl(out / "out.jsonl", result).read_text().splitlines()]
    assert len(lines) == 2 and lines == image_records(result)
    entry = lines[0]["explanations"][0]
    assert entry["feature_name"] == "one.png" and entry["data_type"] == "image"
    assert len(entry["attributions"]) == int(result.images[0].segments.max()) + 1
    assert [a["description"]["segment_id"] for a in entry["attributions"]] == list(range(len(entry["attributions"])))
    section = image_kernel_shap_section(result)
    assert set(section) == {"plain", "red"}
    assert section["red"]["expected_value"] == pytest.approx(np.mean([i.base_value[1] for i in result.images]))


def test_detection_files(tmp_path):
    path = _save(tmp_path / "street.png", shapes_image(np.random.default_rng(4), 32, red=True, blue=True))
    config = ImageConfig(model_type="object_detection", num_segments=8, max_objects=1)
    result = explain_images([path], config, red_detector, None, 20, np.random.default_rng(0), tmp_path / "out")
    assert len(result.images[0].boxes) == 1
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"shap_street_box1_object.jpeg", "street_objects.jpeg"}


def test_unreadable_image_and_missing_folder(tmp_path, classifier):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match=r"broken\.png: cannot read the image"):
        read_image(bad)
    with pytest.raises(DataError, match="broken.png"):
        explain_images([bad], FEW, classifier, None, None, np.random.default_rng(0))
    with pytest.raises(DataError, match="no such image file or folder"):
        list_image_files(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no .jpg"):
        list_image_files(tmp_path / "empty")


class _ImageModelHandler(BaseHTTPRequestHandler):
    model = None
    detection = False

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers["Content-Type"] != "image/png":
            self.send_response(415)
            self.end_headers()
            return
        image = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
        if self.detection:
            answer = {"prediction": red_detector(image[None])[0]}
        else:
            answer = [float(v) for v in type(self).model(image[None])[0]]
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("detection", [False, True])
def test_over_http_with_png_bodies(classifier, tmp_path, detection):
    handler = type("Handler", (_ImageModelHandler,), {"model": staticmethod(classifier), "detection": detection})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    path = _save(tmp_path / "x.png", shapes_image(np.random.default_rng(4), 32, red=True, blue=True))
    if detection:
        config, local_model = ImageConfig(model_type="object_detection", num_segments=6), red_detector
    else:
        config, local_model = ImageConfig(num_segments=6, segment_compactness=10), classifier
    try:
        with HttpImagePredictor(f"http://127.0.0.1:{server.server_port}", "image/png") as remote_model:
            remote = explain_images([path], config, remote_model, None, 30, np.random.default_rng(2))
    finally:
        server.shutdown()
        thread.join()
    local = explain_images([path], config, local_model, None, 30, np.random.default_rng(2))
    np.testing.assert_allclose(remote.images[0].values, local.images[0].values, atol=1e-12)
    assert remote.model_rows == local.model_rows
