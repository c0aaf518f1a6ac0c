"""Kernel SHAP for text: split text features into units (players), compose masked texts, explain.

Units (``methods.shap.text_config``):

- ``token``: spaCy's rule-based tokenizer of the language (``spacy.blank(code)``; no trained pipeline
  is downloaded). Whitespace-only tokens are not units. ``partial_text`` keeps the token's trailing
  whitespace (``"soft, "``), as Clarify writes it.
- ``sentence``: the same tokenizer plus spaCy's rule-based ``sentencizer``; a sentence's text has no
  leading or trailing whitespace (Clarify: offsets 0 -> 133 for a 132-character sentence).
- ``paragraph``: text between blank lines (a line break, optional spaces, a line break), stripped.

A masked unit is replaced by the baseline text of its column; the text around units (the whitespace
of the token, the gaps between sentences and paragraphs) is kept. The default baseline is the empty
string, so a masked unit is dropped: the AWS developer guide ("The ``baseline`` defaults to empty
strings, meaning SageMaker Clarify drops parts of the input text"). The text-sentiment notebook
mentions ``<PAD>`` instead; the guide is the documented contract, so clarion follows it. A baseline in
the config (e.g. ``[["<UNK>"]]``) wins.

A text feature may sit among tabular features: every column of the explained rows is a player (each
text column contributes one player per unit, any other column one player), as Clarify reports
"non-text columns of a multimodal dataset" as entries of the explanation. Rows with the same unit
layout share one coalition plan and one model call per chunk (``explain`` of ``kernel_shap``).

Languages: every code of Clarify's list that spaCy tokenizes without extra packages; Chinese splits
into characters (spaCy's default ``char`` segmenter); Vietnamese splits on whitespace (syllables) when
``pyvi`` is absent. Japanese tokens need ``sudachipy`` and Thai needs ``pythainlp``; without them only
the granularities that do not need the tokenizer work (Japanese sentences are split on the character
level, paragraphs for both), and the others raise NotSupportedError naming the key and the package.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from clarion.config.methods import TextConfig
from clarion.errors import ConfigError, DataError, NotSupportedError
from clarion.explain.coalitions import effective_num_samples, plan_coalitions
from clarion.explain.kernel_shap import DEFAULT_MAX_BATCH_ROWS, explain

KEY = "methods.shap.text_config"
DEFAULT_TEXT_BASELINE = ""
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
# language -> (package spaCy's tokenizer needs, granularities that work without it, fallback pipeline code)
_NEEDS_PACKAGE = {
    "ja": ("sudachipy and sudachidict_core", ("sentence", "paragraph"), "zh"),
    "th": ("pythainlp", ("paragraph",), None),
}

Predict = Callable[[pd.DataFrame], np.ndarray]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class TextUnit:
    """One player of a text: ``partial_text`` starts at ``start_idx`` of the text; masking replaces the
    characters ``[start_idx, stop)`` (the unit without its trailing whitespace) by the baseline text."""

    partial_text: str
    start_idx: int
    stop: int

    @property
    def core(self) -> str:
        return self.partial_text[: self.stop - self.start_idx]


@functools.lru_cache(maxsize=16)
def _pipeline(code: str, with_sentences: bool) -> Any:
    import spacy

    config = {"nlp": {"tokenizer": {"use_pyvi": False}}} if code == "vi" else {}
    nlp = spacy.blank(code, config=config)
    if with_sentences:
        nlp.add_pipe("sentencizer")
    return nlp


def _nlp(language: str, granularity: str) -> Any:
    """spaCy pipeline for ``language`` (a Clarify/spaCy code) able to do ``granularity``."""
    sentences = granularity == "sentence"
    try:
        return _pipeline(language, sentences)
    except ImportError as exc:
        need = _NEEDS_PACKAGE.get(language)
        if "E048" in str(exc):  # spaCy: no such language module
            raise ConfigError(f"{KEY}.language: spaCy has no language {language!r}") from None
        if need is None:
            raise NotSupportedError(
                f"{KEY}.language: spaCy cannot tokenize {language!r}: {str(exc).splitlines()[0]}"
            ) from None
        package, possible, fallback = need
        if granularity in possible and fallback is not None:
            return _pipeline(fallback, sentences)
        raise NotSupportedError(
            f"{KEY}.granularity: {granularity} units of language {language!r} need the packages {package} "
            f"(pip install them); without them only {' and '.join(possible)} granularity works"
        ) from None
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"{KEY}.language: spaCy has no language {language!r}: {str(exc).splitlines()[0]}") from None


def check_text_config(config: TextConfig) -> None:
    """Fail early (before any model call) when the language cannot do the granularity."""
    if config.granularity != "paragraph":
        _nlp(config.language, config.granularity)


def segment_text(text: str, granularity: str, language: str) -> tuple[TextUnit, ...]:
    """Units of ``text`` at ``granularity`` (token | sentence | paragraph) for a spaCy language code."""
    if granularity == "paragraph":
        return _paragraphs(text)
    if granularity not in ("token", "sentence"):
        raise ConfigError(f"{KEY}.granularity: expected token, sentence or paragraph, got {granularity!r}")
    doc = _nlp(language, granularity)(text)
    if granularity == "token":
        return tuple(TextUnit(t.text_with_ws, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space)
    units = []
    for sent in doc.sents:
        words = [t for t in sent if not t.is_space]
        if not words:
            continue
        start, stop = words[0].idx, words[-1].idx + len(words[-1].text)
        units.append(TextUnit(text[start:stop], start, stop))
    return tuple(units)


def _paragraphs(text: str) -> tuple[TextUnit, ...]:
    units = []
    pos = 0
    for piece in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = len(text) if piece is None else piece.start()
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            start = pos + (len(chunk) - len(chunk.lstrip()))
            units.append(TextUnit(stripped, start, start + len(stripped)))
        if piece is not None:
            pos = piece.end()
    return tuple(units)


@dataclass(frozen=True, eq=False)
class FeatureAttribution:
    """Attributions of one column of one record: text columns have one row of ``values`` per unit,
    other columns a single row. values: (units or 1, K)."""

    feature_name: str
    data_type: str  # free_text | numerical | categorical
    units: tuple[TextUnit, ...] | None
    values: np.ndarray


@dataclass(frozen=True, eq=False)
class TextRecordExplanation:
    """One record: per-column attributions, base_value = v(empty) (every unit and column from the
    baseline) and prediction = v(full) = f(x); both after the logit when ``use_logit``."""

    features: tuple[FeatureAttribution, ...]
    base_value: np.ndarray
    prediction: np.ndarray


@dataclass(frozen=True, eq=False)
class TextShapResult:
    """Local text explanations of N records for K outputs; expected_value = mean f(baseline rows)."""

    records: tuple[TextRecordExplanation, ...]
    text_columns: tuple[str, ...]
    output_names: tuple[str, ...]
    expected_value: np.ndarray
    model_rows: int
    exact: bool


def default_text_baseline(rows: pd.DataFrame, text_columns: Sequence[str]) -> pd.DataFrame:
    """One baseline row: the empty string for text columns, the mean of numeric columns and the most
    frequent value of other columns (used when the config gives no baseline)."""
    values: dict[str, Any] = {}
    for name in rows.columns:
        column = rows[name]
        if name in text_columns:
            values[name] = DEFAULT_TEXT_BASELINE
        elif is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
            values[name] = float(column.mean())
        else:
            mode = column.mode(dropna=True)
            values[name] = mode.iloc[0] if len(mode) else None
    return pd.DataFrame([values], columns=list(rows.columns))


class TextComposer:
    """Composer (see ``composer.Composer``) for rows sharing one unit layout.

    Players in column order: each unit of a text column, one player for any other column. A synthetic
    text is the row's text with every masked unit's characters replaced by the background's text of
    that column (the gaps between units are kept).
    """

    def __init__(
        self,
        rows: pd.DataFrame,
        baseline: pd.DataFrame,
        text_columns: Sequence[str],
        units: Sequence[dict[str, tuple[TextUnit, ...]]],
    ) -> None:
        self._rows = rows.reset_index(drop=True)
        self._baseline = baseline.reset_index(drop=True)
        self._columns = list(rows.columns)
        self._text = set(text_columns)
        self._player_slices: dict[str, slice] = {}
        start = 0
        for name in self._columns:
            width = len(units[0][name]) if name in self._text else 1
            self._player_slices[name] = slice(start, start + width)
            start += width
        self._num_players = start
        # per text column: gaps (R, U+1) and unit cores (R, U) as object arrays
        self._gaps: dict[str, np.ndarray] = {}
        self._cores: dict[str, np.ndarray] = {}
        for name in self._text:
            texts = self._rows[name].tolist()
            n_units = len(units[0][name])
            gaps = np.empty((len(texts), n_units + 1), dtype=object)
            cores = np.empty((len(texts), n_units), dtype=object)
            for r, (text, row_units) in enumerate(zip(texts, units, strict=True)):
                pos = 0
                for u, unit in enumerate(row_units[name]):
                    gaps[r, u] = text[pos : unit.start_idx]
                    cores[r, u] = unit.core
                    pos = unit.stop
                gaps[r, n_units] = text[pos:]
            self._gaps[name], self._cores[name] = gaps, cores
        self._bg_text = {
            name: np.array([_as_text(v) for v in self._baseline[name]], dtype=object) for name in self._text
        }

    def player_slice(self, column: str) -> slice:
        """The players of one column (its units, or the single player of a non-text column)."""
        return self._player_slices[column]

    @property
    def num_players(self) -> int:
        return self._num_players

    @property
    def num_rows(self) -> int:
        return len(self._rows)

    @property
    def num_background(self) -> int:
        return len(self._baseline)

    @property
    def background_is_row_free(self) -> bool:
        return False  # the fully masked text keeps the row's gaps and its number of units

    def value_codes(self, row_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, r = self.num_background, len(row_ids)
        bg_codes = np.empty((b, self._num_players), dtype=np.int64)
        row_codes = np.empty((r, self._num_players), dtype=np.int64)
        for name in self._columns:
            sl = self._player_slices[name]
            if name in self._text:
                codes, uniques = pd.factorize(pd.Series(self._bg_text[name], dtype=object))
                lookup = {value: code for code, value in enumerate(uniques)}
                bg_codes[:, sl] = codes[:, None]
                cores = self._cores[name][row_ids]
                found = [lookup.get(core, -1) for core in cores.ravel().tolist()]
                row_codes[:, sl] = np.array(found, dtype=np.int64).reshape(cores.shape)
            else:
                both = pd.Series(
                    np.concatenate(
                        [self._baseline[name].to_numpy(dtype=object), self._rows[name].to_numpy(dtype=object)[row_ids]]
                    ),
                    dtype=object,
                )
                codes = pd.factorize(both, use_na_sentinel=False)[0]
                distinct = int(codes[:b].max(initial=-1)) + 1
                bg_codes[:, sl.start] = codes[:b]
                row_codes[:, sl.start] = np.where(codes[b:] < distinct, codes[b:], -1)
        return bg_codes, row_codes

    def compose(self, row_ids: np.ndarray, background_ids: np.ndarray, masks: np.ndarray) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for name in self._columns:
            sl = self._player_slices[name]
            if name in self._text:
                data[name] = self._compose_text(name, row_ids, background_ids, masks[:, sl])
            else:
                keep = masks[:, sl.start]
                row_values = self._rows[name].to_numpy(dtype=object)[row_ids]
                bg_values = self._baseline[name].to_numpy(dtype=object)[background_ids]
                values = np.where(keep, row_values, bg_values)
                data[name] = (
                    pd.array(values, dtype=self._rows[name].dtype) if self._rows[name].dtype != object else values
                )
        return pd.DataFrame(data, columns=self._columns)

    def _compose_text(self, name: str, row_ids: np.ndarray, background_ids: np.ndarray, masks: np.ndarray) -> list[str]:
        cores = self._cores[name][row_ids]
        gaps = self._gaps[name][row_ids]
        if cores.shape[1] == 0:
            return ["".join(g) for g in gaps.tolist()]
        fill = self._bg_text[name][background_ids][:, None]
        chosen = np.where(masks, cores, fill)
        n, u = chosen.shape
        pieces = np.empty((n, 2 * u + 1), dtype=object)
        pieces[:, 0::2] = gaps
        pieces[:, 1::2] = chosen
        return ["".join(p) for p in pieces.tolist()]

    def background_inputs(self) -> pd.DataFrame:
        frame = self._baseline.copy()
        for name in self._text:
            frame[name] = self._bg_text[name]
        return frame


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return DEFAULT_TEXT_BASELINE
    return str(value)


def _data_type(series: pd.Series) -> str:
    if is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype) and series.dtype != bool:
        return "numerical"
    return "categorical"


def explain_text(
    rows: pd.DataFrame,
    text_columns: Sequence[str],
    text_config: TextConfig,
    baseline: pd.DataFrame | None,
    predict: Predict,
    output_names: Sequence[str],
    num_samples: int | None,
    rng: np.random.Generator,
    progress: Progress | None = None,
    *,
    use_logit: bool = False,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
) -> TextShapResult:
    """Kernel SHAP values of every unit of every text column (and every other column) of ``rows``.

    rows: the feature columns sent to the model (text columns hold strings).
    baseline: background rows with the same columns (text columns: the replacement text); None ->
        ``default_text_baseline``. predict: DataFrame of synthetic rows -> (n, K) outputs.
    num_samples: coalitions per record (None -> Clarify's min(2M + 2048, 2^M - 2) for its M units).
    rng: draws one coalition plan per unit layout, in order of first appearance.
    Efficiency per record: sum of all values = f(x) - v(empty), v(empty) = mean_b f(all masked by b).
    """
    missing = [c for c in text_columns if c not in rows.columns]
    if missing:
        raise ConfigError(f"{KEY}: text columns {missing} are not feature columns {list(rows.columns)}")
    check_text_config(text_config)
    if baseline is None:
        baseline = default_text_baseline(rows, text_columns)
    elif list(baseline.columns) != list(rows.columns):
        if baseline.shape[1] != rows.shape[1]:
            raise ConfigError(
                f"methods.shap.baseline: expected {rows.shape[1]} columns (text and others), got {baseline.shape[1]}"
            )
        baseline = baseline.set_axis(list(rows.columns), axis=1)
    rows = rows.reset_index(drop=True)
    units: list[dict[str, tuple[TextUnit, ...]]] = []
    for r in range(len(rows)):
        per_column = {}
        for name in text_columns:
            value = rows.at[r, name]
            if not isinstance(value, str):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    value = ""
                else:
                    raise DataError(
                        f"row {r}: text column {name!r} holds {type(value).__name__} {value!r}, expected text"
                    )
                rows.at[r, name] = value
            per_column[name] = segment_text(value, text_config.granularity, text_config.language)
        units.append(per_column)

    groups: dict[tuple[int, ...], list[int]] = {}
    for r, per_column in enumerate(units):
        groups.setdefault(tuple(len(per_column[c]) for c in text_columns), []).append(r)

    k = len(output_names)
    records: list[TextRecordExplanation | None] = [None] * len(rows)
    expected = None
    model_rows = 0
    exact = True
    for ids in groups.values():
        sub = rows.iloc[ids].reset_index(drop=True)
        composer = TextComposer(sub, baseline, text_columns, [units[i] for i in ids])
        m = composer.num_players
        if m == 0:  # nothing to attribute: every text is empty and there is no other column
            outputs = np.asarray(predict(sub), dtype=float).reshape(len(ids), k)
            model_rows += len(ids)
            for local, r in enumerate(ids):
                features = tuple(FeatureAttribution(str(c), "free_text", (), np.zeros((0, k))) for c in text_columns)
                records[r] = TextRecordExplanation(features, outputs[local], outputs[local])
            if progress is not None:
                progress(len(ids))
            continue
        plan = plan_coalitions(m, effective_num_samples(m, num_samples), rng)
        shap = explain(
            composer,
            predict,
            plan,
            feature_names=[f"p{j}" for j in range(m)],
            output_names=list(output_names),
            use_logit=use_logit,
            progress=progress,
            max_batch_rows=max_batch_rows,
        )
        expected = shap.expected_value
        model_rows += shap.model_rows
        exact = exact and shap.exact
        for local, r in enumerate(ids):
            values = shap.values[local]  # (M, K)
            attributions: list[FeatureAttribution] = []
            for name in rows.columns:
                sl = composer.player_slice(name)
                if name in text_columns:
                    attributions.append(FeatureAttribution(str(name), "free_text", units[r][name], values[sl]))
                else:
                    attributions.append(FeatureAttribution(str(name), _data_type(rows[name]), None, values[sl]))
            prediction = shap.base_values[local] + values.sum(axis=0)
            records[r] = TextRecordExplanation(tuple(attributions), shap.base_values[local], prediction)
    if expected is None:
        expected = np.full(k, np.nan)
    return TextShapResult(
        records=tuple(r for r in records if r is not None),
        text_columns=tuple(str(c) for c in text_columns),
        output_names=tuple(output_names),
        expected_value=np.asarray(expected, dtype=float),
        model_rows=model_rows,
        exact=exact,
    )
