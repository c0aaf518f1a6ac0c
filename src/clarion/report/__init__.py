"""Reports of an analysis run: ``report.html`` (self-contained), ``report.pdf`` and ``report.ipynb``.

render_reports(output_dir, name="report", title="Analysis Report", formats=("html", "pdf", "ipynb"))
"""

from clarion.report._data import ReportData, load_report_data
from clarion.report.render import FORMATS, render_reports

__all__ = ["FORMATS", "ReportData", "load_report_data", "render_reports"]
