"""``render_reports``: write report.html, report.pdf and report.ipynb for a run's output directory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clarion.config import AnalysisConfig, load_config
from clarion.config.methods import ReportConfig
from clarion.errors import ClarionError, ConfigError, OutputError
from clarion.report._data import load_report_data
from clarion.report._write import write_atomic
from clarion.results import layout
from clarion.results.store import Location, derived_run, location

FORMATS = layout.REPORT_FORMATS


def render_reports(
    output_dir: str | Path,
    *,
    name: str = layout.REPORT_NAME,
    title: str = layout.REPORT_TITLE,
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
        target = root / layout.report_file(name, fmt)
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


def write_reports(output_dir: str | Path, config: AnalysisConfig) -> list[Path]:
    """Render the reports named by ``methods.report`` into a run's folder (a no-op when the config has none)."""
    report = config.methods.report
    if report is None:
        return []
    return render_reports(output_dir, name=report.name, title=report.title)


def rerender_reports(run: str | Path, *, name: str | None = None, title: str | None = None) -> list[str]:
    """Re-render the reports of the run at ``run`` (a folder or fsspec URI; checked against its manifest, the
    reports themselves excepted) and commit them as part of that run (``clarion report``). Returns the
    locations written."""
    loc = location(run)
    if not loc.fs.exists(loc.join(layout.ANALYSIS_FILE)):
        raise OutputError(f"{loc.uri}: no {layout.ANALYSIS_FILE} here; run an analysis first")
    report = _saved_report(loc)
    name = name or (report.name if report else layout.REPORT_NAME)
    title = title or (report.title if report else layout.REPORT_TITLE)
    with derived_run(run, replacing=[layout.report_file(name, fmt) for fmt in FORMATS]) as staging:
        written = render_reports(staging, name=name, title=title)
    return [loc.display(path.relative_to(staging).as_posix()) for path in written]


def _saved_report(loc: Location) -> ReportConfig | None:
    """``methods.report`` of the run's saved config (None when absent or unreadable: only defaults are lost)."""
    try:
        with loc.fs.open(loc.join(layout.CONFIG_FILE), "rb") as handle:
            return load_config(json.loads(handle.read().decode("utf-8"))).methods.report
    except (OSError, ValueError, ClarionError):
        return None
