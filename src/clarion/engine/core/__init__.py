"""The analysis core both engines share: the resolved run spec, the passes and their mergeable results,
the explanations step and the run sequence. Runners only say where chunks run and how partials travel.

Names are loaded on first use (``clarion validate`` needs ``header_roles``, not the passes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion._exports import lazy_names

if TYPE_CHECKING:
    from clarion.engine.core.explanations import (
        ExplainRunner,
        ShapPart,
        TaskRunner,
        explain_chunk,
        explanations,
        joinsource_of,
        model_predict,
        output_names,
        run_shap_config,
        shap_baseline,
    )
    from clarion.engine.core.passes import SAMPLE_ROWS, PassOne, bias_sections, pass_one_chunk
    from clarion.engine.core.run import (
        Runner,
        analyse,
        analyse_images,
        analyse_time_series,
        merge_pass_one,
        pass_one_description,
        write_run,
    )
    from clarion.engine.core.spec import (
        PREDICTED_LABEL_COLUMN,
        RunSpec,
        bias_only_columns,
        feature_names_hint,
        header_roles,
        joined_predicted_label,
        read_options,
        resolve_run,
    )

_EXPORTS = {
    "explanations": (
        "ExplainRunner",
        "ShapPart",
        "TaskRunner",
        "explain_chunk",
        "explanations",
        "joinsource_of",
        "model_predict",
        "output_names",
        "run_shap_config",
        "shap_baseline",
    ),
    "passes": (
        "SAMPLE_ROWS",
        "PassOne",
        "bias_sections",
        "pass_one_chunk",
    ),
    "run": (
        "Runner",
        "analyse",
        "analyse_images",
        "analyse_time_series",
        "merge_pass_one",
        "pass_one_description",
        "write_run",
    ),
    "spec": (
        "PREDICTED_LABEL_COLUMN",
        "RunSpec",
        "bias_only_columns",
        "feature_names_hint",
        "header_roles",
        "joined_predicted_label",
        "read_options",
        "resolve_run",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "PREDICTED_LABEL_COLUMN",
    "SAMPLE_ROWS",
    "ExplainRunner",
    "PassOne",
    "Runner",
    "RunSpec",
    "ShapPart",
    "TaskRunner",
    "analyse",
    "analyse_images",
    "analyse_time_series",
    "bias_only_columns",
    "bias_sections",
    "explain_chunk",
    "explanations",
    "feature_names_hint",
    "header_roles",
    "joinsource_of",
    "joined_predicted_label",
    "merge_pass_one",
    "model_predict",
    "output_names",
    "pass_one_chunk",
    "pass_one_description",
    "read_options",
    "resolve_run",
    "run_shap_config",
    "shap_baseline",
    "write_run",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, __all__)
