"""Time-series datasets (``time_series_data_config``): items with a target series, related series and static covariates.

Every key of the config is a JMESPath expression evaluated on the whole JSON document:

- ``item_records``: each expression gives one entry per item; ``item_id`` and each static covariate a scalar,
  ``timestamp``, ``target_time_series`` and each related series a list over the item's time steps.
- ``timestamp_records`` and ``columns``: each expression gives one value per (item, time step) record, all lists of
  the same length; records are grouped by item id (items in order of first appearance, steps in record order).
  A static covariate must have one value across an item's records.

- column indices (the SDK's ``TimeSeriesDataConfig`` with int keys, which writes no ``dataset_format``): the
  document is a list of records, each a list of values; every key is a position in each record, and records are
  grouped by item as for ``timestamp_records``.

Missing values (``null``) in a series read as NaN; they keep their place (a JMESPath projection would drop them,
so nulls are searched as a marker value).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jmespath
import numpy as np

from clarion.config.model import TimeSeriesDataConfig
from clarion.data.sources import DataFile, open_text
from clarion.errors import ConfigError, DataError

KEY = "time_series_data_config"
_NULL = "\x00null\x00"


@dataclass(frozen=True)
class SeriesItem:
    """One item: ``series`` has shape (1 + related, steps), row 0 the target series."""

    item_id: Any
    timestamps: tuple[Any, ...]
    series: np.ndarray
    static_covariates: tuple[Any, ...]


def load_time_series(data_file: DataFile, config: TimeSeriesDataConfig) -> list[SeriesItem]:
    """Read one JSON file (possibly gzip compressed) into items."""
    with open_text(data_file) as handle:
        try:
            document = json.load(handle)
        except json.JSONDecodeError as exc:
            raise DataError(f"{data_file.name}: not a JSON document ({exc.msg} at line {exc.lineno})") from None
    return read_time_series(document, config, data_file.name)


def read_time_series(document: Any, config: TimeSeriesDataConfig, source: str) -> list[SeriesItem]:
    """Items of a parsed JSON document, by the config's dataset_format (or column indices)."""
    keys = _keys(config)
    if all(isinstance(k, int) and not isinstance(k, bool) for k in keys.values()):
        return _flat_records(_columns(document, keys, source), config, source)
    paths = _paths(keys, config)
    marked = _mark_nulls(document)
    values = {key: _unmark_nulls(_search(marked, key, path, source)) for key, path in paths.items()}
    if config.dataset_format == "item_records":
        return _item_records(values, config, source)
    return _flat_records(values, config, source)


def _keys(config: TimeSeriesDataConfig) -> dict[str, Any]:
    keys: dict[str, Any] = {
        "item_id": config.item_id,
        "timestamp": config.timestamp,
        "target_time_series": config.target_time_series,
    }
    keys |= {f"related_time_series[{i}]": p for i, p in enumerate(config.related_time_series or [])}
    keys |= {f"static_covariates[{i}]": p for i, p in enumerate(config.static_covariates or [])}
    return keys


def _paths(keys: dict[str, Any], config: TimeSeriesDataConfig) -> dict[str, str]:
    for key, path in keys.items():
        if not isinstance(path, str):
            raise ConfigError(f"{KEY}.{key}: JMESPath strings and column indices cannot be mixed")
    if config.dataset_format is None:
        raise DataError(f"{KEY}.dataset_format: required (columns, item_records or timestamp_records)")
    return keys


def _columns(document: Any, keys: dict[str, int], source: str) -> dict[str, list[Any]]:
    """Values by key of a list of list records, each key a position in every record."""
    if not isinstance(document, list):
        raise DataError(f"{source}: with column indices in {KEY} the document must be a list of records")
    width = max(keys.values()) + 1
    for number, record in enumerate(document):
        if not isinstance(record, list) or len(record) < width:
            raise DataError(f"{source}: record {number} is not a list of at least {width} values")
    return {key: [record[index] for record in document] for key, index in keys.items()}


def _search(document: Any, key: str, path: str, source: str) -> list[Any]:
    try:
        found = jmespath.search(path, document)
    except jmespath.exceptions.JMESPathError as exc:
        raise DataError(f"{KEY}.{key}: invalid JMESPath expression {path!r}: {exc}") from None
    if not isinstance(found, list):
        raise DataError(f"{source}: {KEY}.{key} ({path!r}) gives {type(found).__name__}, expected a list")
    return found


def _item_records(values: dict[str, list[Any]], config: TimeSeriesDataConfig, source: str) -> list[SeriesItem]:
    count = len(values["item_id"])
    _same_length(values, count, "items", source)
    related = len(config.related_time_series or [])
    static = len(config.static_covariates or [])
    items = []
    for i in range(count):
        item_id = values["item_id"][i]
        stamps = values["timestamp"][i]
        if not isinstance(stamps, list):
            raise DataError(f"{source}: item {item_id!r}: {KEY}.timestamp is not a list")
        rows = [values["target_time_series"][i]] + [values[f"related_time_series[{r}]"][i] for r in range(related)]
        keys = ["target_time_series"] + [f"related_time_series[{r}]" for r in range(related)]
        series = np.vstack(
            [_numbers(row, len(stamps), key, item_id, source) for row, key in zip(rows, keys, strict=True)]
        )
        covariates = tuple(values[f"static_covariates[{s}]"][i] for s in range(static))
        items.append(SeriesItem(item_id, tuple(stamps), series, covariates))
    return items


def _flat_records(values: dict[str, list[Any]], config: TimeSeriesDataConfig, source: str) -> list[SeriesItem]:
    _same_length(values, len(values["item_id"]), "records", source)
    related = len(config.related_time_series or [])
    static = len(config.static_covariates or [])
    groups: dict[Any, list[int]] = {}
    for position, item_id in enumerate(values["item_id"]):
        groups.setdefault(_hashable(item_id), []).append(position)
    items = []
    for rows in groups.values():
        item_id = values["item_id"][rows[0]]
        keys = ["target_time_series"] + [f"related_time_series[{r}]" for r in range(related)]
        series = np.vstack([_numbers([values[k][p] for p in rows], len(rows), k, item_id, source) for k in keys])
        covariates = []
        for s in range(static):
            seen = {json.dumps(values[f"static_covariates[{s}]"][p]) for p in rows}
            if len(seen) > 1:
                raise DataError(f"{source}: item {item_id!r}: {KEY}.static_covariates[{s}] differs between records")
            covariates.append(values[f"static_covariates[{s}]"][rows[0]])
        items.append(SeriesItem(item_id, tuple(values["timestamp"][p] for p in rows), series, tuple(covariates)))
    return items


def _same_length(values: dict[str, list[Any]], count: int, what: str, source: str) -> None:
    for key, found in values.items():
        if len(found) != count:
            raise DataError(f"{source}: {KEY}.{key} gives {len(found)} {what}, {KEY}.item_id gives {count}")


def _numbers(row: Any, steps: int, key: str, item_id: Any, source: str) -> np.ndarray:
    if not isinstance(row, Sequence) or isinstance(row, str):
        raise DataError(f"{source}: item {item_id!r}: {KEY}.{key} is not a list")
    if len(row) != steps:
        raise DataError(f"{source}: item {item_id!r}: {KEY}.{key} has {len(row)} values for {steps} timestamps")
    out = np.empty(steps)
    for i, v in enumerate(row):
        if v is None:
            out[i] = math.nan
        elif isinstance(v, bool) or not isinstance(v, int | float):
            raise DataError(f"{source}: item {item_id!r}: {KEY}.{key}[{i}] is {v!r}, expected a number")
        else:
            out[i] = float(v)
    return out


def _mark_nulls(value: Any) -> Any:
    if value is None:
        return _NULL
    if isinstance(value, list):
        return [_mark_nulls(v) for v in value]
    if isinstance(value, dict):
        return {k: _mark_nulls(v) for k, v in value.items()}
    return value


def _unmark_nulls(value: Any) -> Any:
    if isinstance(value, str) and value == _NULL:
        return None
    if isinstance(value, list):
        return [_unmark_nulls(v) for v in value]
    return value


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value
