"""Pre-training bias metrics over a binarised FacetTable (observed labels only).

Notation: n_a, n_d facet sizes; n_x(1) positives in facet x; q_x = n_x(1)/n_x; P_x the distribution of the
(binarised) label within facet x, ordered (negative, positive) and restricted to values with non-zero
probability in both facets (no renormalisation). Logarithms are natural.
"""

from __future__ import annotations

import numpy as np

from clarion.bias.inference import safe_divide
from clarion.bias.table import FacetTable, MetricError


def class_imbalance(t: FacetTable) -> float:
    """CI = (n_a - n_d) / (n_a + n_d)."""
    n_a, n_d = t.n(0), t.n(1)
    if n_a == 0:
        raise MetricError("CI: negated facet set is empty. Check that x[~facet] has non-zero length.")
    if n_d == 0:
        raise MetricError("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return float(n_a - n_d) / (n_a + n_d)


def positive_proportion_difference(t: FacetTable, *, predicted: bool = False) -> float:
    """DPL = q_a - q_d with q_x = n_x(1) / n_x (on predicted labels when ``predicted``: DPPL)."""
    n_a, n_d = t.n(0), t.n(1)
    if n_a == 0:
        raise MetricError("Negative facet set is empty.")
    if n_d == 0:
        raise MetricError("Facet set is empty.")
    pos_a = t.n(0, p=1) if predicted else t.n(0, y=1)
    pos_d = t.n(1, p=1) if predicted else t.n(1, y=1)
    return pos_a / n_a - pos_d / n_d


def label_distributions(t: FacetTable) -> tuple[np.ndarray, np.ndarray]:
    """(P_a, P_d) over label values (negative, positive) with non-zero probability in both facets."""
    n_a, n_d = t.n(0), t.n(1)
    p_a, p_d = [], []
    for y in (0, 1):
        k_a, k_d = t.n(0, y), t.n(1, y)
        if k_a > 0 and k_d > 0:
            p_a.append(k_a / n_a)
            p_d.append(k_d / n_d)
    if not p_a:
        raise MetricError("No instance of common facet found, dataset may be too small")
    return np.array(p_a), np.array(p_d)


def kl_divergence(t: FacetTable) -> float:
    """KL = sum_y P_a(y) ln(P_a(y) / P_d(y))."""
    p_a, p_d = label_distributions(t)
    return float(np.sum(p_a * np.log(p_a / p_d)))


def js_divergence(t: FacetTable) -> float:
    """JS = 0.5 [KL(P_a, M) + KL(P_d, M)] with M = (P_a + P_d) / 2."""
    p_a, p_d = label_distributions(t)
    m = 0.5 * (p_a + p_d)
    return float(0.5 * (np.sum(p_a * np.log(p_a / m)) + np.sum(p_d * np.log(p_d / m))))


def lp_norm(t: FacetTable, order: float = 2) -> float:
    """LP = (sum_y |P_a(y) - P_d(y)|^p)^(1/p), p = 2."""
    p_a, p_d = label_distributions(t)
    return float(np.linalg.norm(p_a - p_d, order))


def total_variation_distance(t: FacetTable) -> float:
    """TVD = 0.5 * sum_y |P_a(y) - P_d(y)|."""
    return 0.5 * lp_norm(t, 1)


def kolmogorov_smirnov(t: FacetTable) -> float:
    """KS = max_y |P_a(y) - P_d(y)| (over the label distribution, not a CDF)."""
    return lp_norm(t, np.inf)


def conditional_demographic_disparity(t: FacetTable, *, predicted: bool = False) -> float:
    """CDD = sum_i n_i DD_i / sum_i n_i over groups i, DD_i = n_d,i(0)/n_i(0) - n_d,i(1)/n_i(1).

    Each share is 0 when its denominator is 0. Labels are observed (CDDL) or predicted (CDDPL).
    Errors when there is no group variable, or no positive or no negative (predicted) labels at all.
    """
    if not t.has_group:
        raise MetricError("Group variable is empty or not provided")
    axis = 3 if predicted else 2
    by_outcome = t.counts.sum(axis=5 - axis)  # (G, d, outcome)
    if by_outcome[:, :, 1].sum() == 0:
        raise MetricError("No positive labels in set")
    if by_outcome[:, :, 0].sum() == 0:
        raise MetricError("No negative labels in set")
    valid = np.ones(len(t.counts), dtype=bool) if t.group_valid is None else t.group_valid
    weighted, total = 0.0, 0
    for g in np.flatnonzero(valid):
        cell = by_outcome[g]
        n_i = int(cell.sum())
        acc, rej = int(cell[:, 1].sum()), int(cell[:, 0].sum())
        share_acc = cell[1, 1] / acc if acc != 0 else 0
        share_rej = cell[1, 0] / rej if rej != 0 else 0
        weighted += n_i * (share_rej - share_acc)
        total += n_i
    return float(safe_divide(weighted, total))
