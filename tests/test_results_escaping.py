"""model_card.md and report.ipynb show data strings as text: rendered by a CommonMark renderer (raw HTML on, as
Jupyter allows it) and opened in headless Chromium, no payload becomes an element, a link or a running script."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser

import nbformat
import pytest
from markdown_it import MarkdownIt

from clarion.card import build_card, render_markdown
from clarion.report import render_reports
from report_fixtures import chromium_command, write_output_dir

IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
SCRIPT = "<script>document.body.setAttribute('data-pwned','2')</script>"
LINK = "[click](javascript:document.body.setAttribute('data-pwned','3'))"
AUTOLINK = "<javascript:alert(1)>"
TICKS = "`rm -rf` ``x``"
EMPHASIS = "**bold** _it_ | cell"
PAYLOADS = (IMG, SCRIPT, LINK, AUTOLINK, TICKS, EMPHASIS)


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Dom:
    dom = Dom()
    dom.feed(html)
    return dom


def hostile_analysis() -> dict:
    metrics = [{"name": "DI", "description": "Disparate Impact (DI)", "value": 0.5},
               {"name": "TE", "description": "Treatment Equality (TE)", "value": None, "error": LINK}]  # fmt: skip
    facets = {
        IMG: [{"value_or_threshold": LINK, "metrics": metrics}],
        TICKS: [
            {"value_or_threshold": SCRIPT, "metrics": metrics[:1]},
            {"value_or_threshold": AUTOLINK, "metrics": metrics},
        ],
    }
    section = {"label": EMPHASIS, "label_value_or_threshold": TICKS, "facets": facets}
    shap = {SCRIPT: {"global_shap_values": {IMG: 0.3, LINK: 0.2, TICKS: 0.1, EMPHASIS: 0.05}, "expected_value": 0.4,
                     "global_top_shap_text": {AUTOLINK: {LINK: 0.2, IMG: -0.1}}}}  # fmt: skip
    return {"version": "1.0", "post_training_bias_metrics": section, "explanations": {"kernel_shap": shap}}


def assert_inert(html: str) -> None:
    dom = parse(html)
    tags = {t for t, _ in dom.tags}
    assert not tags & {"script", "img", "code", "em", "a"}, tags


def chromium_dom(html: str, tmp_path) -> Dom:
    page = tmp_path / "page.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{html}</body></html>")
    done = subprocess.run(
        chromium_command(tmp_path / "profile") + ["--dump-dom", page.as_uri()], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-800:]
    return parse(done.stdout)


@pytest.mark.browser
def test_card_markdown_renders_data_as_text(tmp_path):
    (tmp_path / "analysis.json").write_text(json.dumps(hostile_analysis()))
    card = build_card(tmp_path)
    markdown = render_markdown(card)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    assert_inert(html)
    # the card's own emphasis only: one bold metric code per flagged finding (DI 0.5 in three entries)
    assert len(card.flagged) == 3 and html.count("<strong>DI</strong>") == 3 and html.count("<strong>") == 3
    text = "".join(parse(html).text)
    for payload in PAYLOADS:
        assert payload in text, payload
    # the tables keep their shape: a '|' in a value does not open a cell
    # rows: header + 3 DI values; header + 4 features; header + 3 duties. Cells: 7, 3 and 4 per row.
    assert html.count("<tr>") == (1 + 3) + (1 + 4) + (1 + 3)
    assert html.count("<td>") + html.count("<td ") == 3 * 7 + 4 * 3 + 3 * 4
    dom = chromium_dom(html, tmp_path)
    body = [a for t, a in dom.tags if t == "body"]
    assert body and "data-pwned" not in body[0], "a payload ran in the browser"
    assert not [t for t, _ in dom.tags if t in ("script", "img")]


@pytest.fixture
def notebook_markdown(tmp_path):
    root = write_output_dir(tmp_path / "out")
    title = f"Audit {IMG} {LINK} {TICKS} {SCRIPT}"
    (path,) = render_reports(root, formats=("ipynb",), title=title)
    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


@pytest.mark.browser
def test_notebook_markdown_renders_the_title_as_text(notebook_markdown, tmp_path):
    html = MarkdownIt("commonmark", {"html": True}).render(notebook_markdown)
    dom = parse(html)
    assert not {t for t, _ in dom.tags} & {"script", "img", "a", "strong"}
    assert html.count("<em>") == 2 and "<em>d</em>" in html and "<em>a</em>" in html  # the intro's own facets
    heading = "".join(dom.text).split("\n")[0]
    assert heading == f"Audit {IMG} {LINK} {TICKS} {SCRIPT}"
    page = chromium_dom(html, tmp_path)
    body = [a for t, a in page.tags if t == "body"]
    assert body and "data-pwned" not in body[0], "a payload ran in the browser"
    assert not [t for t, _ in page.tags if t in ("script", "img")]
