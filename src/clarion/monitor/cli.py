"""``clarion monitor baseline|run|report`` and ``clarion check`` (the pipeline gate).

``clarion check`` exits 0 when the run meets its baseline, 3 when it has violations, 1 on an error
(usage errors exit 2, as every clarion command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

monitor_app = typer.Typer(
    name="monitor",
    help="Monitor a model: keep a baseline, check new data against it, report drift over time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Config = Annotated[str, typer.Argument(help="analysis_config.json (path or URI)")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback on error.")]
Threshold = Annotated[float, typer.Option(help="NDCG below this is a feature-attribution drift violation")]
Tolerance = Annotated[
    float, typer.Option(help="Allowed growth of a bias metric's distance from fair (0: Model Monitor's rule)")
]
Skip = Annotated[
    list[str] | None,
    typer.Option("--skip-check", help="feature_attribution_drift_check or bias_drift_check (repeatable)"),
]


def _quiet(quiet: bool) -> None:
    from clarion.progress import set_quiet

    set_quiet(quiet)


def _options(threshold: float, tolerance: float, skip: list[str] | None):  # noqa: ANN202 - CheckOptions
    from clarion.monitor.violations import CheckOptions

    return CheckOptions(threshold=threshold, bias_tolerance=tolerance, skip=frozenset(skip or ()))


@monitor_app.command()
def baseline(
    config: Config,
    output: Annotated[str, typer.Option("--output", "-o", help="Monitoring folder (the baseline goes in baseline/)")],
    data: Annotated[str | None, typer.Option("--data", "-d", help="Dataset (default: the config's)")] = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Run CONFIG and keep the result as the baseline of the monitoring folder --output."""
    _quiet(quiet)
    from clarion.monitor.runs import suggest_baseline

    path = suggest_baseline(config, output, data)
    typer.echo(str(path))


@monitor_app.command()
def run(
    config: Config,
    data: Annotated[str, typer.Option("--data", "-d", help="New data: a dataset or data-capture files")],
    baseline: Annotated[
        str | None, typer.Option(help="Baseline analysis.json (default: OUTPUT/baseline/analysis.json)")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Monitoring folder (default: the baseline's parent folder)")
    ] = None,
    ground_truth: Annotated[
        str | None, typer.Option(help="Ground-truth labels for data-capture files (merged by event id)")
    ] = None,
    window: Annotated[str | None, typer.Option(help="A name for this window in the report")] = None,
    threshold: Threshold = 0.9,
    bias_tolerance: Tolerance = 0.0,
    skip_check: Skip = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Analyse new data with CONFIG, write constraint_violations.json beside the outputs; exit 0 (a run with
    violations is still a completed run; gate with `clarion check`)."""
    _quiet(quiet)
    from clarion.errors import ConfigError
    from clarion.monitor.runs import ANALYSIS_FILE, BASELINE_DIR, monitor

    if output is None:
        if baseline is None:
            raise ConfigError("--output: give the monitoring folder (or --baseline inside one)")
        folder = Path(baseline)
        folder = folder.parent if folder.name == ANALYSIS_FILE else folder
        output = str(folder.parent if folder.name == BASELINE_DIR else folder)
    result = monitor(
        config,
        data,
        output,
        baseline=baseline,
        ground_truth_uri=ground_truth,
        window=window,
        options=_options(threshold, bias_tolerance, skip_check),
    )
    typer.echo(f"{result.path}: {result.status}, {len(result.violations)} violation(s)")


@monitor_app.command()
def report(
    monitor_dir: Annotated[str, typer.Argument(help="Monitoring folder")],
    title: Annotated[str, typer.Option(help="Report title")] = "Model monitoring",
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the PDF")] = True,
    debug: Debug = False,
) -> None:
    """Write monitoring_report.html (and .pdf): every run, NDCG and bias metrics over time, violations."""
    from clarion.monitor.report import render_monitoring_report

    for path in render_monitoring_report(monitor_dir, title=title, formats=("html", "pdf") if pdf else ("html",)):
        typer.echo(str(path))


def check(
    run: Annotated[str, typer.Argument(help="The run: its output folder or analysis.json")],
    baseline: Annotated[str, typer.Option(help="Baseline analysis.json (or its folder)")],
    threshold: Threshold = 0.9,
    bias_tolerance: Tolerance = 0.0,
    skip_check: Skip = None,
    register_new_baseline: Annotated[bool, typer.Option(help="Make RUN the new baseline when the gate passes")] = False,
    debug: Debug = False,
) -> None:
    """Gate a pipeline on RUN against its baseline: exit 0 clean, 3 violations, 1 error.

    Writes RUN's constraint_violations.json and prints one line per violation."""
    from clarion.monitor.gate import check_run

    result = check_run(
        run, baseline, _options(threshold, bias_tolerance, skip_check), register_new_baseline=register_new_baseline
    )
    for v in result.violations:
        where = v.label if v.label is not None else f"{v.facet}={v.facet_value}"
        typer.echo(f"{v.constraint_check_type} {where} {v.metric_name}: {v.description}")
    summary = f"{len(result.violations)} violation(s); wrote {result.violations_file}"
    if result.registered:
        summary += f"; registered {result.current} as the new baseline"
    typer.echo(summary, err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)
