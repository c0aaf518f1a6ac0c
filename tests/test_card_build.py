"""Model card: findings outside bands with readings, feature ranking, duties, writers, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clarion.card import Band, build_card, render_markdown, write_card
from clarion.errors import OutputError


def metric(name: str, value: Any, error: str | None = None) -> dict[str, Any]:
    entry = {"name": name, "description": f"{name} description", "value": value}
    if error:
        entry["error"] = error
    return entry


ANALYSIS: dict[str, Any] = {
    "version": "1.0",
    "pre_training_bias_metrics": {
        "label": "income",
        "label_value_or_threshold": ">50K",
        "facets": {
            "sex": [
                {
                    "value_or_threshold": "Female",
                    "metrics": [
                        metric("CDDL", None, "Group variable is empty or not provided"),
                        metric("CI", 0.33),
                        metric("DPL", 0.05),
                        metric("KL", 0.2),
                    ],
                }
            ],
            "age": [{"value_or_threshold": "(40, 90]", "metrics": [metric("CI", -0.02), metric("KS", 0.1)]}],
        },
    },
    "post_training_bias_metrics": {
        "label": "income",
        "label_value_or_threshold": ">50K",
        "facets": {
            "sex": [
                {
                    "value_or_threshold": "Female",
                    "metrics": [
                        metric("AD", 0.02),
                        metric("DI", 0.62),
                        metric("DPPL", -0.15),
                        metric("GE", 0.2),
                        metric("TE", 3.0),
                    ],
                }
            ],
            "race": [
                {"value_or_threshold": "Black", "metrics": [metric("DI", "Infinity"), metric("SD", -0.3)]},
                {"value_or_threshold": "White", "metrics": [metric("DI", 1.1), metric("SD", 0.1)]},
            ],
        },
    },
    "explanations": {
        "kernel_shap": {
            "label0": {
                "global_shap_values": {"a": 0.1, "b": -0.5, "c": 0.3, "d": 0.3, "e": 0.0},
                "expected_value": 0.25,
            },
            "yes": {
                "global_shap_values": {"a": 0.9, "b": 0.01},
                "expected_value": 0.7,
                "global_top_shap_text": {"review": {"good": 0.2, "bad": -0.4, "the": 0.01}},
            },
        }
    },
}


def write_analysis(folder: Path, analysis: dict[str, Any], config: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    if config is not None:
        (folder / "analysis_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_flagged_findings_are_the_values_outside_their_bands(tmp_path: Path) -> None:
    card = build_card(write_analysis(tmp_path, ANALYSIS))
    flagged = {(f.stage, f.facet, f.facet_value, f.metric) for f in card.flagged}
    # by hand, with the catalogue's bands: KL 0.2 > 0.1, DI 0.62 < 0.8, DPPL -0.15 < -0.1, GE 0.2 > 0.1,
    # TE 3.0 > 0.5, DI inf > 1.25, SD -0.3 < -0.1; CI 0.33 is inside |CI| <= 0.5
    assert flagged == {
        ("pre-training", "sex", "Female", "KL"),
        ("post-training", "sex", "Female", "DI"),
        ("post-training", "sex", "Female", "DPPL"),
        ("post-training", "sex", "Female", "GE"),
        ("post-training", "sex", "Female", "TE"),
        ("post-training", "race", "Black", "DI"),
        ("post-training", "race", "Black", "SD"),
    }
    # the band edges are inside (KS 0.1); every catalogued metric has a band
    assessed = {(f.facet, f.metric): f for f in card.findings}
    assert assessed[("age", "KS")].outside_band is False
    assert assessed[("sex", "TE")].band is not None and assessed[("sex", "GE")].band is not None
    assert assessed[("sex", "CI")].outside_band is False
    assert len(card.findings) == 14
    assert [(m.metric, m.error) for m in card.failures] == [("CDDL", "Group variable is empty or not provided")]
    assert (card.label, card.positive_label) == ("income", ">50K")


def test_readings_follow_the_formulas(tmp_path: Path) -> None:
    card = build_card(write_analysis(tmp_path, ANALYSIS))
    by_key = {(f.facet, f.facet_value, f.metric): f.reading for f in card.findings}
    assert by_key[("sex", "Female", "DI")] == "the facet gets positive predictions at 62% of the rate of the rest"
    # CI = (n_a - n_d)/n -> share of d = (1 - CI)/2 = 0.335 (34%), of a 0.665 (66%); CI -0.02 -> 51% / 49%
    assert by_key[("sex", "Female", "CI")] == "the facet makes up 34% of the rows, the rest 66%"
    assert by_key[("age", "(40, 90]", "CI")] == "the facet makes up 51% of the rows, the rest 49%"
    assert by_key[("sex", "Female", "DPPL")] == (
        "the facet gets positive predictions 15.0 percentage points more often than the rest"
    )
    assert by_key[("sex", "Female", "DPL")] == (
        "positive labels are 5.0 percentage points more common in the rest than in the facet"
    )
    assert by_key[("race", "Black", "DI")] == "the rest gets no positive predictions while the facet does"
    # SD = spec_d - spec_a: -0.3 -> higher for the rest, 0.1 -> higher for the facet
    assert by_key[("race", "Black", "SD")].startswith("specificity is 30.0 percentage points higher for the rest")
    assert by_key[("race", "White", "SD")].startswith("specificity is 10.0 percentage points higher for the facet")
    assert by_key[("sex", "Female", "AD")] == "accuracy is 2.0 percentage points higher for the rest than for the facet"


def test_top_features_ranked_by_absolute_value(tmp_path: Path) -> None:
    card = build_card(write_analysis(tmp_path, ANALYSIS), top_k=3)
    labels = {e.label: e for e in card.explanations}
    assert [(r.rank, r.feature, r.value) for r in labels["label0"].top_features] == [
        (1, "b", -0.5),
        (2, "c", 0.3),
        (3, "d", 0.3),
    ]
    assert labels["label0"].expected_value == 0.25
    assert [r.feature for r in labels["yes"].top_features] == ["a", "b"]
    assert [r.feature for r in labels["yes"].top_tokens["review"]] == ["bad", "good", "the"]


def test_duties_depend_on_what_was_analysed(tmp_path: Path) -> None:
    full = build_card(write_analysis(tmp_path / "full", ANALYSIS))
    assert [d.provision for d in full.duties] == [
        "Art. 22 with Arts. 13(2)(f), 14(2)(g), 15(1)(h)",
        "Art. 10(2)(f)-(g), 10(3)",
        "Art. 11 and Annex IV (points 2 and 3)",
        "Art. 13(3)(b)",
    ]
    pre_only = {"version": "1.0", "pre_training_bias_metrics": ANALYSIS["pre_training_bias_metrics"]}
    card = build_card(write_analysis(tmp_path / "pre", pre_only))
    assert [d.provision for d in card.duties] == ["Art. 10(2)(f)-(g), 10(3)"]
    assert card.explanations == ()


def test_local_explanations_and_agg_method_are_reported(tmp_path: Path) -> None:
    config = {"dataset_type": "text/csv", "methods": {"shap": {"agg_method": "median"}}}
    folder = write_analysis(tmp_path, {"version": "1.0", "explanations": ANALYSIS["explanations"]}, config)
    (folder / "explanations_shap").mkdir()
    (folder / "explanations_shap" / "out.csv").write_text("a_label0\n0.1\n", encoding="utf-8")
    card = build_card(folder)
    assert card.agg_method == "median"
    assert card.local_explanations == ("explanations_shap/out.csv",)
    assert "per-record attributions" in card.duties[0].supported_by
    assert card.findings == () and card.flagged == ()


def test_custom_bands(tmp_path: Path) -> None:
    card = build_card(write_analysis(tmp_path, ANALYSIS), bands={"DI": Band(0.5, 2.0, "lenient")})
    assert {(f.facet, f.facet_value, f.metric) for f in card.flagged} == {("race", "Black", "DI")}


def test_write_card_files(tmp_path: Path) -> None:
    folder = write_analysis(tmp_path / "analysis", ANALYSIS)
    paths = write_card(folder, tmp_path / "card")
    assert paths == [tmp_path / "card" / "model_card.md", tmp_path / "card" / "model_card.json"]
    data = json.loads(paths[1].read_text(encoding="utf-8"))
    assert len(data["flagged"]) == 7
    infinite = [f for f in data["flagged"] if f["facet_value"] == "Black" and f["metric"] == "DI"]
    assert infinite[0]["value"] == "Infinity"
    assert data["explanations"][0]["top_features"][0] == {"rank": 1, "feature": "b", "value": -0.5}
    markdown = paths[0].read_text(encoding="utf-8")
    assert markdown.count("\n- **") == 7  # one bullet per flagged finding
    assert "- **DI** (post-training, race \\= Black) = Infinity: " in markdown
    table_rows = [line for line in markdown.splitlines() if line.startswith(("| pre-training", "| post-training"))]
    assert len(table_rows) == 14
    assert "not legal advice" in markdown
    assert write_card(folder) == [folder / "model_card.md", folder / "model_card.json"]


def test_markdown_escapes_table_separators(tmp_path: Path) -> None:
    facets = {"a|b": [{"value_or_threshold": "x|y", "metrics": [metric("CI", 0.5)]}]}
    section = {"label": "y", "label_value_or_threshold": "1", "facets": facets}
    analysis = {"version": "1.0", "pre_training_bias_metrics": section}
    markdown = render_markdown(build_card(write_analysis(tmp_path, analysis)))
    assert "| pre-training | a\\|b | x\\|y | CI | 0.5 |" in markdown


def test_missing_or_invalid_analysis(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"analysis\.json: not found"):
        build_card(tmp_path)
    (tmp_path / "analysis.json").write_text("{\n oops", encoding="utf-8")
    with pytest.raises(OutputError, match=r"analysis\.json:2: invalid JSON"):
        build_card(tmp_path)
