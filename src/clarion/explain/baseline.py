"""The SHAP baseline (background rows) from ``methods.shap``: explicit rows, a file, or clusters of the data.

- ``baseline`` as a list: CSV-style rows are lists in feature order; JSON rows are objects, from
  which the config's ``features`` JMESPath extracts the feature values (a list in feature order, or
  an object keyed by feature name). A single object is one row.
- ``baseline`` as a string: a local path or fsspec URI; CSV without header holding the feature
  columns, or JSON Lines records (features by JMESPath) when the dataset is JSON Lines.
- ``num_clusters``: the data summarised into that many prototypes (k-means for numeric features,
  k-prototypes when any feature is categorical; see ``clustering``).
- neither: Clarify clusters the input with "an optimal number between 1 and 12"; clarion picks it by
  the elbow rule of ``clustering.default_num_clusters``.

Values are converted to the dataset's column types (numbers for numeric columns, strings otherwise).
The baseline used is written to ``explanations_shap/baseline.csv`` in the same header-less CSV
format that ``baseline`` accepts, so it can be fed back unchanged.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fsspec
import jmespath
import numpy as np
import pandas as pd

from clarion.config.methods import ShapConfig
from clarion.data.atomic import write_with
from clarion.errors import ConfigError, DataError
from clarion.explain.clustering import cluster_rows, default_num_clusters, is_numeric_column, prototypes

KEY = "methods.shap.baseline"


def baseline_from_config(
    shap_config: ShapConfig,
    data: pd.DataFrame,
    rng: np.random.Generator,
    *,
    features_expr: str | None = None,
    dataset_type: str = "text/csv",
) -> pd.DataFrame:
    """Baseline rows with the columns and column types of ``data`` (the feature columns of the dataset,
    or a sample of them, used for clustering and for the column types)."""
    spec = shap_config.baseline
    if spec is None:
        k = shap_config.num_clusters or default_num_clusters(data, rng)
        return cluster_baseline(data, k, rng)
    if isinstance(spec, str):
        return read_baseline(spec, data, features_expr=features_expr, dataset_type=dataset_type)
    records = [spec] if isinstance(spec, dict) else list(spec)
    return rows_to_baseline(records, data, features_expr=features_expr, key=KEY)


def cluster_baseline(data: pd.DataFrame, k: int, rng: np.random.Generator) -> pd.DataFrame:
    """k cluster prototypes of ``data`` (fewer when there are fewer distinct rows)."""
    if len(data) == 0:
        raise DataError("methods.shap: cannot compute a baseline by clustering an empty dataset")
    clustering = cluster_rows(data, k, rng)
    return _coerce(prototypes(data, clustering.labels), data, KEY)


def rows_to_baseline(
    records: list[Any], data: pd.DataFrame, *, features_expr: str | None = None, key: str = KEY
) -> pd.DataFrame:
    """Rows given as lists (feature order) or objects (features by JMESPath, or keyed by name)."""
    columns = list(data.columns)
    rows = []
    for i, record in enumerate(records):
        where = f"{key}[{i}]"
        if isinstance(record, dict):
            value: Any = record
            if features_expr is not None:
                try:
                    value = jmespath.search(features_expr, record)
                except jmespath.exceptions.JMESPathError as exc:
                    raise ConfigError(f"features: invalid JMESPath expression {features_expr!r}: {exc}") from exc
            if isinstance(value, dict):
                missing = [c for c in columns if c not in value]
                if missing:
                    raise ConfigError(f"{where}: missing feature {missing[0]!r}")
                value = [value[c] for c in columns]
            if not isinstance(value, list):
                raise ConfigError(f"{where}: expected the features as a list or an object, got {value!r}")
            record = value
        if len(record) != len(columns):
            raise ConfigError(f"{where}: expected {len(columns)} feature values, got {len(record)}")
        rows.append(record)
    return _coerce(pd.DataFrame(rows, columns=columns), data, key)


def read_baseline(
    uri: str, data: pd.DataFrame, *, features_expr: str | None = None, dataset_type: str = "text/csv"
) -> pd.DataFrame:
    """Read a baseline file or fsspec URI: header-less CSV, or JSON Lines when the dataset is JSON Lines."""
    try:
        with fsspec.open(uri, "rt", encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError) as exc:
        raise DataError(f"{uri}: cannot read the SHAP baseline: {exc}") from exc
    if dataset_type == "application/jsonlines":
        records = []
        for line_no, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataError(f"{uri}:{line_no}: invalid JSON: {exc.msg}") from exc
        return rows_to_baseline(records, data, features_expr=features_expr, key=uri)
    try:
        frame = pd.read_csv(io.StringIO(text), header=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{uri}: cannot parse the SHAP baseline as CSV: {exc}") from exc
    if frame.shape[1] != data.shape[1]:
        raise DataError(f"{uri}: expected {data.shape[1]} feature columns in the baseline, got {frame.shape[1]}")
    frame.columns = list(data.columns)
    return _coerce(frame, data, uri)


def _coerce(frame: pd.DataFrame, data: pd.DataFrame, where: str) -> pd.DataFrame:
    """Numbers for numeric columns of ``data``, strings for other columns (unless already of the column's kind)."""
    out = {}
    for name in data.columns:
        col = frame[name]
        if is_numeric_column(data[name]):
            try:
                out[name] = pd.to_numeric(col)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{where}: feature {name!r}: expected numbers, got {col.tolist()!r}") from exc
        else:
            out[name] = (
                pd.Series(
                    [v if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in col], dtype=object
                )
                if not _same_kind(col, data[name])
                else col
            )
    return pd.DataFrame(out, columns=list(data.columns)).reset_index(drop=True)


def _same_kind(col: pd.Series, ref: pd.Series) -> bool:
    """True when the baseline column already holds values of the dataset column's kind (e.g. booleans)."""
    sample = ref.dropna()
    if sample.empty:
        return True
    kind = type(sample.iloc[0])
    return all(isinstance(v, kind) or v is None for v in col)


def write_baseline_csv(baseline: pd.DataFrame, path: str | Path) -> Path:
    """Write the baseline atomically as header-less CSV in feature order (the format ``baseline`` reads)."""
    return write_with(path, lambda handle: baseline.to_csv(handle, header=False, index=False))
