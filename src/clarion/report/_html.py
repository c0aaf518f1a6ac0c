"""The HTML report: one self-contained page (inline CSS, charts as data-URI SVG, no scripts).

Every string from data or config goes through Jinja2 autoescaping; the page also carries a Content Security
Policy that forbids scripts and network loads.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from clarion.report import _charts
from clarion.report._data import ReportData, TextRecord
from clarion.report._findings import STAGE_TITLES, chart_panels, entry_rows, summarise
from clarion.results.catalogue import METRICS, format_value

TEMPLATES = Path(__file__).parent / "templates"
# (r, g, b) of the two attribution colours; the alpha channel carries the magnitude.
POSITIVE_RGB = (58, 110, 165)
NEGATIVE_RGB = (200, 85, 61)


def figure_data_uri(fig: Any) -> str:
    """A matplotlib Figure as a ``data:image/svg+xml;base64`` URI; labels stay SVG text in a sans-serif font."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "clarion"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass(frozen=True)
class TextPiece:
    text: str
    style: str
    title: str


def text_pieces(record: TextRecord) -> tuple[TextPiece, ...]:
    """Units of a text record in order, each with a background whose opacity is |attribution| / max |attribution|.

    A single space is put back where the units' offsets leave a gap (sentence units drop the separator)."""
    peak = max((abs(u.attribution) for u in record.units), default=0.0) or 1.0
    pieces: list[TextPiece] = []
    end = None
    for unit in record.units:
        if end is not None and unit.start > end:
            pieces.append(TextPiece(" ", "", ""))
        alpha = min(abs(unit.attribution) / peak, 1.0) * 0.75
        r, g, b = POSITIVE_RGB if unit.attribution >= 0 else NEGATIVE_RGB
        style = f"background: rgba({r}, {g}, {b}, {alpha:.2f})"
        if alpha > 0.45:
            style += "; color: #fff"
        pieces.append(TextPiece(unit.text, style, f"{unit.attribution:+.4g}"))
        end = unit.start + len(unit.text)
    return tuple(pieces)


def _band_text(code: str) -> str:
    info = METRICS[code]
    low, high = info.band
    if code == "DI":
        return f"[{low:g}, {high:g}] (four-fifths rule)"
    if low == -high:
        return f"|value| ≤ {high:g}"
    return f"≤ {high:g}"


def template_environment(*folders: Path) -> jinja2.Environment:
    """Jinja2 over ``folders`` then the report's templates (first match wins): autoescaping, strict undefined."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([*map(str, folders), str(TEMPLATES)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("clarion")
    except Exception:  # noqa: BLE001 - the version is cosmetic
        return "dev"


def render_html(data: ReportData, title: str) -> str:
    """The report page as one HTML string."""
    summary = summarise(data)
    bias = []
    codes_seen: list[str] = []
    for section in data.bias:
        panels = chart_panels(section)
        chart = figure_data_uri(_charts.bias_chart(panels)) if panels and section.entries else ""
        for entry in section.entries:
            for m in entry.metrics:
                if m.code.upper() in METRICS and m.code.upper() not in codes_seen:
                    codes_seen.append(m.code.upper())
        bias.append(
            {
                "section": section,
                "title": STAGE_TITLES[section.stage],
                "chart": chart,
                "entries": [(entry, entry_rows(entry)) for entry in section.entries],
            }
        )
    shap = []
    for g in data.shap:
        chart = (
            figure_data_uri(_charts.shap_chart(g.features, g.values, g.stderr, f"Global SHAP values · {g.label}"))
            if g.features
            else ""
        )
        errs = g.stderr or (None,) * len(g.features)
        rows = [(f, format_value(v, 4), format_value(e, 4)) for f, v, e in zip(g.features, g.values, errs, strict=True)]
        shap.append({"item": g, "chart": chart, "rows": rows})
    local = [
        {
            "item": row,
            "chart": figure_data_uri(_charts.local_chart(row.features, row.values, f"{row.row} · {row.label}")),
        }
        for row in data.local
    ]
    pdp = []
    for curve in data.pdp:
        chart = ""
        if curve.error is None and curve.feature_values and curve.predictions:
            numeric = curve.data_type == "numerical" and all(_is_number(v) for v in curve.feature_values)
            chart = figure_data_uri(
                _charts.pdp_chart(
                    curve.feature,
                    "numerical" if numeric else "categorical",
                    curve.feature_values,
                    curve.predictions,
                    curve.label_headers,
                    curve.distribution,
                )
            )
        pdp.append({"item": curve, "chart": chart})
    guide = [
        {"code": c, "name": METRICS[c].name, "formula": METRICS[c].formula, "value_range": METRICS[c].value_range,
         "band": _band_text(c)}
        for c in sorted(codes_seen)
    ]  # fmt: skip
    text = [{"record": r, "pieces": text_pieces(r)} for r in data.text]
    template = template_environment().get_template("report.html.j2")
    return template.render(
        title=title,
        version=_version(),
        summary=summary,
        n_facet_entries=len({(e.facet, e.value) for s in data.bias for e in s.entries}),
        setup=data.setup,
        bias=bias,
        shap=shap,
        local=local,
        pdp=pdp,
        text=text,
        images=data.images,
        guide=guide,
    )


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(float(value))
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
