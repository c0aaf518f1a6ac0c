"""report.html in headless Chromium: the DOM shows data strings as text, nothing executes, the page paints."""

import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from clarion.report import render_reports
from report_fixtures import IMG_FACET, SCRIPT_FACET, chromium_command, write_output_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAVY = (0x23, 0x34, 0x4D)  # masthead background
BLUE = (0x3A, 0x6E, 0xA5)  # chart bars within the band
ORANGE = (0xD9, 0x82, 0x2B)  # flagged chart bars and findings border


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = write_output_dir(tmp_path_factory.mktemp("out"))
    (path,) = render_reports(root, formats=("html",))
    return path, tmp_path_factory.mktemp("profile")


def _run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, f"chromium exit {result.returncode}: {result.stderr[-800:]}"
    return result.stdout


def test_dom_shows_injected_strings_as_text_and_runs_nothing(page):
    path, profile = page
    dom_html = _run(chromium_command(profile) + ["--dump-dom", path.as_uri()])
    dom = Dom()
    dom.feed(dom_html)
    assert not [t for t, _ in dom.tags if t == "script"], "a script element reached the DOM"
    body = [a for t, a in dom.tags if t == "body"]
    assert body and "data-pwned" not in body[0], "the onerror payload ran"
    # Only the report's own images exist: no <img src=x> from the payload.
    assert all(a.get("src", "").startswith("data:") for t, a in dom.tags if t == "img")
    text = "".join(dom.text)
    assert SCRIPT_FACET in text and IMG_FACET in text
    assert "Disparate Impact" in text and "the facet gets positive predictions at 36% of the rate of the rest" in text
    titles = [t for t, _ in dom.tags if t == "title"]
    assert titles and "Analysis Report" in text


def _near(pixels, rgb, tol=12):
    return np.all(np.abs(pixels.astype(int) - np.array(rgb)) <= tol, axis=-1)


def test_screenshot_paints_header_tables_and_charts(page, tmp_path):
    path, profile = page
    shot = tmp_path / "shot.png"
    _run(chromium_command(profile) + ["--window-size=1280,2600", f"--screenshot={shot}", path.as_uri()])
    assert shot.is_file()
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[:2] == (2600, 1280)
    non_white = np.any(img < 245, axis=-1).mean()
    assert 0.08 < non_white < 0.7, f"page looks blank or flooded: {non_white:.3f} non-white"
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200
    # The masthead spans the top of the page.
    assert _near(img[:60], NAVY).mean() > 0.5
    # The pre-training bias chart is painted: many blue and orange bar pixels below the summary.
    assert _near(img, BLUE, 6).sum() > 5000
    assert _near(img, ORANGE, 6).sum() > 5000
