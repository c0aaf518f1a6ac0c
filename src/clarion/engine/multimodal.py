"""Text and image explanations (methods.shap.text_config / image_config).

Text: the rows are explained unit by unit (spaCy units of every non-numeric feature column, the
other columns as players too); local values go to explanations_shap/out.jsonl and
``kernel_shap.<label>.global_top_shap_text`` holds the top units. Image datasets
(``application/x-image``: a folder of images) are explained segment by segment (SLIC superpixels);
heat maps are written as JPEG files under explanations_shap/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from clarion.engine.plan import AnalysisPlan
from clarion.errors import ConfigError
from clarion.explain.baseline import baseline_from_config
from clarion.explain.image import ImageShapResult, explain_images, read_image
from clarion.explain.text import TextShapResult, check_text_config, explain_text
from clarion.explain.text_image_outputs import (
    image_kernel_shap_section,
    text_kernel_shap_section,
    write_image_heatmaps,
    write_image_out_jsonl,
    write_text_out_jsonl,
)
from clarion.predictors.build import build_image_predictor
from clarion.progress import progress_bar
from clarion.results import layout

Predict = Callable[[pd.DataFrame], np.ndarray]


def text_columns_of(rows: pd.DataFrame) -> list[str]:
    """The free-text features: every non-numeric feature column."""
    return [c for c in rows.columns if not is_numeric_dtype(rows[c].dtype) or rows[c].dtype == bool]


def explain_texts(plan: AnalysisPlan, rows: pd.DataFrame, predict: Predict, names: Sequence[str]) -> TextShapResult:
    """Kernel SHAP of every text row (feature columns only), unit by unit; the plan from ``default_rng(seed)``."""
    shap = plan.config.methods.shap
    assert shap is not None and shap.text_config is not None
    check_text_config(shap.text_config)
    columns = text_columns_of(rows)
    if not columns:
        raise ConfigError("methods.shap.text_config: the dataset has no text (non-numeric) feature column")
    baseline = None
    if shap.baseline is not None:
        baseline = baseline_from_config(
            shap,
            rows,
            np.random.default_rng(plan.seed),
            features_expr=plan.config.features,
            dataset_type=plan.config.dataset_type,
        )
    with progress_bar("Explaining texts (Kernel SHAP)", total=len(rows)) as advance:
        return explain_text(
            rows,
            columns,
            shap.text_config,
            baseline,
            predict,
            names,
            shap.num_samples,
            np.random.default_rng(plan.seed),
            advance,
            use_logit=shap.use_logit,
        )


def write_text_explanations(
    plan: AnalysisPlan, result: TextShapResult, joinsource: pd.Series | None, output: Path
) -> dict[str, Any]:
    """The ``kernel_shap`` section of a text run; writes the local attributions into the run folder ``output``."""
    shap = plan.config.methods.shap
    assert shap is not None and shap.text_config is not None
    if shap.save_local_shap_values:
        join = None if joinsource is None else joinsource.tolist()
        write_text_out_jsonl(output / layout.LOCAL_SHAP_JSONL, result, join)
    return text_kernel_shap_section(result, shap.agg_method, shap.text_config.max_top_tokens)


def explain_image_files(plan: AnalysisPlan, files: Sequence[Path]) -> ImageShapResult:
    """Kernel SHAP of every image, in one call: one generator (``default_rng(seed)``) draws the noise baselines
    and coalition plans image after image, so the images are explained in order wherever this runs."""
    config = plan.config
    shap = config.methods.shap
    assert shap is not None and shap.image_config is not None  # checked by make_plan
    baseline = read_image(shap.baseline) if isinstance(shap.baseline, str) else None
    headers = config.predictor.label_headers if config.predictor else None
    label_headers = [str(h) for h in headers] if headers else None
    with (
        build_image_predictor(config) as predict,
        progress_bar("Explaining images (Kernel SHAP)", total=len(files), unit="images") as advance,
    ):
        return explain_images(
            files,
            shap.image_config,
            predict,
            label_headers,
            shap.num_samples,
            np.random.default_rng(plan.seed),
            baseline=baseline,
            probability_threshold=config.effective_probability_threshold,
            progress=advance,
        )


def write_image_explanations(plan: AnalysisPlan, result: ImageShapResult, output: Path) -> dict[str, Any]:
    """The ``explanations`` section of an image run; writes the heat maps and, when asked, out.jsonl into ``output``."""
    shap = plan.config.methods.shap
    assert shap is not None
    write_image_heatmaps(output / layout.SHAP_DIR, result)
    if shap.save_local_shap_values:
        write_image_out_jsonl(output / layout.LOCAL_SHAP_JSONL, result)
    return {"kernel_shap": image_kernel_shap_section(result)}
