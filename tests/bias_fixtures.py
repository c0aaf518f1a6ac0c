"""Shared helpers for the bias tests: an independent, row-by-row reference for every count metric."""

from __future__ import annotations

import math

import numpy as np

ADULT_HEADERS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip


def _ratio(a: float, b: float) -> float:
    if b == 0:
        return 0.0 if a == 0 else math.copysign(math.inf, a)
    return a / b


def _gap(x: float, y: float) -> float:
    return 0.0 if x == y == math.inf else x - y


def reference_metrics(d: np.ndarray, y: np.ndarray, p: np.ndarray, g: np.ndarray | None) -> dict[str, float]:
    """Every count-based metric straight from its textbook formula over boolean row arrays."""
    a = ~d
    out: dict[str, float] = {}
    na, nd = a.sum(), d.sum()
    out["CI"] = (na - nd) / (na + nd)
    out["DPL"] = y[a].mean() - y[d].mean()
    pa = np.array([np.mean(~y[a]), np.mean(y[a])])
    pd_ = np.array([np.mean(~y[d]), np.mean(y[d])])
    keep = (pa > 0) & (pd_ > 0)
    pa, pd_ = pa[keep], pd_[keep]
    out["KL"] = float(sum(u * math.log(u / v) for u, v in zip(pa, pd_, strict=True)))
    m = (pa + pd_) / 2
    kl_am = sum(u * math.log(u / w) for u, w in zip(pa, m, strict=True))
    kl_dm = sum(v * math.log(v / w) for v, w in zip(pd_, m, strict=True))
    out["JS"] = 0.5 * float(kl_am + kl_dm)
    out["LP"] = math.sqrt(sum((u - v) ** 2 for u, v in zip(pa, pd_, strict=True)))
    out["TVD"] = 0.5 * sum(abs(u - v) for u, v in zip(pa, pd_, strict=True))
    out["KS"] = max(abs(u - v) for u, v in zip(pa, pd_, strict=True))
    out["DPPL"] = p[a].mean() - p[d].mean()
    out["DI"] = _ratio(p[d].mean(), p[a].mean())
    tp = lambda s: np.sum(s & y & p)  # noqa: E731
    fp = lambda s: np.sum(s & ~y & p)  # noqa: E731
    fn = lambda s: np.sum(s & y & ~p)  # noqa: E731
    tn = lambda s: np.sum(s & ~y & ~p)  # noqa: E731
    out["DCA"] = _gap(_ratio(np.sum(a & y), np.sum(a & p)), _ratio(np.sum(d & y), np.sum(d & p)))
    out["DCR"] = _gap(_ratio(np.sum(d & ~y), np.sum(d & ~p)), _ratio(np.sum(a & ~y), np.sum(a & ~p)))
    out["DAR"] = _gap(_ratio(tp(a), tp(a) + fp(a)), _ratio(tp(d), tp(d) + fp(d)))
    out["DRR"] = _gap(_ratio(tn(d), tn(d) + fn(d)), _ratio(tn(a), tn(a) + fn(a)))
    out["RD"] = _gap(_ratio(tp(a), tp(a) + fn(a)), _ratio(tp(d), tp(d) + fn(d)))
    out["SD"] = _gap(_ratio(tn(d), tn(d) + fp(d)), _ratio(tn(a), tn(a) + fp(a)))
    out["AD"] = (tp(a) + tn(a)) / na - (tp(d) + tn(d)) / nd
    out["TE"] = _gap(_ratio(fn(d), fp(d)), _ratio(fn(a), fp(a)))
    b = p.astype(float) - y.astype(float) + 1
    out["GE"] = float(np.mean((b / b.mean()) ** 2 - 1) / 2)
    if g is not None:
        for code, outcome in (("CDDL", y), ("CDDPL", p)):
            total = 0.0
            for group in np.unique(g):
                s = g == group
                acc = np.sum(s & outcome)
                rej = np.sum(s & ~outcome)
                share_acc = np.sum(s & outcome & d) / acc if acc else 0.0
                share_rej = np.sum(s & ~outcome & d) / rej if rej else 0.0
                total += s.sum() * (share_rej - share_acc)
            out[code] = total / len(g)
    return out


def values_of(section: dict, facet: str, entry: int = 0) -> dict[str, object]:
    """{metric name: value or ("error", message)} of one facet entry of a section."""
    metrics = section["facets"][facet][entry]["metrics"]
    return {m["name"]: (("error", m["error"]) if "error" in m else m["value"]) for m in metrics}
