"""Reading an analysis config: JSON text or a dict in, a validated AnalysisConfig out, or a ConfigError.

Errors name the key path and the value: ``methods.shap.num_samples: expected a positive integer, got -3``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clarion.config.columns import resolve
from clarion.config.model import AnalysisConfig
from clarion.errors import ConfigError

TABULAR_TYPES = ("text/csv", "application/x-parquet")


def config_text(raw: dict[str, Any]) -> str:
    """The config as the SageMaker SDK uploads it: ``json.dump`` with default separators, no indent, no newline.

    Keys keep their order and values their form ("all" stays "all"; nothing is added or sorted).
    """
    return json.dumps(raw)


def load_config(source: str | Path | dict[str, Any]) -> AnalysisConfig:
    """Parse and validate a config given as a dict, a local path or an fsspec URI."""
    return load_config_and_raw(source)[0]


def load_config_and_raw(source: str | Path | dict[str, Any]) -> tuple[AnalysisConfig, dict[str, Any]]:
    """The validated config and the JSON object it was read from (to save the config as given)."""
    if isinstance(source, dict):
        raw = source
        where = "config"
    else:
        where = str(source)
        raw = _read_json(where)
    try:
        config = AnalysisConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc, where)) from None
    check_columns(config)
    return config, raw


def _read_json(uri: str) -> Any:
    try:
        text = _read_text(uri)
    except FileNotFoundError:
        raise ConfigError(f"{uri}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{uri}: cannot read config: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{uri}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{uri}: expected a JSON object at the top level, got {type(raw).__name__}")
    return raw


def _read_text(uri: str) -> str:
    """A local file directly, a URI through fsspec (imported only then: ``clarion validate`` starts fast)."""
    if "://" not in uri:
        return Path(uri).read_text(encoding="utf-8")
    import fsspec

    with fsspec.open(uri, "rt", encoding="utf-8") as handle:
        return handle.read()


def _format_path(loc: tuple[Any, ...]) -> str:
    """('methods', 'shap', 'baseline', 0) -> 'methods.shap.baseline[0]'; union branch names are dropped."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif isinstance(item, str) and not _is_type_tag(item):
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _is_type_tag(item: str) -> bool:
    # pydantic adds the union member tried ('str', 'int', 'list[...]', 'function-before[...]') to locations
    return item in {"str", "int", "float", "bool", "dict", "list"} or "[" in item or item.startswith("function-")


def _first_error(exc: ValidationError, where: str) -> str:
    errors = exc.errors()
    # prefer the most specific error (longest location), which is the branch the user meant in a union
    error = max(errors, key=lambda e: len([p for p in e["loc"] if not (isinstance(p, str) and _is_type_tag(p))]))
    path = _format_path(tuple(error["loc"]))
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return f"{path}: unknown key (value {_short(value)})"
    if kind == "missing":
        return f"{path}: required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if ":" in message and not path:
        return message
    if kind.endswith("_type") or kind.startswith("int_") or kind.startswith("string_") or kind.startswith("bool_"):
        message = f"{message}, got {_short(value)}"
    return f"{path}: {message}" if path else message


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_columns(config: AnalysisConfig) -> None:
    """Columns named by the config must exist in ``headers`` (tabular data with headers given)."""
    headers = config.headers
    if headers is None or config.dataset_type not in TABULAR_TYPES:
        return
    refs: list[tuple[str, Any]] = [
        ("label", config.label),
        ("predicted_label", config.predicted_label if config.predicted_label_dataset_uri is None else None),
        ("group_variable", config.group_variable),
        ("joinsource_name_or_index", config.joinsource_name_or_index),
    ]
    if config.facet_dataset_uri is None:
        refs += [(f"facet[{i}].name_or_index", f.name_or_index) for i, f in enumerate(config.facet or [])]
    refs += [(f"excluded_columns[{i}]", c) for i, c in enumerate(config.excluded_columns or [])]
    for path, ref in refs:
        resolve(ref, headers, path, "headers")
