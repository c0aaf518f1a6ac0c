"""``clarion monitor report``: one HTML page (and its PDF) for a monitoring folder: every run, the NDCG and
each bias metric over time with the threshold lines, and the violations.

Like the analysis report, the page is self-contained (inline CSS, charts as data-URI SVG, no scripts, a CSP
forbidding both) and every string from data goes through Jinja2 autoescaping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from clarion.errors import ConfigError, OutputError
from clarion.monitor import charts
from clarion.monitor.drift import fair_value
from clarion.monitor.runs import BASELINE_DIR, MonitoringRun, list_runs, read_analysis
from clarion.monitor.violations import BIAS_DRIFT, bias_values
from clarion.report._html import figure_data_uri, template_environment
from clarion.report._pdf import html_to_pdf
from clarion.report._write import write_atomic
from clarion.results import Analysis
from clarion.results.catalogue import METRICS, format_value

TEMPLATES = Path(__file__).parent / "templates"
REPORT_NAME = "monitoring_report"
FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class RunRow:
    run_id: str
    time: str
    window: str
    data: str
    status: str
    n_violations: int
    ndcg: str


@dataclass(frozen=True)
class ViolationRow:
    run: str
    check: str
    where: str
    metric: str
    baseline: str
    current: str
    description: str


def _run_name(run: MonitoringRun) -> str:
    return run.window or run.time


def _bias_charts(runs: list[MonitoringRun], baseline: Analysis, tolerance: float) -> list[dict[str, str]]:
    names = [_run_name(r) for r in runs]
    base = bias_values(baseline)
    per_run = [bias_values(r.analysis) for r in runs]
    flagged = [
        {(v.facet, v.facet_value, v.metric_name) for v in r.violations if v.constraint_check_type == BIAS_DRIFT}
        for r in runs
    ]
    entries: dict[tuple[str, str], list[str]] = {}
    for facet, value, code in base:
        if fair_value(code) is not None:
            entries.setdefault((facet, value), []).append(code)
    found = []
    for (facet, value), codes in entries.items():
        panels = []
        for code in codes:
            key = (facet, value, code)
            values = [values.get(key) for values in per_run]
            panels.append((code, fair_value(code) or 0.0, base[key], values, [key in f for f in flagged]))
        title = f"{facet} = {value}"
        found.append({"title": title, "chart": figure_data_uri(charts.bias_chart(title, names, panels, tolerance))})
    return found


def _ndcg_chart(runs: list[MonitoringRun]) -> str:
    labels: list[str] = []
    for run in runs:
        labels += [d.label for d in run.attribution if d.label not in labels]
    if not labels:
        return ""
    series = {
        label: [next((d.ndcg for d in r.attribution if d.label == label), None) for r in runs] for label in labels
    }
    threshold = next(d.threshold for r in runs for d in r.attribution)
    return figure_data_uri(charts.ndcg_chart([_run_name(r) for r in runs], series, threshold))


def _shown_path(data: str, root: Path) -> str:
    """A local data path relative to the monitoring folder's parent when it lies below it, else as given."""
    if "://" in data:
        return data
    try:
        return str(Path(data).resolve().relative_to(root.resolve().parent))
    except ValueError:
        return data


def _rows(runs: list[MonitoringRun], root: Path) -> tuple[list[RunRow], list[ViolationRow]]:
    run_rows, violation_rows = [], []
    for run in runs:
        ndcg = ", ".join(f"{d.label} {d.ndcg:.3f}" for d in run.attribution) or "n/a"
        data = _shown_path(run.data, root)
        run_rows.append(RunRow(run.run_id, run.time, run.window or "", data, run.status, len(run.violations), ndcg))
        for v in run.violations:
            where = v.label if v.label is not None else f"{v.facet} = {v.facet_value}"
            violation_rows.append(
                ViolationRow(
                    _run_name(run), v.constraint_check_type, str(where), v.metric_name,
                    format_value(v.baseline, 4), format_value(v.current, 4), v.description,
                )
            )  # fmt: skip
    return run_rows, violation_rows


def render_html(monitor_dir: str | Path, title: str = "Model monitoring") -> str:
    """The monitoring report page for ``monitor_dir`` as one HTML string."""
    root = Path(monitor_dir)
    runs = list_runs(root)
    if not runs:
        raise OutputError(f"{root}: no monitoring runs yet (run `clarion monitor run` first)")
    baseline = (
        read_analysis(root / BASELINE_DIR) if (root / BASELINE_DIR).is_dir() else read_analysis(runs[-1].baseline)
    )
    run_rows, violation_rows = _rows(runs, root)
    codes = sorted({code for (_, _, code) in bias_values(baseline) if code.upper() in METRICS})
    return (
        template_environment(TEMPLATES)
        .get_template("monitor.html.j2")
        .render(
            title=title,
            runs=run_rows,
            violations=violation_rows,
            n_violating=sum(1 for r in runs if r.violations),
            threshold=next((d.threshold for r in runs for d in r.attribution), None),
            ndcg_chart=_ndcg_chart(runs),
            bias_charts=_bias_charts(runs, baseline, runs[-1].bias_tolerance),
            bias_tolerance=runs[-1].bias_tolerance,
            guide=[(c, METRICS[c].name, format_value(METRICS[c].fair, 0)) for c in codes],
        )
    )


def render_monitoring_report(
    monitor_dir: str | Path, *, title: str = "Model monitoring", formats: Iterable[str] = FORMATS
) -> list[Path]:
    """Write ``monitoring_report.html`` / ``.pdf`` into ``monitor_dir`` (atomically); return the paths."""
    wanted = [f.lower().lstrip(".") for f in formats]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(f"formats: unknown format {unknown[0]!r}; expected some of {', '.join(FORMATS)}")
    root = Path(monitor_dir)
    html = render_html(root, title)
    written = []
    for fmt in dict.fromkeys(wanted):
        data = html.encode("utf-8") if fmt == "html" else html_to_pdf(html, root)
        written.append(write_atomic(root / f"{REPORT_NAME}.{fmt}", data))
    return written
