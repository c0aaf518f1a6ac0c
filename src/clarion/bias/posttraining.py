"""Post-training bias metrics over a binarised FacetTable (observed label y, predicted label p).

Notation per facet x in {a, d}: n_x rows; n_x(1), n_x(0) observed positives/negatives; m_x(1), m_x(0)
predicted positives/negatives; TP_x, FP_x, FN_x, TN_x the confusion counts. ``div`` is the safe division
0/0 -> 0, x/0 -> +-inf; a difference of two ratios that are both +inf is 0.
"""

from __future__ import annotations

from clarion.bias.inference import safe_divide as div
from clarion.bias.pretraining import conditional_demographic_disparity, positive_proportion_difference
from clarion.bias.table import FacetTable, MetricError

INF = float("inf")


def _difference(first: float, second: float) -> float:
    """first - second, except 0 when both are +inf."""
    if first == second == INF:
        return 0.0
    return first - second


def predicted_proportion_difference(t: FacetTable) -> float:
    """DPPL = m_a(1)/n_a - m_d(1)/n_d."""
    return positive_proportion_difference(t, predicted=True)


def disparate_impact(t: FacetTable) -> float:
    """DI = (m_d(1)/n_d) / (m_a(1)/n_a), with div."""
    n_a, n_d = t.n(0), t.n(1)
    if n_a == 0:
        raise MetricError("Negated facet set is empty")
    if n_d == 0:
        raise MetricError("Facet set is empty")
    return div(t.n(1, p=1) / n_d, t.n(0, p=1) / n_a)


def conditional_acceptance_difference(t: FacetTable) -> float:
    """DCA = c_a - c_d with c_x = div(n_x(1), m_x(1))."""
    t.require_facets("DCO: ")
    return _difference(div(t.n(0, y=1), t.n(0, p=1)), div(t.n(1, y=1), t.n(1, p=1)))


def conditional_rejection_difference(t: FacetTable) -> float:
    """DCR = r_d - r_a with r_x = div(n_x(0), m_x(0))."""
    t.require_facets("DCO: ")
    return _difference(div(t.n(1, y=0), t.n(1, p=0)), div(t.n(0, y=0), t.n(0, p=0)))


def acceptance_rate_difference(t: FacetTable) -> float:
    """DAR = div(TP_a, m_a(1)) - div(TP_d, m_d(1)) (precision gap)."""
    t.require_facets("DLR: ")
    return _difference(div(t.n(0, 1, 1), t.n(0, p=1)), div(t.n(1, 1, 1), t.n(1, p=1)))


def rejection_rate_difference(t: FacetTable) -> float:
    """DRR = div(TN_d, m_d(0)) - div(TN_a, m_a(0))."""
    t.require_facets("DLR: ")
    return _difference(div(t.n(1, 0, 0), t.n(1, p=0)), div(t.n(0, 0, 0), t.n(0, p=0)))


def recall_difference(t: FacetTable) -> float:
    """RD = div(TP_a, TP_a + FN_a) - div(TP_d, TP_d + FN_d)."""
    t.require_facets("DLA: ")
    return _difference(div(t.n(0, 1, 1), t.n(0, y=1)), div(t.n(1, 1, 1), t.n(1, y=1)))


def specificity_difference(t: FacetTable) -> float:
    """SD = div(TN_d, TN_d + FP_d) - div(TN_a, TN_a + FP_a)."""
    t.require_facets("DLA: ")
    return _difference(div(t.n(1, 0, 0), t.n(1, y=0)), div(t.n(0, 0, 0), t.n(0, y=0)))


def accuracy_difference(t: FacetTable) -> float:
    """AD = div(TP_a + TN_a, n_a) - div(TP_d + TN_d, n_d)."""
    t.require_facets()
    acc_a = div(t.n(0, 1, 1) + t.n(0, 0, 0), t.n(0))
    acc_d = div(t.n(1, 1, 1) + t.n(1, 0, 0), t.n(1))
    return _difference(acc_a, acc_d)


def treatment_equality(t: FacetTable) -> float:
    """TE = div(FN_d, FP_d) - div(FN_a, FP_a)."""
    t.require_facets()
    tau_a = div(t.n(0, 1, 0), t.n(0, 0, 1))
    tau_d = div(t.n(1, 1, 0), t.n(1, 0, 1))
    if tau_a == tau_d == INF:
        return 0.0
    return tau_d - tau_a


def conditional_demographic_disparity_predicted(t: FacetTable) -> float:
    """CDDPL: CDD (see pretraining) on predicted labels."""
    return conditional_demographic_disparity(t, predicted=True)


def generalized_entropy(t: FacetTable, alpha: float = 2) -> float:
    """GE = sum_i [(b_i / mean b)^alpha - 1] / (n alpha (alpha - 1)), b_i = p_i - y_i + 1, over all rows.

    Facet-independent. With alpha = 2 it is half the squared coefficient of variation of b.
    """
    n = t.n()
    if n == 0:
        raise MetricError("dataset must be non-empty")
    by_benefit = {0: t.n(y=1, p=0), 1: t.n(y=1, p=1) + t.n(y=0, p=0), 2: t.n(y=0, p=1)}
    mean = (by_benefit[1] + 2 * by_benefit[2]) / n
    if mean == 0:
        raise MetricError(
            "All predicted labels are false negatives. There should be at least one prediction that is not "
            "false negative."
        )
    total = sum(count * ((b / mean) ** alpha - 1) for b, count in by_benefit.items())
    return float(total / (n * alpha * (alpha - 1)))
