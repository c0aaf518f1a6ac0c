"""The monitoring folder: a baseline and every monitoring run, each one complete, time-stamped.

    MONITOR_DIR/baseline/            a complete run of the config (its analysis.json is the constraints file)
    MONITOR_DIR/runs/<run id>/       analysis.json, reports, constraint_violations.json, monitor.json
                                     (and captured_data.csv for a window read from data capture)
    MONITOR_DIR/monitoring_report.{html,pdf}

A run is analysed in ``.staging/<id>/run`` and renamed into ``runs/`` only when analysis.json,
constraint_violations.json and monitor.json are all written, so ``runs/`` only ever holds complete runs
(the baseline is replaced the same way).
Run ids are the UTC start time, ``2024-05-01T12-00-00Z`` (a ``-2``, ``-3`` suffix when one already exists).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clarion.config.load import load_config_and_raw
from clarion.data.atomic import write_json_atomic
from clarion.engine import run_analysis
from clarion.errors import OutputError
from clarion.monitor.capture import CAPTURE_TYPE, capture_dataset, is_capture
from clarion.monitor.ranking import DEFAULT_THRESHOLD
from clarion.monitor.violations import (
    VIOLATIONS_FILE,
    AttributionDrift,
    CheckOptions,
    Violation,
    attribution_drift,
    check,
    write_violations,
)
from clarion.results import Analysis, layout
from clarion.results.catalogue import parse_metric_value

ANALYSIS_FILE = layout.ANALYSIS_FILE
BASELINE_DIR = "baseline"
RUNS_DIR = "runs"
META_FILE = "monitor.json"
STAGING_DIR = ".staging"


@dataclass(frozen=True)
class MonitoringRun:
    """One finished monitoring run: where it is, when it ran, what it found."""

    path: Path
    run_id: str
    time: str
    window: str | None
    data: str
    baseline: str
    analysis: Analysis
    attribution: tuple[AttributionDrift, ...]
    violations: tuple[Violation, ...]
    bias_tolerance: float = 0.0

    @property
    def status(self) -> str:
        """Model Monitor's execution status: ``Completed`` or ``CompletedWithViolations``."""
        return "CompletedWithViolations" if self.violations else "Completed"


def analysis_path(location: str | Path) -> Path:
    """``location`` itself when it is a file, else ``location/analysis.json``."""
    path = Path(location)
    return path if path.is_file() else path / ANALYSIS_FILE


def read_analysis(location: str | Path) -> Analysis:
    """A typed analysis.json (a file, or a folder holding one); OutputError when missing or invalid."""
    path = analysis_path(location)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OutputError(f"{path}: not found (expected a finished run's analysis.json)") from None
    return Analysis.from_json(text, str(path))


@contextlib.contextmanager
def _staging(root: Path) -> Iterator[Path]:
    """A fresh output folder under ``root/.staging/<id>/``, removed when the block ends (the engine's own staging
    and checkpoint folders, which sit beside an output, stay inside ``<id>/`` and go with it)."""
    box = root / STAGING_DIR / uuid.uuid4().hex[:12]
    box.mkdir(parents=True)
    staging = box / "run"
    staging.mkdir()
    try:
        yield staging
    finally:
        shutil.rmtree(box, ignore_errors=True)
        with contextlib.suppress(OSError):
            box.parent.rmdir()  # .staging, when no other run is being staged


def _replace_dir(staging: Path, final: Path) -> None:
    """Move a complete ``staging`` folder to ``final``, replacing what was there."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}.old"
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def suggest_baseline(config: str | Path | dict[str, Any], monitor_dir: str | Path, data_uri: str | None = None) -> Path:
    """Run ``config`` and keep the complete result as ``monitor_dir/baseline``; return its analysis.json."""
    root = Path(monitor_dir)
    with _staging(root) as staging:
        run_analysis(config, data_uri=data_uri, output_dir=staging)
        _replace_dir(staging, root / BASELINE_DIR)
    return root / BASELINE_DIR / ANALYSIS_FILE


def register_baseline(run_dir: str | Path, monitor_dir: str | Path) -> Path:
    """Copy a finished run (its whole folder) to ``monitor_dir/baseline``, replacing the old baseline."""
    source = Path(run_dir)
    read_analysis(source)
    root = Path(monitor_dir)
    with _staging(root) as staging:
        for item in source.iterdir():
            if item.name in (VIOLATIONS_FILE, META_FILE) or item.name.startswith("."):
                continue
            target = staging / item.name
            shutil.copytree(item, target) if item.is_dir() else shutil.copy2(item, target)
        _replace_dir(staging, root / BASELINE_DIR)
    return root / BASELINE_DIR / ANALYSIS_FILE


def _run_id(runs: Path, now: datetime) -> str:
    base = now.strftime("%Y-%m-%dT%H-%M-%SZ")
    run_id, n = base, 1
    while (runs / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def monitor(
    config: str | Path | dict[str, Any],
    data_uri: str,
    monitor_dir: str | Path,
    *,
    baseline: str | Path | None = None,
    ground_truth_uri: str | None = None,
    window: str | None = None,
    options: CheckOptions | None = None,
) -> MonitoringRun:
    """Analyse ``data_uri`` with ``config``, check it against the baseline, keep it as a new run.

    ``baseline`` (an analysis.json or a folder holding one) defaults to ``monitor_dir/baseline``. ``data_uri``
    is a dataset of the config's type, or SageMaker data-capture files (then ``ground_truth_uri`` gives labels).
    """
    options = options or CheckOptions()
    root = Path(monitor_dir)
    baseline_file = analysis_path(baseline if baseline is not None else root / BASELINE_DIR)
    constraints = read_analysis(baseline_file)
    parsed, raw = load_config_and_raw(config)
    started = datetime.now(UTC)
    runs = root / RUNS_DIR
    with _staging(root) as staging:
        if parsed.dataset_type == CAPTURE_TYPE or is_capture(data_uri):
            derived, data_path = capture_dataset(parsed, raw, data_uri, ground_truth_uri, staging)
            run_analysis(derived, data_uri=str(data_path), output_dir=staging)
        else:
            source: Any = config if not isinstance(config, dict) else raw
            run_analysis(source, data_uri=data_uri, output_dir=staging)
        analysis = read_analysis(staging)  # as written: infinities as Clarify's strings
        found = check(constraints, analysis, options)
        drift = attribution_drift(constraints, analysis, options.threshold)
        write_violations(staging / VIOLATIONS_FILE, found)
        run_id = _run_id(runs, started)
        meta = {
            "run_id": run_id,
            "time": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "window": window,
            "data": str(data_uri),
            "ground_truth": ground_truth_uri,
            "baseline": str(baseline_file),
            "threshold": options.threshold,
            "bias_tolerance": options.bias_tolerance,
            "skip_check": sorted(options.skip),
            "ndcg": {d.label: d.ndcg for d in drift},
            "violations": [_violation_meta(v) for v in found],
            "status": "CompletedWithViolations" if found else "Completed",
        }
        write_json_atomic(staging / META_FILE, meta)
        final = runs / run_id
        runs.mkdir(parents=True, exist_ok=True)
        staging.rename(final)
    return load_run(final)


def load_run(path: str | Path) -> MonitoringRun:
    """A finished run folder (monitor.json, analysis.json, constraint_violations.json) as a MonitoringRun."""
    folder = Path(path)
    meta_path = folder / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise OutputError(f"{meta_path}: not a monitoring run ({exc.__class__.__name__})") from None
    threshold = float(meta.get("threshold", DEFAULT_THRESHOLD))
    drift = tuple(AttributionDrift(str(k), float(v), threshold) for k, v in (meta.get("ndcg") or {}).items())
    return MonitoringRun(
        path=folder,
        run_id=str(meta["run_id"]),
        time=str(meta["time"]),
        window=meta.get("window"),
        data=str(meta.get("data", "")),
        baseline=str(meta.get("baseline", "")),
        analysis=read_analysis(folder),
        attribution=drift,
        violations=tuple(_violation_from_meta(v) for v in meta.get("violations") or []),
        bias_tolerance=float(meta.get("bias_tolerance", 0.0)),
    )


def _violation_meta(v: Violation) -> dict[str, Any]:
    return {k: getattr(v, k) for k in Violation.__dataclass_fields__}


def _violation_from_meta(entry: dict[str, Any]) -> Violation:
    numbers = {k: parse_metric_value(entry.get(k)) for k in ("baseline", "current")}
    return Violation(**{**entry, **numbers})


def list_runs(monitor_dir: str | Path) -> list[MonitoringRun]:
    """Every finished run of a monitoring folder, oldest first (partial runs are never listed)."""
    runs = Path(monitor_dir) / RUNS_DIR
    if not runs.is_dir():
        return []
    found = [load_run(p) for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(found, key=lambda r: (r.time, r.run_id))
