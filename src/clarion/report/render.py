"""``render_reports``: write report.html, report.pdf and report.ipynb for a run's output directory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clarion.errors import ConfigError
from clarion.report._data import load_report_data
from clarion.report._write import write_atomic

FORMATS = ("html", "pdf", "ipynb")


def render_reports(
    output_dir: str | Path,
    *,
    name: str = "report",
    title: str = "Analysis Report",
    formats: Iterable[str] = FORMATS,
    setup: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write ``<name>.html``, ``<name>.pdf`` and ``<name>.ipynb`` (those in ``formats``) into ``output_dir``
    from its ``analysis.json``; each file is written atomically. ``setup`` is the run's summary (dataset,
    label, facets, model, methods); without it ``analysis_config.json`` beside analysis.json is used if present.
    Returns the written paths in the order of ``formats``."""
    wanted = [f.lower().lstrip(".") for f in formats]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(f"report formats: unknown format {unknown[0]!r}; expected some of {', '.join(FORMATS)}")
    if not name or Path(name).name != name or name in (".", ".."):
        raise ConfigError(f"methods.report.name: expected a plain file name, got {name!r}")
    root = Path(output_dir)
    data = load_report_data(root, setup)
    html = None
    written = []
    for fmt in dict.fromkeys(wanted):
        target = root / f"{name}.{fmt}"
        if fmt in ("html", "pdf") and html is None:
            from clarion.report._html import render_html

            html = render_html(data, title)
        if fmt == "html":
            assert html is not None
            written.append(write_atomic(target, html.encode("utf-8")))
        elif fmt == "pdf":
            from clarion.report._pdf import html_to_pdf

            assert html is not None
            written.append(write_atomic(target, html_to_pdf(html, root)))
        else:
            from clarion.report._notebook import notebook_bytes

            written.append(write_atomic(target, notebook_bytes(data, title)))
    return written
