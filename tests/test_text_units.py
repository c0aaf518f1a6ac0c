"""Splitting text into units: offsets, whitespace rules, languages and refused configurations."""

from __future__ import annotations

import pytest

from clarion.config import load_config
from clarion.config.methods import TEXT_LANGUAGES, TextConfig
from clarion.errors import ConfigError, NotSupportedError
from clarion.explain.text import check_text_config, segment_text

TEXT = "I love this dress!  It is soft, warm.\n\nSecond paragraph here. Short one?\n \nThird."


def _offsets_hold(text, units):
    for unit in units:
        assert text[unit.start_idx : unit.start_idx + len(unit.partial_text)] == unit.partial_text


def test_tokens_keep_trailing_whitespace_and_offsets():
    units = segment_text(TEXT, "token", "en")
    _offsets_hold(TEXT, units)
    texts = [u.partial_text for u in units]
    assert texts[:5] == ["I ", "love ", "this ", "dress", "! "]
    assert "soft" in texts and ", " in texts
    # whitespace-only tokens (the double space, the blank lines) are not units
    assert all(u.partial_text.strip() for u in units)
    # masking replaces the token without its whitespace
    assert units[1].core == "love" and units[1].stop == units[1].start_idx + 4


def test_sentences_have_no_surrounding_whitespace():
    units = segment_text(TEXT, "sentence", "en")
    _offsets_hold(TEXT, units)
    assert [u.partial_text for u in units] == [
        "I love this dress!",
        "It is soft, warm.",
        "Second paragraph here.",
        "Short one?",
        "Third.",
    ]
    assert units[1].start_idx == TEXT.index("It is")


def test_paragraphs_split_on_blank_lines():
    units = segment_text(TEXT, "paragraph", "en")
    _offsets_hold(TEXT, units)
    assert [u.partial_text for u in units] == [
        "I love this dress!  It is soft, warm.",
        "Second paragraph here. Short one?",
        "Third.",
    ]
    assert units[2].start_idx == len(TEXT) - len("Third.")


def test_empty_text_has_no_units():
    assert segment_text("", "token", "en") == ()
    assert segment_text("   \n\n ", "paragraph", "en") == ()


def test_chinese_falls_back_to_characters():
    text = "今天天气很好。明天下雨。"
    tokens = segment_text(text, "token", "zh")
    assert [u.partial_text for u in tokens] == list(text)
    assert [u.partial_text for u in segment_text(text, "sentence", "zh")] == ["今天天气很好。", "明天下雨。"]


@pytest.mark.parametrize("code", sorted(set(TEXT_LANGUAGES.values()) - {"ja", "th"}))
@pytest.mark.slow
def test_every_listed_language_tokenizes(code):
    text = "Hello world. Another sentence here"
    tokens = segment_text(text, "token", code)
    _offsets_hold(text, tokens)
    assert len(tokens) >= 5
    assert len(segment_text(text, "sentence", code)) >= 1


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(_has("sudachipy"), reason="sudachipy installed: Japanese tokens work")
def test_japanese_tokens_need_sudachipy_but_sentences_work():
    with pytest.raises(NotSupportedError) as err:
        segment_text("今日は晴れです。", "token", "ja")
    assert str(err.value).startswith(
        "methods.shap.text_config.granularity: token units of language 'ja' need the packages sudachipy"
    )
    sentences = segment_text("今日は晴れです。明日は雨でしょう。", "sentence", "ja")
    assert [u.partial_text for u in sentences] == ["今日は晴れです。", "明日は雨でしょう。"]


@pytest.mark.skipif(_has("pythainlp"), reason="pythainlp installed: Thai tokens work")
def test_thai_needs_pythainlp_for_tokens_and_sentences():
    for granularity in ("token", "sentence"):
        with pytest.raises(NotSupportedError, match=r"^methods\.shap\.text_config\.granularity: .* pythainlp"):
            check_text_config(TextConfig(granularity=granularity, language="thai"))
    assert [u.partial_text for u in segment_text("สวัสดี\n\nครับ", "paragraph", "th")] == ["สวัสดี", "ครับ"]


def test_unknown_language_is_a_config_error():
    config = {
        "dataset_type": "text/csv",
        "methods": {"shap": {"text_config": {"granularity": "token", "language": "klingon"}}},
    }
    with pytest.raises(ConfigError, match="text_config.language"):
        load_config(config)
    with pytest.raises(ConfigError, match=r"^methods\.shap\.text_config\.language: spaCy has no language 'qq'"):
        segment_text("hello", "token", "qq")


def test_unknown_granularity_is_a_config_error():
    with pytest.raises(ConfigError, match="granularity"):
        segment_text("hello", "word", "en")
