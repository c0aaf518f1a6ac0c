"""One metric catalogue: the report and the model card flag the same metric values, at the documented bands."""

from __future__ import annotations

import json
import math

from clarion.card import build_card
from clarion.report import load_report_data
from clarion.report._findings import entry_rows
from clarion.results import METRICS
from report_fixtures import realistic_analysis

# The bands as documented in clarion.results.catalogue, written out independently.
DOCUMENTED = {
    "DI": (0.8, 1.25), "CI": (-0.5, 0.5), "TE": (-0.5, 0.5), "JS": (0.0, 0.05), "GE": (0.0, 0.1),
    **{c: (0.0, 0.1) for c in ("KL", "LP", "TVD", "KS")},
    **{c: (-0.1, 0.1) for c in ("DPL", "DPPL", "DAR", "DRR", "AD", "RD", "SD", "FT", "CDDL", "CDDPL", "DCA", "DCR")},
}  # fmt: skip
STAGE = {"pre_training": "pre-training", "post_training": "post-training"}


def number(raw):
    return float(raw) if isinstance(raw, (int, float, str)) else None


def report_flags(root):
    data = load_report_data(root)
    return {
        (STAGE[section.stage], entry.facet, entry.value, row.code)
        for section in data.bias
        for entry in section.entries
        for row in entry_rows(entry)
        if row.status == "flagged"
    }


def card_flags(root):
    return {(f.stage, f.facet, f.facet_value, f.metric) for f in build_card(root).flagged}


def expected_flags(document):
    out = set()
    for key, stage in (("pre_training_bias_metrics", "pre-training"), ("post_training_bias_metrics", "post-training")):
        for facet, entries in document.get(key, {}).get("facets", {}).items():
            for entry in entries:
                for m in entry["metrics"]:
                    value = number(m["value"])
                    low, high = DOCUMENTED[m["name"]]
                    if value is not None and not math.isnan(value) and not low <= value <= high:
                        out.add((stage, facet, entry["value_or_threshold"], m["name"]))
    return out


def test_catalogue_bands_are_the_documented_ones():
    assert {code: info.band for code, info in METRICS.items()} == DOCUMENTED
    assert all(info.convention for info in METRICS.values())
    assert METRICS["DI"].fair == 1.0 and all(info.fair == 0.0 for code, info in METRICS.items() if code != "DI")


def test_report_and_card_flag_the_same_metrics(tmp_path):
    document = realistic_analysis()
    # the values on which the two renderers used to disagree: CI 0.3 and GE 0.2 (and TE 3)
    female = document["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    next(m for m in female if m["name"] == "CI")["value"] = 0.3
    post = document["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    next(m for m in post if m["name"] == "GE")["value"] = 0.2
    next(m for m in post if m["name"] == "TE")["value"] = 3.0
    (tmp_path / "analysis.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    expected = expected_flags(document)
    assert ("post-training", "sex", "Female", "GE") in expected
    assert ("pre-training", "sex", "Female", "CI") not in expected
    assert len(expected) > 20
    assert report_flags(tmp_path) == expected
    assert card_flags(tmp_path) == expected
