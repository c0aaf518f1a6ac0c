"""Model-card summary of a Clarify/clarion analysis: bias findings, top features, documentation duties.

``build_card(analysis_dir)`` reads ``analysis.json`` (and ``analysis_config.json`` when present) and returns
a ``ModelCard``; ``write_card(analysis_dir, output_dir=None)`` writes ``model_card.md`` and
``model_card.json``.

Findings: every bias metric with a number is compared with a conventional band (``DEFAULT_BANDS``);
values outside are flagged with a plain-language reading derived from the metric's formula (facet d =
the sensitive group named in the analysis, "the other rows" = facet a). The bands are conventions used
in practice, not legal thresholds: DI in [0.8, 1.25] (the four-fifths rule of thumb and its reciprocal);
differences of rates within ±0.1; distances between label distributions at most 0.1 (clarion's default).
TE and GE have no conventional band and are listed unassessed.

Top features: per label of ``explanations.kernel_shap``, features ranked by the absolute global SHAP
value (largest first; ties by name), and for text the top tokens likewise.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import fsspec

from clarion.data.atomic import write_text_atomic
from clarion.errors import DataError, OutputError

ANALYSIS_FILE = "analysis.json"
CONFIG_FILE = "analysis_config.json"
LOCAL_SHAP_FILES = ("explanations_shap/out.csv", "explanations_shap/out.jsonl")
STAGES = {"pre_training_bias_metrics": "pre-training", "post_training_bias_metrics": "post-training"}


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


_RATE_DIFFERENCE = Band(-0.1, 0.1, "difference of rates within ±0.1, a common rule of thumb")
_DISTANCE = Band(None, 0.1, "distance between label distributions at most 0.1, clarion's default")
DEFAULT_BANDS: dict[str, Band] = {
    "DI": Band(0.8, 1.25, "four-fifths rule of thumb and its reciprocal"),
    "CI": Band(-0.1, 0.1, "group sizes within ±0.1 of balance, a common rule of thumb"),
    **{
        code: _RATE_DIFFERENCE
        for code in ("DPL", "CDDL", "DPPL", "CDDPL", "DCA", "DCR", "DAR", "DRR", "AD", "RD", "SD", "FT")
    },
    **{code: _DISTANCE for code in ("KL", "JS", "LP", "TVD", "KS")},
}


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

    @property
    def flagged(self) -> tuple[BiasFinding, ...]:
        """Findings outside their conventional band."""
        return tuple(f for f in self.findings if f.outside_band)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flagged"] = [asdict(f) for f in self.flagged]
        return data


def _direction(value: float, positive: str, negative: str, zero: str = "no difference between the groups") -> str:
    if value > 0:
        return positive
    if value < 0:
        return negative
    return zero


def reading(metric: str, value: float, subject: str) -> str:
    """Plain-language reading of a metric value for facet d described as ``subject``."""
    others = "the other rows"
    if metric == "CI":
        return f"{subject} make up {(1 - value) / 2:.1%} of the rows (CI = (n_a - n_d) / n)"
    if metric in ("DPL", "DPPL"):
        kind = "observed" if metric == "DPL" else "predicted"
        points = f"{abs(value) * 100:.1f} percentage points"
        return _direction(
            value,
            f"{subject} have a lower share of positive {kind} labels than {others}, by {points}",
            f"{subject} have a higher share of positive {kind} labels than {others}, by {points}",
        )
    if metric == "DI":
        if math.isinf(value):  # q_d / 0 with q_d > 0
            return f"{subject} receive positive predictions while {others} receive none"
        return f"{subject} receive positive predictions at {value:.2f} times the rate of {others}"
    if metric in ("KL", "JS", "LP", "TVD", "KS"):
        return (
            f"the label distribution of {subject} differs from that of {others} ({metric} = {value:.3g}; 0 = identical)"
        )
    if metric in ("CDDL", "CDDPL"):
        kind = "observed" if metric == "CDDL" else "predicted"
        return _direction(
            value,
            f"within groups, {subject} make up a larger share of negative than of positive {kind} outcomes",
            f"within groups, {subject} make up a larger share of positive than of negative {kind} outcomes",
        )
    texts = {
        "DCA": (  # c_a - c_d, c = observed positives / predicted positives
            f"relative to its labels, the model accepts {subject} more readily than {others}",
            f"relative to its labels, the model accepts {subject} less readily than {others}",
        ),
        "DCR": (  # r_d - r_a, r = observed negatives / predicted negatives
            f"relative to its labels, the model rejects {subject} less readily than {others}",
            f"relative to its labels, the model rejects {subject} more readily than {others}",
        ),
        "DAR": (  # precision_a - precision_d
            f"positive predictions for {subject} are correct less often than for {others}",
            f"positive predictions for {subject} are correct more often than for {others}",
        ),
        "DRR": (  # NPV_d - NPV_a
            f"negative predictions for {subject} are correct more often than for {others}",
            f"negative predictions for {subject} are correct less often than for {others}",
        ),
        "AD": (
            f"the model is less accurate on {subject} than on {others}",
            f"the model is more accurate on {subject} than on {others}",
        ),
        "RD": (
            f"the model finds a smaller share of the true positives of {subject} than of {others}",
            f"the model finds a larger share of the true positives of {subject} than of {others}",
        ),
        "SD": (  # specificity_d - specificity_a
            f"the model recognises a larger share of the true negatives of {subject} than of {others}",
            f"the model recognises a smaller share of the true negatives of {subject} than of {others}"
            " (more false positives)",
        ),
        "TE": (  # FN_d/FP_d - FN_a/FP_a
            f"errors on {subject} lean more toward false negatives than errors on {others}",
            f"errors on {subject} lean more toward false positives than errors on {others}",
        ),
        "FT": (
            f"more rows of {subject} are predicted positive than their nearest neighbours among {others}",
            f"fewer rows of {subject} are predicted positive than their nearest neighbours among {others}",
        ),
    }
    if metric in texts:
        return _direction(value, *texts[metric])
    if metric == "GE":
        return f"inequality of benefits (predicted - observed + 1) across all rows is {value:.3g} (0 = equal benefits)"
    return f"{metric} = {value:.3g}"


def _subject(facet: str, facet_value: str) -> str:
    if facet_value.startswith(("(", "[")):
        return f"the rows with {facet} in {facet_value}"
    return f"the rows with {facet} = {facet_value}" if facet_value else f"the rows of facet {facet}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)  # "Infinity", "-Infinity"
        except ValueError:
            return None
    return None


def _bias_findings(analysis: dict[str, Any], bands: dict[str, Band]) -> tuple[list[BiasFinding], list[MetricFailure]]:
    findings: list[BiasFinding] = []
    failures: list[MetricFailure] = []
    for key, stage in STAGES.items():
        for facet, entries in (analysis.get(key) or {}).get("facets", {}).items():
            for entry in entries:
                facet_value = str(entry.get("value_or_threshold", ""))
                for metric in entry.get("metrics", []):
                    name = metric["name"]
                    value = _number(metric.get("value"))
                    if value is None or math.isnan(value):
                        error = metric.get("error") or "no value"
                        failures.append(MetricFailure(stage, facet, facet_value, name, error))
                        continue
                    band = bands.get(name)
                    outside = band is not None and not band.contains(value)
                    text = reading(name, value, _subject(facet, facet_value))
                    findings.append(
                        BiasFinding(
                            stage, facet, facet_value, name, metric.get("description", name), value, band, outside, text
                        )
                    )
    return findings, failures


def rank_features(values: dict[str, Any], top_k: int) -> tuple[RankedFeature, ...]:
    """The ``top_k`` entries by absolute value, largest first, ties broken by name."""
    numeric = [(name, v) for name, raw in values.items() if (v := _number(raw)) is not None and not math.isnan(v)]
    numeric.sort(key=lambda item: (-abs(item[1]), item[0]))
    return tuple(RankedFeature(i + 1, name, v) for i, (name, v) in enumerate(numeric[:top_k]))


def _explanations(analysis: dict[str, Any], top_k: int) -> list[LabelExplanation]:
    shap = (analysis.get("explanations") or {}).get("kernel_shap") or {}
    result = []
    for label, body in shap.items():
        tokens = {
            column: rank_features(values, top_k) for column, values in (body.get("global_top_shap_text") or {}).items()
        }
        result.append(
            LabelExplanation(
                label=str(label),
                expected_value=_number(body.get("expected_value")),
                top_features=rank_features(body.get("global_shap_values") or {}, top_k),
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


def _read_json(uri: str, required: bool) -> dict[str, Any] | None:
    try:
        with fsspec.open(uri, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        if required:
            raise DataError(f"{uri}: not found (expected the analysis output of a Clarify or clarion run)") from None
        return None
    except json.JSONDecodeError as exc:
        raise DataError(f"{uri}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DataError(f"{uri}: expected a JSON object at the top level")
    return data


def _join(folder: str | Path, name: str) -> str:
    folder = str(folder)
    return f"{folder.rstrip('/')}/{name}" if "://" in folder else str(Path(folder) / name)


def build_card(analysis_dir: str | Path, *, bands: dict[str, Band] | None = None, top_k: int = 10) -> ModelCard:
    """Summarise ``analysis_dir/analysis.json`` (local path or fsspec URI) as a ModelCard."""
    bands = DEFAULT_BANDS if bands is None else bands
    analysis_uri = _join(analysis_dir, ANALYSIS_FILE)
    analysis = _read_json(analysis_uri, required=True)
    assert analysis is not None
    config = _read_json(_join(analysis_dir, CONFIG_FILE), required=False) or {}
    findings, failures = _bias_findings(analysis, bands)
    explanations = _explanations(analysis, top_k)
    fs, root = fsspec.core.url_to_fs(str(analysis_dir))
    local = tuple(name for name in LOCAL_SHAP_FILES if fs.exists(f"{root.rstrip('/')}/{name}"))
    bias_section = analysis.get("pre_training_bias_metrics") or analysis.get("post_training_bias_metrics") or {}
    shap_config = (config.get("methods") or {}).get("shap") or {}
    agg_method = shap_config.get("agg_method", "mean_abs") if shap_config else None
    return ModelCard(
        source=analysis_uri,
        label=bias_section.get("label"),
        positive_label=bias_section.get("label_value_or_threshold"),
        agg_method=agg_method,
        findings=tuple(findings),
        failures=tuple(failures),
        explanations=tuple(explanations),
        local_explanations=local,
        duties=_duties(
            has_pre="pre_training_bias_metrics" in analysis,
            has_post="post_training_bias_metrics" in analysis,
            has_shap=bool(explanations),
            has_local=bool(local),
        ),
    )


def _fmt(value: float) -> str:
    return ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else f"{value:.4g}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(card: ModelCard) -> str:
    """The card as Markdown: flagged findings, all assessed metrics, failures, top features, duties."""
    lines = ["# Model card: bias and explainability summary", "", f"Source: `{card.source}`", ""]
    if card.label is not None:
        lines += [
            f"Label: `{_md_escape(str(card.label))}`; positive outcome: `{_md_escape(str(card.positive_label))}`.",
            "",
        ]
    lines += ["## Bias findings outside conventional bands", ""]
    if card.flagged:
        for f in card.flagged:
            band = f.band.describe() if f.band else ""
            where = f"{f.facet} = {f.facet_value}" if f.facet_value else f.facet
            lines.append(
                f"- **{f.metric}** ({f.stage}, {_md_escape(where)}) = {_fmt(f.value)}: {_md_escape(f.reading)}. "
                f"Outside {band}: {f.band.convention if f.band else ''}."
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
                f"| {f.stage} | {_md_escape(f.facet)} | {_md_escape(f.facet_value)} | {f.metric} | {_fmt(f.value)} "
                f"| {band} | {'yes' if f.outside_band else 'no'} |"
            )
        lines.append("")
    if card.failures:
        lines += ["## Metrics not computed", ""]
        lines += [
            f"- {m.metric} ({m.stage}, {_md_escape(m.facet)} = {_md_escape(m.facet_value)}): {_md_escape(m.error)}"
            for m in card.failures
        ]
        lines.append("")
    if card.explanations:
        method = f" ({card.agg_method})" if card.agg_method else ""
        lines += [f"## Top features by global SHAP value{method}", ""]
        for label in card.explanations:
            expected = f"; expected value {label.expected_value:.4g}" if label.expected_value is not None else ""
            lines += [
                f"### Label `{_md_escape(label.label)}`{expected}",
                "",
                "| rank | feature | global SHAP |",
                "|---|---|---|",
            ]
            lines += [f"| {r.rank} | {_md_escape(r.feature)} | {r.value:.4g} |" for r in label.top_features]
            for column, tokens in label.top_tokens.items():
                lines += [
                    "",
                    f"Top tokens of `{_md_escape(column)}`: "
                    + ", ".join(f"{_md_escape(t.feature)} ({t.value:.3g})" for t in tokens),
                ]
            lines.append("")
    if card.local_explanations:
        lines += ["Per-record attributions: " + ", ".join(f"`{name}`" for name in card.local_explanations) + ".", ""]
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


def write_card(analysis_dir: str | Path, output_dir: str | Path | None = None) -> list[Path]:
    """Write ``model_card.md`` and ``model_card.json`` to ``output_dir`` (default: the local ``analysis_dir``)."""
    if output_dir is None and "://" in str(analysis_dir) and not str(analysis_dir).startswith("file://"):
        raise OutputError(f"{analysis_dir}: give an output directory for the card (the analysis is not local)")
    card = build_card(analysis_dir)
    target = Path(str(output_dir if output_dir is not None else analysis_dir).removeprefix("file://"))
    markdown = write_text_atomic(target / "model_card.md", render_markdown(card))
    as_json = write_text_atomic(target / "model_card.json", json.dumps(_json_ready(card.to_dict()), indent=2) + "\n")
    return [markdown, as_json]


def _json_ready(value: Any) -> Any:
    """Infinite values as Clarify writes them ("Infinity" / "-Infinity")."""
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value
