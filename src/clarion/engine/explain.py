"""Explanations in the local engine: SHAP over every row (pass 2) and PDP over the row sample.

The model's outputs on the dataset rows come from pass 1 (computed once); Kernel SHAP reuses them
as f(x). The baseline comes from the config, or from clustering the pass-1 row sample, and is written
to explanations_shap/baseline.csv.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clarion.engine.local import PassOneResult, iter_dataset
from clarion.engine.plan import AnalysisPlan
from clarion.progress import progress_bar

SHAP_DIR = "explanations_shap"


def model_predict(predictor: Any):
    """DataFrame -> (n, k) float model outputs, the function explanations call."""
    from clarion.predictors import model_outputs

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return model_outputs(predictor.predict(frame))[0]

    return predict


def shap_baseline(plan: AnalysisPlan, sample: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The SHAP baseline both engines use: the config's rows or file, or clusters of the row sample."""
    from clarion.explain.baseline import baseline_from_config

    config = plan.config
    assert config.methods.shap is not None
    return baseline_from_config(
        config.methods.shap,
        sample,
        np.random.default_rng(seed),
        features_expr=config.features,
        dataset_type=config.dataset_type,
    )


def output_names_of(result: PassOneResult, predictor: Any, features: list[str]) -> tuple[str, ...]:
    """The outputs' names (label headers or label0...); asks the model once when pass 1 did not."""
    if result.output_names is not None:
        return result.output_names
    from clarion.predictors import model_outputs

    return tuple(model_outputs(predictor.predict(result.sample.rows[features].iloc[:1]))[1])


def explanations(
    plan: AnalysisPlan, result: PassOneResult, predictor: Any, output_dir: str | Path, chunk_rows: int, seed: int
) -> dict[str, Any]:
    """The ``explanations`` object of analysis.json; writes local values and the baseline."""
    from clarion.explain.pdp import pdp_section

    assert result.roles is not None
    features = list(result.roles.features)
    predict = model_predict(predictor)
    names = output_names_of(result, predictor, features)
    section: dict[str, Any] = {}
    global_shap = None
    if plan.shap:
        section["kernel_shap"] = _kernel_shap(plan, result, predict, names, Path(output_dir), chunk_rows, seed)
        global_shap = section["kernel_shap"][names[0]].get("global_shap_values")
    if plan.pdp:
        rows = result.sample.rows[features]
        with progress_bar("Partial dependence", total=None, unit="features"):
            section["pdp"] = pdp_section(rows, predict, names, plan.config.methods.pdp, global_shap)
    return section


def _kernel_shap(
    plan: AnalysisPlan,
    result: PassOneResult,
    predict: Any,
    names: tuple[str, ...],
    output_dir: Path,
    chunk_rows: int,
    seed: int,
) -> dict[str, Any]:
    from clarion.explain import concat_results, explain_tabular
    from clarion.explain.baseline import write_baseline_csv
    from clarion.explain.outputs import kernel_shap_section, write_local_values_csv

    config = plan.config
    shap_config = config.methods.shap
    assert shap_config is not None and result.roles is not None
    roles = result.roles
    features = list(roles.features)
    if shap_config.text_config is not None:
        return _text_shap(plan, roles, predict, names, output_dir, chunk_rows, seed)
    baseline = shap_baseline(plan, result.sample.rows[features], seed)
    outputs = np.concatenate(result.model_outputs) if result.model_outputs else None
    parts = []
    join_values = []
    offset = 0
    with progress_bar("Explaining rows (Kernel SHAP)", total=result.rows) as advance:
        for chunk in iter_dataset(plan, chunk_rows):
            row_outputs = outputs[offset : offset + len(chunk)] if outputs is not None else None
            parts.append(
                explain_tabular(
                    chunk[features].reset_index(drop=True),
                    baseline,
                    predict,
                    names,
                    shap_config,
                    np.random.default_rng(seed),  # the same coalition plan for every chunk
                    advance,
                    row_outputs=row_outputs,
                )
            )
            if roles.joinsource is not None:
                join_values.append(chunk[roles.joinsource])
            offset += len(chunk)
    shap_result = concat_results(parts)
    write_baseline_csv(baseline, output_dir / SHAP_DIR / "baseline.csv")
    if shap_config.save_local_shap_values:
        joinsource = pd.concat(join_values, ignore_index=True) if join_values else None
        write_local_values_csv(output_dir / SHAP_DIR / "out.csv", shap_result, joinsource)
    return kernel_shap_section(shap_result, shap_config.agg_method)


def _text_shap(
    plan: AnalysisPlan, roles: Any, predict: Any, names: tuple[str, ...], output_dir: Path, chunk_rows: int, seed: int
) -> dict[str, Any]:
    """Text runs explain the whole dataset in one call (texts are few; the coalition plan is per unit count)."""
    from clarion.engine.multimodal import explain_text_rows

    chunks = list(iter_dataset(plan, chunk_rows))
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)
    joinsource = frame[roles.joinsource] if roles.joinsource is not None else None
    return explain_text_rows(plan, frame[list(roles.features)], joinsource, predict, names, output_dir, seed)
