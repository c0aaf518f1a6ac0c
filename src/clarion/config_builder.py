"""Build a SHAP ``analysis_config.json`` from a few flags (the ``clarion config`` command).

The document has the shape Clarify's SDK writes for an explainability run::

    {"dataset_type", "headers", "label", "dataset_uri"?,
     "predictor": {"model_uri" | "endpoint_url", "shadow"?, "content_type"?, "accept_type"?, "probability"?},
     "methods": {"shap": {"baseline"?, "num_samples"?, "agg_method", "save_local_shap_values", "seed"?},
                 "report"?: {"name", "title"}}}

Keys are written only for the values given (except ``agg_method`` and ``save_local_shap_values``, which are
always written so the file says what it asks for). The result is checked with :func:`clarion.config.load_config`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarion.config import load_config
from clarion.errors import ConfigError, OutputError

AGG_METHODS = ("mean_abs", "median", "mean_sq")
Row = list[str | int | float]


@dataclass(frozen=True)
class ShapConfigRequest:
    """What ``clarion config`` was asked for.

    ``baseline``: a file path / URI (kept as given), or inline rows (lists of feature values).
    ``model``: a model file (``predictor.model_uri``; with ``shadow`` it is served by ``clarion serve``).
    ``endpoint_url``: a running server speaking the container contract (instead of ``model``).
    """

    headers: tuple[str, ...]
    label: str | None = None
    dataset_uri: str | None = None
    dataset_type: str = "text/csv"
    baseline: str | tuple[Row, ...] | None = None
    num_clusters: int | None = None
    num_samples: int | None = None
    agg_method: str = "mean_abs"
    save_local_shap_values: bool = True
    seed: int | None = None
    model: str | None = None
    shadow: bool = False
    endpoint_url: str | None = None
    content_type: str | None = None
    accept_type: str | None = None
    probability: str | int | None = None
    report_name: str | None = None
    report_title: str | None = None
    bare_feature_names: bool = False


def parse_headers(text: str) -> tuple[str, ...]:
    """``"Sex,Length,Whole weight"`` -> the column names (CSV quoting allowed; spaces inside names kept)."""
    rows = list(csv.reader(io.StringIO(text.strip()), skipinitialspace=True))
    names = tuple(name.strip() for name in rows[0]) if len(rows) == 1 else ()
    if not names or any(not name for name in names):
        raise ConfigError(f"--headers: expected comma-separated column names, got {text!r}")
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(f"--headers: duplicate column names {duplicates}")
    return names


def _value(field: str) -> str | int | float:
    """A CSV field as int, else float, else the stripped string."""
    text = field.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_baseline(text: str) -> str | tuple[Row, ...]:
    """``--baseline``: inline rows when the text holds a comma (rows separated by ``;`` or new lines,
    numbers read as numbers), else a file path or URI kept exactly as given."""
    if "," not in text:
        if not text.strip():
            raise ConfigError("--baseline: expected a file or inline rows such as 'M,0.5,0.4'")
        return text
    lines = [line for line in text.replace(";", "\n").splitlines() if line.strip()]
    rows = tuple([_value(field) for field in fields] for fields in csv.reader(lines))
    if len({len(row) for row in rows}) != 1:
        raise ConfigError(f"--baseline: inline rows have different lengths {sorted({len(r) for r in rows})}")
    return rows


def build_shap_config(request: ShapConfigRequest) -> dict[str, Any]:
    """The analysis config (a JSON-ready dict) for ``request``; raises ConfigError naming the flag at fault."""
    headers = list(request.headers)
    if request.label is not None and headers and request.label not in headers:
        raise ConfigError(f"--label: {request.label!r} is not one of --headers")
    if request.agg_method not in AGG_METHODS:
        raise ConfigError(f"--agg-method: expected one of {', '.join(AGG_METHODS)}, got {request.agg_method!r}")
    if request.model is not None and request.endpoint_url is not None:
        raise ConfigError("--model and --endpoint-url: give only one")
    if request.shadow and request.model is None:
        raise ConfigError("--shadow: needs --model (the model file to serve)")
    if request.baseline is not None and request.num_clusters is not None:
        raise ConfigError("--baseline and --num-clusters: give only one")
    if isinstance(request.baseline, tuple) and headers:
        width = len(headers) - (1 if request.label is not None else 0)
        bad = [len(row) for row in request.baseline if len(row) != width]
        if bad:
            raise ConfigError(f"--baseline: expected {width} feature values per row, got {bad[0]}")

    config: dict[str, Any] = {"dataset_type": request.dataset_type}
    if request.dataset_uri is not None:
        config["dataset_uri"] = request.dataset_uri
    if headers:
        config["headers"] = headers
    if request.label is not None:
        config["label"] = request.label

    predictor: dict[str, Any] = {}
    if request.model is not None:
        predictor["model_uri"] = request.model
        if request.shadow:
            predictor["shadow"] = True
    if request.endpoint_url is not None:
        predictor["endpoint_url"] = request.endpoint_url
    for key in ("content_type", "accept_type", "probability"):
        if getattr(request, key) is not None:
            predictor[key] = getattr(request, key)
    if predictor:
        config["predictor"] = predictor

    shap: dict[str, Any] = {}
    if isinstance(request.baseline, tuple):
        shap["baseline"] = [list(row) for row in request.baseline]
    elif request.baseline is not None:
        shap["baseline"] = request.baseline
    if request.num_clusters is not None:
        shap["num_clusters"] = request.num_clusters
    if request.num_samples is not None:
        shap["num_samples"] = request.num_samples
    shap["agg_method"] = request.agg_method
    shap["save_local_shap_values"] = request.save_local_shap_values
    if request.seed is not None:
        shap["seed"] = request.seed
    if request.bare_feature_names:
        shap["bare_feature_names"] = True
    methods: dict[str, Any] = {"shap": shap}
    if request.report_name is not None or request.report_title is not None:
        report: dict[str, Any] = {"name": request.report_name or "report"}
        if request.report_title is not None:
            report["title"] = request.report_title
        methods["report"] = report
    config["methods"] = methods

    load_config(config)  # the same checks a run makes; raises ConfigError with the key path
    return config


def write_config(config: dict[str, Any], output: str | Path | None) -> str:
    """Write ``config`` as indented JSON to ``output`` (parents created); return the text."""
    text = json.dumps(config, indent=2) + "\n"
    if output is not None:
        path = Path(output)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the analysis config: {exc.strerror or exc}") from None
    return text
