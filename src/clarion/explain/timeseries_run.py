"""Time-series explanations of a dataset: asymmetric Shapley values for each item, written in Clarify's layout.

Files: ``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``, one line per item in dataset order,
``{"explanations": [{"feature_name", "timestamp", "scores"}, ...]}`` where ``scores`` has one value per forecast
step. ``timewise`` gives one entry per timestamp, named by the target series (a time step groups all series);
``fine_grained`` one entry per series and timestamp, named by the series' config expression. analysis.json gets
``explanations.asymmetric_shapley_value = {"direction", "granularity", "explanation_results_path"}``.

Baselines (``methods.asymmetric_shapley_value.baseline``, a dict or the URI of a JSON file holding that dict):
``target_time_series`` / ``related_time_series`` set to ``zero`` (default) or ``mean`` (the item's own mean over
its steps); ``static_covariates`` maps item ids (JSON object keys, matched to ``str(item_id)``) to one baseline value
per static covariate. Without a static baseline the covariates are held at the item's values and get no attribution.
With one, the covariates are players that enter before every time step in each permitted ordering (they are known
before the series starts): the time steps' values are unchanged, and covariate ``j`` gets its exact Shapley value in
the game ``g(S) = f(b, where(S, u, u_b))`` over the covariates with the series at their baseline ``b``, so that all
attributions add up to ``f(x, u) - f(b, u_b)``. Its out.jsonl entry is ``{"feature_name", "scores"}`` (no
timestamp), after the time entries.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import fsspec
import numpy as np

from clarion.config.methods import AsymmetricShapleyValue
from clarion.config.model import TimeSeriesDataConfig
from clarion.data.atomic import atomic_open
from clarion.data.timeseries_reader import SeriesItem
from clarion.errors import ConfigError, DataError
from clarion.explain.asymmetric import asymmetric_shapley, series_baseline

KEY = "methods.asymmetric_shapley_value"
MAX_STATIC_PLAYERS = 12


class ItemForecast(Protocol):
    """The forecast function of an item, its static covariates replaced by ``static_covariates`` when given."""

    def __call__(
        self, item: SeriesItem, static_covariates: tuple[Any, ...] | None = None
    ) -> Callable[[np.ndarray], np.ndarray]: ...


@dataclass(frozen=True)
class SeriesBaseline:
    """The parsed baseline: a kind per series group and, optionally, static covariate values by item id."""

    target: str = "zero"
    related: str = "zero"
    static: dict[str, list[Any]] | None = None


def results_folder(settings: AsymmetricShapleyValue) -> str:
    """``asymmetric_shapley_value/<granularity>_<direction>``."""
    return f"asymmetric_shapley_value/{settings.granularity}_{settings.direction}"


def load_baseline(settings: AsymmetricShapleyValue, data_config: TimeSeriesDataConfig) -> SeriesBaseline:
    """The baseline of the config: absent -> zero everywhere; a URI is read as a JSON object of the dict form."""
    spec = settings.baseline
    if spec is None:
        return SeriesBaseline()
    where = f"{KEY}.baseline"
    if isinstance(spec, str):
        where = spec
        try:
            with fsspec.open(spec, "rt", encoding="utf-8") as handle:
                spec = json.load(handle)
        except (OSError, ValueError) as exc:
            raise DataError(f"{where}: cannot read the time-series baseline: {exc}") from None
        if not isinstance(spec, dict):
            raise DataError(f"{where}: expected a JSON object with target_time_series, related_time_series, ...")
    unknown = set(spec) - {"target_time_series", "related_time_series", "static_covariates"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    static = spec.get("static_covariates")
    if static is not None:
        count = len(data_config.static_covariates or [])
        if not isinstance(static, dict) or count == 0:
            raise ConfigError(
                f"{where}.static_covariates: expected {{item_id: [values]}} and static covariates in"
                " time_series_data_config"
            )
        for item_id, values in static.items():
            if not isinstance(values, list) or len(values) != count:
                raise ConfigError(f"{where}.static_covariates.{item_id}: expected a list of {count} values")
    return SeriesBaseline(_kind(spec, "target_time_series", where), _kind(spec, "related_time_series", where), static)


def item_baseline(item: SeriesItem, baseline: SeriesBaseline) -> np.ndarray:
    """The baseline series of one item, shape (series, steps)."""
    out = series_baseline(item.series, baseline.related)
    out[0] = series_baseline(item.series[:1], baseline.target)[0]
    return out


def static_baseline(item: SeriesItem, baseline: SeriesBaseline) -> tuple[Any, ...] | None:
    """The item's static covariate baseline (None without one); every item needs an entry."""
    if baseline.static is None:
        return None
    values = baseline.static.get(str(item.item_id))
    if values is None:
        raise DataError(f"{KEY}.baseline.static_covariates: no baseline for item {item.item_id!r}")
    return tuple(values)


def covariate_shapley(
    forecast_for: ItemForecast, item: SeriesItem, series: np.ndarray, covariates: tuple[Any, ...]
) -> np.ndarray:
    """Exact Shapley values (covariates, horizon) of ``g(S) = f(series, where(S, u, u_b))`` by enumeration."""
    count = len(covariates)
    if count > MAX_STATIC_PLAYERS:
        raise ConfigError(f"{KEY}.baseline.static_covariates: at most {MAX_STATIC_PLAYERS} covariates are attributed")
    u = item.static_covariates
    values = {}
    for mask in itertools.product((False, True), repeat=count):
        mixed = tuple(u[j] if mask[j] else covariates[j] for j in range(count))
        values[mask] = np.asarray(forecast_for(item, mixed)(series[None]), dtype=float).reshape(-1)
    phi = np.zeros((count, next(iter(values.values())).shape[0]))
    for mask, value in values.items():
        size = sum(mask)
        for j in range(count):
            if not mask[j]:
                weight = math.factorial(size) * math.factorial(count - size - 1) / math.factorial(count)
                phi[j] += weight * (values[mask[:j] + (True,) + mask[j + 1 :]] - value)
    return phi


def _kind(spec: dict[str, Any], key: str, where: str) -> str:
    kind = spec.get(key, "zero")
    if not isinstance(kind, str) or kind.lower() not in ("zero", "mean"):
        raise ConfigError(f"{where}.{key}: expected 'zero' or 'mean', got {kind!r}")
    return kind.lower()


def explanation_record(
    item: SeriesItem,
    phi: np.ndarray,
    series_names: Sequence[str],
    granularity: str,
    covariates: Sequence[tuple[str, np.ndarray]] = (),
) -> dict[str, Any]:
    """One out.jsonl line for an item's attributions (see the module docstring)."""
    entries: list[dict[str, Any]] = []
    if granularity == "timewise":
        for t, stamp in enumerate(item.timestamps):
            entries.append({"feature_name": series_names[0], "timestamp": stamp, "scores": _floats(phi[t])})
    else:
        for s, name in enumerate(series_names):
            for t, stamp in enumerate(item.timestamps):
                entries.append({"feature_name": name, "timestamp": stamp, "scores": _floats(phi[s, t])})
    entries.extend({"feature_name": name, "scores": _floats(scores)} for name, scores in covariates)
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
    static_names = [str(s) for s in data_config.static_covariates or []]
    baseline = load_baseline(settings, data_config)
    folder = results_folder(settings)
    path = Path(output_dir) / folder / "out.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as handle:
        for index, item in enumerate(items):
            series_base = item_baseline(item, baseline)
            phi = asymmetric_shapley(
                forecast_for(item),
                item.series,
                series_base,
                direction=settings.direction,
                granularity=settings.granularity,
                num_samples=settings.num_samples,
                seed=seed + index,
            )
            static = static_baseline(item, baseline)
            covariates: list[tuple[str, np.ndarray]] = []
            if static is not None:
                phi_u = covariate_shapley(forecast_for, item, series_base, static)
                covariates = list(zip(static_names, phi_u, strict=True))
            record = explanation_record(item, phi, names, settings.granularity, covariates)
            handle.write(json.dumps(record) + "\n")
    return {
        "direction": settings.direction,
        "granularity": settings.granularity,
        "explanation_results_path": f"{folder}/out.jsonl",
    }
