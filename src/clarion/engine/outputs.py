"""Writing a run's results (kept for the engines' imports; the logic lives in ``clarion.results`` and
``clarion.report.render``)."""

from __future__ import annotations

from clarion.report.render import rerender_reports, write_reports
from clarion.results.layout import ANALYSIS_FILE, CONFIG_FILE
from clarion.results.write import read_analysis_dict as read_analysis
from clarion.results.write import write_analysis

__all__ = ["ANALYSIS_FILE", "CONFIG_FILE", "read_analysis", "rerender_reports", "write_analysis", "write_reports"]
