"""Monitoring rules: NDCG as Model Monitor computes it, the bias-drift rule, and constraint_violations.json."""

import json
import math

import pytest

from clarion.errors import ConfigError
from clarion.monitor import (
    BIAS_DRIFT,
    FEATURE_ATTRIBUTION_DRIFT,
    CheckOptions,
    Violation,
    check,
    distance_from_fair,
    fair_value,
    is_bias_drift,
    ndcg,
    read_violations,
    write_violations,
)


def test_ndcg_on_the_documentation_example():
    # SAT 0.70/0.10, GPA 0.50/0.20, Class rank 0.05/0.70 (baseline/live): the docs give NDCG ≈ 0.69.
    baseline = {"SAT": 0.70, "GPA": 0.50, "Class rank": 0.05}
    live = {"SAT": 0.10, "GPA": 0.20, "Class rank": 0.70}
    dcg = 0.05 / 1 + 0.50 / math.log2(3) + 0.70 / 2
    idcg = 0.70 / 1 + 0.50 / math.log2(3) + 0.05 / 2
    assert ndcg(baseline, live) == pytest.approx(dcg / idcg, abs=1e-15)
    assert round(ndcg(baseline, live), 3) == 0.688


def test_ndcg_hand_built_rankings():
    base = {"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}
    idcg = 4 + 3 / math.log2(3) + 2 / 2 + 1 / math.log2(5)
    # Same order (any live magnitudes): 1.
    assert ndcg(base, {"a": 0.9, "b": 0.5, "c": 0.1, "d": 0.0}) == 1.0
    # Fully reversed.
    reversed_dcg = 1 + 2 / math.log2(3) + 3 / 2 + 4 / math.log2(5)
    assert ndcg(base, {"a": 1, "b": 2, "c": 3, "d": 4}) == pytest.approx(reversed_dcg / idcg, abs=1e-15)
    # Swap of the top two only.
    swap_dcg = 3 + 4 / math.log2(3) + 2 / 2 + 1 / math.log2(5)
    assert ndcg(base, {"a": 0.5, "b": 0.6, "c": 0.2, "d": 0.1}) == pytest.approx(swap_dcg / idcg, abs=1e-15)
    # A feature missing from the live run ranks last: order b, c, d, a.
    missing_dcg = 3 + 2 / math.log2(3) + 1 / 2 + 4 / math.log2(5)
    assert ndcg(base, {"b": 3, "c": 2, "d": 1}) == pytest.approx(missing_dcg / idcg, abs=1e-15)
    # Ties in the live values keep the baseline order; an all-zero baseline gives 1.
    assert ndcg(base, {"a": 1, "b": 1, "c": 1, "d": 1}) == 1.0
    assert ndcg({"a": 0.0, "b": 0.0}, {"a": 0.0, "b": 1.0}) == 1.0


def test_fair_values():
    assert [fair_value(c) for c in ("DPPL", "dpl", "CI", "KL", "AD", "TE", "GE")] == [0.0] * 7
    assert fair_value("DI") == 1.0
    assert fair_value("XYZ") is None


@pytest.mark.parametrize(
    ("code", "baseline", "current", "violated"),
    [
        # The docs' DPPL example: baseline 0.2; 0.1 is closer to 0 (fine), -0.3 is farther (violation).
        ("DPPL", 0.2, 0.1, False),
        ("DPPL", 0.2, -0.3, True),
        ("DPPL", -0.2, 0.25, True),
        ("DPPL", -0.2, 0.15, False),
        ("DPPL", -0.2, -0.2, False),
        ("DPL", 0.0, 1e-6, True),
        ("KL", 0.1, 0.2, True),
        ("KL", 0.1, 0.05, False),
        # DI, fair 1, distance |DI - 1|, both sides of 1.
        ("DI", 0.8, 1.2, False),
        ("DI", 0.8, 1.19, False),
        ("DI", 0.8, 1.25, True),
        ("DI", 0.8, 0.7, True),
        ("DI", 0.8, 0.85, False),
        ("DI", 1.25, 0.8, False),
        ("DI", 1.25, 0.7, True),
        ("DI", 1.25, 1.3, True),
        ("DI", 1.1, 0.95, False),
        ("DI", 0.5, 0.0, True),
        ("DI", 0.5, math.inf, True),
        ("DI", math.inf, math.inf, False),
        ("DI", 0.9, None, False),
        ("DPPL", None, 0.4, False),
        ("XYZ", 0.1, 0.9, False),
    ],
)
def test_bias_drift_rule(code, baseline, current, violated):
    assert is_bias_drift(code, baseline, current) is violated


def test_bias_drift_tolerance_and_rounding():
    assert not is_bias_drift("DPPL", 0.2, 0.24, tolerance=0.05)
    assert is_bias_drift("DPPL", 0.2, -0.26, tolerance=0.05)
    assert not is_bias_drift("DI", 0.8, 0.76, tolerance=0.05)
    assert is_bias_drift("DI", 0.8, 0.74, tolerance=0.05)
    assert is_bias_drift("DI", 0.8, 1.26, tolerance=0.05)
    # A value recomputed in another order differs in the last bits; that is not drift.
    assert not is_bias_drift("DPPL", 0.1 + 0.2, 0.3 + 1e-16)
    assert distance_from_fair("DI", 0.25) == pytest.approx(0.75)
    assert distance_from_fair("CI", -0.4) == pytest.approx(0.4)


def analysis(shap: dict[str, float], pre: dict[str, float | None], post: dict[str, float | str]) -> dict:
    def metrics(values):
        return [{"name": k, "description": k, "value": v} for k, v in sorted(values.items())]

    return {
        "version": "1.0",
        "pre_training_bias_metrics": {
            "label": "Target", "label_value_or_threshold": "1",
            "facets": {"Sex": [{"value_or_threshold": "0", "metrics": metrics(pre)}]},
        },
        "post_training_bias_metrics": {
            "label": "Target", "label_value_or_threshold": "1",
            "facets": {"Sex": [{"value_or_threshold": "0", "metrics": metrics(post)}]},
        },
        "explanations": {"kernel_shap": {"label0": {"global_shap_values": shap, "expected_value": 0.25}}},
    }  # fmt: skip


BASELINE = analysis(
    {"SAT": 0.70, "GPA": 0.50, "Class rank": 0.05}, {"CI": 0.3, "DPL": 0.1, "CDDL": None}, {"DPPL": 0.2, "DI": 0.8}
)


def test_check_finds_each_kind_of_violation():
    current = analysis(
        {"SAT": 0.10, "GPA": 0.20, "Class rank": 0.70}, {"CI": -0.35, "DPL": 0.05, "CDDL": 0.4},
        {"DPPL": -0.3, "DI": "Infinity"},
    )  # fmt: skip
    found = check(BASELINE, current)
    assert [(v.constraint_check_type, v.label, v.facet, v.metric_name) for v in found] == [
        (FEATURE_ATTRIBUTION_DRIFT, "label0", None, "shap"),
        (BIAS_DRIFT, None, "Sex", "CI"),
        (BIAS_DRIFT, None, "Sex", "DI"),
        (BIAS_DRIFT, None, "Sex", "DPPL"),
    ]
    assert found[0].current == pytest.approx(0.6876, abs=1e-4)
    assert found[0].description == f"Feature attribution drift {found[0].current!r} exceeds threshold 0.9"
    assert found[3].description == "Metric value -0.3 doesn't meet the baseline constraint requirement 0.2"
    assert found[2].description == "Metric value Infinity doesn't meet the baseline constraint requirement 0.8"
    assert (found[1].baseline, found[1].current, found[1].facet_value) == (0.3, -0.35, "0")
    # A clean run (the baseline itself) has none; skipped checks find nothing; a lower threshold passes NDCG.
    assert check(BASELINE, BASELINE) == []
    assert check(BASELINE, current, CheckOptions(skip=frozenset({BIAS_DRIFT, FEATURE_ATTRIBUTION_DRIFT}))) == []
    assert [v.metric_name for v in check(BASELINE, current, CheckOptions(threshold=0.6))] == ["CI", "DI", "DPPL"]


def test_check_options_are_validated():
    with pytest.raises(ConfigError, match="skip_check: unknown check type 'data_quality_check'"):
        CheckOptions(skip=frozenset({"data_quality_check"}))
    with pytest.raises(ConfigError, match="threshold"):
        CheckOptions(threshold=1.5)
    with pytest.raises(ConfigError, match="bias_tolerance"):
        CheckOptions(bias_tolerance=-0.1)


# The two documented examples (CLARIFY_OUTPUTS.md section 4), verbatim.
DOC_ATTRIBUTION = """{"version": "1.0",
 "violations": [{"label": "label0", "metric_name": "shap",
                 "constraint_check_type": "feature_attribution_drift_check",
                 "description": "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9"}]}"""
DOC_BIAS = (
    """{"version": "1.0",
 "violations": [{"facet": "Sex", "facet_value": "0", "metric_name": "CDDPL",
                 "constraint_check_type": "bias_drift_check",
                 "description": "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement """
    """0.28176563733194276"}]}"""
)


def test_violations_file_matches_the_documented_shape(tmp_path):
    attribution = Violation(
        FEATURE_ATTRIBUTION_DRIFT, "shap", "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9",
        label="label0",
    )  # fmt: skip
    bias = Violation(
        BIAS_DRIFT, "CDDPL",
        "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement 0.28176563733194276",
        facet="Sex", facet_value="0", baseline=0.28176563733194276, current=0.374894782529513,
    )  # fmt: skip
    for violation, doc in ((attribution, DOC_ATTRIBUTION), (bias, DOC_BIAS)):
        path = write_violations(tmp_path / "constraint_violations.json", [violation])
        text = path.read_text(encoding="utf-8")
        expected = json.loads(doc)
        # Same keys in the same order, same values, and the same bytes as the document re-serialised.
        assert json.loads(text) == expected
        assert [list(v) for v in json.loads(text)["violations"]] == [list(v) for v in expected["violations"]]
        assert list(json.loads(text)) == ["version", "violations"]
        assert text == json.dumps(expected, indent=4) + "\n"
        assert [v.to_json() for v in read_violations(path)] == expected["violations"]
    empty = write_violations(tmp_path / "none.json", [])
    assert json.loads(empty.read_text()) == {"version": "1.0", "violations": []}


def test_description_from_check_matches_the_documented_wording():
    base = analysis({"a": 1.0}, {}, {"CDDPL": 0.28176563733194276})
    now = analysis({"a": 1.0}, {}, {"CDDPL": 0.374894782529513})
    (found,) = check(base, now)
    assert found.to_json() == json.loads(DOC_BIAS)["violations"][0]
