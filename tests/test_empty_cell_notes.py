"""Empty cells are counted in analysis.json (clarion keys) and said in plain words by the report and the card.

The counts are taken from the CSV with pandas, independently of clarion's reader.
"""

from __future__ import annotations

import json
import random
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest

from clarion.card import build_card, render_markdown
from clarion.report import render_reports
from hostile import run
from report_fixtures import chromium_command


def _data(tmp_path, *, empty: bool = True):
    rng = random.Random(4)
    rows = 500
    df = pd.DataFrame(
        {
            "f": [rng.choice([1.0, 2.0, 3.0]) for _ in range(rows)],
            "y": [rng.choice([0.0, 1.0]) for _ in range(rows)],
            "g": [rng.choice(["a", "b", "c"]) for _ in range(rows)],
        }
    ).astype(object)
    if empty:
        df.loc[3::11, "f"] = None
        df.loc[5::13, "y"] = None
        df.loc[::7, "g"] = None
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


CONFIG = {
    "dataset_type": "text/csv",
    "headers": ["f", "y", "g"],
    "label": "y",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "f", "value_or_threshold": [1]}],
    "group_variable": "g",
    "methods": {"pre_training_bias": {"methods": ["CDDL", "CI", "DPL"]}},
}


def _expected_notes(path) -> list[str]:
    whole = pd.read_csv(path)
    n_f, n_y, n_g = (int(whole[c].isna().sum()) for c in ("f", "y", "g"))
    assert min(n_f, n_y, n_g) > 1
    return [
        f"{n_y} rows have an empty cell in label column y",
        f"{n_f} rows have an empty cell in facet column f",
        f"{n_g} rows have an empty cell in column g",
        f"{n_g} rows were left out of CDDL because their group variable cell was empty",
    ]


@pytest.fixture(scope="module")
def empty_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("empty")
    path = _data(root)
    out = root / "out"
    analysis = run(CONFIG, path, out)
    return path, out, analysis


def test_analysis_json_counts_the_empty_cells_and_the_rows_left_out(empty_run):
    path, out, analysis = empty_run
    whole = pd.read_csv(path)
    written = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    assert written == analysis
    section = written["pre_training_bias_metrics"]
    assert section["clarion_empty_cells"] == {c: int(whole[c].isna().sum()) for c in ("y", "f", "g")}
    assert section["clarion_rows_excluded"] == {"CDDL": int(whole["g"].isna().sum())}


def test_the_card_says_how_many_rows_were_left_out(empty_run):
    path, out, _ = empty_run
    card = build_card(out)
    text = render_markdown(card)
    assert "## Empty cells" in text
    for note in _expected_notes(path):
        assert any(n.startswith(f"Pre-training: {note}") for n in card.data_notes), note
        assert note in text.replace("\\", "")  # the Markdown escapes punctuation


def test_the_notebook_says_how_many_rows_were_left_out(empty_run, tmp_path):
    path, out, _ = empty_run
    (notebook,) = render_reports(out, formats=("ipynb",), name="nb")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for note in _expected_notes(path):
        assert note in markdown.replace("\\", ""), note


def test_a_run_without_empty_cells_has_no_notes(tmp_path):
    path = _data(tmp_path, empty=False)
    analysis = run(CONFIG, path, tmp_path / "out")
    section = analysis["pre_training_bias_metrics"]
    assert "clarion_empty_cells" not in section and "clarion_rows_excluded" not in section
    card = build_card(tmp_path / "out")
    assert card.data_notes == ()
    assert "Empty cells" not in render_markdown(card)
    (page,) = render_reports(tmp_path / "out", formats=("html",))
    assert "data-note" not in page.read_text(encoding="utf-8").split("</style>", 1)[1]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.notes: list[str] = []
        self._in_note = False

    def handle_starttag(self, tag, attrs):
        self._in_note = tag == "p" and ("class", "data-note") in attrs

    def handle_endtag(self, tag):
        self._in_note = False

    def handle_data(self, data):
        if self._in_note:
            self.notes.append(data)


@pytest.mark.browser
@pytest.mark.slow
def test_the_html_report_in_chromium_says_how_many_rows_were_left_out(empty_run, tmp_path):
    path, out, _ = empty_run
    (page,) = render_reports(out, formats=("html",), name="browser")
    result = subprocess.run(
        chromium_command(tmp_path / "profile") + ["--dump-dom", page.as_uri()], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-800:]
    dom = _Text()
    dom.feed(result.stdout)
    expected = _expected_notes(path)
    assert len(dom.notes) == len(expected)
    for got, note in zip(dom.notes, expected, strict=True):
        assert got.startswith(note), (got, note)
