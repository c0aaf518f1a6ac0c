"""Kernel SHAP outputs: the ``explanations.kernel_shap`` section of analysis.json and explanations_shap/out.csv.

Shapes verified against CLARIFY_OUTPUTS.md (1b, 2) and the developer guide's examples:

- ``kernel_shap`` maps each output name (label header, else ``label0``, ``label1``, ...) to
  ``{"global_shap_values": {feature: value}, "expected_value": value}``: one float per feature and
  one float expected value per label. clarion adds ``global_shap_values_stderr`` (same keys; 0 when
  exact, null when the coalitions cannot estimate it) and ``clarion_num_samples_used`` (coalitions
  evaluated per row, averaged over the rows; above ``num_samples`` when ``target_stderr`` asked for
  more, below it for rows with features equal to the baseline) beside them, keys Clarify consumers
  ignore. Features appear in dataset order (the guide's
  abalone example lists them alphabetically, another real output does not; JSON object order carries
  no meaning).
- ``out.csv`` has one column per feature and output named ``<feature>_<label>`` (e.g. ``Age_label0``),
  output-major (all features of the first output, then the next), a header row, one row per input
  record in input order and no index column; the join-source column comes first when
  ``joinsource_name_or_index`` is configured. For the blog-era code that reads bare feature names,
  strip the ``_<label>`` suffix (with one output: ``df.columns.str.removesuffix("_label0")``), or set
  clarion's ``methods.shap.bare_feature_names`` to write bare names for a single-output model, as Clarify's
  older releases did.
- PDP: ``pdp_section`` in ``clarion.explain.pdp``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clarion.data.atomic import write_with
from clarion.errors import ConfigError
from clarion.explain.aggregate import AggMethod, GlobalSums, aggregate, global_sums
from clarion.explain.kernel_shap import ShapResult


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


@dataclass(frozen=True)
class ShapSummary:
    """What the ``kernel_shap`` section needs from local values besides the median's order statistics; the
    summaries of consecutive row ranges merge (``merge``), so local values can stay where they were computed.

    samples_used: total coalitions evaluated over the rows (their mean is ``clarion_num_samples_used``).
    """

    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    expected_value: np.ndarray
    num_samples: int
    sums: GlobalSums
    samples_used: int

    def merge(self, other: ShapSummary) -> ShapSummary:
        return replace(self, sums=self.sums.merge(other.sums), samples_used=self.samples_used + other.samples_used)


def summarize(result: ShapResult, agg_method: AggMethod = "mean_abs") -> ShapSummary:
    """The ``ShapSummary`` of ``result``'s rows."""
    used = result.samples_used
    return ShapSummary(
        feature_names=result.feature_names,
        output_names=result.output_names,
        expected_value=result.expected_value,
        num_samples=result.num_samples,
        sums=global_sums(result.values, result.stderr, agg_method, result.independent_rows, result.dof),
        samples_used=int(used.sum()) if used is not None else result.num_samples * result.num_rows,
    )


def kernel_shap_section(result: ShapResult, agg_method: AggMethod = "mean_abs") -> dict[str, Any]:
    """``explanations.kernel_shap``: per output, global values by ``agg_method`` and the expected value."""
    return shap_section(summarize(result, agg_method), aggregate(result.values, agg_method))


def shap_section(summary: ShapSummary, global_values: np.ndarray) -> dict[str, Any]:
    """``explanations.kernel_shap`` from a summary and the (M, K) global values (the aggregation's, see
    ``aggregate``; ``summary.sums.mean_values()`` for the means)."""
    global_stderr = summary.sums.stderr()
    rows = summary.sums.rows
    samples_used = summary.samples_used / rows if rows else float(summary.num_samples)
    section: dict[str, Any] = {}
    for k, label in enumerate(summary.output_names):
        section[label] = {
            "global_shap_values": {f: _number(global_values[j, k]) for j, f in enumerate(summary.feature_names)},
            "expected_value": _number(summary.expected_value[k]),
            "global_shap_values_stderr": {f: _number(global_stderr[j, k]) for j, f in enumerate(summary.feature_names)},
            "clarion_num_samples_used": round(samples_used, 2),
        }
    return section


def local_value_columns(
    feature_names: tuple[str, ...] | list[str], output_names: tuple[str, ...] | list[str], *, bare: bool = False
) -> list[str]:
    """``<feature>_<label>`` for every output (outer) and feature (inner); with ``bare`` (one output only), the
    feature names themselves."""
    if bare:
        if len(output_names) != 1:
            raise ConfigError(
                f"methods.shap.bare_feature_names: bare feature names in out.csv need a model with one output; "
                f"this one has {len(output_names)} ({', '.join(map(str, output_names))})"
            )
        return list(feature_names)
    return [f"{f}_{label}" for label in output_names for f in feature_names]


def local_values_frame(result: ShapResult, joinsource: pd.Series | None = None, *, bare: bool = False) -> pd.DataFrame:
    """out.csv as a DataFrame: the join-source column (when given, under its name) then the local values."""
    n, m, k = result.values.shape
    flat = result.values.transpose(0, 2, 1).reshape(n, k * m)  # output-major, then feature
    frame = pd.DataFrame(flat, columns=local_value_columns(result.feature_names, result.output_names, bare=bare))
    if joinsource is not None:
        if len(joinsource) != n:
            raise ValueError(f"joinsource has {len(joinsource)} values for {n} rows")
        frame.insert(0, str(joinsource.name), joinsource.to_numpy())
    return frame


def write_local_values_csv(
    path: str | Path, result: ShapResult, joinsource: pd.Series | None = None, *, bare: bool = False
) -> Path:
    """Write explanations_shap/out.csv atomically (temp file in the same directory, then rename)."""
    frame = local_values_frame(result, joinsource, bare=bare)
    return write_with(path, lambda handle: frame.to_csv(handle, index=False))
