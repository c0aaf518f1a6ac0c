"""Property: random edits of a small CSV give clarion's numbers equal to pandas', or a ConfigError/DataError.

Each example draws rows, cell edits (``?``, blanks, ``NA``, decimals, padded numbers, text), field-count
edits, a header variant (none, exact, upper case, permuted, byte-order mark, renamed), config headers or
not, facet and label values, gzip or not, and a chunk size (1, 7, 1000, whole file). The CSV reader's byte
blocks are made tiny so that blocks type columns on their own. The expected metrics come from one
whole-file ``pandas.read_csv`` and Clarify's rules written out in ``hostile.py``. Errors are expected
exactly when the file or config cannot work (a wrong field count, a header naming other columns, config
references the file's names do not hold), and numbers otherwise; any other exception fails the test.

With ``HOSTILE_TALLY=<path>`` the outcomes are appended to that file (one JSON line per example).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.data import csv_reader
from clarion.errors import ConfigError, DataError
from hostile import close, expected_pre, metrics, run

HEADERS = ["f", "y", "g"]
CELLS = ["?", "", "NA", "1.5", " 3", "x", "2", "0"]
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "40"))

rows_strategy = st.lists(
    st.tuples(st.sampled_from(["1", "2", "3"]), st.sampled_from(["0", "1"]), st.sampled_from(["a", "b"])),
    min_size=100,
    max_size=140,
)
cell_edit = st.tuples(st.just("cell"), st.integers(0, 10_000), st.integers(0, 2), st.sampled_from(CELLS))
count_edit = st.tuples(st.sampled_from(["extra", "drop"]), st.integers(0, 10_000), st.just(0), st.just(""))
# cell edits in every example; a field-count edit in about one example out of four
edit_strategy = st.tuples(
    st.lists(cell_edit, max_size=4),
    st.one_of(st.just([]), st.just([]), st.just([]), st.lists(count_edit, min_size=1, max_size=2)),
).map(lambda parts: parts[0] + parts[1])


def header_line(variant: str) -> tuple[str | None, list[str] | None]:
    """The header row text and the file's column order (None: no header row)."""
    return {
        "none": (None, None),
        "exact": ("f,y,g", ["f", "y", "g"]),
        "upper": ("F,Y,G", ["f", "y", "g"]),
        "permuted": ("g,f,y", ["g", "f", "y"]),
        "bom": ("\ufefff,y,g", ["f", "y", "g"]),
        "renamed": ("f,label,g", ["f", "y", "g"]),
    }[variant]


def build(rows, edits, variant):
    header, order = header_line(variant)
    order = order or HEADERS
    records = [dict(zip(HEADERS, r, strict=True)) for r in rows]
    lines = [[rec[c] for c in order] for rec in records]
    for kind, row, col, value in edits:
        i = row % len(lines)
        if kind == "cell":
            position = order.index(HEADERS[col])
            if position < len(lines[i]):
                lines[i][position] = value
        elif kind == "extra":
            lines[i] = [*lines[i], "7"]
        elif len(lines[i]) > 1:
            lines[i] = lines[i][:-1]
    text = "\n".join(",".join(fields) for fields in lines) + "\n"
    if header is not None:
        text = header + "\n" + text
    bad_count = any(len(fields) != 3 for fields in lines)
    return text, bad_count


def expected_frame(path: Path, variant: str, gz: bool) -> pd.DataFrame:
    compression = "gzip" if gz else None
    if variant == "none":
        return pd.read_csv(path, header=None, names=HEADERS, low_memory=False, compression=compression)
    df = pd.read_csv(path, low_memory=False, encoding="utf-8-sig", compression=compression)
    df.columns = [c.lower() for c in df.columns]
    return df


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=rows_strategy,
    edits=edit_strategy,
    variant=st.sampled_from(["none", "exact", "upper", "permuted", "bom", "renamed"]),
    with_headers=st.sampled_from([True, True, False]),
    facet_values=st.sampled_from([[1], ["1"], [2], [1, 2], [7], ["?"], ["x"]]),
    label_values=st.sampled_from([[1], ["1"], [0, 1], [1.5]]),
    gz=st.booleans(),
    chunk_rows=st.sampled_from([1, 7, 1000, 10**9]),
)
def test_random_csv_edits_give_pandas_numbers_or_a_clear_error(
    rows, edits, variant, with_headers, facet_values, label_values, gz, chunk_rows
):
    text, bad_count = build(rows, edits, variant)
    config = {
        "dataset_type": "text/csv",
        "label": "y",
        "label_values_or_threshold": label_values,
        "facet": [{"name_or_index": "f", "value_or_threshold": facet_values}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL", "KL"]}},
    }
    if with_headers:
        config["headers"] = HEADERS
    names_missing = not with_headers and variant in ("none", "upper", "renamed")
    expect_error = bad_count or (with_headers and variant == "renamed") or names_missing
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_reader, "MIN_BLOCK_BYTES", 64)
        path = Path(tmp) / ("data.csv.gz" if gz else "data.csv")
        if gz:
            with gzip.open(path, "wt", encoding="utf-8") as handle:
                handle.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        try:
            analysis = run(config, path, Path(tmp) / "out", chunk_rows=chunk_rows)
        except (ConfigError, DataError) as exc:
            tally("clear error")
            assert expect_error, f"unexpected error: {exc}"
            return
        assert not expect_error, "a run that should have been refused gave numbers"
        expected = expected_pre(expected_frame(path, variant, gz), "y", label_values, "f", facet_values)
        got = metrics(analysis, "f")
        for code, value in zip(("CI", "DPL", "KL"), expected, strict=True):
            if value is None:
                assert isinstance(got[code], tuple), (code, got[code])
            else:
                assert close(got[code], value), (code, got[code], value)
        tally("right numbers")


def tally(outcome: str) -> None:
    target = os.environ.get("HOSTILE_TALLY")
    if target:
        with open(target, "a") as handle:
            handle.write(json.dumps({"outcome": outcome}) + "\n")
