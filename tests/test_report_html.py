"""The HTML report as a file: escaping, self-containment, tables, findings, atomic writes."""

import math
import os
import re
from html.parser import HTMLParser

import pytest

from clarion.errors import ConfigError, OutputError
from clarion.report import render_reports
from report_fixtures import (
    GROUP_ERROR,
    IMG_FACET,
    POST_VALUES,
    PRE_VALUES,
    SCRIPT_FACET,
    write_output_dir,
    write_small_dir,
)

# The bands the report documents, written out again here so the test does not reuse the code under test.
BANDS = {"DI": (0.8, 1.25), "CI": (-0.5, 0.5), "TE": (-0.5, 0.5), "JS": (0, 0.05), "KL": (0, 0.1), "LP": (0, 0.1),
         "TVD": (0, 0.1), "KS": (0, 0.1), "GE": (0, 0.1)}  # fmt: skip


class Page(HTMLParser):
    """Collects tags, attributes, table rows (class + cell texts) and the text of the page."""

    def __init__(self):
        super().__init__()
        self.tags, self.rows, self.text, self.findings = [], [], [], []
        self._row = None
        self._cell = None
        self._in_li = False
        self._li = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self._row = (dict(attrs).get("class", ""), [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "li" and self.tags and any(t == "ul" and a.get("class") == "findings" for t, a in self.tags):
            self._in_li, self._li = True, []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "li" and self._in_li:
            self.findings.append(" ".join("".join(self._li).split()))
            self._in_li = False

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_li:
            self._li.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = write_output_dir(tmp_path_factory.mktemp("out"))
    (path,) = render_reports(root, formats=("html",), title="Adult <income> report")
    html = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    return root, path, html, page


def test_writes_only_the_requested_file(rendered):
    root, path, _, _ = rendered
    assert path == root / "report.html"
    assert not (root / "report.pdf").exists() and not (root / "report.ipynb").exists()
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_data_strings_are_escaped(rendered):
    _, _, html, page = rendered
    assert SCRIPT_FACET not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert not [t for t, _ in page.tags if t == "script"]
    text = "".join(page.text)
    assert SCRIPT_FACET in text and IMG_FACET in text
    assert "Adult <income> report" in text  # the title too


def test_self_contained(rendered):
    _, _, html, page = rendered
    for tag, attrs in page.tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, key, value[:60])
        if tag == "link":
            raise AssertionError("external stylesheet")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert not re.search(r"@import|@font-face", html)
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]
    images = [a["src"] for t, a in page.tags if t == "img"]
    # 2 bias charts, 2 global SHAP, 6 local (3 rows x 2 labels), 2 PDP.
    assert len(images) == 12 and all(s.startswith("data:image/svg+xml;base64,") for s in images)


def _expected_flag(code, value):
    if value is None:
        return "error"
    value = float(value)
    low, high = BANDS.get(code, (-0.1, 0.1))
    return "ok" if low <= value <= high else "flagged"


def test_every_metric_row_has_value_range_and_status(rendered):
    _, _, _, page = rendered
    metric_rows = [(cls, cells) for cls, cells in page.rows if len(cells) == 6 and cls]
    expected = []
    for table in (PRE_VALUES, POST_VALUES):
        for values in table.values():
            expected += [(code, _expected_flag(code, v)) for code, v in values.items()]
    assert [(cells[0], cls) for cls, cells in metric_rows] == expected


def test_table_cells(rendered):
    _, _, _, page = rendered
    rows = {(cells[0], cells[2]): (cls, cells) for cls, cells in page.rows if len(cells) == 6}
    cls, cells = rows[("DI", "0.357")]
    assert cls == "flagged" and cells[1].startswith("Disparate Impact")
    assert cells[4] == "the facet gets positive predictions at 36% of the rate of the rest"
    assert cells[5] == "outside band"
    cls, cells = rows[("TE", "∞")]
    assert cls == "flagged" and cells[3] == "(-∞, ∞)"
    cls, cells = rows[("CDDL", "n/a")]
    assert cls == "error" and cells[4] == GROUP_ERROR and cells[5] == "error"
    cls, cells = rows[("CI", "0.339")]
    assert cls == "ok" and cells[5] == "within band"


def test_summary_counts_and_headline_order(rendered):
    _, _, _, page = rendered
    text = " ".join(" ".join(page.text).split())
    n_values = sum(len(v) for t in (PRE_VALUES, POST_VALUES) for v in t.values())
    n_errors = sum(v is None for t in (PRE_VALUES, POST_VALUES) for vals in t.values() for v in vals.values())
    n_flagged = sum(
        _expected_flag(c, v) == "flagged"
        for t in (PRE_VALUES, POST_VALUES)
        for vals in t.values()
        for c, v in vals.items()
    )
    assert (n_values, n_errors) == (126, 13)
    assert (
        f"{n_values} bias metric values {n_flagged} outside the conventional band {n_errors} could not be computed"
        in text
    )
    # Infinite values first, then by distance outside the band: DI 0.357 (|ln .357|/|ln .8| = 4.6),
    # DI 2.471 (|ln 2.471|/ln 1.25 = 4.05), LP 0.302 (3.02).
    assert {page.findings[0].split(":")[0], page.findings[1].split(":")[0]} == {"DCA -∞", "TE ∞"}
    assert math.log(0.3567) / math.log(0.8) > math.log(2.4712) / math.log(1.25) > 0.3018 / 0.1
    assert [f.split(":")[0] for f in page.findings[2:5]] == ["DI 0.357", "DI 2.471", "LP 0.302"]
    assert page.findings[2].endswith("Post-training bias · sex = Female")
    assert "label0: marital-status, relationship, education-num" in "".join(page.text)


def test_shap_pdp_and_text_sections(rendered):
    _, _, html, page = rendered
    text = " ".join("".join(page.text).split())
    rows = [cells for _, cells in page.rows]
    assert ["marital-status", "0.0733", "0.0059"] in rows  # stderr column for label0
    assert ["marital-status", "0.0660"] in rows  # label1 has no stderr column
    assert "Expected value (mean model output on the baseline): 0.2391" in text
    assert "comment: Detected data type is not supported for PDP" in text
    # Sentence units get their separating space back.
    assert "Great fit and fabric. Would buy again." in text
    # Colour intensity follows |attribution| / max: 0.41 is the peak (alpha .75), -0.37 -> .75 * .37/.41 = .68.
    assert 'style="background: rgba(58, 110, 165, 0.75); color: #fff" title="+0.41">I loved </span>' in html
    assert 'style="background: rgba(200, 85, 61, 0.68); color: #fff" title="-0.37">the zip broke.</span>' in html


def test_setup_table(rendered):
    _, _, html, page = rendered
    assert ["methods.shap.seed", "7"] in [cells for _, cells in page.rows]
    assert "SECRET" not in html


def test_rewrites_atomically_and_keeps_old_file_on_failure(tmp_path):
    root = write_small_dir(tmp_path)
    (root / "report.html").write_text("old")
    render_reports(root, formats=["html"])
    assert (root / "report.html").read_text().startswith("<!doctype html>")
    assert oct((root / "report.html").stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    (root / "report.html").write_text("old")
    (root / "analysis.json").write_text("[broken")
    with pytest.raises(OutputError):
        render_reports(root, formats=["html"])
    assert (root / "report.html").read_text() == "old"
    assert sorted(p.name for p in root.iterdir()) == ["analysis.json", "report.html"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_name_and_format_checks(tmp_path):
    root = write_small_dir(tmp_path)
    with pytest.raises(ConfigError, match="unknown format 'docx'"):
        render_reports(root, formats=["docx"])
    with pytest.raises(ConfigError, match="methods.report.name: expected a plain file name"):
        render_reports(root, name="../x")
    assert render_reports(root, name="bias", formats=["html"]) == [root / "bias.html"]


def test_minimal_analysis_renders(tmp_path):
    (tmp_path / "analysis.json").write_text('{"version": "1.0"}')
    (path,) = render_reports(tmp_path, formats=["html"])
    page = Page()
    page.feed(path.read_text())
    assert "No analyses found in analysis.json" in "".join(page.text)
