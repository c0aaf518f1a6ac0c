"""The one bias-metric catalogue: full name, formula, range, fair value, band, plain-language reading.

The report, the model card and monitoring all read this module, so a metric value is flagged (or not) the
same way everywhere. Facet *d* is the facet value named in the analysis (the sensitive group); *a* is the
rest of the rows. A metric is *flagged* when its value lies outside its band ``[low, high]`` (edges inside).

Bands are conventions used in practice, not legal thresholds:

- DI (ratio of positive-prediction rates d/a): [0.8, 1.25], the four-fifths rule of thumb and its reciprocal.
- CI (class imbalance (n_a - n_d) / n): |CI| <= 0.5, i.e. flagged when one side has fewer than a quarter of
  the rows. A tighter band (±0.1) would flag almost every minority group for being a minority; CI speaks of
  representation, and below a quarter of the rows a group's estimates become noticeably less stable.
- Differences of rates or proportions (DPL, DPPL, DAR, DRR, AD, RD, SD, FT, CDDL, CDDPL) and of
  observed/predicted ratios (DCA, DCR): |value| <= 0.1, ten percentage points, a common rule of thumb.
- TE (difference of FN/FP ratios, unbounded): |TE| <= 0.5, clarion's default (no published convention).
- Divergences of the label distributions (KL, LP, TVD, KS): <= 0.1; JS (bounded by ln 2, about a quarter of KL
  for close distributions): <= 0.05.
- GE (generalized entropy, alpha = 2, of b = y_hat - y + 1): <= 0.1. With balanced errors GE is half the error
  rate, so 0.1 is about one row in five wrongly predicted.

This module is self-contained (standard library only) so the report notebook can embed its source.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass


def parse_metric_value(raw: object) -> float | None:
    """A metric value from analysis.json: number, ``"Infinity"``/``"-Infinity"``/``"NaN"`` string or null."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return None
    return None


def format_value(value: float | None, digits: int = 3) -> str:
    """A compact display string: ``∞``/``-∞`` for infinities, ``n/a`` for missing, else ``digits`` decimals."""
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.{digits}g}"
    return f"{value:.{digits}f}"


def _pts(value: float) -> str:
    """A difference of two proportions as percentage points (``0.123`` -> ``12.3 points``)."""
    if math.isinf(value):
        return "an unbounded amount"
    return f"{abs(value) * 100:.1f} percentage points"


def _num(value: float) -> str:
    return f"{abs(value):.3g}"


def _signed(value: float, positive: str, negative: str, zero: str) -> str:
    if value > 0:
        return positive
    if value < 0:
        return negative
    return zero


def _read_ci(v: float) -> str:
    share_d = (1 - v) / 2
    return f"the facet makes up {share_d:.0%} of the rows, the rest {1 - share_d:.0%}"


def _read_dpl(v: float) -> str:
    return _signed(
        v,
        f"positive labels are {_pts(v)} more common in the rest than in the facet",
        f"positive labels are {_pts(v)} more common in the facet than in the rest",
        "positive labels are equally common in the facet and the rest",
    )


def _read_divergence(v: float) -> str:
    if math.isinf(v):
        return "the label distributions of the facet and the rest do not overlap"
    return f"the label distributions of the facet and the rest differ by {v:.3g} (0 = identical)"


def _read_ks(v: float) -> str:
    return f"the largest gap between the facet's and the rest's label proportions is {_pts(v)}"


def _read_cdd(what: str) -> Callable[[float], str]:
    def read(v: float) -> str:
        return _signed(
            v,
            f"within subgroups, the facet's share of negative {what} exceeds its share of positive {what} "
            f"by {_pts(v)} on average (facet disadvantaged)",
            f"within subgroups, the facet's share of positive {what} exceeds its share of negative {what} "
            f"by {_pts(v)} on average",
            f"within subgroups, the facet's shares of positive and negative {what} are equal",
        )

    return read


def _read_dppl(v: float) -> str:
    return _signed(
        v,
        f"the rest gets positive predictions {_pts(v)} more often than the facet",
        f"the facet gets positive predictions {_pts(v)} more often than the rest",
        "the facet and the rest get positive predictions equally often",
    )


def _read_di(v: float) -> str:
    if math.isinf(v):
        return "the rest gets no positive predictions while the facet does"
    return f"the facet gets positive predictions at {v:.0%} of the rate of the rest"


def _read_gap(quantity: str, higher_side_if_positive: str, *, ratio: bool = False) -> Callable[[float], str]:
    """Reading of a difference (rest minus facet, or facet minus rest) of a rate, or of a ``ratio``."""
    other = "the facet" if higher_side_if_positive == "the rest" else "the rest"

    def read(v: float) -> str:
        if ratio and math.isinf(v):
            higher = higher_side_if_positive if v > 0 else other
            return f"{quantity} is infinitely higher for {higher} (a zero count in a denominator)"
        amount = _num(v) if ratio else _pts(v)
        return _signed(
            v,
            f"{quantity} is {amount} higher for {higher_side_if_positive} than for {other}",
            f"{quantity} is {amount} higher for {other} than for {higher_side_if_positive}",
            f"{quantity} is the same for the facet and the rest",
        )

    return read


def _read_ft(v: float) -> str:
    return _signed(
        v,
        f"net {_pts(v)} of the facet get a positive prediction that their nearest neighbours in the rest would not",
        f"net {_pts(v)} of the facet get a negative prediction that their nearest neighbours in the rest would not",
        "the facet's predictions match those of their nearest neighbours in the rest",
    )


def _read_ge(v: float) -> str:
    return f"inequality of benefit (prediction minus label) across all rows is {v:.3g} (0 = equal)"


@dataclass(frozen=True)
class MetricInfo:
    """What a report says about one bias metric code."""

    code: str
    name: str
    stage: str  # "pre_training" or "post_training"
    formula: str
    value_range: str
    fair: float
    band: tuple[float, float]  # values inside [low, high] are within the convention
    reading: Callable[[float], str]
    convention: str = ""  # why the band is where it is

    def describe_band(self) -> str:
        """The band in words: ``[0.8, 1.25]``, ``at most 0.1`` (lower edge at the fair value of a distance)."""
        low, high = self.band
        if low == self.fair == 0.0 and self.value_range.startswith("[0"):
            return f"at most {high:g}"
        return f"[{low:g}, {high:g}]"


_RATE_GAP = "difference of rates within ten percentage points, a common rule of thumb"
_DISTANCE = "distance between the label distributions of the facet and the rest at most 0.1, clarion's default"


def _diff(code: str, name: str, stage: str, formula: str, rng: str, reading: Callable[[float], str]) -> MetricInfo:
    return MetricInfo(code, name, stage, formula, rng, 0.0, (-0.1, 0.1), reading, _RATE_GAP)


def _div(code: str, name: str, formula: str, rng: str, limit: float = 0.1, convention: str = _DISTANCE) -> MetricInfo:
    return MetricInfo(code, name, "pre_training", formula, rng, 0.0, (0.0, limit), _read_divergence, convention)


METRICS: dict[str, MetricInfo] = {
    m.code: m
    for m in (
        MetricInfo("CI", "Class Imbalance", "pre_training", "(n_a - n_d) / (n_a + n_d)", "[-1, 1]", 0.0,
                   (-0.5, 0.5), _read_ci, "each side holds at least a quarter of the rows"),
        _diff("DPL", "Difference in Positive Proportions in Labels", "pre_training", "q_a - q_d", "[-1, 1]", _read_dpl),
        _div("KL", "Kullback-Leibler Divergence", "Σ P_a ln(P_a / P_d)", "[0, ∞)"),
        _div("JS", "Jensen-Shannon Divergence", "½ [KL(P_a‖M) + KL(P_d‖M)]", "[0, ln 2)", 0.05,
             "JS at most 0.05 (bounded by ln 2, about a quarter of KL for close distributions), clarion's default"),
        _div("LP", "L-p Norm (p = 2)", "(Σ |P_a - P_d|²)^½", "[0, √2)"),
        _div("TVD", "Total Variation Distance", "½ Σ |P_a - P_d|", "[0, 1)"),
        MetricInfo("KS", "Kolmogorov-Smirnov Distance", "pre_training", "max |P_a - P_d|", "[0, 1]", 0.0,
                   (0.0, 0.1), _read_ks, _DISTANCE),
        _diff("CDDL", "Conditional Demographic Disparity in Labels", "pre_training", "Σ_i n_i DD_i / n", "[-1, 1]",
              _read_cdd("labels")),
        _diff("DPPL", "Difference in Positive Proportions in Predicted Labels", "post_training", "q'_a - q'_d",
              "[-1, 1]", _read_dppl),
        MetricInfo("DI", "Disparate Impact", "post_training", "q'_d / q'_a", "[0, ∞)", 1.0, (0.8, 1.25), _read_di,
                   "four-fifths rule of thumb and its reciprocal"),
        _diff("DCA", "Difference in Conditional Acceptance", "post_training", "n_a(1)/n'_a(1) - n_d(1)/n'_d(1)",
              "(-∞, ∞)", _read_gap("the ratio of observed to predicted positives", "the rest", ratio=True)),
        _diff("DCR", "Difference in Conditional Rejection", "post_training", "n_d(0)/n'_d(0) - n_a(0)/n'_a(0)",
              "(-∞, ∞)", _read_gap("the ratio of observed to predicted negatives", "the facet", ratio=True)),
        _diff("DAR", "Difference in Acceptance Rates", "post_training", "TP_a/(TP_a+FP_a) - TP_d/(TP_d+FP_d)",
              "[-1, 1]", _read_gap("precision (share of positive predictions that are right)", "the rest")),
        _diff("DRR", "Difference in Rejection Rates", "post_training", "TN_d/(TN_d+FN_d) - TN_a/(TN_a+FN_a)",
              "[-1, 1]", _read_gap("the share of negative predictions that are right", "the facet")),
        _diff("AD", "Accuracy Difference", "post_training", "ACC_a - ACC_d", "[-1, 1]",
              _read_gap("accuracy", "the rest")),
        _diff("RD", "Recall Difference", "post_training", "TP_a/(TP_a+FN_a) - TP_d/(TP_d+FN_d)", "[-1, 1]",
              _read_gap("recall", "the rest")),
        _diff("SD", "Specificity Difference", "post_training", "TN_d/(TN_d+FP_d) - TN_a/(TN_a+FP_a)", "[-1, 1]",
              _read_gap("specificity", "the facet")),
        MetricInfo("TE", "Treatment Equality", "post_training", "FN_d/FP_d - FN_a/FP_a", "(-∞, ∞)", 0.0, (-0.5, 0.5),
                   _read_gap("the ratio of false negatives to false positives", "the facet", ratio=True),
                   "difference of FN/FP ratios within ±0.5, clarion's default (no published convention)"),
        _diff("CDDPL", "Conditional Demographic Disparity in Predicted Labels", "post_training", "Σ_i n_i DD'_i / n",
              "[-1, 1]", _read_cdd("predictions")),
        _diff("FT", "Flip Test", "post_training", "(F+ - F-) / n_d", "[-1, 1]", _read_ft),
        MetricInfo("GE", "Generalized Entropy (α = 2)", "post_training", "½ CV² of b_i = ŷ_i - y_i + 1", "[0, 0.5]",
                   0.0, (0.0, 0.1), _read_ge,
                   "at most 0.1: with balanced errors GE is half the error rate (about one row in five wrong)"),
    )
}  # fmt: skip


def metric_info(code: str) -> MetricInfo | None:
    """The catalogue entry for a metric code (case-insensitive), or None for an unknown code."""
    return METRICS.get(code.upper())


def is_flagged(code: str, value: float | None) -> bool:
    """True when ``value`` lies outside the metric's conventional band (never for missing values)."""
    info = metric_info(code)
    if info is None or value is None or math.isnan(value):
        return False
    low, high = info.band
    return not (low <= value <= high)


def severity(code: str, value: float | None) -> float:
    """How far outside the band: |value - fair| / |nearest bound - fair| (∞ for infinite values, 0 if unknown)."""
    info = metric_info(code)
    if info is None or value is None or math.isnan(value):
        return 0.0
    if math.isinf(value):
        return math.inf
    bound = info.band[1] if value >= info.fair else info.band[0]
    width = abs(bound - info.fair)
    if info.code == "DI" and value > 0:
        # DI is a ratio: compare on the log scale so 0.5 and 2.0 are equally far from 1.
        return abs(math.log(value)) / abs(math.log(bound))
    return abs(value - info.fair) / width if width else 0.0


def reading(code: str, value: float | None) -> str:
    """One plain-language sentence for a metric value, e.g. ``DI 0.62`` -> "the facet gets positive predictions
    at 62% of the rate of the rest"; empty for missing values or unknown codes."""
    info = metric_info(code)
    if info is None or value is None or math.isnan(value):
        return ""
    return info.reading(value)
