"""Writing a run's results into the output directory, Clarify's layout, every file atomically.

<output>/analysis.json              the results (written last, so it only exists for a finished run)
<output>/analysis_config.json       the config that ran, as given
<output>/explanations_shap/...      local SHAP values and the baseline used
<output>/<report name>.{html,pdf,ipynb}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clarion.config import AnalysisConfig, load_config
from clarion.data.atomic import write_json_atomic
from clarion.errors import OutputError

ANALYSIS_FILE = "analysis.json"
CONFIG_FILE = "analysis_config.json"


def write_analysis(output_dir: str | Path, analysis: dict[str, Any], raw_config: dict[str, Any]) -> Path:
    """Write the config as given and then analysis.json (infinities as "Infinity", as Clarify does)."""
    out = Path(output_dir)
    write_json_atomic(out / CONFIG_FILE, raw_config)
    return write_json_atomic(out / ANALYSIS_FILE, analysis)


def write_reports(output_dir: str | Path, config: AnalysisConfig) -> list[Path]:
    """Render the reports named by ``methods.report`` (a no-op when the config has none)."""
    report = config.methods.report
    if report is None:
        return []
    from clarion.report import render_reports

    return render_reports(output_dir, name=report.name, title=report.title)


def rerender_reports(output_dir: str | Path, *, name: str | None = None, title: str | None = None) -> list[Path]:
    """Re-render reports from an existing output directory (``clarion report``)."""
    out = Path(output_dir)
    if not (out / ANALYSIS_FILE).is_file():
        raise OutputError(f"{out}: no {ANALYSIS_FILE} here; run an analysis first")
    report = None
    if (out / CONFIG_FILE).is_file():
        try:
            report = load_config(out / CONFIG_FILE).methods.report
        except Exception:  # an unreadable saved config only loses the default name and title
            report = None
    from clarion.report import render_reports

    return render_reports(
        out,
        name=name or (report.name if report else "report"),
        title=title or (report.title if report else "Analysis Report"),
    )


def read_analysis(output_dir: str | Path) -> dict[str, Any]:
    path = Path(output_dir) / ANALYSIS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputError(f"{path}: not found") from None
    except json.JSONDecodeError as exc:
        raise OutputError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
