"""Metric catalogue: value parsing, bands, severities and plain-language readings."""

import math

import pytest

from clarion.results.catalogue import (
    METRICS,
    format_value,
    is_flagged,
    parse_metric_value,
    reading,
    severity,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Infinity", math.inf), ("-Infinity", -math.inf), (0.25, 0.25), (3, 3.0), (None, None), (True, None),
     ("abc", None)],
)  # fmt: skip
def test_parse_metric_value(raw, expected):
    assert parse_metric_value(raw) == expected


def test_parse_nan_string_is_nan():
    assert math.isnan(parse_metric_value("NaN"))


@pytest.mark.parametrize(
    ("value", "text"),
    [(math.inf, "∞"), (-math.inf, "-∞"), (None, "n/a"), (0.35671, "0.357"), (-0.1, "-0.100"), (0.00012, "0.00012")],
)
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("value", "flagged"),
    [(0.8, False), (0.7999, True), (1.25, False), (1.2501, True), (1.0, False), (0.0, True), (math.inf, True)],
)
def test_disparate_impact_uses_the_four_fifths_rule(value, flagged):
    assert is_flagged("DI", value) is flagged


@pytest.mark.parametrize("code", ["DPL", "DPPL", "DCA", "DCR", "DAR", "DRR", "AD", "RD", "SD", "FT", "CDDL", "CDDPL"])
def test_difference_metrics_are_flagged_beyond_a_tenth(code):
    assert not is_flagged(code, 0.1) and not is_flagged(code, -0.1) and not is_flagged(code, 0.0)
    assert is_flagged(code, 0.1001) and is_flagged(code, -0.1001) and is_flagged(code, -math.inf)


def test_other_bands():
    assert not is_flagged("CI", 0.5) and is_flagged("CI", -0.51)
    assert not is_flagged("TE", -0.5) and is_flagged("TE", 0.6)
    assert not is_flagged("JS", 0.05) and is_flagged("JS", 0.051)
    for code in ("KL", "LP", "TVD", "KS", "GE"):
        assert not is_flagged(code, 0.1) and is_flagged(code, 0.11)


def test_missing_or_unknown_metrics_are_never_flagged():
    assert not is_flagged("DI", None)
    assert not is_flagged("DI", math.nan)
    assert not is_flagged("XYZ", 99.0)
    assert reading("XYZ", 1.0) == "" and reading("DI", None) == ""


def test_every_clarify_metric_is_catalogued():
    pre = {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
    post = {"AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"}
    assert set(METRICS) == pre | post
    assert {c for c, m in METRICS.items() if m.stage == "pre_training"} == pre


def test_severity_is_relative_distance_outside_the_band():
    # DI on the log scale: |ln 0.4| / |ln 0.8| and |ln 2| / |ln 1.25|.
    assert severity("DI", 0.4) == pytest.approx(0.916291 / 0.223144, rel=1e-5)
    assert severity("DI", 2.0) == pytest.approx(0.693147 / 0.223144, rel=1e-5)
    assert severity("DPPL", -0.25) == pytest.approx(2.5)
    assert severity("CI", 0.9) == pytest.approx(1.8)
    assert severity("TE", math.inf) == math.inf
    assert severity("DI", None) == 0.0


def test_readings_state_the_value_in_plain_words():
    assert reading("DI", 0.62) == "the facet gets positive predictions at 62% of the rate of the rest"
    # CI = (n_a - n_d)/n = 0.4 means n_d/n = 0.3.
    assert reading("CI", 0.4) == "the facet makes up 30% of the rows, the rest 70%"
    assert (
        reading("DPPL", 0.15) == "the rest gets positive predictions 15.0 percentage points more often than the facet"
    )
    assert (
        reading("DPPL", -0.05) == "the facet gets positive predictions 5.0 percentage points more often than the rest"
    )
    assert reading("AD", 0.123) == "accuracy is 12.3 percentage points higher for the rest than for the facet"
    assert reading("SD", 0.2) == "specificity is 20.0 percentage points higher for the facet than for the rest"
    assert reading("DRR", -0.05).startswith(
        "the share of negative predictions that are right is 5.0 percentage points higher for the rest"
    )
    assert reading("TE", math.inf) == (
        "the ratio of false negatives to false positives is infinitely higher for the facet "
        "(a zero count in a denominator)"
    )
    assert reading("DCA", -math.inf).startswith(
        "the ratio of observed to predicted positives is infinitely higher for the facet"
    )
    assert (
        reading("TE", -4.115)
        == "the ratio of false negatives to false positives is 4.12 higher for the rest than for the facet"
    )
    assert "0.144" in reading("KL", 0.1437)
    assert "(facet disadvantaged)" in reading("CDDL", 0.2)
