"""The ``clarion`` command line: a thin layer over the Python API.

Every ClarionError becomes one line on stderr and exit code 1 (a traceback only with ``--debug``);
Ctrl-C exits with 130; usage errors exit with 2.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import click
import typer

from clarion.data.options import DEFAULT_CHUNK_ROWS
from clarion.errors import ClarionError
from clarion.monitor.cli import check as monitor_check
from clarion.monitor.cli import monitor_app

app = typer.Typer(
    name="clarion",
    help="Run SageMaker Clarify analysis configs anywhere: bias metrics, SHAP, partial dependence, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering with rich costs more start-up time than the rest of the CLI
)

_state = {"debug": False}

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback on error.")]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Use this model instead of the config's (SageMaker names included): a model file, "
        "'package.module:function' or an http:// URL",
    ),
]


Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Processes explaining rows with a model that runs in this process (default: every core; "
        "1: this process only). Values are the same for any count; HTTP and SageMaker models stay here.",
    ),
]


def _options(quiet: bool, debug: bool) -> None:
    from clarion.progress import set_quiet

    set_quiet(quiet)
    _state["debug"] = _state["debug"] or debug


@app.command()
def run(
    config: Annotated[str, typer.Argument(help="analysis_config.json (path or URI)")],
    output: Annotated[str, typer.Option("--output", "-o", help="Output folder: a path or URI (s3://, gs://, ...)")],
    data: Annotated[
        str | None, typer.Option("--data", "-d", help="Dataset (default: the config's dataset_uri)")
    ] = None,
    engine: Annotated[str, typer.Option(help="local or spark")] = "local",
    spark_master: Annotated[str | None, typer.Option(help="Spark master URL, e.g. local[2]")] = None,
    model: Model = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read and explained at a time")] = DEFAULT_CHUNK_ROWS,
    resume: Annotated[
        bool, typer.Option(help="Continue the Kernel SHAP pass of an interrupted run of the same config and data")
    ] = False,
    workers: Workers = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Run the analysis of CONFIG on the dataset and write analysis.json (and reports) to --output."""
    _options(quiet, debug)
    from clarion.engine import run_analysis
    from clarion.results import layout, location

    run_analysis(
        config,
        data_uri=data,
        output_dir=output,
        engine=engine,
        spark_master=spark_master,
        model=model,
        chunk_rows=chunk_rows,
        resume=resume,
        workers=workers,
    )
    if not quiet:
        typer.echo(f"Wrote {location(output).display(layout.ANALYSIS_FILE)}", err=True)


@app.command()
def validate(
    config: Annotated[str, typer.Argument(help="analysis_config.json (path or URI)")],
    model: Model = None,
    debug: Debug = False,
) -> None:
    """Check CONFIG against Clarify's schema and clarion's rules, and whether it can run here; print a summary."""
    _options(True, debug)
    from clarion.config import load_config
    from clarion.engine.core import header_roles
    from clarion.engine.plan import describe_methods, make_plan
    from clarion.errors import ConfigError
    from clarion.predictors.binding import bind_model

    parsed = bind_model(load_config(config), model)
    plan = make_plan(parsed, parsed.dataset_uri or "(given with --data)")
    header_roles(plan)  # column references against headers, features left for the model
    if plan.needs_model:
        # Only a config that calls a model pays for the transports' imports (httpx, boto3, pandas).
        from clarion.predictors.readiness import readiness

        problem = readiness(parsed, needs_model=True)
        if problem is not None:
            raise ConfigError(f"{config}: valid, but cannot run here: {problem}")
    typer.echo(f"{config}: valid ({parsed.dataset_type}; {describe_methods(parsed)})")


@app.command()
def config(
    headers: Annotated[str, typer.Option(help="Column names, comma-separated (label included)")],
    label: Annotated[str | None, typer.Option(help="Label column")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="SHAP baseline: a header-less CSV file/URI, or inline rows 'a,b;c,d'")
    ] = None,
    num_clusters: Annotated[int | None, typer.Option(help="Baseline by clustering the data into N rows")] = None,
    num_samples: Annotated[int | None, typer.Option(help="SHAP coalitions per row")] = None,
    agg_method: Annotated[str, typer.Option(help="mean_abs, median or mean_sq")] = "mean_abs",
    save_local_shap_values: Annotated[
        bool, typer.Option("--save-local-shap-values/--no-save-local-shap-values", help="Write out.csv")
    ] = True,
    seed: Annotated[int | None, typer.Option(help="SHAP random seed")] = None,
    bare_feature_names: Annotated[
        bool, typer.Option(help="out.csv columns named by bare feature names (one-output models), as older Clarify")
    ] = False,
    model: Annotated[str | None, typer.Option(help="Model file (predictor.model_uri)")] = None,
    shadow: Annotated[bool, typer.Option(help="Serve --model with clarion serve during the run")] = False,
    endpoint_url: Annotated[str | None, typer.Option(help="URL of a running model server")] = None,
    content_type: Annotated[str | None, typer.Option(help="Request format, e.g. text/csv")] = None,
    accept_type: Annotated[str | None, typer.Option(help="Response format, e.g. text/csv")] = None,
    probability: Annotated[str | None, typer.Option(help="Index or JMESPath of the score in the response")] = None,
    dataset: Annotated[str | None, typer.Option(help="dataset_uri")] = None,
    dataset_type: Annotated[str, typer.Option(help="text/csv, application/jsonlines, ...")] = "text/csv",
    report_name: Annotated[str | None, typer.Option(help="Report file name")] = None,
    title: Annotated[str | None, typer.Option(help="Report title")] = None,
    pre_training: Annotated[
        str | None, typer.Option(help="Pre-training bias metrics: 'all' or codes such as 'CI,DPL'")
    ] = None,
    post_training: Annotated[
        str | None, typer.Option(help="Post-training bias metrics: 'all' or codes such as 'DPPL,DI'")
    ] = None,
    facet: Annotated[
        list[str] | None,
        typer.Option(help="Facet COLUMN=VALUES (sensitive values or a threshold) or COLUMN (each value); repeatable"),
    ] = None,
    label_values: Annotated[
        str | None, typer.Option(help="Positive label values, comma-separated, or one threshold")
    ] = None,
    group: Annotated[str | None, typer.Option(help="Group variable (for CDDL / CDDPL)")] = None,
    predicted_label: Annotated[str | None, typer.Option(help="Column of predicted labels in the dataset")] = None,
    probability_threshold: Annotated[
        float | None, typer.Option(help="Scores above it are the positive predicted label (default 0.5)")
    ] = None,
    shap: Annotated[
        bool | None,
        typer.Option("--shap/--no-shap", help="SHAP (default: when a SHAP flag is given or no other method)"),
    ] = None,
    use_logit: Annotated[bool, typer.Option(help="SHAP values in log-odds")] = False,
    pdp_features: Annotated[str | None, typer.Option(help="PDP features, comma-separated")] = None,
    grid_resolution: Annotated[int | None, typer.Option(help="PDP buckets for numeric features (default 15)")] = None,
    top_k_features: Annotated[
        int | None, typer.Option(help="PDP on the top K SHAP features when --pdp-features is absent (default 10)")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write here (default: stdout)")] = None,
    debug: Debug = False,
) -> None:
    """Write an analysis_config.json (bias, SHAP, PDP, report) built from these flags, checked as `clarion validate`
    checks a config."""
    _options(True, debug)
    from clarion.config_builder import (
        ConfigRequest,
        build_config,
        parse_baseline,
        parse_facet,
        parse_headers,
        parse_methods,
        parse_values,
        write_config,
    )

    request = ConfigRequest(
        headers=parse_headers(headers),
        label=label,
        dataset_uri=dataset,
        dataset_type=dataset_type,
        baseline=parse_baseline(baseline) if baseline is not None else None,
        num_clusters=num_clusters,
        num_samples=num_samples,
        agg_method=agg_method,
        save_local_shap_values=save_local_shap_values,
        seed=seed,
        model=model,
        shadow=shadow,
        endpoint_url=endpoint_url,
        content_type=content_type,
        accept_type=accept_type,
        probability=int(probability) if probability is not None and probability.isdigit() else probability,
        report_name=report_name,
        report_title=title,
        bare_feature_names=bare_feature_names,
        pre_training=parse_methods(pre_training, "--pre-training") if pre_training is not None else None,
        post_training=parse_methods(post_training, "--post-training") if post_training is not None else None,
        label_values=parse_values(label_values, "--label-values") if label_values is not None else None,
        facets=tuple(parse_facet(text) for text in facet or ()),
        group=group,
        predicted_label=predicted_label,
        probability_threshold=probability_threshold,
        shap=shap,
        use_logit=use_logit,
        pdp_features=tuple(name.strip() for name in pdp_features.split(",")) if pdp_features is not None else None,
        grid_resolution=grid_resolution,
        top_k_features=top_k_features,
    )
    text = write_config(build_config(request), output)
    if output is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Wrote {output}", err=True)


@app.command()
def job(
    root: Annotated[str, typer.Option(help="Root of the processing-job layout")] = "/opt/ml",
    allow_code: Annotated[
        bool,
        typer.Option(
            "--allow-code",
            help="Run serve_command, model_callable and pickle model files the config names (or CLARION_ALLOW_CODE=1)",
        ),
    ] = False,
    workers: Workers = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Processing-job mode: read ROOT/processing/input/{config,data}, write ROOT/processing/output."""
    _options(quiet, debug)
    from clarion.job import run_job

    code = run_job(Path(root), allow_code=allow_code, workers=workers)
    if code:
        raise typer.Exit(code)


@app.command()
def serve(
    model: Annotated[str, typer.Argument(help="Model file (joblib/pickle, XGBoost, LightGBM)")],
    port: Annotated[int, typer.Option(help="Port")] = 8080,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    debug: Debug = False,
) -> None:
    """Serve MODEL with the SageMaker container contract (GET /ping, POST /invocations)."""
    _options(True, debug)
    from clarion.serve import run_server

    run_server(model, host=host, port=port)


@app.command()
def report(
    analysis_dir: Annotated[str, typer.Argument(help="Directory holding analysis.json")],
    name: Annotated[str | None, typer.Option(help="Report file name (default: from the config, else 'report')")] = None,
    title: Annotated[str | None, typer.Option(help="Report title")] = None,
    debug: Debug = False,
) -> None:
    """Re-render report.html, report.pdf and report.ipynb from an existing output directory."""
    _options(True, debug)
    from clarion.report.render import rerender_reports

    for path in rerender_reports(analysis_dir, name=name, title=title):
        typer.echo(str(path))


@app.command()
def card(
    analysis_dir: Annotated[str, typer.Argument(help="Directory holding analysis.json")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="Where to write (default: ANALYSIS_DIR)")] = None,
    debug: Debug = False,
) -> None:
    """Write a model-card summary (Markdown and JSON) of bias findings and top features."""
    _options(True, debug)
    from clarion.card import write_card

    for path in write_card(analysis_dir, output_dir=output):
        typer.echo(str(path))


# Monitoring: `clarion monitor baseline|run|report` and the pipeline gate `clarion check`.
app.add_typer(monitor_app, name="monitor")
app.command(name="check")(monitor_check)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in args
    try:
        result = app(args=args, standalone_mode=False)
    except ClarionError as exc:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"clarion: error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo("clarion: interrupted", err=True)
        return 130
    except (typer.Exit, click.exceptions.Exit) as exc:
        return exc.exit_code
    except (typer.Abort, click.exceptions.Abort):
        typer.echo("clarion: interrupted", err=True)
        return 130
    except Exception as exc:  # usage errors (click's, possibly vendored by typer), or an unexpected failure
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            return exit_code
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"clarion: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        return 1
    if result == 130:  # typer answers Ctrl-C by returning 130 when not in standalone mode
        typer.echo("clarion: interrupted", err=True)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
