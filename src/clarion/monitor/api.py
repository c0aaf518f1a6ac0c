"""Monitoring from Python, in the SDK's terms (``ModelBiasMonitor``, ``ModelExplainabilityMonitor``,
``ClarifyCheckStep``), run locally on a monitoring folder::

    from clarion.monitor import Monitor

    mon = Monitor("analysis_config.json", "monitoring/")
    mon.suggest_baseline()                              # ModelBiasMonitor.suggest_baseline(...)
    run = mon.run("window.csv", window="2024-05")       # one monitoring execution
    run.violations                                      # execution.constraint_violations()
    mon.report()                                        # monitoring_report.html / .pdf

One object covers both monitors: the config decides which checks apply (bias sections -> bias drift,
kernel_shap -> feature-attribution drift).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from clarion.monitor.gate import CheckResult, check_run
from clarion.monitor.ranking import DEFAULT_THRESHOLD
from clarion.monitor.report import FORMATS, render_monitoring_report
from clarion.monitor.runs import ANALYSIS_FILE, BASELINE_DIR, MonitoringRun, list_runs, monitor, suggest_baseline
from clarion.monitor.violations import CheckOptions


class Monitor:
    """A model monitor on one monitoring folder: the config to run, the NDCG threshold, the bias tolerance."""

    def __init__(
        self,
        config: str | Path | dict[str, Any],
        monitor_dir: str | Path,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        bias_tolerance: float = 0.0,
        skip_checks: Iterable[str] = (),
    ) -> None:
        self.config = config
        self.monitor_dir = Path(monitor_dir)
        self.options = CheckOptions(threshold=threshold, bias_tolerance=bias_tolerance, skip=frozenset(skip_checks))

    @property
    def baseline(self) -> Path:
        """The baseline constraints file (``monitor_dir/baseline/analysis.json``)."""
        return self.monitor_dir / BASELINE_DIR / ANALYSIS_FILE

    def suggest_baseline(self, data_uri: str | None = None) -> Path:
        """Run the config (on ``data_uri`` or its ``dataset_uri``) and keep it as the baseline."""
        return suggest_baseline(self.config, self.monitor_dir, data_uri)

    def run(self, data_uri: str, *, ground_truth_uri: str | None = None, window: str | None = None) -> MonitoringRun:
        """Analyse new data (a dataset, or data-capture files with ``ground_truth_uri``) against the baseline."""
        return monitor(
            self.config,
            data_uri,
            self.monitor_dir,
            ground_truth_uri=ground_truth_uri,
            window=window,
            options=self.options,
        )

    def runs(self) -> list[MonitoringRun]:
        """Every finished run, oldest first."""
        return list_runs(self.monitor_dir)

    def check(self, run: str | Path | MonitoringRun, *, register_new_baseline: bool = False) -> CheckResult:
        """The gate on one run (``clarion check``): violations and an exit code."""
        path = run.path if isinstance(run, MonitoringRun) else Path(run)
        return check_run(path, self.baseline, self.options, register_new_baseline=register_new_baseline)

    def report(self, *, title: str = "Model monitoring", formats: Iterable[str] = FORMATS) -> list[Path]:
        """Render the over-time report into the monitoring folder."""
        return render_monitoring_report(self.monitor_dir, title=title, formats=formats)
