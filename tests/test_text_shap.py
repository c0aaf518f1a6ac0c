"""Text Kernel SHAP on a real TF-IDF + LogisticRegression spam model: exact values, efficiency, outputs, HTTP."""

from __future__ import annotations

import json
import re

import joblib
import numpy as np
import pandas as pd
import pytest

from clarion.config.methods import TextConfig
from clarion.errors import ConfigError, DataError
from clarion.explain.text import explain_text
from clarion.explain.text_image_outputs import (
    global_top_shap_text,
    text_kernel_shap_section,
    text_records,
    write_text_out_jsonl,
)

try:
    from tests.predictors_fixtures import uvicorn_server
    from tests.text_image_fixtures import shapley_by_enumeration, spam_pipeline
except ImportError:  # pragma: no cover - run from the tests folder
    from predictors_fixtures import uvicorn_server
    from text_image_fixtures import shapley_by_enumeration, spam_pipeline

TOKENS = TextConfig(granularity="token", language="english")


@pytest.fixture(scope="module")
def spam():
    pipe, _ = spam_pipeline()
    return pipe


@pytest.fixture(scope="module")
def spam_with_length():
    pipe, _ = spam_pipeline(extra_numeric=True)
    return pipe


def _f(pipe, columns=("text",)):
    return lambda frame: pipe.predict_proba(frame[list(columns)])[:, 1:]


def _masked(units_with_ws, keep, fill):
    """Join hand-written units (text, trailing whitespace): a masked unit's text becomes ``fill``."""
    return "".join((text if k else fill) + ws for (text, ws), k in zip(units_with_ws, keep, strict=True))


def test_token_values_equal_brute_force_shapley_with_unk_baseline(spam):
    text = "Free entry to win cash now!"
    units = [("Free", " "), ("entry", " "), ("to", " "), ("win", " "), ("cash", " "), ("now", ""), ("!", "")]
    f = _f(spam)
    rows = pd.DataFrame({"text": [text]})
    result = explain_text(
        rows, ["text"], TOKENS, pd.DataFrame({"text": ["<UNK>"]}), f, ["label0"], None, np.random.default_rng(0)
    )
    feature = result.records[0].features[0]
    assert [u.partial_text for u in feature.units] == [t + ws for t, ws in units]
    expected = shapley_by_enumeration(
        len(units), lambda keep: f(pd.DataFrame({"text": [_masked(units, keep, "<UNK>")]}))[0]
    )
    np.testing.assert_allclose(feature.values, expected, atol=1e-8)
    assert result.exact
    # v(empty) is the all-<UNK> text, f(x) the model on the text itself
    np.testing.assert_allclose(
        result.records[0].base_value, f(pd.DataFrame({"text": [_masked(units, [False] * 7, "<UNK>")]}))[0]
    )
    np.testing.assert_allclose(result.records[0].prediction, f(rows)[0])
    np.testing.assert_allclose(result.expected_value, f(pd.DataFrame({"text": ["<UNK>"]}))[0])


def test_sentence_values_with_default_empty_baseline_drop_sentences(spam):
    text = "Congratulations, you won a prize. Call 0800 now to claim. See you at lunch."
    sentences = ["Congratulations, you won a prize.", "Call 0800 now to claim.", "See you at lunch."]
    f = _f(spam)

    def value(keep):
        kept = [s if k else "" for s, k in zip(sentences, keep, strict=True)]
        return f(pd.DataFrame({"text": [" ".join(kept)]}))[0]

    result = explain_text(
        pd.DataFrame({"text": [text]}),
        ["text"],
        TextConfig(granularity="sentence", language="en"),
        None,
        f,
        ["label0"],
        None,
        np.random.default_rng(0),
    )
    feature = result.records[0].features[0]
    assert [u.partial_text for u in feature.units] == sentences
    np.testing.assert_allclose(feature.values, shapley_by_enumeration(3, value), atol=1e-8)


def test_text_among_numeric_columns_all_players(spam_with_length):
    f = _f(spam_with_length, ("text", "length"))
    text = "WIN a free phone today"
    units = [("WIN", " "), ("a", " "), ("free", " "), ("phone", " "), ("today", "")]
    rows = pd.DataFrame({"text": [text], "length": [140.0]})
    baseline = pd.DataFrame({"text": ["<UNK>"], "length": [40.0]})

    def value(keep):
        frame = pd.DataFrame({"text": [_masked(units, keep[:5], "<UNK>")], "length": [140.0 if keep[5] else 40.0]})
        return f(frame)[0]

    result = explain_text(rows, ["text"], TOKENS, baseline, f, ["label0"], None, np.random.default_rng(0))
    text_feature, length_feature = result.records[0].features
    assert (text_feature.data_type, length_feature.data_type) == ("free_text", "numerical")
    got = np.concatenate([text_feature.values, length_feature.values])
    np.testing.assert_allclose(got, shapley_by_enumeration(6, value), atol=1e-8)


def test_efficiency_with_sampled_coalitions_on_long_messages(spam):
    from tests.text_image_fixtures import sms_frame

    texts = [t for t in sms_frame()["text"] if 25 <= len(t.split()) <= 40][:6]
    rows = pd.DataFrame({"text": texts})
    f = _f(spam)
    result = explain_text(rows, ["text"], TOKENS, None, f, ["label0"], 200, np.random.default_rng(3))
    assert not result.exact
    direct = f(rows)[:, 0]
    # with the empty baseline every unit is dropped: what stays is the whitespace between tokens
    emptied = f(pd.DataFrame({"text": [re.sub(r"\S", "", t) for t in texts]}))[:, 0]
    for i, record in enumerate(result.records):
        total = record.features[0].values[:, 0].sum()
        assert total == pytest.approx(direct[i] - emptied[i], abs=1e-9)
        assert record.prediction[0] == pytest.approx(direct[i], abs=1e-12)


def test_same_seed_same_values(spam):
    rows = pd.DataFrame(
        {"text": ["Had your mobile 11 months or more? You are entitled to update to the latest colour mobiles"]}
    )
    a = explain_text(rows, ["text"], TOKENS, None, _f(spam), ["label0"], 30, np.random.default_rng(5))
    b = explain_text(rows, ["text"], TOKENS, None, _f(spam), ["label0"], 30, np.random.default_rng(5))
    np.testing.assert_array_equal(a.records[0].features[0].values, b.records[0].features[0].values)


def test_out_jsonl_shape_offsets_and_join_source(spam, tmp_path):
    texts = ["Free entry now!!", "Ok lar... Joking wif u oni...", ""]
    rows = pd.DataFrame({"text": texts})
    result = explain_text(rows, ["text"], TOKENS, None, _f(spam), ["label0"], None, np.random.default_rng(0))
    path = write_text_out_jsonl(tmp_path / "explanations_shap" / "out.jsonl", result, join_source=["a", "b", "c"])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 3
    for line, text, key in zip(lines, texts, "abc", strict=True):
        assert set(line) == {"explanations", "join_source_value"} and line["join_source_value"] == key
        (entry,) = line["explanations"]
        assert entry["feature_name"] == "text" and entry["data_type"] == "free_text"
        for attribution in entry["attributions"]:
            assert set(attribution) == {"attribution", "description"}
            assert len(attribution["attribution"]) == 1
            d = attribution["description"]
            assert text[d["start_idx"] : d["start_idx"] + len(d["partial_text"])] == d["partial_text"]
        covered = "".join(a["description"]["partial_text"] for a in entry["attributions"])
        assert covered.replace(" ", "") == text.replace(" ", "")
    assert lines[2]["explanations"][0]["attributions"] == []
    assert "join_source_value" not in text_records(result)[0]


def test_global_top_shap_text_aggregates_occurrences(spam):
    texts = ["free free prize", "claim your free prize now", "see you at the prize giving"]
    rows = pd.DataFrame({"text": texts})
    result = explain_text(rows, ["text"], TOKENS, None, _f(spam), ["label0"], None, np.random.default_rng(0))
    lines = text_records(result)
    by_token: dict[str, list[float]] = {}
    for line in lines:
        for a in line["explanations"][0]["attributions"]:
            by_token.setdefault(a["description"]["partial_text"].rstrip(), []).append(a["attribution"][0])
    for method, agg in [
        ("mean_abs", lambda v: np.mean(np.abs(v))),
        ("median", np.median),
        ("mean_sq", lambda v: np.mean(np.square(v))),
    ]:
        expected = {t: agg(np.array(v)) for t, v in by_token.items()}
        top = global_top_shap_text(result, method, max_top_tokens=4)["label0"]["text"]
        assert len(top) == 4
        best = sorted(expected, key=lambda t: -abs(expected[t]))[:4]
        assert list(top) == best
        for token, value in top.items():
            assert value == pytest.approx(expected[token], abs=1e-12)
    section = text_kernel_shap_section(result, "mean_abs", 50)
    assert set(section["label0"]) == {"expected_value", "global_top_shap_text"}
    assert len(section["label0"]["global_top_shap_text"]["text"]) == len(by_token)


def test_bad_inputs(spam):
    rows = pd.DataFrame({"text": ["hello"]})
    with pytest.raises(ConfigError, match="text columns"):
        explain_text(rows, ["review"], TOKENS, None, _f(spam), ["label0"], None, np.random.default_rng(0))
    with pytest.raises(DataError, match="row 0: text column 'text' holds int"):
        explain_text(
            pd.DataFrame({"text": [3]}), ["text"], TOKENS, None, _f(spam), ["label0"], None, np.random.default_rng(0)
        )
    with pytest.raises(ConfigError, match=r"^methods\.shap\.baseline: expected 1 columns"):
        explain_text(
            rows,
            ["text"],
            TOKENS,
            pd.DataFrame({"a": ["x"], "b": [1]}),
            _f(spam),
            ["label0"],
            None,
            np.random.default_rng(0),
        )


def test_over_http_through_clarion_serve(spam, tmp_path):
    from clarion.predictors import HttpPredictor, RequestCodec, ResponseCodec, model_outputs
    from clarion.serve.app import create_app

    joblib.dump(spam, tmp_path / "spam.joblib")
    rows = pd.DataFrame(
        {"text": ["URGENT! You have won a 1 week FREE membership, call now", 'He said "ok, fine", then left']}
    )
    local = explain_text(rows, ["text"], TOKENS, None, _f(spam), ["label0"], 100, np.random.default_rng(9))
    with uvicorn_server(create_app(str(tmp_path / "spam.joblib"))) as url:
        # JSON Lines: in CSV an empty text (the default baseline) would read back as a missing value
        request = RequestCodec("application/jsonlines", content_template='{"features":$features}')
        response = ResponseCodec("application/jsonlines", probability="score")
        with HttpPredictor(url, request, response) as predictor:
            remote = explain_text(
                rows,
                ["text"],
                TOKENS,
                None,
                lambda frame: model_outputs(predictor.predict(frame))[0],
                ["label0"],
                100,
                np.random.default_rng(9),
            )
    for a, b in zip(local.records, remote.records, strict=True):
        np.testing.assert_allclose(a.features[0].values, b.features[0].values, atol=1e-9)
        np.testing.assert_allclose(a.prediction, b.prediction, atol=1e-12)
