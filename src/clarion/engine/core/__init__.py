"""The analysis core both engines share: the resolved run spec, the passes and their mergeable results,
the explanations step and the run sequence. Runners only say where chunks run and how partials travel.
"""

from clarion.engine.core.explanations import (
    ExplainRunner,
    ShapPart,
    TaskRunner,
    explain_chunk,
    explanations,
    joinsource_of,
    model_predict,
    output_names,
    shap_baseline,
)
from clarion.engine.core.passes import SAMPLE_ROWS, PassOne, bias_sections, pass_one_chunk
from clarion.engine.core.run import Runner, analyse, analyse_images, merge_pass_one, write_run
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
    "read_options",
    "resolve_run",
    "shap_baseline",
    "write_run",
]
