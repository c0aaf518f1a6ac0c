"""Sections (analysis.json objects), type inference and binarisation, merging, on hand-made tables and Adult."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.bias import (
    BiasColumns,
    BiasCounts,
    BiasSpec,
    FacetSpec,
    FlipTestData,
    merge_all,
    post_training_bias_section,
    pre_training_bias_section,
)
from clarion.config.methods import POST_TRAINING_METRICS, PRE_TRAINING_METRICS

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


ADULT = Path(__file__).resolve().parents[1] / "datasets" / "adult" / "adult.data"


DEFAULT_FACETS = (FacetSpec("f", ("x",)),)


def spec_for(label="y", label_values=(1,), facets=DEFAULT_FACETS, group=None, predicted="p",
             pre=PRE_TRAINING_METRICS, post=POST_TRAINING_METRICS) -> BiasSpec:  # fmt: skip
    return BiasSpec(label, tuple(label_values), tuple(facets), group, predicted, tuple(pre), tuple(post))


def repeated(df: pd.DataFrame, times: int = 25) -> pd.DataFrame:
    """The rows ``times`` over: ratios stay, and small int label columns stay categorical (uniqueness < 5%)."""
    return pd.concat([df] * times, ignore_index=True)


def random_frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "f": rng.choice(["x", "y", "z"], n, p=[0.3, 0.5, 0.2]),
        "g": rng.choice(["g1", "g2", "g3", "g4"], n),
        "y": rng.integers(0, 2, n),
        "p": rng.integers(0, 2, n),
        "num": rng.normal(size=n),
    })  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_metric_matches_row_level_formulas(seed):
    df = random_frame(seed)
    spec = spec_for(group="g")
    counts = BiasCounts.from_frame(df, spec.columns, row_offset=0)
    flip = FlipTestData.from_frame(df, spec.columns, ["num"], row_offset=0)
    got = {**values_of(pre_training_bias_section(counts, spec), "f"),
           **values_of(post_training_bias_section(counts, spec, flip), "f")}  # fmt: skip
    expected = reference_metrics(
        (df["f"] == "x").to_numpy(), (df["y"] == 1).to_numpy(), (df["p"] == 1).to_numpy(), df["g"].to_numpy()
    )
    for code, value in expected.items():
        assert got[code] == pytest.approx(value, abs=1e-12), code
    # FT with 5 neighbours from sklearn's brute-force search on the single numeric feature, computed directly
    x, d, p = df[["num"]].to_numpy(), (df["f"] == "x").to_numpy(), (df["p"] == 1).to_numpy()
    dist = np.abs(x[d][:, None, 0] - x[~d][None, :, 0])
    votes = p[~d][np.argsort(dist, axis=1, kind="stable")[:, :5]].sum(axis=1) >= 3
    expected_ft = (np.sum(p[d] & ~votes) - np.sum(~p[d] & votes)) / d.sum()
    assert got["FT"] == pytest.approx(expected_ft)


def test_section_shape_order_and_descriptions():
    df = random_frame(3)
    spec = spec_for(group="g")
    counts = BiasCounts.from_frame(df, spec.columns)
    section = pre_training_bias_section(counts, spec)
    assert section["label"] == "y" and section["label_value_or_threshold"] == "1"
    entry = section["facets"]["f"][0]
    assert entry["value_or_threshold"] == "x"
    assert [m["name"] for m in entry["metrics"]] == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    descriptions = {m["name"]: m["description"] for m in entry["metrics"]}
    assert descriptions["KL"] == "Kullback-Liebler Divergence (KL)"
    assert descriptions["CDDL"] == "Conditional Demographic Disparity in Labels (CDDL)"
    post = post_training_bias_section(counts, spec)
    names = [m["name"] for m in post["facets"]["f"][0]["metrics"]]
    assert names == sorted(POST_TRAINING_METRICS)
    assert {m["name"]: m["description"] for m in post["facets"]["f"][0]["metrics"]}["DCA"] == (
        "Difference in Conditional Acceptance (DCA)"
    )


def test_facet_without_values_is_one_vs_rest_in_order_of_appearance():
    df = repeated(pd.DataFrame({"f": ["b", "a", "b", "c", "a"], "y": [1, 0, 0, 1, 1]}))
    spec = spec_for(facets=(FacetSpec("f"),), predicted=None, pre=("CI", "DPL"))
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    entries = section["facets"]["f"]
    assert [e["value_or_threshold"] for e in entries] == ["b", "a", "c"]
    assert values_of(section, "f", 2)["CI"] == pytest.approx((4 - 1) / 5)
    assert values_of(section, "f", 1)["DPL"] == pytest.approx(2 / 3 - 1 / 2)


def test_multi_valued_facet_and_several_facets():
    df = repeated(pd.DataFrame({"f": ["a", "b", "c", "a", "d"], "h": [1, 2, 3, 4, 5], "y": [1, 0, 0, 1, 1]}))
    spec = spec_for(facets=(FacetSpec("f", ("a", "c")), FacetSpec("h", (2, 5))), predicted=None, pre=("CI",))
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    assert section["facets"]["f"][0]["value_or_threshold"] == "a,c"
    assert values_of(section, "f")["CI"] == pytest.approx((2 - 3) / 5)
    # two values given -> categorical even for an int column with many distinct values
    assert section["facets"]["h"][0]["value_or_threshold"] == "2,5"
    assert values_of(section, "h")["CI"] == pytest.approx((3 - 2) / 5)


def test_float_facet_is_a_threshold_with_interval_string():
    df = repeated(pd.DataFrame({"f": [0.1, 0.6, 0.9936148802477393, 0.3], "y": [1, 0, 0, 1]}))
    spec = spec_for(facets=(FacetSpec("f", (0.5,)),), predicted=None, pre=("CI", "DPL"))
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    entry = section["facets"]["f"][0]
    assert entry["value_or_threshold"] == "(0.5, 0.9936148802477393]"
    assert values_of(section, "f")["CI"] == pytest.approx(0.0)
    assert values_of(section, "f")["DPL"] == pytest.approx(1.0)


def test_int_column_uniqueness_rule():
    # 100 rows, 4 distinct ages: 4% < 5% -> categorical, so [40] means age == 40
    ages = [40] * 25 + [41] * 25 + [50] * 25 + [30] * 25
    df = pd.DataFrame({"age": ages, "y": [1, 0] * 50})
    spec = spec_for(facets=(FacetSpec("age", (40,)),), predicted=None, pre=("CI",))
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    assert section["facets"]["age"][0]["value_or_threshold"] == "40"
    assert values_of(section, "age")["CI"] == pytest.approx((75 - 25) / 100)
    # 5 distinct of 100 = 5% -> continuous: [40] means age > 40
    df.loc[0, "age"] = 90
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    assert section["facets"]["age"][0]["value_or_threshold"] == "(40, 90]"
    # d = ages above 40: 25 x 41, 25 x 50 and the one 90 -> 51 rows; a = 49 rows
    assert values_of(section, "age")["CI"] == pytest.approx((49 - 51) / 100)


def test_integer_strings_count_as_integers_and_label_threshold():
    df = pd.DataFrame({"f": ["a", "b"] * 5, "y": [str(v) for v in range(10)]})
    spec = spec_for(label_values=("6",), facets=(FacetSpec("f", ("a",)),), predicted=None, pre=("DPL",))
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    assert section["label_value_or_threshold"] == "(6.0, 9.0]"
    # a has labels 0,2,4,6,8 (one above 6); b has 1,3,5,7,9 (two above 6)
    assert values_of(section, "f")["DPL"] == pytest.approx(2 / 5 - 1 / 5)


def test_label_values_are_converted_to_the_column_type():
    df = repeated(pd.DataFrame({"f": ["a", "b", "a", "b"], "y": [1, 0, 1, 1]}))
    spec = spec_for(label_values=("1",), predicted=None, facets=(FacetSpec("f", ("a",)),), pre=("DPL",))
    section = pre_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec)
    assert section["label_value_or_threshold"] == "1"
    assert values_of(section, "f")["DPL"] == pytest.approx(1 / 2 - 1)


def test_a_facet_value_matching_no_row_fails_every_metric_naming_the_key():
    df = repeated(pd.DataFrame({"f": ["a", "b", "a"], "y": [1, 0, 1], "p": [1, 1, 0]}))
    spec = spec_for(facets=(FacetSpec("f", ("zzz",)),))
    counts = BiasCounts.from_frame(df, spec.columns)
    message = "facet[0].value_or_threshold: ['zzz'] match no row of column 'f'"
    pre = values_of(pre_training_bias_section(counts, spec), "f")
    post = values_of(post_training_bias_section(counts, spec), "f")
    assert set(pre.values()) == {("error", message)} and set(post.values()) == {("error", message)}


def test_missing_group_is_an_error_while_others_run():
    df = repeated(pd.DataFrame({"f": ["a", "b", "a"], "y": [1, 0, 1], "p": [1, 1, 0]}))
    spec = spec_for(facets=(FacetSpec("f", ("a",)),))
    counts = BiasCounts.from_frame(df, spec.columns)
    pre = values_of(pre_training_bias_section(counts, spec), "f")
    assert pre["CDDL"] == ("error", "Group variable is empty or not provided")
    assert pre["CI"] == pytest.approx((1 - 2) / 3)
    post = values_of(post_training_bias_section(counts, spec), "f")
    # b = p - y + 1 = (1, 2, 0): mean 1 -> GE = (0 + 3 - 1) / (3 * 2)
    assert post["GE"] == pytest.approx(2 / 6)


def test_no_positive_prediction_is_an_error_for_every_post_metric():
    df = repeated(pd.DataFrame({"f": ["a", "b", "a"], "y": [1, 0, 1], "p": [0, 0, 0]}))
    spec = spec_for(facets=(FacetSpec("f", ("a",)),))
    post = values_of(post_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec), "f")
    message = ("No Label values are present in the predicted Label Column,"
               "Positive Predicted Index Series contains all False values")  # fmt: skip
    assert set(post.values()) == {("error", message)}


def test_infinity_is_written_as_a_string():
    # d has positives but no positive predictions: c_d = inf, DCA = -inf; DI: q'_a = 0 -> inf
    df = repeated(pd.DataFrame({"f": ["a", "a", "b", "b"], "y": [0, 0, 1, 1], "p": [0, 0, 1, 0]}))
    spec = spec_for(facets=(FacetSpec("f", ("a",)),), post=("DCA", "DI"))
    post = values_of(post_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec), "f")
    # a = rows "b": n_a(1)=2, m_a(1)=1 -> 2; d = rows "a": n_d(1)=0, m_d(1)=0 -> 0/0 = 0 -> DCA = 2
    assert post["DCA"] == pytest.approx(2.0)
    assert post["DI"] == pytest.approx(0.0)
    spec = spec_for(facets=(FacetSpec("f", ("b",)),), post=("DCA", "DI"))
    post = values_of(post_training_bias_section(BiasCounts.from_frame(df, spec.columns), spec), "f")
    assert post["DI"] == "Infinity"  # q'_d = 1/2, q'_a = 0
    assert post["DCA"] == pytest.approx(0 - 2.0)


def test_non_numeric_features_make_ft_fail_only():
    df = repeated(pd.DataFrame({"f": ["a", "b"] * 6, "s": ["u", "v", "w"] * 4, "y": [1, 0, 0] * 4, "p": [1, 1, 0] * 4}))
    spec = spec_for(facets=(FacetSpec("f", ("a",)),), post=("FT", "DPPL"))
    counts = BiasCounts.from_frame(df, spec.columns)
    post = values_of(post_training_bias_section(counts, spec, FlipTestData.from_frame(df, spec, ["f", "s"])), "f")
    assert post["FT"] == ("error", "FlipTest does not support non-numeric columns")
    assert isinstance(post["DPPL"], float)


def test_chunked_counts_equal_one_pass():
    df = random_frame(7, 1000)
    df["h"] = np.random.default_rng(1).integers(0, 200, len(df))  # 20% distinct -> continuous
    spec = spec_for(facets=(FacetSpec("f"), FacetSpec("h", (100,))), group="g")
    whole = BiasCounts.from_frame(df, spec.columns, row_offset=0)
    parts = [BiasCounts.from_frame(df.iloc[i : i + 137], spec.columns, row_offset=i) for i in range(0, 1000, 137)]
    merged = merge_all(parts[::-1])
    assert merged.cells == whole.cells and merged.first_seen == whole.first_seen
    assert pre_training_bias_section(merged, spec) == pre_training_bias_section(whole, spec)
    assert post_training_bias_section(merged, spec) == post_training_bias_section(whole, spec)
    # without row offsets, chunks merged in reading order give the same first-appearance order
    sequential = merge_all([BiasCounts.from_frame(df.iloc[i : i + 137], spec.columns) for i in range(0, 1000, 137)])
    assert sequential.first_seen == whole.first_seen


cell = st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([0, 1, 2]), st.sampled_from([0, 1]))


def _frame(rows: list) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["f", "y", "p"]).astype({"y": "int64", "p": "int64"})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell, min_size=1, max_size=12), min_size=3, max_size=3))
@pytest.mark.slow
def test_merge_is_associative_and_commutative(chunks):
    columns = BiasColumns("y", ("f",), None, "p")
    offsets = np.cumsum([0] + [len(c) for c in chunks])
    a, b, c = (
        BiasCounts.from_frame(_frame(rows), columns, row_offset=int(o))
        for rows, o in zip(chunks, offsets[:3], strict=True)
    )
    assert a.merge(b).merge(c) == a.merge(b.merge(c))
    assert a.merge(b) == b.merge(a)
    whole = BiasCounts.from_frame(_frame([r for rows in chunks for r in rows]), columns, row_offset=0)
    assert c.merge(a).merge(b) == whole


def test_adult_against_pandas_formulas():
    df = pd.read_csv(ADULT, header=None, names=ADULT_HEADERS)
    spec = spec_for(label="income", label_values=(" >50K",), group="education", predicted=None,
                    facets=(FacetSpec("sex", (" Female",)), FacetSpec("age", (40,))))  # fmt: skip
    chunks = [BiasCounts.from_frame(df.iloc[i : i + 5000], spec.columns, row_offset=i) for i in range(0, len(df), 5000)]
    section = pre_training_bias_section(merge_all(chunks), spec)
    y = (df["income"] == " >50K").to_numpy()
    for facet, d in (("sex", (df["sex"] == " Female").to_numpy()), ("age", (df["age"] == 40).to_numpy())):
        expected = reference_metrics(d, y, y, df["education"].to_numpy())
        got = values_of(section, facet)
        for code in PRE_TRAINING_METRICS:
            assert got[code] == pytest.approx(expected[code], abs=1e-12), (facet, code)
    # known Adult figures: 10,771 women of 32,561 rows
    assert values_of(section, "sex")["CI"] == pytest.approx((21790 - 10771) / 32561)
    assert section["facets"]["age"][0]["value_or_threshold"] == "40"
    assert not math.isnan(values_of(section, "sex")["CDDL"])
