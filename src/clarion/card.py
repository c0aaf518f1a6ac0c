"""Model-card summary of a Clarify/clarion analysis: bias findings, top features, documentation duties.

``build_card(analysis_dir)`` reads the run at ``analysis_dir`` (a folder or fsspec URI; checked against its
manifest when it has one) and returns a ``ModelCard``; ``write_card(analysis_dir, output_dir=None)`` writes
``model_card.md`` and ``model_card.json`` (into the run itself by default, as part of it).

Findings: every bias metric with a number is compared with its band from the metric catalogue
(``clarion.results.catalogue``, the one the report and monitoring use), and read in plain language by the
catalogue's reading. The bands are conventions used in practice, not legal thresholds.

Top features: per label of ``explanations.kernel_shap``, features ranked by the absolute global SHAP
value (largest first; ties by name), and for text the top tokens likewise.

Every value that comes from the data (facet names and values, feature names, labels, tokens, errors) is
escaped for Markdown and HTML before it goes into ``model_card.md``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clarion.results import layout
from clarion.results.catalogue import METRICS, reading
from clarion.results.encoding import encode
from clarion.results.escape import markdown_text as md
from clarion.results.model import Analysis
from clarion.results.store import derived_run, location, open_run, write_file

STAGES = {"pre_training": "pre-training", "post_training": "post-training"}
LOCAL_SHAP_FILES = (layout.LOCAL_SHAP_CSV, layout.LOCAL_SHAP_JSONL)


@dataclass(frozen=True)
class Band:
    """Values in ``[low, high]`` are within the convention (None = unbounded on that side)."""

    low: float | None
    high: float | None
    convention: str

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.low is None:
            return f"at most {self.high:g}"
        if self.high is None:
            return f"at least {self.low:g}"
        return f"[{self.low:g}, {self.high:g}]"


def _catalogue_band(code: str) -> Band:
    info = METRICS[code]
    low, high = info.band
    distance = low == info.fair == 0.0 and info.value_range.startswith("[0")  # nothing below the fair value
    return Band(None if distance else low, high, info.convention)


DEFAULT_BANDS: dict[str, Band] = {code: _catalogue_band(code) for code in METRICS}
"""The catalogue's bands (the report flags exactly the values outside these)."""


@dataclass(frozen=True)
class BiasFinding:
    """One bias metric of one facet value, with its band (None when no convention exists) and reading."""

    stage: str
    facet: str
    facet_value: str
    metric: str
    description: str
    value: float
    band: Band | None
    outside_band: bool
    reading: str


@dataclass(frozen=True)
class MetricFailure:
    """A metric the analysis could not compute (``value: null`` with an ``error``)."""

    stage: str
    facet: str
    facet_value: str
    metric: str
    error: str


@dataclass(frozen=True)
class RankedFeature:
    rank: int
    feature: str
    value: float


@dataclass(frozen=True)
class LabelExplanation:
    """Global SHAP summary of one model output."""

    label: str
    expected_value: float | None
    top_features: tuple[RankedFeature, ...]
    top_tokens: dict[str, tuple[RankedFeature, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Duty:
    """A documentation duty the card's contents relate to, and which part of the card supports it."""

    instrument: str
    provision: str
    subject: str
    supported_by: str


@dataclass(frozen=True)
class ModelCard:
    source: str
    label: str | None
    positive_label: str | None
    agg_method: str | None
    findings: tuple[BiasFinding, ...]
    failures: tuple[MetricFailure, ...]
    explanations: tuple[LabelExplanation, ...]
    local_explanations: tuple[str, ...]
    duties: tuple[Duty, ...]
    data_notes: tuple[str, ...] = ()  # empty cells and rows left out, per bias stage, in plain words

    @property
    def flagged(self) -> tuple[BiasFinding, ...]:
        """Findings outside their conventional band."""
        return tuple(f for f in self.findings if f.outside_band)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flagged"] = [asdict(f) for f in self.flagged]
        return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _bias_findings(analysis: Analysis, bands: dict[str, Band]) -> tuple[list[BiasFinding], list[MetricFailure]]:
    findings: list[BiasFinding] = []
    failures: list[MetricFailure] = []
    for key, section in analysis.bias_sections():
        stage = STAGES[key]
        for facet, entries in section.facets.items():
            for entry in entries:
                facet_value = str(entry.value_or_threshold)
                for metric in entry.metrics:
                    value = _number(metric.value)
                    if value is None or math.isnan(value):
                        failures.append(
                            MetricFailure(stage, facet, facet_value, metric.name, metric.error or "no value")
                        )
                        continue
                    band = bands.get(metric.name)
                    outside = band is not None and not band.contains(value)
                    text = reading(metric.name, value) or f"{metric.name} = {value:.3g}"
                    description = metric.description or metric.name
                    findings.append(
                        BiasFinding(stage, facet, facet_value, metric.name, description, value, band, outside, text)
                    )
    return findings, failures


def rank_features(values: dict[str, Any], top_k: int) -> tuple[RankedFeature, ...]:
    """The ``top_k`` entries by absolute value, largest first, ties broken by name."""
    numeric = [(name, v) for name, raw in values.items() if (v := _number(raw)) is not None and not math.isnan(v)]
    numeric.sort(key=lambda item: (-abs(item[1]), item[0]))
    return tuple(RankedFeature(i + 1, name, v) for i, (name, v) in enumerate(numeric[:top_k]))


def _explanations(analysis: Analysis, top_k: int) -> list[LabelExplanation]:
    result = []
    for label, body in analysis.kernel_shap.items():
        tokens = {column: rank_features(values, top_k) for column, values in (body.global_top_shap_text or {}).items()}
        expected = body.expected_value
        result.append(
            LabelExplanation(
                label=str(label),
                expected_value=_number(expected[0] if isinstance(expected, list) and expected else expected),
                top_features=rank_features(body.global_shap_values, top_k),
                top_tokens=tokens,
            )
        )
    return result


def _duties(has_pre: bool, has_post: bool, has_shap: bool, has_local: bool) -> tuple[Duty, ...]:
    duties = []
    if has_shap or has_local:
        parts = []
        if has_shap:
            parts.append("global feature ranking (overall logic of the model)")
        if has_local:
            parts.append("per-record attributions in explanations_shap/ (input for explaining individual decisions)")
        duties.append(Duty(
            "GDPR (Regulation (EU) 2016/679)", "Art. 22 with Arts. 13(2)(f), 14(2)(g), 15(1)(h)",
            "meaningful information about the logic involved in decisions based solely on automated processing",
            "; ".join(parts),
        ))  # fmt: skip
    if has_pre:
        duties.append(Duty(
            "EU AI Act (Regulation (EU) 2024/1689)", "Art. 10(2)(f)-(g), 10(3)",
            "data governance: examination of data sets for possible biases, representativeness for the"
            " persons or groups concerned",
            "pre-training bias metrics (class imbalance and label disparities per facet)",
        ))  # fmt: skip
    if has_post or has_shap:
        duties.append(Duty(
            "EU AI Act (Regulation (EU) 2024/1689)", "Art. 11 and Annex IV (points 2 and 3)",
            "technical documentation: validation and testing metrics, including potentially discriminatory impacts and "
            "performance for specific persons or groups",
            "post-training bias metrics and the feature ranking" if has_post and has_shap
            else ("post-training bias metrics" if has_post else "the feature ranking"),
        ))  # fmt: skip
        duties.append(Duty(
            "EU AI Act (Regulation (EU) 2024/1689)", "Art. 13(3)(b)",
            "transparency to deployers: performance regarding specific persons or groups, information to"
            " interpret the output",
            "post-training bias findings with readings; top features per label",
        ))  # fmt: skip
    return tuple(duties)


def build_card(analysis_dir: str | Path, *, bands: dict[str, Band] | None = None, top_k: int = 10) -> ModelCard:
    """Summarise the run at ``analysis_dir`` (local path or fsspec URI) as a ModelCard."""
    bands = DEFAULT_BANDS if bands is None else bands
    loc = location(analysis_dir)
    analysis, manifest = open_run(analysis_dir)
    config = _read_config(loc)
    findings, failures = _bias_findings(analysis, bands)
    explanations = _explanations(analysis, top_k)
    present = set(manifest) if manifest is not None else None
    local = tuple(
        name for name in LOCAL_SHAP_FILES if (name in present if present is not None else loc.fs.exists(loc.join(name)))
    )
    bias_section = analysis.pre_training_bias_metrics or analysis.post_training_bias_metrics
    shap_config = (config.get("methods") or {}).get("shap") or {}
    agg_method = shap_config.get("agg_method", "mean_abs") if shap_config else None
    return ModelCard(
        source=loc.display(layout.ANALYSIS_FILE),
        label=None if bias_section is None or bias_section.label is None else str(bias_section.label),
        positive_label=None if bias_section is None else _text(bias_section.label_value_or_threshold),
        agg_method=agg_method,
        findings=tuple(findings),
        failures=tuple(failures),
        explanations=tuple(explanations),
        local_explanations=local,
        duties=_duties(
            has_pre=analysis.pre_training_bias_metrics is not None,
            has_post=analysis.post_training_bias_metrics is not None,
            has_shap=bool(explanations),
            has_local=bool(local),
        ),
        data_notes=tuple(
            f"{STAGES[key].capitalize()}: {note}"
            for key, section in analysis.bias_sections()
            for note in section.empty_cell_notes()
        ),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _read_config(loc: Any) -> dict[str, Any]:
    """The run's analysis_config.json as data (empty when absent or unreadable: it only names agg_method)."""
    try:
        with loc.fs.open(loc.join(layout.CONFIG_FILE), "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _fmt(value: float) -> str:
    return ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else f"{value:.4g}"


def render_markdown(card: ModelCard) -> str:
    """The card as Markdown: flagged findings, all assessed metrics, failures, top features, duties."""
    lines = ["# Model card: bias and explainability summary", "", f"Source: {md(card.source)}", ""]
    if card.label is not None:
        lines += [f"Label: {md(card.label)}; positive outcome: {md(card.positive_label)}.", ""]
    if card.data_notes:
        lines += ["## Empty cells", ""]
        lines += [f"- {md(note)}" for note in card.data_notes]
        lines.append("")
    lines += ["## Bias findings outside conventional bands", ""]
    if card.flagged:
        for f in card.flagged:
            band = f.band.describe() if f.band else ""
            where = f"{f.facet} = {f.facet_value}" if f.facet_value else f.facet
            lines.append(
                f"- **{md(f.metric)}** ({f.stage}, {md(where)}) = {_fmt(f.value)}: {md(f.reading)}. "
                f"Outside {md(band)}: {md(f.band.convention if f.band else '')}."
            )
    elif card.findings:
        lines.append("No metric is outside its conventional band.")
    else:
        lines.append("No bias metrics in this analysis.")
    lines.append("")
    if card.findings:
        lines += [
            "## All bias metrics",
            "",
            "| stage | facet | value of facet | metric | value | band | outside |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in card.findings:
            band = f.band.describe() if f.band else "none (not assessed)"
            lines.append(
                f"| {f.stage} | {md(f.facet)} | {md(f.facet_value)} | {md(f.metric)} | {_fmt(f.value)} "
                f"| {md(band)} | {'yes' if f.outside_band else 'no'} |"
            )
        lines.append("")
    if card.failures:
        lines += ["## Metrics not computed", ""]
        lines += [
            f"- {md(m.metric)} ({m.stage}, {md(m.facet)} = {md(m.facet_value)}): {md(m.error)}" for m in card.failures
        ]
        lines.append("")
    if card.explanations:
        method = f" ({md(card.agg_method)})" if card.agg_method else ""
        lines += [f"## Top features by global SHAP value{method}", ""]
        for label in card.explanations:
            expected = f"; expected value {label.expected_value:.4g}" if label.expected_value is not None else ""
            lines += [f"### Label {md(label.label)}{expected}", "", "| rank | feature | global SHAP |", "|---|---|---|"]
            lines += [f"| {r.rank} | {md(r.feature)} | {r.value:.4g} |" for r in label.top_features]
            for column, tokens in label.top_tokens.items():
                lines += [
                    "",
                    f"Top tokens of {md(column)}: " + ", ".join(f"{md(t.feature)} ({t.value:.3g})" for t in tokens),
                ]
            lines.append("")
    if card.local_explanations:
        lines += ["Per-record attributions: " + ", ".join(md(name) for name in card.local_explanations) + ".", ""]
    lines += ["## Documentation duties these results relate to", ""]
    if card.duties:
        lines += ["| instrument | provision | subject | supported by |", "|---|---|---|---|"]
        lines += [f"| {d.instrument} | {d.provision} | {d.subject} | {d.supported_by} |" for d in card.duties]
    else:
        lines.append("This analysis holds no bias metrics or explanations.")
    lines += [
        "",
        "This section lists where the results are relevant to documentation duties. It is not legal advice and does "
        "not establish compliance; the bands above are conventions, not legal thresholds.",
        "",
    ]
    return "\n".join(lines)


def card_files(card: ModelCard) -> dict[str, bytes]:
    """``model_card.md`` and ``model_card.json`` of ``card`` (infinities as Clarify writes them)."""
    as_json = json.dumps(encode(card.to_dict()), indent=2) + "\n"
    return {layout.CARD_MARKDOWN: render_markdown(card).encode("utf-8"), layout.CARD_JSON: as_json.encode("utf-8")}


def write_card(analysis_dir: str | Path, output_dir: str | Path | None = None) -> list[str | Path]:
    """Write ``model_card.md`` and ``model_card.json``: into ``output_dir`` (a folder or fsspec URI), or by
    default into the run at ``analysis_dir`` itself, committed as part of that run (its manifest updated)."""
    card = build_card(analysis_dir)
    files = card_files(card)
    if output_dir is None:
        loc = location(analysis_dir)
        with derived_run(analysis_dir, replacing=list(files)) as staging:
            for name, data in files.items():
                (staging / name).write_bytes(data)
        return [_as_path(loc.display(name)) for name in files]
    return [_as_path(write_file(output_dir, name, data)) for name, data in files.items()]


def _as_path(where: str) -> str | Path:
    return where if "://" in where else Path(where)
