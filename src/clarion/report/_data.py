"""Typed view of a run's output directory (analysis.json and friends), read once for every report format."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from clarion.errors import OutputError
from clarion.results import layout
from clarion.results.catalogue import parse_metric_value
from clarion.results.model import Analysis, LabelShap, PdpEntry
from clarion.results.store import open_run

MAX_LOCAL_ROWS = 3
MAX_TEXT_RECORDS = 6
MAX_IMAGES = 12
THUMBNAIL_PX = 320
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


@dataclass(frozen=True)
class MetricValue:
    """One metric of one facet entry; ``value`` is None when the metric failed (then ``error`` says why)."""

    code: str
    description: str
    value: float | None
    error: str | None


@dataclass(frozen=True)
class FacetEntry:
    """Metrics of facet ``facet`` with sensitive value (or threshold interval) ``value``."""

    facet: str
    value: str
    metrics: tuple[MetricValue, ...]

    @property
    def title(self) -> str:
        return f"{self.facet} = {self.value}"


@dataclass(frozen=True)
class BiasSection:
    """``pre_training_bias_metrics`` or ``post_training_bias_metrics``."""

    stage: str
    label: str
    positive_label: str
    entries: tuple[FacetEntry, ...]
    predictions: str = ""  # post-training: where the predicted labels came from (e.g. the score cut)
    notes: tuple[str, ...] = ()  # empty cells and rows left out, in plain words


@dataclass(frozen=True)
class GlobalShap:
    """Global SHAP values of one model output, sorted by decreasing absolute value."""

    label: str
    features: tuple[str, ...]
    values: tuple[float, ...]
    stderr: tuple[float | None, ...] | None
    expected_value: float | None
    top_text: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]


@dataclass(frozen=True)
class PdpCurve:
    """One ``explanations.pdp`` entry; ``predictions[k]`` is the curve for ``label_headers[k]``."""

    feature: str
    data_type: str
    feature_values: tuple[Any, ...]
    distribution: tuple[float, ...]
    predictions: tuple[tuple[float, ...], ...]
    label_headers: tuple[str, ...]
    error: str | None


@dataclass(frozen=True)
class LocalRow:
    """Local SHAP values of one explained row for one label, sorted by decreasing absolute value."""

    row: str
    label: str
    features: tuple[str, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class TextUnit:
    text: str
    start: int
    attribution: float


@dataclass(frozen=True)
class TextRecord:
    """Attributions of the units (tokens, sentences, ...) of one text feature of one record (first output)."""

    row: str
    feature: str
    units: tuple[TextUnit, ...]


@dataclass(frozen=True)
class ImageThumb:
    name: str
    data_uri: str


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, parsed from an output directory."""

    bias: tuple[BiasSection, ...]
    shap: tuple[GlobalShap, ...]
    pdp: tuple[PdpCurve, ...]
    local: tuple[LocalRow, ...]
    text: tuple[TextRecord, ...]
    images: tuple[ImageThumb, ...]
    setup: tuple[tuple[str, str], ...]


def load_report_data(output_dir: str | Path, setup: Mapping[str, Any] | None = None) -> ReportData:
    """Read ``analysis.json`` (required, checked against the run's manifest when there is one),
    ``explanations_shap/out.csv`` and ``out.jsonl`` (optional), image heat maps below the directory
    (optional) and the setup (``setup`` or ``analysis_config.json``)."""
    root = Path(output_dir)
    analysis, _ = open_run(root)
    shap = parse_kernel_shap(analysis.kernel_shap)
    if setup is None:
        setup = _read_setup_file(root / layout.CONFIG_FILE)
    return ReportData(
        bias=tuple(_with_predictions(s, setup or {}) for s in parse_bias(analysis)),
        shap=shap,
        pdp=parse_pdp(analysis.pdp),
        local=_read_local_shap(root / layout.LOCAL_SHAP_CSV, shap),
        text=_read_text_attributions(root / layout.LOCAL_SHAP_JSONL),
        images=_find_images(root),
        setup=summarise_setup(setup or {}),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _float(value: Any) -> float | None:
    return parse_metric_value(value)


def parse_bias(analysis: Analysis) -> tuple[BiasSection, ...]:
    """The bias sections present in analysis.json, pre-training first."""
    sections = []
    for stage, raw in analysis.bias_sections():
        entries = []
        for facet, items in raw.facets.items():
            for item in items:
                metrics = tuple(
                    MetricValue(code=m.name, description=m.description, value=_float(m.value), error=m.error)
                    for m in item.metrics
                )
                entries.append(FacetEntry(str(facet), str(item.value_or_threshold), metrics))
        label = "" if raw.label is None else str(raw.label)
        positive = raw.label_value_or_threshold
        positive_text = (
            "" if positive is None else ",".join(map(str, positive)) if isinstance(positive, list) else str(positive)
        )
        sections.append(BiasSection(stage, label, positive_text, tuple(entries), notes=raw.empty_cell_notes()))
    return tuple(sections)


def prediction_rule(config: Mapping[str, Any]) -> str:
    """How the run's config makes predicted labels, in words ("" when the config does not say).

    A predicted-label column or dataset is read as given; a model's ``predictor.label`` is used as is;
    otherwise the model's score is cut at ``probability_threshold`` (0.5 when absent): score > t is positive.
    """
    if config.get("predicted_label_dataset_uri") is not None:
        return "Predicted labels are read from the predicted-label dataset."
    if config.get("predicted_label") is not None:
        return f"Predicted labels are read from column {config['predicted_label']}."
    predictor = _mapping(config.get("predictor"))
    if not predictor:
        return ""
    if predictor.get("label") is not None:
        return f"Predicted labels are the model's label ({predictor['label']})."
    threshold = config.get("probability_threshold")
    source = "probability_threshold" if threshold is not None else "the default probability_threshold"
    return f"Predicted label = the model's score > {0.5 if threshold is None else threshold} ({source})."


def _with_predictions(section: BiasSection, config: Mapping[str, Any]) -> BiasSection:
    if section.stage != "post_training":
        return section
    return replace(section, predictions=prediction_rule(config))


def parse_kernel_shap(kernel_shap: Mapping[str, LabelShap]) -> tuple[GlobalShap, ...]:
    """One GlobalShap per label key of ``explanations.kernel_shap``."""
    out = []
    for label, body in kernel_shap.items():
        pairs = [(str(f), v) for f, v in ((f, _float(v)) for f, v in body.global_shap_values.items()) if v is not None]
        pairs.sort(key=lambda p: -abs(p[1]) if math.isfinite(p[1]) else -math.inf)
        raw_err = body.global_shap_values_stderr
        stderr = tuple(_float(raw_err.get(f)) for f, _ in pairs) if raw_err is not None else None
        top_text = tuple(
            (str(column), tuple(sorted(((str(t), v) for t, v in ((t, _float(v)) for t, v in tokens.items())
                                        if v is not None), key=lambda p: -abs(p[1]))))
            for column, tokens in (body.global_top_shap_text or {}).items()
        )  # fmt: skip
        expected = body.expected_value
        out.append(
            GlobalShap(
                label=str(label),
                features=tuple(f for f, _ in pairs),
                values=tuple(v for _, v in pairs),
                stderr=stderr,
                expected_value=_float(expected[0] if isinstance(expected, list) and expected else expected),
                top_text=top_text,
            )
        )
    return tuple(out)


def parse_pdp(entries: list[PdpEntry]) -> tuple[PdpCurve, ...]:
    """The ``explanations.pdp`` list; entries with ``error`` keep only the feature name and the error."""
    return tuple(
        PdpCurve(
            feature=item.feature_name,
            data_type=item.data_type or "",
            feature_values=tuple(item.feature_values or ()),
            distribution=tuple(_float(v) or 0.0 for v in item.data_distribution or ()),
            predictions=tuple(tuple(_float(v) or 0.0 for v in curve) for curve in item.model_predictions or ()),
            label_headers=tuple(item.label_headers or ()),
            error=item.error,
        )
        for item in entries
    )


def _read_local_shap(path: Path, shap: tuple[GlobalShap, ...]) -> tuple[LocalRow, ...]:
    """The first few rows of out.csv, columns ``<feature>_<label>``; a column that is not of that form for a
    known label (e.g. a leading join-source column) names the row."""
    if not path.is_file():
        return ()
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = [r for _, r in zip(range(MAX_LOCAL_ROWS), reader, strict=False)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutputError(f"{path}: cannot read local SHAP values: {exc}") from exc
    if not header:
        return ()
    labels = [g.label for g in shap] or sorted({c.rsplit("_", 1)[1] for c in header if "_" in c})
    # Longest label first so "label10" wins over "label1" as a suffix.
    suffixes = sorted(labels, key=len, reverse=True)
    columns: list[tuple[int, str, str]] = []
    id_column = None
    for i, name in enumerate(header):
        label = next((lab for lab in suffixes if name.endswith("_" + lab) and len(name) > len(lab) + 1), None)
        if label is None:
            id_column = i if id_column is None else id_column
            continue
        columns.append((i, name[: -len(label) - 1], label))
    out = []
    for n, row in enumerate(rows):
        row_name = row[id_column] if id_column is not None and id_column < len(row) else f"row {n + 1}"
        for label in labels:
            pairs = []
            for i, feature, lab in columns:
                if lab == label and i < len(row):
                    value = _float(_number(row[i]))
                    if value is not None:
                        pairs.append((feature, value))
            if pairs:
                pairs.sort(key=lambda p: -abs(p[1]))
                out.append(LocalRow(row_name, label, tuple(f for f, _ in pairs), tuple(v for _, v in pairs)))
    return tuple(out)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _read_text_attributions(path: Path) -> tuple[TextRecord, ...]:
    """Text features of the first few out.jsonl records (first model output of each attribution list)."""
    if not path.is_file():
        return ()
    out: list[TextRecord] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, start=1):
                if len(out) >= MAX_TEXT_RECORDS:
                    break
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise OutputError(f"{path}:{line_no}: not valid JSON: {exc.msg}") from exc
                row = str(record.get("join_source_value", f"record {line_no}"))
                for expl in record.get("explanations") or []:
                    if not isinstance(expl, Mapping) or expl.get("data_type", "free_text") != "free_text":
                        continue
                    units = []
                    for att in expl.get("attributions") or []:
                        desc = _mapping(att.get("description"))
                        values = att.get("attribution") or [0.0]
                        units.append(
                            TextUnit(
                                text=str(desc.get("partial_text", "")),
                                start=int(desc.get("start_idx", 0) or 0),
                                attribution=_float(values[0] if isinstance(values, list) else values) or 0.0,
                            )
                        )
                    units.sort(key=lambda u: u.start)
                    out.append(TextRecord(row, str(expl.get("feature_name", "text")), tuple(units)))
    except OSError as exc:
        raise OutputError(f"{path}: cannot read text attributions: {exc}") from exc
    return tuple(out[:MAX_TEXT_RECORDS])


def _find_images(root: Path) -> tuple[ImageThumb, ...]:
    """Image heat maps written below the output directory, as small embedded PNG thumbnails."""
    from PIL import Image, UnidentifiedImageError

    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    thumbs = []
    for path in paths[:MAX_IMAGES]:
        try:
            with Image.open(path) as opened:
                img = opened.convert("RGB")
                img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                buf = io.BytesIO()
                img.save(buf, format="PNG", optimize=True)
        except (OSError, UnidentifiedImageError):
            continue
        uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
        thumbs.append(ImageThumb(str(path.relative_to(root)), uri))
    return tuple(thumbs)


def _read_setup_file(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutputError(f"{path}: cannot read as JSON: {exc}") from exc
    return data if isinstance(data, Mapping) else {}


_HIDDEN_KEYS = ("password", "secret", "token", "credential", "authorization", "api_key", "custom_attributes")


def summarise_setup(setup: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Flatten a setup summary (or an analysis config) into (key path, value) rows for display.

    Lists of scalars are joined with commas; keys that look like secrets are left out."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if any(h in prefix.lower() for h in _HIDDEN_KEYS):
            return
        if isinstance(value, Mapping):
            if not value:
                rows.append((prefix, "(defaults)"))
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and any(isinstance(v, (Mapping, list)) for v in value):
            for i, sub in enumerate(value):
                walk(f"{prefix}[{i}]", sub)
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
            rows.append((prefix, text if len(text) <= 300 else text[:297] + "..."))
        else:
            rows.append((prefix, "" if value is None else str(value)))

    walk("", dict(setup))
    return tuple(rows)
