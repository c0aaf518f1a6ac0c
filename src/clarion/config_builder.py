"""Build an ``analysis_config.json`` from flags (the ``clarion config`` command).

The document has the shape Clarify's SDK writes::

    {"dataset_type", "dataset_uri"?, "headers", "label",
     "label_values_or_threshold"?, "facet"?, "group_variable"?, "predicted_label"?,
     "predictor"?: {"model_uri" | "endpoint_url", "shadow"?, "content_type"?, "accept_type"?, "probability"?},
     "probability_threshold"?,
     "methods": {"pre_training_bias"?: {"methods"}, "post_training_bias"?: {"methods"},
                 "shap"?: {"baseline"?, "num_clusters"?, "num_samples"?, "agg_method", "use_logit"?,
                           "save_local_shap_values", "seed"?},
                 "pdp"?: {"grid_resolution", "features"?, "top_k_features"}, "report"?: {"name", "title"}}}

Which methods: bias stages from ``pre_training`` / ``post_training`` ("all" or metric codes); SHAP when asked
(``shap``), when a SHAP setting is given, or when nothing else is; PDP when a PDP setting is given. Keys are
written only for the values given (except ``agg_method`` and ``save_local_shap_values`` in SHAP, and
``grid_resolution`` / ``top_k_features`` in PDP with the SDK's defaults 15 and 10, which are always written so
the file says what it asks for). The result is checked as ``clarion validate`` checks a config: the schema, the
column references against ``headers``, and that a model is named when a method calls one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clarion.config import PredictorConfig, load_config
from clarion.engine.core.spec import header_roles
from clarion.engine.plan import make_plan
from clarion.errors import ConfigError, OutputError

AGG_METHODS = ("mean_abs", "median", "mean_sq")
PDP_GRID_RESOLUTION = 15  # the SDK's PDPConfig defaults
PDP_TOP_K_FEATURES = 10
Scalar = str | int | float
Row = list[Scalar]


@dataclass(frozen=True)
class ConfigRequest:
    """What ``clarion config`` was asked for.

    ``baseline``: a file path / URI (kept as given), or inline rows (lists of feature values).
    ``model``: a model file (``predictor.model_uri``; with ``shadow`` it is served by ``clarion serve``).
    ``endpoint_url``: a running server speaking the container contract (instead of ``model``).
    ``pre_training`` / ``post_training``: "all" or metric codes (``("CI", "DPL")``); None = not run.
    ``facets``: (column, sensitive values or threshold, or None for each value in turn) per facet.
    ``shap``: True / False to ask for SHAP or not; None = when a SHAP setting is given or nothing else is.
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
    pre_training: str | tuple[str, ...] | None = None
    post_training: str | tuple[str, ...] | None = None
    label_values: tuple[Scalar, ...] | None = None
    facets: tuple[tuple[str, tuple[Scalar, ...] | None], ...] = ()
    group: str | None = None
    predicted_label: str | None = None
    probability_threshold: float | None = None
    shap: bool | None = None
    use_logit: bool = False
    pdp_features: tuple[str, ...] | None = None
    grid_resolution: int | None = None
    top_k_features: int | None = None

    @property
    def wants_shap(self) -> bool:
        if self.shap is not None:
            return self.shap
        settings = (self.baseline, self.num_clusters, self.num_samples, self.seed)
        if any(v is not None for v in settings) or self.use_logit or self.bare_feature_names:
            return True
        return not (self.pre_training or self.post_training or self.wants_pdp)

    @property
    def wants_pdp(self) -> bool:
        return any(v is not None for v in (self.pdp_features, self.grid_resolution, self.top_k_features))


ShapConfigRequest = ConfigRequest  # the name of the SHAP-only first version


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


def parse_values(text: str, flag: str) -> tuple[Scalar, ...]:
    """``"1"`` / ``">50K,<=50K"`` -> values, numbers read as numbers (CSV quoting allowed)."""
    rows = list(csv.reader([text], skipinitialspace=True)) if text.strip() else []
    values = tuple(_value(field) for field in rows[0]) if rows else ()
    if not values or any(v == "" for v in values):
        raise ConfigError(f"{flag}: expected comma-separated values, got {text!r}")
    return values


def parse_facet(text: str) -> tuple[str, tuple[Scalar, ...] | None]:
    """``--facet``: ``"Sex=0"`` (sensitive values or a threshold after ``=``), or ``"Race"`` (each value in turn)."""
    name, sep, values = text.partition("=")
    if not name.strip():
        raise ConfigError(f"--facet: expected COLUMN or COLUMN=VALUES, got {text!r}")
    return name.strip(), parse_values(values, "--facet") if sep else None


def parse_methods(text: str, flag: str) -> str | tuple[str, ...]:
    """``"all"`` or metric codes such as ``"CI,DPL"`` (kept as written; the config checks the codes)."""
    if text.strip().lower() == "all":
        return text.strip()
    codes = tuple(code.strip() for code in text.split(",") if code.strip())
    if not codes:
        raise ConfigError(f"{flag}: expected 'all' or metric codes such as 'CI,DPL', got {text!r}")
    return codes


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


def build_config(request: ConfigRequest) -> dict[str, Any]:
    """The analysis config (a JSON-ready dict) for ``request``; raises ConfigError naming the flag at fault."""
    headers = list(request.headers)
    _check(request, headers)

    config: dict[str, Any] = {"dataset_type": request.dataset_type}
    if request.dataset_uri is not None:
        config["dataset_uri"] = request.dataset_uri
    if headers:
        config["headers"] = headers
    if request.label is not None:
        config["label"] = request.label
    bias = request.pre_training is not None or request.post_training is not None
    if bias:
        config["label_values_or_threshold"] = list(request.label_values or ())
        config["facet"] = [
            {"name_or_index": name, **({} if values is None else {"value_or_threshold": list(values)})}
            for name, values in request.facets
        ]
        if request.group is not None:
            config["group_variable"] = request.group
    if request.predicted_label is not None:
        config["predicted_label"] = request.predicted_label

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
    if request.probability_threshold is not None:
        config["probability_threshold"] = float(request.probability_threshold)

    methods: dict[str, Any] = {}
    for key, selected in (("pre_training_bias", request.pre_training), ("post_training_bias", request.post_training)):
        if selected is not None:
            methods[key] = {"methods": selected if isinstance(selected, str) else list(selected)}
    if request.wants_shap:
        methods["shap"] = _shap_section(request)
    if request.wants_pdp:
        pdp: dict[str, Any] = {"grid_resolution": request.grid_resolution or PDP_GRID_RESOLUTION}
        if request.pdp_features is not None:
            pdp["features"] = list(request.pdp_features)
        pdp["top_k_features"] = request.top_k_features or PDP_TOP_K_FEATURES
        methods["pdp"] = pdp
    if request.report_name is not None or request.report_title is not None:
        report: dict[str, Any] = {"name": request.report_name or "report"}
        if request.report_title is not None:
            report["title"] = request.report_title
        methods["report"] = report
    config["methods"] = methods

    _validate(config)
    return config


build_shap_config = build_config  # the name of the SHAP-only first version


def _check(request: ConfigRequest, headers: list[str]) -> None:
    """Flag-level checks, so that errors name the flag rather than the config key it becomes."""
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
    if request.pre_training is not None or request.post_training is not None:
        for flag, value in (("--label", request.label), ("--label-values", request.label_values)):
            if not value:
                raise ConfigError(f"{flag}: required for bias metrics (--pre-training / --post-training)")
        if not request.facets:
            raise ConfigError("--facet: required for bias metrics (--pre-training / --post-training)")
    if request.wants_pdp and not request.wants_shap and not request.pdp_features:
        raise ConfigError("--pdp-features: required for PDP without SHAP (with SHAP, the top features are used)")


def _shap_section(request: ConfigRequest) -> dict[str, Any]:
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
    if request.use_logit:
        shap["use_logit"] = True
    shap["save_local_shap_values"] = request.save_local_shap_values
    if request.seed is not None:
        shap["seed"] = request.seed
    if request.bare_feature_names:
        shap["bare_feature_names"] = True
    return shap


def _validate(config: dict[str, Any]) -> None:
    """The checks ``clarion validate`` makes before a run: schema, plan, column references against headers.

    A config that names no model may still call one: ``clarion run --model`` gives it at run time.
    """
    parsed = load_config(config)  # raises ConfigError with the key path
    if parsed.predictor is None:
        parsed = parsed.model_copy(update={"predictor": PredictorConfig(model_uri="(given with clarion run --model)")})
    plan = make_plan(parsed, parsed.dataset_uri or "(given with --data)")
    header_roles(plan)


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
