"""The output layout of a run: every file name a run (or a reader of one) uses, defined once.

<output>/analysis.json                    the results (Clarify's format)
<output>/analysis_config.json             the config that ran, as given
<output>/explanations_shap/out.csv        local SHAP values (tabular)
<output>/explanations_shap/out.jsonl      local attributions (text and images)
<output>/explanations_shap/baseline.csv   the SHAP baseline used
<output>/explanations_shap/part-*.csv     local SHAP values of a Spark run, one file per partition
<output>/<report name>.{html,pdf,ipynb}   reports (default name "report")
<output>/model_card.{md,json}             the model card (``clarion card``)
<output>/clarion_manifest.json            every file of the run with its SHA-256, written last
"""

from __future__ import annotations

ANALYSIS_FILE = "analysis.json"
CONFIG_FILE = "analysis_config.json"
MANIFEST_FILE = "clarion_manifest.json"
SHAP_DIR = "explanations_shap"
LOCAL_SHAP_CSV = f"{SHAP_DIR}/out.csv"
LOCAL_SHAP_JSONL = f"{SHAP_DIR}/out.jsonl"
BASELINE_CSV = f"{SHAP_DIR}/baseline.csv"
SPARK_PART_GLOB = f"{SHAP_DIR}/part-*.csv"
REPORT_NAME = "report"
REPORT_TITLE = "Analysis Report"
REPORT_FORMATS = ("html", "pdf", "ipynb")
CARD_MARKDOWN = "model_card.md"
CARD_JSON = "model_card.json"
CHECKPOINT_DIR = ".clarion_checkpoint"


def report_file(name: str, fmt: str) -> str:
    """``<name>.<fmt>``, e.g. ``report.html``."""
    return f"{name}.{fmt}"


def join(folder: str, name: str) -> str:
    """``folder/name`` for a local path or an fsspec URI (always ``/``-separated below the folder)."""
    return f"{folder.rstrip('/')}/{name}" if folder else name
