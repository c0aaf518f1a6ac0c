"""Time-series explanations of a dataset: asymmetric Shapley values for each item, written in Clarify's layout.

Files: ``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``, one line per item in dataset order,
``{"explanations": [{"feature_name", "timestamp", "scores"}, ...]}`` where ``scores`` has one value per forecast
step. ``timewise`` gives one entry per timestamp, named by the target series (a time step groups all series);
``fine_grained`` one entry per series and timestamp, named by the series' config expression. analysis.json gets
``explanations.asymmetric_shapley_value = {"direction", "granularity", "explanation_results_path"}``.

Baselines (``methods.asymmetric_shapley_value.baseline``): absent -> ``zero`` for every series; a dict with
``target_time_series`` / ``related_time_series`` set to ``zero`` or ``mean`` (the item's own mean over its steps).
A baseline file URI and ``static_covariates`` baselines are refused, since static covariates are held at the item's
values and get no attribution.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clarion.config.methods import AsymmetricShapleyValue
from clarion.config.model import TimeSeriesDataConfig
from clarion.data.atomic import atomic_open
from clarion.data.timeseries_reader import SeriesItem
from clarion.errors import ConfigError, NotSupportedError
from clarion.explain.asymmetric import asymmetric_shapley, series_baseline

KEY = "methods.asymmetric_shapley_value"
ItemForecast = Callable[[SeriesItem], Callable[[np.ndarray], np.ndarray]]


def results_folder(settings: AsymmetricShapleyValue) -> str:
    """``asymmetric_shapley_value/<granularity>_<direction>``."""
    return f"asymmetric_shapley_value/{settings.granularity}_{settings.direction}"


def item_baseline(item: SeriesItem, settings: AsymmetricShapleyValue) -> np.ndarray:
    """The baseline series of one item, shape (series, steps)."""
    spec = settings.baseline
    if spec is None:
        return series_baseline(item.series, "zero")
    if not isinstance(spec, dict):
        raise NotSupportedError(f"{KEY}.baseline: a baseline file ({spec!r}) is not supported; use zero or mean")
    unknown = set(spec) - {"target_time_series", "related_time_series", "static_covariates"}
    if unknown:
        raise ConfigError(f"{KEY}.baseline: unknown keys {sorted(unknown)}")
    if spec.get("static_covariates") is not None:
        raise NotSupportedError(f"{KEY}.baseline.static_covariates: static covariates are not attributed by clarion")
    target = _kind(spec, "target_time_series")
    related = _kind(spec, "related_time_series")
    out = series_baseline(item.series, related)
    out[0] = series_baseline(item.series[:1], target)[0]
    return out


def _kind(spec: dict[str, Any], key: str) -> str:
    kind = spec.get(key, "zero")
    if kind not in ("zero", "mean"):
        raise ConfigError(f"{KEY}.baseline.{key}: expected 'zero' or 'mean', got {kind!r}")
    return str(kind)


def explanation_record(
    item: SeriesItem, phi: np.ndarray, series_names: Sequence[str], granularity: str
) -> dict[str, Any]:
    """One out.jsonl line for an item's attributions (see the module docstring)."""
    entries = []
    if granularity == "timewise":
        for t, stamp in enumerate(item.timestamps):
            entries.append({"feature_name": series_names[0], "timestamp": stamp, "scores": _floats(phi[t])})
    else:
        for s, name in enumerate(series_names):
            for t, stamp in enumerate(item.timestamps):
                entries.append({"feature_name": name, "timestamp": stamp, "scores": _floats(phi[s, t])})
    return {"explanations": entries}


def _floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


def explain_items(
    items: Sequence[SeriesItem],
    forecast_for: ItemForecast,
    settings: AsymmetricShapleyValue,
    data_config: TimeSeriesDataConfig,
    output_dir: Path,
    seed: int = 0,
) -> dict[str, Any]:
    """Explain every item, write out.jsonl atomically and return the analysis.json section."""
    names = [str(data_config.target_time_series)] + [str(r) for r in data_config.related_time_series or []]
    folder = results_folder(settings)
    path = Path(output_dir) / folder / "out.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as handle:
        for index, item in enumerate(items):
            phi = asymmetric_shapley(
                forecast_for(item),
                item.series,
                item_baseline(item, settings),
                direction=settings.direction,
                granularity=settings.granularity,
                num_samples=settings.num_samples,
                seed=seed + index,
            )
            handle.write(json.dumps(explanation_record(item, phi, names, settings.granularity)) + "\n")
    return {
        "direction": settings.direction,
        "granularity": settings.granularity,
        "explanation_results_path": f"{folder}/out.jsonl",
    }
