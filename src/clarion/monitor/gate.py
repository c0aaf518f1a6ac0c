"""The pipeline gate (``clarion check``, the equivalent of the SDK's ``ClarifyCheckStep``): compare a finished
run with its baseline and answer with an exit code.

    0  no violations (or every check skipped)
    3  violations (listed in the run's constraint_violations.json)
    1  error (missing or unreadable analysis.json, bad options)

``register_new_baseline`` makes the run the new baseline, but only when the gate passes (as a failing check
step stops the pipeline before its baseline is registered). A baseline named ``.../baseline/analysis.json``
inside a monitoring folder is replaced as a whole folder; any other baseline file is overwritten atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clarion.data.atomic import write_text_atomic
from clarion.monitor.runs import BASELINE_DIR, analysis_path, read_analysis, register_baseline
from clarion.monitor.violations import (
    VIOLATIONS_FILE,
    AttributionDrift,
    CheckOptions,
    Violation,
    attribution_drift,
    check,
    write_violations,
)

EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_VIOLATIONS = 3


@dataclass(frozen=True)
class CheckResult:
    """What the gate found; ``exit_code`` is 0 (clean) or 3 (violations)."""

    current: Path
    baseline: Path
    violations: tuple[Violation, ...]
    attribution: tuple[AttributionDrift, ...]
    violations_file: Path
    registered: bool

    @property
    def exit_code(self) -> int:
        return EXIT_VIOLATIONS if self.violations else EXIT_CLEAN


def check_run(
    current: str | Path,
    baseline: str | Path,
    options: CheckOptions | None = None,
    *,
    register_new_baseline: bool = False,
) -> CheckResult:
    """Check the run at ``current`` (analysis.json or its folder) against ``baseline``; write the run's
    constraint_violations.json; register the run as the new baseline when asked and the gate passes."""
    options = options or CheckOptions()
    current_file = analysis_path(current)
    baseline_file = analysis_path(baseline)
    now = read_analysis(current_file)
    base = read_analysis(baseline_file)
    found = tuple(check(base, now, options))
    drift = tuple(attribution_drift(base, now, options.threshold))
    out = write_violations(current_file.parent / VIOLATIONS_FILE, found)
    registered = False
    if register_new_baseline and not found:
        if baseline_file.parent.name == BASELINE_DIR:
            register_baseline(current_file.parent, baseline_file.parent.parent)
        else:
            write_text_atomic(baseline_file, current_file.read_text(encoding="utf-8"))
        registered = True
    return CheckResult(current_file, baseline_file, found, drift, out, registered)
