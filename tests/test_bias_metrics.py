"""Each bias metric against hand-computed values (incl. the developer guide's worked examples) and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clarion.bias import FacetTable, MetricError, flip_test, safe_divide
from clarion.bias import posttraining as post
from clarion.bias import pretraining as pre


def table(**kw: int) -> FacetTable:
    return FacetTable.from_confusion(**kw)


def test_safe_divide_conventions():
    assert safe_divide(0, 0) == 0.0
    assert safe_divide(3, 0) == math.inf
    assert safe_divide(-3, 0) == -math.inf
    assert safe_divide(3, 4) == 0.75


def test_class_imbalance_and_dpl_by_hand():
    # a: 6 rows (4 positive), d: 2 rows (0 positive)
    t = table(tp_a=4, tn_a=2, tn_d=2)
    assert pre.class_imbalance(t) == pytest.approx((6 - 2) / 8)
    assert pre.positive_proportion_difference(t) == pytest.approx(4 / 6 - 0 / 2)


def test_kl_doc_example():
    # P_a = (0.8, 0.2), P_d = (0.3, 0.7): the guide gives 0.53
    t = table(tn_a=8, tp_a=2, tn_d=3, tp_d=7)
    expected = 0.8 * math.log(0.8 / 0.3) + 0.2 * math.log(0.2 / 0.7)
    assert pre.kl_divergence(t) == pytest.approx(expected)
    assert round(pre.kl_divergence(t), 2) == 0.53


def test_distribution_metrics_by_hand():
    t = table(tn_a=8, tp_a=2, tn_d=3, tp_d=7)
    pa, pd_ = np.array([0.8, 0.2]), np.array([0.3, 0.7])
    m = (pa + pd_) / 2
    js = 0.5 * (np.sum(pa * np.log(pa / m)) + np.sum(pd_ * np.log(pd_ / m)))
    assert pre.js_divergence(t) == pytest.approx(js)
    assert pre.lp_norm(t) == pytest.approx(math.sqrt(0.5**2 + 0.5**2))
    assert pre.total_variation_distance(t) == pytest.approx(0.5)
    assert pre.kolmogorov_smirnov(t) == pytest.approx(0.5)


def test_distribution_metrics_use_only_common_label_values():
    # facet d has no negatives: only the positive value is common; P_a(1) = 0.25, P_d(1) = 1
    t = table(tn_a=3, tp_a=1, tp_d=2)
    assert pre.kl_divergence(t) == pytest.approx(0.25 * math.log(0.25 / 1.0))
    assert pre.kolmogorov_smirnov(t) == pytest.approx(0.75)


def test_distribution_metrics_without_common_value_fail():
    t = table(tn_a=3, tp_d=2)
    with pytest.raises(MetricError, match="No instance of common facet found"):
        pre.kl_divergence(t)


def test_empty_facet_errors_use_smclarify_words():
    empty_d = table(tp_a=3, tn_a=1)
    with pytest.raises(MetricError, match=r"^CI: facet set is empty"):
        pre.class_imbalance(empty_d)
    with pytest.raises(MetricError, match=r"^Facet set is empty.$"):
        pre.positive_proportion_difference(empty_d)
    with pytest.raises(MetricError, match="^DCO: Facet set is empty$"):
        post.conditional_acceptance_difference(empty_d)
    with pytest.raises(MetricError, match="^DLR: Facet set is empty$"):
        post.acceptance_rate_difference(empty_d)
    with pytest.raises(MetricError, match="^DLA: Facet set is empty$"):
        post.recall_difference(empty_d)
    with pytest.raises(MetricError, match="^Facet set is empty$"):
        post.disparate_impact(empty_d)
    empty_a = table(tp_d=3)
    with pytest.raises(MetricError, match=r"^CI: negated facet set is empty"):
        pre.class_imbalance(empty_a)
    with pytest.raises(MetricError, match="^Negated Facet set is empty$"):
        post.treatment_equality(empty_a)


# The developer guide's worked examples for post-training metrics.
def test_dca_doc_example():
    # c_a = n_a(1)/m_a(1) = 70/60, c_d = 20/30
    t = table(tp_a=50, fn_a=20, fp_a=10, tp_d=15, fn_d=5, fp_d=15)
    assert post.conditional_acceptance_difference(t) == pytest.approx(70 / 60 - 20 / 30)
    assert post.conditional_acceptance_difference(t) == pytest.approx(0.5)


def test_dcr_doc_example():
    # r_d = n_d(0)/m_d(0) = 40/30, r_a = 50/60
    t = table(tn_a=45, fp_a=5, fn_a=15, tn_d=25, fp_d=15, fn_d=5)
    assert post.conditional_rejection_difference(t) == pytest.approx(40 / 30 - 50 / 60)


def test_dar_drr_doc_examples():
    t = table(tp_a=35, fp_a=35, tp_d=40, fp_d=60, tn_a=80, fn_a=20, tn_d=40, fn_d=10)
    assert post.acceptance_rate_difference(t) == pytest.approx(35 / 70 - 40 / 100)
    assert post.rejection_rate_difference(t) == pytest.approx(40 / 50 - 80 / 100)


def test_rd_sd_te_doc_examples():
    t = table(tp_a=65, fn_a=5, tp_d=20, fn_d=7, tn_a=20, fp_a=10, tn_d=18, fp_d=5)
    assert post.recall_difference(t) == pytest.approx(65 / 70 - 20 / 27)
    assert post.specificity_difference(t) == pytest.approx(18 / 23 - 20 / 30)
    te = table(fn_d=5, fp_d=2, fn_a=8, fp_a=6, tp_a=1, tp_d=1)
    assert post.treatment_equality(te) == pytest.approx(5 / 2 - 8 / 6)


def test_di_dppl_ad_by_hand():
    # q'_a = 6/10, q'_d = 5/10
    t = table(tp_a=4, fp_a=2, tn_a=3, fn_a=1, tp_d=3, fp_d=2, tn_d=4, fn_d=1)
    assert post.disparate_impact(t) == pytest.approx(0.5 / 0.6)
    assert post.predicted_proportion_difference(t) == pytest.approx(0.1)
    assert post.accuracy_difference(t) == pytest.approx(7 / 10 - 7 / 10)


def test_infinities_and_both_infinite_is_zero():
    # no predicted positives in d: c_d = 2/0 = inf -> DCA = c_a - inf = -inf
    t = table(tp_a=1, fp_a=1, fn_d=2, tn_d=1)
    assert post.conditional_acceptance_difference(t) == -math.inf
    assert post.disparate_impact(table(tn_a=2, tp_d=1)) == math.inf
    # both ratios +inf -> 0
    both = table(fn_a=2, fn_d=3, tn_a=1, tn_d=1)
    assert post.conditional_acceptance_difference(both) == 0.0
    assert post.treatment_equality(both) == 0.0
    # 0/0 ratios are 0: no positive predictions and no positives at all in d
    zero = table(tp_a=1, tn_d=4)
    assert post.acceptance_rate_difference(zero) == pytest.approx(1.0 - 0.0)


def test_generalized_entropy_by_hand():
    # y = [1,0,1,0], p = [1,1,0,0] -> b = [1,2,0,1], mean 1 -> sum (b^2 - 1) / (4*2) = 2/8
    t = table(tp_a=1, fp_a=1, fn_d=1, tn_d=1)
    assert post.generalized_entropy(t) == pytest.approx(0.25)
    with pytest.raises(MetricError, match="All predicted labels are false negatives"):
        post.generalized_entropy(table(fn_a=2, fn_d=1))


def test_cdd_by_hand():
    # group 0: d rejected 2 of 3 rejections, d accepted 0 of 1 -> DD = 2/3; n=4
    # group 1: d rejected 0 of 1, accepted 1 of 2 -> DD = -1/2; n=3
    c = np.zeros((2, 2, 2, 2), dtype=np.int64)
    c[0, 1, 0, 0], c[0, 0, 0, 0], c[0, 0, 1, 0] = 2, 1, 1
    c[1, 0, 0, 0], c[1, 1, 1, 0], c[1, 0, 1, 0] = 1, 1, 1
    t = FacetTable(c, has_group=True)
    assert pre.conditional_demographic_disparity(t) == pytest.approx((4 * 2 / 3 + 3 * -0.5) / 7)
    with pytest.raises(MetricError, match="^Group variable is empty or not provided$"):
        pre.conditional_demographic_disparity(FacetTable(c, has_group=False))
    with pytest.raises(MetricError, match="^No positive labels in set$"):
        post.conditional_demographic_disparity_predicted(t)


def test_flip_test_by_hand_with_one_neighbour():
    # facet a (x = 0, 1, 2) predicted (0, 0, 1); d rows at x = 0.1 (model 1), 2.1 (model 0), 1.2 (model 0)
    # 1-NN (a has <= 9 rows): neighbours say 0, 1, 0 -> F+ = 1 (first), F- = 1 (second) -> FT = 0 / 3
    x = np.array([[0.0], [1.0], [2.0], [0.1], [2.1], [1.2]])
    d = np.array([False, False, False, True, True, True])
    p = np.array([False, False, True, True, False, False])
    assert flip_test(x, d, p) == 0.0
    p2 = np.array([False, False, True, True, False, True])  # third d row: model 1, neighbour 0 -> F+ = 2
    assert flip_test(x, d, p2) == pytest.approx((2 - 1) / 3)


def test_flip_test_uses_five_neighbours_for_larger_facet_a():
    # 10 a rows at x = 0..9, predicted positive for x >= 7. A d row at x = 7.6, model says 0:
    # its 5 nearest a rows are 8, 7, 9, 6, 5 -> 3 positive votes -> 1, so F- = 1 and FT = -1/1.
    # (1 neighbour would also say 1; at x = 6.4 the nearest is 6 -> 0, while 5 neighbours 6,7,5,8,4 -> 0 too.)
    xa = np.arange(10, dtype=float)
    x = np.concatenate([xa, [7.6]])[:, None]
    d = np.array([False] * 10 + [True])
    p = np.array([v >= 7 for v in xa] + [False])
    assert flip_test(x, d, p) == pytest.approx(-1.0)
    # at x = 6.6 the single nearest a row (7) votes 1 but five neighbours (7, 6, 8, 5, 9) vote 3 of 5 -> 1;
    # at x = 5.6 the nearest (6) votes 0, five (6, 5, 7, 4, 8) vote 2 of 5 -> 0: FT = 0 with model 0.
    x[-1, 0] = 5.6
    assert flip_test(x, d, p) == 0.0
    # with 11 a rows where k matters: positives at 0 and 1 only; d at 0.4 -> 1-NN says 1, 5-NN says 0.
    xa = np.arange(11, dtype=float)
    x = np.concatenate([xa, [0.4]])[:, None]
    d = np.array([False] * 11 + [True])
    p = np.array([v <= 1 for v in xa] + [True])
    assert flip_test(x, d, p) == pytest.approx(1.0)  # model 1, five neighbours say 0 -> F+ = 1
