"""report.pdf through poppler: pages rasterise to non-blank images and the text holds the tables."""

import subprocess

import numpy as np
import pytest
from PIL import Image

from clarion.report import render_reports
from report_fixtures import GROUP_ERROR, SCRIPT_FACET, require_tool, write_output_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    root = write_output_dir(tmp_path_factory.mktemp("out"))
    (path,) = render_reports(root, formats=("pdf",), title="Adult income")
    return path


def test_pages_rasterise_and_are_not_blank(pdf, tmp_path):
    subprocess.run([require_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 5
    for page in pages:
        img = np.asarray(Image.open(page).convert("L"))
        assert img.shape[0] > img.shape[1]  # portrait A4
        assert (img < 235).mean() > 0.005, f"{page.name} is blank"
    first = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    # The dark masthead prints (print-color-adjust: exact).
    assert (np.abs(first[: first.shape[0] // 6] - [0x23, 0x34, 0x4D]).max(axis=-1) < 20).sum() > 500


def test_text_holds_metric_names_and_values(pdf):
    def pdftotext(*flags):
        cmd = [require_tool("pdftotext"), *flags, str(pdf), "-"]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    text = pdftotext("-layout")  # table rows stay on one line
    flat = " ".join(pdftotext().split())  # reading order: wrapped cell text stays together
    assert "Adult income" in flat
    for needle in ("Disparate Impact", "Treatment Equality", "Class Imbalance", "Kullback-Leibler Divergence",
                   "Pre-training bias", "Post-training bias", "Feature importance", "Partial dependence",
                   "Text attributions", "How to read the bias metrics"):  # fmt: skip
        assert needle in flat, needle
    assert "DI 0.357: the facet gets positive predictions at 36% of the rate of the rest" in flat
    assert GROUP_ERROR in flat
    assert SCRIPT_FACET in flat
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any(line.startswith("DI Disparate Impact 0.357 [0, ∞)") for line in lines), "DI row missing"
    assert any(line.startswith("TE Treatment Equality ∞ (-∞, ∞)") for line in lines), "TE row missing"
    assert any(line.startswith("marital-status 0.0733 0.0059") for line in lines)
