"""Text and image explanations: clarion vs shap's Partition and Kernel explainers, same model, same budget.

Run:  .venv/bin/python bench/text_image.py [--texts 40] [--images 6] [--budget 200] [--docs]

Text: TF-IDF + LogisticRegression trained on the SMS Spam Collection; the first ``--texts`` messages with
at least 10 tokens; token granularity, empty-string baseline; ``--budget`` model evaluations per message.
  - clarion: ``explain_text`` (spaCy tokens, paired kernel sampling, de-duplicated synthetic texts,
    one model call per group of messages with the same number of tokens);
  - shap Partition: ``shap.Explainer(f, shap.maskers.Text(r"\\W+", mask_token=""))``, max_evals = budget;
  - shap Kernel: one ``KernelExplainer`` per message over its clarion token mask (the same players),
    background = all masked, nsamples = budget.
Images: 64 x 64 generated scenes, a LogisticRegression on colour shares; 20 SLIC segments, budget
evaluations per image. clarion ``explain_images``; shap Kernel over the same superpixels (same noise
baseline); shap Partition with ``shap.maskers.Image(noise)`` (blurring needs OpenCV), max_evals = budget.
Prints items explained per second for each and the ratio clarion / shap. shap is a bench-only
dependency (already in the dev virtualenv; else ``pip install shap``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from clarion.config.methods import ImageConfig, TextConfig  # noqa: E402
from clarion.explain.image import explain_images, segment_image  # noqa: E402
from clarion.explain.text import explain_text, segment_text  # noqa: E402
from text_image_fixtures import colour_classifier, shapes_image, sms_frame, spam_pipeline  # noqa: E402


def _line(label: str, n: int, seconds: float, unit: str, clarion_s: float | None = None) -> str:
    ratio = "" if clarion_s is None else f"  clarion/shap = {seconds / clarion_s:.2f}"
    return f"  {label:<16} {n / seconds:8.2f} {unit}/s  ({seconds:.2f} s){ratio}"


def bench_text(n_texts: int, budget: int) -> None:
    import shap

    pipe, _ = spam_pipeline()
    texts = [t for t in sms_frame()["text"] if len(segment_text(t, "token", "en")) >= 10][:n_texts]

    def f_frame(frame: pd.DataFrame) -> np.ndarray:
        return pipe.predict_proba(frame[["text"]])[:, 1:]

    def f_list(strings) -> np.ndarray:
        return pipe.predict_proba(pd.DataFrame({"text": list(strings)}))[:, 1]

    config = TextConfig(granularity="token", language="en")
    # warm-up (spaCy, sklearn and numpy first-call costs) on two messages outside the timings
    explain_text(
        pd.DataFrame({"text": texts[:2]}), ["text"], config, None, f_frame, ["label0"], budget, np.random.default_rng(1)
    )
    t = time.perf_counter()
    explain_text(
        pd.DataFrame({"text": texts}), ["text"], config, None, f_frame, ["label0"], budget, np.random.default_rng(0)
    )
    clarion_s = time.perf_counter() - t

    masker = shap.maskers.Text(r"\W+")
    explainer = shap.Explainer(f_list, masker, algorithm="partition")
    t = time.perf_counter()
    explainer(texts, max_evals=budget, silent=True)
    partition_s = time.perf_counter() - t

    t = time.perf_counter()
    for text in texts:
        units = segment_text(text, "token", "en")
        cores = [u.core for u in units]
        gaps, pos = [], 0
        for u in units:
            gaps.append(text[pos : u.start_idx])
            pos = u.stop
        tail = text[pos:]

        def f_mask(z: np.ndarray, cores=cores, gaps=gaps, tail=tail) -> np.ndarray:
            strings = [
                "".join(g + (c if keep else "") for g, c, keep in zip(gaps, cores, row, strict=True)) + tail
                for row in z
            ]
            return f_list(strings)

        kernel = shap.KernelExplainer(f_mask, np.zeros((1, len(units))))
        kernel.shap_values(np.ones((1, len(units))), nsamples=budget, silent=True)
    kernel_s = time.perf_counter() - t
    n = len(texts)
    print(f"text: {n} messages, budget {budget} evaluations each")
    print(_line("clarion", n, clarion_s, "texts"))
    print(_line("shap Partition", n, partition_s, "texts", clarion_s))
    print(_line("shap Kernel", n, kernel_s, "texts", clarion_s))


def bench_images(n_images: int, budget: int, tmp: Path) -> None:
    import shap
    from PIL import Image

    model = colour_classifier()
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n_images):
        path = tmp / f"scene{i}.png"
        Image.fromarray(shapes_image(rng, 64, red=bool(i % 2), blue=True)).save(path)
        paths.append(path)
    config = ImageConfig(num_segments=20, segment_compactness=10)

    explain_images(paths[:1], config, model, None, budget, np.random.default_rng(1))  # warm-up
    t = time.perf_counter()
    explain_images(paths, config, model, None, budget, np.random.default_rng(0))
    clarion_s = time.perf_counter() - t

    images = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    t = time.perf_counter()
    for image in images:
        segments = segment_image(image, config.num_segments, config.segment_compactness)
        m = int(segments.max()) + 1
        noise = np.random.default_rng(0).integers(0, 256, size=image.shape, dtype=np.uint8)

        def f_mask(z: np.ndarray, image=image, segments=segments, noise=noise) -> np.ndarray:
            keep = z.astype(bool)[:, segments]
            return model(np.where(keep[..., None], image[None], noise[None]))[:, 1]

        kernel = shap.KernelExplainer(f_mask, np.zeros((1, m)))
        kernel.shap_values(np.ones((1, m)), nsamples=budget, silent=True)
    kernel_s = time.perf_counter() - t

    noise = np.random.default_rng(0).integers(0, 256, size=images[0].shape, dtype=np.uint8)
    masker = shap.maskers.Image(noise.astype(float), images[0].shape)
    explainer = shap.Explainer(lambda x: model(np.asarray(x).astype(np.uint8))[:, 1], masker, algorithm="partition")
    t = time.perf_counter()
    explainer(images, max_evals=budget, batch_size=64, silent=True)
    partition_s = time.perf_counter() - t
    n = len(paths)
    print(f"images: {n} images 64x64, 20 SLIC segments, budget {budget} evaluations each")
    print(_line("clarion", n, clarion_s, "images"))
    print(_line("shap Partition", n, partition_s, "images", clarion_s))
    print(_line("shap Kernel", n, kernel_s, "images", clarion_s))


def write_docs_examples(docs: Path) -> None:
    """Example pictures for the docs: a spam message's token heat map, an image classification panel
    (scikit-image's astronaut, class "a red region"), and detection heat maps on a generated scene."""
    import io as _io

    from PIL import Image
    from skimage import data as samples

    from clarion.explain.text_image_outputs import image_heatmap_files, text_heatmap_png

    docs.mkdir(exist_ok=True)
    pipe, _ = spam_pipeline()
    text = (
        "URGENT! You have won a 1 week FREE membership in our prize Jackpot! "
        "Txt the word CLAIM to 81010 now. Ok see you at lunch?"
    )
    result = explain_text(
        pd.DataFrame({"text": [text]}),
        ["text"],
        TextConfig(granularity="token", language="en"),
        None,
        lambda fr: pipe.predict_proba(fr[["text"]])[:, 1:],
        ["spam"],
        2048,
        np.random.default_rng(0),
    )
    (docs / "text-token-heatmap.png").write_bytes(text_heatmap_png(result.records[0].features[0]))
    model = colour_classifier()
    with tempfile.TemporaryDirectory() as tmp:
        astronaut = Image.fromarray(samples.astronaut()).resize((160, 160))
        astronaut.save(Path(tmp) / "astronaut.png")
        Image.fromarray(shapes_image(np.random.default_rng(4), 96, red=True, blue=True)).save(Path(tmp) / "scene.png")
        cls = explain_images(
            [Path(tmp) / "astronaut.png"],
            ImageConfig(num_segments=40),
            model,
            ["plain", "red"],
            2048,
            np.random.default_rng(0),
        )
        from text_image_fixtures import red_detector

        det = explain_images(
            [Path(tmp) / "scene.png"],
            ImageConfig(model_type="object_detection", num_segments=20, segment_compactness=10),
            red_detector,
            None,
            2048,
            np.random.default_rng(0),
        )
    item = cls.images[0]
    files = image_heatmap_files(item, "image_classification")
    # docs show the "red" class whatever wins; write PNG (lossless) copies of the JPEG heat maps
    from clarion.explain.text_image_outputs import heat_overlay, with_borders

    panel = np.concatenate(
        [with_borders(item.image, item.segments), heat_overlay(item.image, item.segments, item.values[:, 1])], axis=1
    )
    files = {"image-classification-heatmap.png": panel}
    for name, picture in image_heatmap_files(det.images[0], "object_detection").items():
        files["image-detection-" + name.replace(".jpeg", ".png")] = picture
    for name, picture in files.items():
        buffer = _io.BytesIO()
        Image.fromarray(picture).save(buffer, format="PNG")
        (docs / name).write_bytes(buffer.getvalue())
        print("wrote", docs / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=40)
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--docs", action="store_true", help="also write the example pictures under docs/")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.docs:
        write_docs_examples(ROOT / "docs")
    bench_text(args.texts, args.budget)
    with tempfile.TemporaryDirectory() as tmp:
        bench_images(args.images, args.budget, Path(tmp))


if __name__ == "__main__":
    main()
